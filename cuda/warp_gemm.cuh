#pragma once
// Warp-level 16 x 16 tiles of C += A B for the fused v2 kernel, one type per
// precision policy (run.cuda_precision). A and B live in shared memory, row
// major; a tile of A is 16 rows x 8k, of B 8k rows x 16 columns.
//
// Every policy offers the same members:
//   Accumulator                    16 x 16 floats spread over the warp's lanes;
//                                  x[i], i < num_elements, is one element, the
//                                  same element in every accumulator of a lane
//   fill(acc, v)                   every element = v (not collective)
//   load(acc, p, ldm)              from row-major memory (warp-collective)
//   store(p, acc, ldm)             to row-major memory (warp-collective)
//   multiply_add<NT>(acc, a, lda, b, ldb, k_steps)
//                                  acc[j] += A[16 x 8 k_steps] B[.., 16 j ..]
//                                  for j < NT, A read once for all NT tiles
// So a cell step is written once, over Accumulator elements, and the element
// mapping stays the policy's business (WMMA's is unspecified; cuda/emulation
// permutes it per schedule). Pointers: 32-byte aligned; ldm: a multiple of 4.

#include <cuda_runtime.h>
#include <mma.h>

#include <string>

#include "enu/common.hpp"
#include "enu/config.hpp"
#include "launch_geometry.cuh"

namespace enu::cuda {

/// FP32 FMAs on the CUDA cores: lane l holds row l / 2, columns 8 (l % 2) ..
/// 8 (l % 2) + 7 of a tile, summed over k in order (exact FP32 up to that order).
struct Fp32Gemm {
  static constexpr CudaPrecision kPrecision = CudaPrecision::fp32;
  struct Accumulator {
    static constexpr int num_elements = 8;
    float x[num_elements];
  };
  __device__ static int row() { return int(threadIdx.x % kWarp) / 2; }
  __device__ static int column() { return int(threadIdx.x % 2) * Accumulator::num_elements; }

  __device__ static void fill(Accumulator& acc, float v) {
    for (float& x : acc.x) x = v;
  }
  __device__ static void load(Accumulator& acc, const float* p, int ldm) {
    const float* from = p + row() * ldm + column();
    for (int i = 0; i < Accumulator::num_elements; ++i) acc.x[i] = from[i];
  }
  __device__ static void store(float* p, const Accumulator& acc, int ldm) {
    float* to = p + row() * ldm + column();
    for (int i = 0; i < Accumulator::num_elements; ++i) to[i] = acc.x[i];
  }
  template <int NT>
  __device__ static void multiply_add(Accumulator (&acc)[NT], const float* a, int lda, const float* b, int ldb,
                                      int k_steps) {
    const float* a_row = a + row() * lda;
    const float* b_col = b + column();
    for (int k = 0; k < 8 * k_steps; ++k) {
      const float x = a_row[k];
#pragma unroll
      for (int j = 0; j < NT; ++j) {
        const float* w = b_col + k * ldb + 16 * j;
        for (int i = 0; i < Accumulator::num_elements; ++i) acc[j].x[i] = fmaf(x, w[i], acc[j].x[i]);
      }
    }
  }
};

/// Tensor cores through nvcuda::wmma, TF32 m16n16k8 with FP32 accumulation.
/// kSplit false (tf32): A rounded to TF32 as it is loaded, B rounded when the
/// weights were laid out (rounds_weights). kSplit true (tf32x3): each operand
/// split into hi = tf32(v) and lo = tf32(v - hi), and acc += lo hi + hi lo + hi
/// hi (small terms first; lo lo, below FP32's resolution, left out).
template <bool kSplit>
struct TensorGemm {
  static constexpr CudaPrecision kPrecision = kSplit ? CudaPrecision::tf32x3 : CudaPrecision::tf32;
  using Accumulator = nvcuda::wmma::fragment<nvcuda::wmma::accumulator, 16, 16, 8, float>;
  using FragmentA = nvcuda::wmma::fragment<nvcuda::wmma::matrix_a, 16, 16, 8, nvcuda::wmma::precision::tf32,
                                           nvcuda::wmma::row_major>;
  using FragmentB = nvcuda::wmma::fragment<nvcuda::wmma::matrix_b, 16, 16, 8, nvcuda::wmma::precision::tf32,
                                           nvcuda::wmma::row_major>;

  __device__ static void fill(Accumulator& acc, float v) { nvcuda::wmma::fill_fragment(acc, v); }
  __device__ static void load(Accumulator& acc, const float* p, int ldm) {
    nvcuda::wmma::load_matrix_sync(acc, p, unsigned(ldm), nvcuda::wmma::mem_row_major);
  }
  __device__ static void store(float* p, const Accumulator& acc, int ldm) {
    nvcuda::wmma::store_matrix_sync(p, acc, unsigned(ldm), nvcuda::wmma::mem_row_major);
  }

  /// hi = tf32(v) in place, lo = tf32(v - hi).
  template <class Fragment>
  __device__ static void split(Fragment& hi, Fragment& lo) {
    for (int i = 0; i < hi.num_elements; ++i) {
      const float v = hi.x[i];
      hi.x[i] = nvcuda::wmma::__float_to_tf32(v);
      lo.x[i] = nvcuda::wmma::__float_to_tf32(v - hi.x[i]);
    }
  }

  template <int NT>
  __device__ static void multiply_add(Accumulator (&acc)[NT], const float* a, int lda, const float* b, int ldb,
                                      int k_steps) {
    for (int kk = 0; kk < k_steps; ++kk) {
      FragmentA a_hi, a_lo;
      nvcuda::wmma::load_matrix_sync(a_hi, a + 8 * kk, unsigned(lda));
      if constexpr (kSplit) {
        split(a_hi, a_lo);
      } else {
        for (int i = 0; i < a_hi.num_elements; ++i) a_hi.x[i] = nvcuda::wmma::__float_to_tf32(a_hi.x[i]);
      }
#pragma unroll
      for (int j = 0; j < NT; ++j) {
        FragmentB b_hi, b_lo;
        nvcuda::wmma::load_matrix_sync(b_hi, b + size_t(8 * kk) * ldb + 16 * j, unsigned(ldb));
        if constexpr (kSplit) {
          split(b_hi, b_lo);
          nvcuda::wmma::mma_sync(acc[j], a_lo, b_hi, acc[j]);
          nvcuda::wmma::mma_sync(acc[j], a_hi, b_lo, acc[j]);
        }
        nvcuda::wmma::mma_sync(acc[j], a_hi, b_hi, acc[j]);
      }
    }
  }
};

/// Whether a policy's weights are stored pre-rounded to TF32 (tf32 only: tf32x3
/// needs the bits it splits off).
__host__ __device__ constexpr bool rounds_weights(CudaPrecision precision) {
  return precision == CudaPrecision::tf32;
}

/// Calls launch(Gemm{}) with the policy type of `precision`.
template <class Launch>
void with_precision(CudaPrecision precision, Launch&& launch) {
  switch (precision) {
    case CudaPrecision::fp32: return launch(Fp32Gemm{});
    case CudaPrecision::tf32: return launch(TensorGemm<false>{});
    case CudaPrecision::tf32x3: return launch(TensorGemm<true>{});
  }
  throw Error("CUDA backend: unknown GEMM precision " + std::to_string(int(precision)));
}

}  // namespace enu::cuda
