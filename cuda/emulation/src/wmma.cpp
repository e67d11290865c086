// nvcuda::wmma's warp-collective calls (include/mma.h): the element mapping of
// each fragment type, the checks of load_matrix_sync's and store_matrix_sync's
// arguments, and mma_sync, whose lanes hand each other their a and b elements
// through the block's warp exchange (block.cpp) before each computes its own d.
#include <mma.h>

#include <array>
#include <cmath>
#include <cstring>
#include <numeric>
#include <optional>
#include <string>
#include <vector>

#include "emulator.hpp"

namespace enu::emulation::wmma {
namespace {

constexpr size_t kFragmentTypes = 5;
constexpr unsigned kOperandsPerLane = 4;  // of A (16 x 8) and of B (8 x 16)

struct Shape {
  unsigned rows, cols;
  unsigned per_lane() const { return rows * cols / kWarpSize; }
};

// A is m x k, B is k x n, the accumulator m x n, for m = n = 16 and k = 8.
Shape shape_of(Fragment kind) {
  switch (kind) {
    case Fragment::a_row_major:
    case Fragment::a_col_major: return {16, 8};
    case Fragment::b_row_major:
    case Fragment::b_col_major: return {8, 16};
    case Fragment::accumulator: return {16, 16};
  }
  return {};
}

/// One fragment type's mapping: which element lane l's x[i] holds, and back.
struct Mapping {
  std::vector<Element> held;     // at slot l * per_lane + i
  std::vector<uint16_t> holder;  // the slot of element (row, col), at row * cols + col
};

/// A permutation drawn from the schedule alone, so that a failure reproduces
/// under the same ENU_EMULATION_SCHEDULE, and differs between schedules (in_order,
/// reversed and every shuffled seed) and between fragment types.
Mapping draw(Fragment kind, ScheduleChoice choice) {
  const Shape shape = shape_of(kind);
  std::vector<uint16_t> elements(shape.rows * shape.cols);
  std::iota(elements.begin(), elements.end(), uint16_t(0));
  shuffle(elements, splitmix64(uint64_t(choice.schedule) * kFragmentTypes + uint64_t(kind)) ^ choice.seed);
  Mapping m{std::vector<Element>(elements.size()), std::vector<uint16_t>(elements.size())};
  for (size_t slot = 0; slot < elements.size(); ++slot) {
    m.held[slot] = Element{uint8_t(elements[slot] / shape.cols), uint8_t(elements[slot] % shape.cols)};
    m.holder[elements[slot]] = uint16_t(slot);
  }
  return m;
}

/// The mapping of `kind` under the current schedule (drawn again when a test changes it between launches).
const Mapping& mapping(Fragment kind) {
  static std::optional<ScheduleChoice> drawn_for;
  static std::array<Mapping, kFragmentTypes> mappings;
  const ScheduleChoice now = schedule();
  if (!drawn_for || now.schedule != drawn_for->schedule || now.seed != drawn_for->seed) {
    for (size_t k = 0; k < kFragmentTypes; ++k) mappings[k] = draw(Fragment(k), now);
    drawn_for = now;
  }
  return mappings[size_t(kind)];
}

/// What the tensor cores read of an a or b element: its top 19 bits (sign,
/// exponent, 10 mantissa bits), the rest dropped.
float tf32_bits(float x) {
  uint32_t bits;
  std::memcpy(&bits, &x, sizeof bits);
  bits &= 0xFFFFE000u;
  std::memcpy(&x, &bits, sizeof bits);
  return x;
}

std::string call_at(const char* operation, const CallSite& site) {
  return std::string(operation) + " at " + basename_of(site.file) + ":" + std::to_string(site.line);
}

/// False, with a report from lane 0, when the warp is short of 32 lanes.
bool whole_warp(const char* operation, const CallSite& site, WarpExchanged warp) {
  if (warp.lanes == kWarpSize) return true;
  if (warp.lane == 0) {
    fail_kernel(call_at(operation, site) + ": a warp of " + std::to_string(warp.lanes) +
                " threads (the block's last); wmma needs all 32 lanes");
  }
  return false;
}

struct MatrixArguments {
  const float* pointer;
  unsigned ldm;
  bool row_major;
};

/// Why a warp's arguments to load or store are not allowed; empty when they are.
std::string argument_problem(const MatrixArguments* all) {
  for (unsigned l = 1; l < kWarpSize; ++l) {
    if (all[l].pointer != all[0].pointer || all[l].ldm != all[0].ldm || all[l].row_major != all[0].row_major) {
      return "lanes 0 and " + std::to_string(l) +
             " pass different arguments (pointer, ldm or layout); every lane must pass the same";
    }
  }
  if (all[0].ldm % 4 != 0) {
    return "ldm " + std::to_string(all[0].ldm) + " is not a multiple of 4 floats (16 bytes)";
  }
  const uintptr_t misalignment = reinterpret_cast<uintptr_t>(all[0].pointer) % 32;
  if (misalignment != 0) {
    return "the pointer lies " + std::to_string(misalignment) +
           " bytes past a 32-byte (256-bit) boundary; it must be 32-byte aligned";
  }
  return "";
}

}  // namespace

const Element* begin_matrix_access(const char* operation, const CallSite& site, Fragment kind, const float* pointer,
                                   unsigned ldm, bool row_major) {
  const MatrixArguments mine{pointer, ldm, row_major};
  MatrixArguments all[kWarpSize];
  const WarpExchanged warp = warp_exchange(operation, site.file, site.line, ~0u, &mine, all, sizeof mine);
  if (!whole_warp(operation, site, warp)) return nullptr;
  // Every lane sees every lane's arguments and stops alike; lane 0 alone reports.
  const std::string problem = argument_problem(all);
  if (!problem.empty()) {
    if (warp.lane == 0) fail_kernel(call_at(operation, site) + ": " + problem);
    return nullptr;
  }
  return &mapping(kind).held[warp.lane * shape_of(kind).per_lane()];
}

void mma(const CallSite& site, Fragment a_kind, Fragment b_kind, const float* a, const float* b, const float* c,
         float* d) {
  struct Operands {
    float a[kOperandsPerLane], b[kOperandsPerLane];
  };
  Operands mine, all[kWarpSize];
  std::memcpy(mine.a, a, sizeof mine.a);
  std::memcpy(mine.b, b, sizeof mine.b);
  const WarpExchanged warp = warp_exchange("mma_sync", site.file, site.line, ~0u, &mine, all, sizeof mine);
  if (!whole_warp("mma_sync", site, warp)) return;

  const Mapping &ma = mapping(a_kind), &mb = mapping(b_kind), &mc = mapping(Fragment::accumulator);
  const unsigned k_size = shape_of(a_kind).cols, n_size = shape_of(b_kind).cols;
  auto a_at = [&](unsigned row, unsigned k) {
    const uint16_t slot = ma.holder[row * k_size + k];
    return tf32_bits(all[slot / kOperandsPerLane].a[slot % kOperandsPerLane]);
  };
  auto b_at = [&](unsigned k, unsigned col) {
    const uint16_t slot = mb.holder[k * n_size + col];
    return tf32_bits(all[slot / kOperandsPerLane].b[slot % kOperandsPerLane]);
  };
  const unsigned accumulators = shape_of(Fragment::accumulator).per_lane();
  for (unsigned i = 0; i < accumulators; ++i) {
    const Element e = mc.held[warp.lane * accumulators + i];
    // d may be c: d[i] is written after c[i], the only element of c it needs, is read.
    float sum = c[i];
    for (unsigned k = 0; k < k_size; ++k) sum = std::fma(a_at(e.row, k), b_at(k, e.col), sum);
    d[i] = sum;
  }
}

}  // namespace enu::emulation::wmma
