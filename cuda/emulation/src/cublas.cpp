// cuBLAS on the CPU, from its documented semantics: column-major operands
// (element (r, c) of A at A[r + c * lda]), op(X) = X or X^T, argument checks
// that return CUBLAS_STATUS_INVALID_VALUE where cuBLAS does, beta == 0 never
// reading C, and the work queued on the handle's stream. At run time every
// operand's span (leading dimension, batch stride, increment) must lie in one
// device allocation: reaching past it fails as an illegal address, naming the
// operand, where a GPU would read another buffer or fault.
#include <cublas_v2.h>
#include <mma.h>  // round_to_tf32

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "emulator.hpp"

struct cublasContext {
  cudaStream_t stream = nullptr;
  cublasMath_t math = CUBLAS_DEFAULT_MATH;
};

namespace enu::emulation {
namespace {

/// The lowest and one-past-highest float an operand touches:
/// `count` matrices of rows x cols with leading dimension ld, `stride` apart.
struct Span {
  long long lowest = 0, end = 0;
};
Span matrix_span(long long rows, long long cols, long long ld, long long stride, long long count) {
  if (rows == 0 || cols == 0 || count == 0) return {};
  const long long last_batch = (count - 1) * stride;
  const long long within = (cols - 1) * ld + rows;
  return Span{std::min(0LL, last_batch), std::max(0LL, last_batch) + within};
}
Span vector_span(long long length, long long increment) {
  if (length == 0) return {};
  const long long reach = (length - 1) * std::llabs(increment) + 1;
  return Span{0, reach};
}

/// Fails the queued call (as a device fault) when `name` reaches outside its allocation.
bool within_allocation(const char* call, const char* name, const float* base, Span span) {
  if (span.end == span.lowest) return true;
  if (is_device_range(base + span.lowest, size_t(span.end - span.lowest) * sizeof(float))) return true;
  fail_queued_work(cudaErrorIllegalAddress, std::string(call) + ": operand " + name + " spans floats [" +
                                                std::to_string(span.lowest) + ", " + std::to_string(span.end) +
                                                ") from its pointer, which does not lie inside one device allocation");
  return false;
}

/// Element n of a vector of `length` with increment `inc` (BLAS: a negative
/// increment walks the vector backwards from its last stored element).
long long at(long long n, long long length, long long inc) { return inc >= 0 ? n * inc : (length - 1 - n) * -inc; }

}  // namespace
}  // namespace enu::emulation

using namespace enu::emulation;

cublasStatus_t cublasCreate(cublasHandle_t* handle) {
  *handle = new cublasContext;
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasDestroy(cublasHandle_t handle) {
  if (!handle) return CUBLAS_STATUS_NOT_INITIALIZED;
  cudaDeviceSynchronize();  // as cuBLAS does
  delete handle;
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSetStream(cublasHandle_t handle, cudaStream_t stream) {
  if (!handle) return CUBLAS_STATUS_NOT_INITIALIZED;
  handle->stream = stream;
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSetMathMode(cublasHandle_t handle, cublasMath_t mode) {
  if (!handle) return CUBLAS_STATUS_NOT_INITIALIZED;
  if (mode != CUBLAS_DEFAULT_MATH && mode != CUBLAS_TENSOR_OP_MATH && mode != CUBLAS_PEDANTIC_MATH &&
      mode != CUBLAS_TF32_TENSOR_OP_MATH) {
    return CUBLAS_STATUS_INVALID_VALUE;
  }
  handle->math = mode;
  return CUBLAS_STATUS_SUCCESS;
}

const char* cublasGetStatusString(cublasStatus_t status) {
  switch (status) {
    case CUBLAS_STATUS_SUCCESS: return "CUBLAS_STATUS_SUCCESS";
    case CUBLAS_STATUS_NOT_INITIALIZED: return "CUBLAS_STATUS_NOT_INITIALIZED";
    case CUBLAS_STATUS_ALLOC_FAILED: return "CUBLAS_STATUS_ALLOC_FAILED";
    case CUBLAS_STATUS_INVALID_VALUE: return "CUBLAS_STATUS_INVALID_VALUE";
    case CUBLAS_STATUS_ARCH_MISMATCH: return "CUBLAS_STATUS_ARCH_MISMATCH";
    case CUBLAS_STATUS_MAPPING_ERROR: return "CUBLAS_STATUS_MAPPING_ERROR";
    case CUBLAS_STATUS_EXECUTION_FAILED: return "CUBLAS_STATUS_EXECUTION_FAILED";
    case CUBLAS_STATUS_INTERNAL_ERROR: return "CUBLAS_STATUS_INTERNAL_ERROR";
    case CUBLAS_STATUS_NOT_SUPPORTED: return "CUBLAS_STATUS_NOT_SUPPORTED";
  }
  return "CUBLAS_STATUS_UNKNOWN";
}

cublasStatus_t cublasSgemmStridedBatched(cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb,
                                         int m, int n, int k, const float* alpha, const float* A, int lda,
                                         long long strideA, const float* B, int ldb, long long strideB,
                                         const float* beta, float* C, int ldc, long long strideC, int batchCount) {
  if (!handle) return CUBLAS_STATUS_NOT_INITIALIZED;
  const bool ta = transa != CUBLAS_OP_N, tb = transb != CUBLAS_OP_N;
  if ((transa != CUBLAS_OP_N && transa != CUBLAS_OP_T && transa != CUBLAS_OP_C) ||
      (transb != CUBLAS_OP_N && transb != CUBLAS_OP_T && transb != CUBLAS_OP_C) || m < 0 || n < 0 || k < 0 ||
      batchCount < 0 || lda < std::max(1, ta ? k : m) || ldb < std::max(1, tb ? n : k) || ldc < std::max(1, m)) {
    return CUBLAS_STATUS_INVALID_VALUE;
  }
  if (m == 0 || n == 0 || batchCount == 0) return CUBLAS_STATUS_SUCCESS;
  const float a = *alpha, b = *beta;  // host pointer mode: read at the call
  const bool tf32 = handle->math == CUBLAS_TF32_TENSOR_OP_MATH;
  const cudaError_t queued = enqueue(handle->stream, [=]() {
    constexpr const char* kCall = "cublasSgemmStridedBatched";
    const bool reads_ab = a != 0.0f && k > 0;
    const Span a_span = matrix_span(ta ? k : m, ta ? m : k, lda, strideA, batchCount);
    const Span b_span = matrix_span(tb ? n : k, tb ? k : n, ldb, strideB, batchCount);
    if ((reads_ab && !within_allocation(kCall, "A", A, a_span)) ||
        (reads_ab && !within_allocation(kCall, "B", B, b_span)) ||
        !within_allocation(kCall, "C", C, matrix_span(m, n, ldc, strideC, batchCount))) {
      return;
    }
    if (batchCount > 1 && std::llabs(strideC) < (long long)(n - 1) * ldc + m) {
      fail_queued_work(cudaErrorIllegalAddress, std::string(kCall) + ": strideC " + std::to_string(strideC) +
                                                    " makes the batches of C overlap (each spans " +
                                                    std::to_string((long long)(n - 1) * ldc + m) + " floats)");
      return;
    }
    auto operand = [tf32](float x) { return tf32 ? round_to_tf32(x) : x; };
    for (int i = 0; i < batchCount; ++i) {
      const float* Ai = A + i * strideA;
      const float* Bi = B + i * strideB;
      float* Ci = C + i * strideC;
      for (int c = 0; c < n; ++c) {
        for (int r = 0; r < m; ++r) {
          float sum = 0.0f;
          if (reads_ab) {
            for (int p = 0; p < k; ++p) {
              const float x = operand(ta ? Ai[p + size_t(r) * lda] : Ai[r + size_t(p) * lda]);
              const float y = operand(tb ? Bi[c + size_t(p) * ldb] : Bi[p + size_t(c) * ldb]);
              sum = std::fma(x, y, sum);
            }
          }
          float& out = Ci[r + size_t(c) * ldc];
          out = b == 0.0f ? a * sum : a * sum + b * out;
        }
      }
    }
  });
  return queued == cudaSuccess ? CUBLAS_STATUS_SUCCESS : CUBLAS_STATUS_EXECUTION_FAILED;
}

cublasStatus_t cublasSgemv(cublasHandle_t handle, cublasOperation_t trans, int m, int n, const float* alpha,
                           const float* A, int lda, const float* x, int incx, const float* beta, float* y, int incy) {
  if (!handle) return CUBLAS_STATUS_NOT_INITIALIZED;
  if ((trans != CUBLAS_OP_N && trans != CUBLAS_OP_T && trans != CUBLAS_OP_C) || m < 0 || n < 0 ||
      lda < std::max(1, m) || incx == 0 || incy == 0) {
    return CUBLAS_STATUS_INVALID_VALUE;
  }
  if (m == 0 || n == 0) return CUBLAS_STATUS_SUCCESS;
  const float a = *alpha, b = *beta;
  const bool t = trans != CUBLAS_OP_N;
  const int x_length = t ? m : n, y_length = t ? n : m;
  const cudaError_t queued = enqueue(handle->stream, [=]() {
    constexpr const char* kCall = "cublasSgemv";
    if (!within_allocation(kCall, "A", A, matrix_span(m, n, lda, 0, 1)) ||
        !within_allocation(kCall, "x", x, vector_span(x_length, incx)) ||
        !within_allocation(kCall, "y", y, vector_span(y_length, incy))) {
      return;
    }
    for (int i = 0; i < y_length; ++i) {
      float sum = 0.0f;
      for (int j = 0; j < x_length; ++j) {
        const float element = t ? A[j + size_t(i) * lda] : A[i + size_t(j) * lda];
        sum = std::fma(element, x[at(j, x_length, incx)], sum);
      }
      float& out = y[at(i, y_length, incy)];
      out = b == 0.0f ? a * sum : a * sum + b * out;
    }
  });
  return queued == cudaSuccess ? CUBLAS_STATUS_SUCCESS : CUBLAS_STATUS_EXECUTION_FAILED;
}
