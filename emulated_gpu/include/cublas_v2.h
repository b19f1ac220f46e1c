/// @file cublas_v2.h
/// @brief The part of cuBLAS the course calls, on the emulated device: a handle with a stream and a math mode,
/// and SGEMM (column-major, as cuBLAS's), computed by OpenBLAS on the host memory that stands for device memory.
///
/// It checks meaning, not speed: the same arguments, the same column-major result. In the TF32 math mode the
/// inputs are first rounded to TF32 (10-bit mantissa, round to nearest), as the tensor cores read them, so that
/// a test's TF32 tolerance is tested too. Errors come back as cuBLAS's status codes.
#pragma once

#include <cuda_runtime.h>

/// @brief Status of a cuBLAS call (the codes cuBLAS uses).
typedef enum {
  CUBLAS_STATUS_SUCCESS = 0,
  CUBLAS_STATUS_NOT_INITIALIZED = 1,
  CUBLAS_STATUS_INVALID_VALUE = 7,
} cublasStatus_t;

/// @brief Whether an operand is read as it is or transposed.
typedef enum { CUBLAS_OP_N = 0, CUBLAS_OP_T = 1 } cublasOperation_t;

/// @brief The math mode: plain fp32, or TF32 tensor-core products.
typedef enum { CUBLAS_DEFAULT_MATH = 0, CUBLAS_TF32_TENSOR_OP_MATH = 3 } cublasMath_t;

namespace alexnet::emulator {
struct EmulatedBlas;
}
/// @brief A cuBLAS context: its device, stream and math mode.
typedef alexnet::emulator::EmulatedBlas* cublasHandle_t;

cublasStatus_t cublasCreate(cublasHandle_t* handle);
cublasStatus_t cublasDestroy(cublasHandle_t handle);
cublasStatus_t cublasSetStream(cublasHandle_t handle, cudaStream_t stream);
cublasStatus_t cublasSetMathMode(cublasHandle_t handle, cublasMath_t mode);
const char* cublasGetStatusString(cublasStatus_t status);

/// @brief C = α·op(A)·op(B) + β·C, column-major: op(A) m×k, op(B) k×n, C m×n.
cublasStatus_t cublasSgemm(cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb, int m, int n,
                           int k, const float* alpha, const float* a, int lda, const float* b, int ldb,
                           const float* beta, float* c, int ldc);
