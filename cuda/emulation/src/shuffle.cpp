// The warp shuffles (include/sm_30_intrinsics.h): the lanes of the mask hand each
// other their values through the block's warp exchange (block.cpp), then each
// reads the lane that PTX's shfl.sync names for it.
#include <sm_30_intrinsics.h>

#include <cstdio>
#include <string>

#include "emulator.hpp"

namespace enu::emulation {
namespace {

std::string hex(unsigned mask) {
  char text[16];
  std::snprintf(text, sizeof text, "0x%08x", mask);
  return text;
}

bool is_segment_width(int width) { return width >= 1 && width <= int(kWarpSize) && (width & (width - 1)) == 0; }

/// The lane that `lane` reads, as shfl.sync computes it: b's low 5 bits, the
/// caller's segment [first, last] of `width` lanes, and the caller's own lane
/// when the source falls outside what the mode allows.
unsigned source_lane(Shuffle mode, unsigned lane, int64_t b, int width) {
  const int own = int(lane), offset = int(b & 31);
  const int first = own & ~(width - 1), last = first + width - 1;
  switch (mode) {
    case Shuffle::index: return unsigned(first + (offset & (width - 1)));
    case Shuffle::up: return unsigned(own - offset >= first ? own - offset : own);
    case Shuffle::down: return unsigned(own + offset <= last ? own + offset : own);
    case Shuffle::xor_lanes: return unsigned((own ^ offset) <= last ? own ^ offset : own);
  }
  return lane;
}

}  // namespace

uint64_t shuffle(const CallSite& site, const char* operation, Shuffle mode, unsigned mask, uint64_t value, int64_t b,
                 int width) {
  // Built only for a report: a string alive across the wait would leak with a thread that never returns.
  const auto call = [&] {
    return std::string(operation) + " at " + basename_of(site.file) + ":" + std::to_string(site.line);
  };
  const unsigned lane = current_lane();
  if ((mask >> lane & 1) == 0) {
    fail_kernel(call() + ": lane " + std::to_string(lane) + " calls it with mask " + hex(mask) +
                ", which leaves the lane out (undefined on a GPU)");
    return value;
  }
  uint64_t all[kWarpSize];
  const WarpExchanged warp = warp_exchange(operation, site.file, site.line, mask, &value, all, sizeof value);
  if (!is_segment_width(width)) {
    if (lane == unsigned(__builtin_ctz(warp.mask))) {  // the mask's first lane speaks for all
      fail_kernel(call() + ": width " + std::to_string(width) + " is not a power of 2 from 1 to 32");
    }
    return value;
  }
  const unsigned source = source_lane(mode, lane, b, width);
  if ((warp.mask >> source & 1) == 0) {
    fail_kernel(call() + ": lane " + std::to_string(lane) + " reads lane " + std::to_string(source) +
                ", which is not in the mask " + hex(warp.mask) + " (an undefined value on a GPU)");
    return value;
  }
  return all[source];
}

}  // namespace enu::emulation
