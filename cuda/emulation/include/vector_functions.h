#pragma once
// The make_* functions of CUDA's vector_functions.h for the vector types here.
#include <vector_types.h>

inline constexpr float2 make_float2(float x, float y) { return float2(x, y); }
inline constexpr float4 make_float4(float x, float y, float z, float w) { return float4(x, y, z, w); }
inline constexpr int4 make_int4(int x, int y, int z, int w) { return int4(x, y, z, w); }
