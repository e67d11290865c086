#pragma once
// The built-in vector types of CUDA's vector_types.h that the kernels use, as the
// emulation build sees them: the same names, members, sizes and alignments
// (float2 8 bytes, float4 and int4 16), and make_* in vector_functions.h.
//
// On the GPU a whole vector is loaded or stored by one instruction (ld.v2,
// ld.v4), which faults on an address that is not a multiple of its size. clang
// copies a struct with memcpy, which neither the race detector's load and store
// hooks nor an alignment check would see (and the optimizer may split a vector
// into four float loads, or merge two floats into one 8-byte load): the access
// width the hooks see is the optimizer's, not the type's. So here a vector's
// copy (construction or assignment, through the base VectorAccess) is the one
// access: inside a kernel it checks both ends' alignment (a misaligned one fails
// the launch with the kernel, the memory and offset, the size) and shows the race
// detector a read and a write of the whole vector. The price: the types have
// constructors ((), the members', copies), so they are not aggregates, nor
// trivially copyable: `float4 v = {a, b, c, d}` works, but a union holding one
// cannot be copied.

#include <cstddef>

// ---- the launch's shape ---------------------------------------------------------------
struct uint3 {
  unsigned x, y, z;
};
struct dim3 {
  unsigned x, y, z;
  constexpr dim3(unsigned vx = 1, unsigned vy = 1, unsigned vz = 1) : x(vx), y(vy), z(vz) {}
};

namespace enu::emulation {

/// A copy of a `bytes`-byte vector `type` from `from` to `to` by the running
/// kernel thread: both ends must be multiples of `bytes`, and the race detector
/// records a read of `from` and a write of `to`. Outside kernels nothing is
/// checked (src/race_detector.cpp).
void vector_access(const void* from, const void* to, size_t bytes, const char* type);

/// Every copy of a V is one vector access (the derived type's own copies are then trivial).
template <class V>
struct VectorAccess {
  VectorAccess() = default;
  VectorAccess(const VectorAccess& from) {
    vector_access(&from, this, sizeof(V), V::type_name);
  }
  VectorAccess& operator=(const VectorAccess& from) {
    vector_access(&from, this, sizeof(V), V::type_name);
    return *this;
  }
};

}  // namespace enu::emulation

struct alignas(8) float2 : ::enu::emulation::VectorAccess<float2> {
  static constexpr const char* type_name = "float2";
  float x, y;
  float2() = default;
  constexpr float2(float x_, float y_) : x(x_), y(y_) {}
};

struct alignas(16) float4 : ::enu::emulation::VectorAccess<float4> {
  static constexpr const char* type_name = "float4";
  float x, y, z, w;
  float4() = default;
  constexpr float4(float x_, float y_, float z_, float w_) : x(x_), y(y_), z(z_), w(w_) {}
};

struct alignas(16) int4 : ::enu::emulation::VectorAccess<int4> {
  static constexpr const char* type_name = "int4";
  int x, y, z, w;
  int4() = default;
  constexpr int4(int x_, int y_, int z_, int w_) : x(x_), y(y_), z(z_), w(w_) {}
};

static_assert(sizeof(float2) == 8 && alignof(float2) == 8, "float2 as in vector_types.h");
static_assert(sizeof(float4) == 16 && alignof(float4) == 16, "float4 as in vector_types.h");
static_assert(sizeof(int4) == 16 && alignof(int4) == 16, "int4 as in vector_types.h");
