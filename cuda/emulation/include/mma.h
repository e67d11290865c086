#pragma once
// nvcuda::wmma as the emulation build sees it: the TF32 m16n16k8 shape, with
// the names and signatures of CUDA's crt/mma.h and the semantics the CUDA
// Programming Guide gives them (README.md here):
//
// - load_matrix_sync, store_matrix_sync and mma_sync are warp-collective: every
//   lane of the warp calls them with the same arguments. A lane that does not
//   arrive fails the launch with where each thread is, as a missing __syncwarp
//   does; unlike __syncwarp they order no memory accesses.
// - ldm is a multiple of 4 floats (16 bytes) and the pointer 32-byte (256-bit)
//   aligned; otherwise the launch fails.
// - Which matrix element a lane's x[i] holds is unspecified on the GPU. Here it
//   is a permutation drawn from the schedule (ENU_EMULATION_SCHEDULE), one per
//   fragment type, the same for load, store and mma: code that applies the same
//   function to every x[i] is right under every schedule, code that assumes a
//   layout is wrong under (nearly) all of them.
// - mma_sync reads the top 19 bits of each a and b element (TF32: the low 13
//   mantissa bits dropped, as the tensor cores do with an unconverted float)
//   and accumulates in FP32. The GPU's order of accumulation is unspecified;
//   here d(r, c) = c(r, c), then one fused multiply-add per k = 0, 1, ..., 7
//   (the products of two TF32 values are exact, so only the additions round).
//
// The three *_sync calls are macros (at the end) that pass their call site, as
// __syncwarp does, so that a report names the kernel's line.

#include <cuda_runtime.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>

namespace enu::emulation {

/// TF32 as cvt.rna.tf32.f32 makes it: 10 explicit mantissa bits, rounded to
/// nearest with ties away from zero (a carry may reach the exponent, and the
/// largest floats round to infinity); infinities and NaNs are kept.
inline float round_to_tf32(float x) {
  if (!std::isfinite(x)) return x;
  uint32_t bits;
  std::memcpy(&bits, &x, sizeof bits);
  bits = (bits + 0x1000u) & 0xFFFFE000u;
  std::memcpy(&x, &bits, sizeof bits);
  return x;
}

}  // namespace enu::emulation

namespace nvcuda::wmma {

inline float __float_to_tf32(float in) { return ::enu::emulation::round_to_tf32(in); }

// ---- tags, layouts, the fragment types (the names of crt/mma.h) ----------------------------
struct row_major;
struct col_major;
struct matrix_a;
struct matrix_b;
struct accumulator;
namespace precision {
struct tf32;
}

enum layout_t { mem_row_major, mem_col_major };

template <typename T>
struct helper_traits {
  typedef T element_type;
  typedef T storage_element_type;
  typedef T fill_argument_type;
};
template <>
struct helper_traits<precision::tf32> {
  typedef precision::tf32 element_type;
  typedef float storage_element_type;
  typedef float fill_argument_type;
};

/// A lane's share of a fragment: num_elements values, one per x[i].
template <typename T, int size>
struct __frag_base {
  enum { num_elements = size };
  enum { num_storage_elements = size };
  typedef T element_type;
  typedef typename helper_traits<T>::storage_element_type storage_element_type;
  storage_element_type x[num_storage_elements];
};

/// Not collective: each lane fills its own elements.
template <typename T, int size>
inline void fill_fragment(__frag_base<T, size>& f, const typename helper_traits<T>::fill_argument_type& in) {
  for (int i = 0; i < size; ++i) f.x[i] = in;
}

template <typename Use, int m, int n, int k, typename T, typename Layout = void>
class fragment;
// A: 16 x 8, B: 8 x 16, C and D: 16 x 16; 128 or 256 elements over 32 lanes.
template <>
class fragment<matrix_a, 16, 16, 8, precision::tf32, row_major> : public __frag_base<precision::tf32, 4> {};
template <>
class fragment<matrix_a, 16, 16, 8, precision::tf32, col_major> : public __frag_base<precision::tf32, 4> {};
template <>
class fragment<matrix_b, 16, 16, 8, precision::tf32, row_major> : public __frag_base<precision::tf32, 4> {};
template <>
class fragment<matrix_b, 16, 16, 8, precision::tf32, col_major> : public __frag_base<precision::tf32, 4> {};
template <>
class fragment<accumulator, 16, 16, 8, float> : public __frag_base<float, 8> {};

}  // namespace nvcuda::wmma

// ---- the emulator's side (src/wmma.cpp) ------------------------------------------------------
namespace enu::emulation::wmma {

namespace nv = ::nvcuda::wmma;

/// The five fragment types: each has its own element mapping.
enum class Fragment : uint8_t { a_row_major, a_col_major, b_row_major, b_col_major, accumulator };
constexpr Fragment kind_of(const nv::fragment<nv::matrix_a, 16, 16, 8, nv::precision::tf32, nv::row_major>&) {
  return Fragment::a_row_major;
}
constexpr Fragment kind_of(const nv::fragment<nv::matrix_a, 16, 16, 8, nv::precision::tf32, nv::col_major>&) {
  return Fragment::a_col_major;
}
constexpr Fragment kind_of(const nv::fragment<nv::matrix_b, 16, 16, 8, nv::precision::tf32, nv::row_major>&) {
  return Fragment::b_row_major;
}
constexpr Fragment kind_of(const nv::fragment<nv::matrix_b, 16, 16, 8, nv::precision::tf32, nv::col_major>&) {
  return Fragment::b_col_major;
}
constexpr Fragment kind_of(const nv::fragment<nv::accumulator, 16, 16, 8, float>&) { return Fragment::accumulator; }

/// A matrix element, by its row and column in the tile.
struct Element {
  uint8_t row, col;
};

/// The warp-collective start of load_matrix_sync and store_matrix_sync: waits
/// for the whole warp, checks the arguments (the same in every lane, ldm a
/// multiple of 4, the pointer 32-byte aligned; lane 0 reports a violation) and
/// returns the elements the calling lane's x[0], x[1], ... hold, or null when
/// the warp must not touch memory.
const Element* begin_matrix_access(const char* operation, const CallSite& site, Fragment kind, const float* pointer,
                                   unsigned ldm, bool row_major);

/// mma_sync for the calling lane: exchanges a and b with the rest of the warp,
/// then d.x[i] = c.x[i] + the row of A times the column of B that x[i] stands for.
void mma(const CallSite& site, Fragment a_kind, Fragment b_kind, const float* a, const float* b, const float* c,
         float* d);

/// Where element `e` of a matrix with leading dimension `ldm` lies from its start.
inline size_t offset(Element e, unsigned ldm, bool row_major) {
  return row_major ? size_t(e.row) * ldm + e.col : size_t(e.col) * ldm + e.row;
}

// Each lane loads and stores its own elements here, in the kernel's code, so
// that the race detector and AddressSanitizer see every access as the lane's.
template <class F>
void load(const CallSite& site, F& f, const float* p, unsigned ldm, bool row_major) {
  const Element* elements = begin_matrix_access("load_matrix_sync", site, kind_of(f), p, ldm, row_major);
  if (!elements) return;
  for (int i = 0; i < F::num_elements; ++i) f.x[i] = p[offset(elements[i], ldm, row_major)];
}

template <class F>
void store(const CallSite& site, float* p, const F& f, unsigned ldm, bool row_major) {
  const Element* elements = begin_matrix_access("store_matrix_sync", site, kind_of(f), p, ldm, row_major);
  if (!elements) return;
  for (int i = 0; i < F::num_elements; ++i) p[offset(elements[i], ldm, row_major)] = f.x[i];
}

}  // namespace enu::emulation::wmma

// ---- the warp-collective calls, each with its call site ---------------------------------------
namespace nvcuda::wmma {

template <typename Use, typename Layout>
inline void load_matrix_sync(const ::enu::emulation::CallSite& site,
                             fragment<Use, 16, 16, 8, precision::tf32, Layout>& a, const float* p, unsigned ldm) {
  ::enu::emulation::wmma::load(site, a, p, ldm, std::is_same_v<Layout, row_major>);
}

inline void load_matrix_sync(const ::enu::emulation::CallSite& site, fragment<accumulator, 16, 16, 8, float>& a,
                             const float* p, unsigned ldm, layout_t layout) {
  ::enu::emulation::wmma::load(site, a, p, ldm, layout == mem_row_major);
}

inline void store_matrix_sync(const ::enu::emulation::CallSite& site, float* p,
                              const fragment<accumulator, 16, 16, 8, float>& a, unsigned ldm, layout_t layout) {
  ::enu::emulation::wmma::store(site, p, a, ldm, layout == mem_row_major);
}

/// d may be c.
template <typename LayoutA, typename LayoutB>
inline void mma_sync(const ::enu::emulation::CallSite& site, fragment<accumulator, 16, 16, 8, float>& d,
                     const fragment<matrix_a, 16, 16, 8, precision::tf32, LayoutA>& a,
                     const fragment<matrix_b, 16, 16, 8, precision::tf32, LayoutB>& b,
                     const fragment<accumulator, 16, 16, 8, float>& c) {
  using ::enu::emulation::wmma::kind_of;
  ::enu::emulation::wmma::mma(site, kind_of(a), kind_of(b), a.x, b.x, c.x, d.x);
}

}  // namespace nvcuda::wmma

// A macro does not expand itself, so wmma::mma_sync(d, a, b, c) becomes
// wmma::mma_sync(CallSite{__FILE__, __LINE__}, d, a, b, c).
#define load_matrix_sync(...) load_matrix_sync(::enu::emulation::CallSite{__FILE__, __LINE__}, __VA_ARGS__)
#define store_matrix_sync(...) store_matrix_sync(::enu::emulation::CallSite{__FILE__, __LINE__}, __VA_ARGS__)
#define mma_sync(...) mma_sync(::enu::emulation::CallSite{__FILE__, __LINE__}, __VA_ARGS__)
