#pragma once
// The cuBLAS calls cuda/ makes, as the emulation build sees them: the same
// names, enumerations and status codes as cuBLAS 12/13, implemented on the CPU
// from cuBLAS's documented semantics (cuda/emulation/src/cublas.cpp): column-major
// operands, transpose flags, leading dimensions and batch strides checked as
// cuBLAS checks them, beta == 0 never reading C, the call queued on the handle's
// stream, and an operand that reaches past its device allocation failing as an
// illegal address.

#include <cuda_runtime.h>

enum cublasStatus_t {
  CUBLAS_STATUS_SUCCESS = 0,
  CUBLAS_STATUS_NOT_INITIALIZED = 1,
  CUBLAS_STATUS_ALLOC_FAILED = 3,
  CUBLAS_STATUS_INVALID_VALUE = 7,
  CUBLAS_STATUS_ARCH_MISMATCH = 8,
  CUBLAS_STATUS_MAPPING_ERROR = 11,
  CUBLAS_STATUS_EXECUTION_FAILED = 13,
  CUBLAS_STATUS_INTERNAL_ERROR = 14,
  CUBLAS_STATUS_NOT_SUPPORTED = 15,
};
enum cublasOperation_t { CUBLAS_OP_N = 0, CUBLAS_OP_T = 1, CUBLAS_OP_C = 2 };
/// CUBLAS_TF32_TENSOR_OP_MATH rounds the GEMM operands to TF32 (10 mantissa
/// bits, to nearest with ties away from zero, as cvt.rna.tf32.f32) and
/// accumulates in FP32.
enum cublasMath_t {
  CUBLAS_DEFAULT_MATH = 0,
  CUBLAS_TENSOR_OP_MATH = 1,
  CUBLAS_PEDANTIC_MATH = 2,
  CUBLAS_TF32_TENSOR_OP_MATH = 3,
};

struct cublasContext;
using cublasHandle_t = cublasContext*;

cublasStatus_t cublasCreate(cublasHandle_t* handle);
cublasStatus_t cublasDestroy(cublasHandle_t handle);
cublasStatus_t cublasSetStream(cublasHandle_t handle, cudaStream_t stream);
cublasStatus_t cublasSetMathMode(cublasHandle_t handle, cublasMath_t mode);
const char* cublasGetStatusString(cublasStatus_t status);

/// C_i = alpha op(A_i) op(B_i) + beta C_i for i < batchCount, op(A_i) m x k,
/// op(B_i) k x n, C_i m x n, X_i = X + i * strideX.
cublasStatus_t cublasSgemmStridedBatched(cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb,
                                         int m, int n, int k, const float* alpha, const float* A, int lda,
                                         long long strideA, const float* B, int ldb, long long strideB,
                                         const float* beta, float* C, int ldc, long long strideC, int batchCount);
/// y = alpha op(A) x + beta y, A m x n.
cublasStatus_t cublasSgemv(cublasHandle_t handle, cublasOperation_t trans, int m, int n, const float* alpha,
                           const float* A, int lda, const float* x, int incx, const float* beta, float* y, int incy);
