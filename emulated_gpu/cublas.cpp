// cuBLAS on the emulated device (include/cublas_v2.h): SGEMM by OpenBLAS's CBLAS, column-major as cuBLAS.
#include <cblas.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "emulated_gpu/include/cublas_v2.h"

namespace alexnet::emulator {

struct EmulatedBlas {
  cudaStream_t stream = nullptr;
  cublasMath_t mode = CUBLAS_DEFAULT_MATH;
};

namespace {

// x rounded to TF32, as a tensor core reads an fp32 operand: 10 explicit mantissa bits, to nearest (ties away).
float to_tf32(float x) {
  if (!std::isfinite(x)) return x;
  std::uint32_t bits;
  std::memcpy(&bits, &x, sizeof bits);
  bits = (bits + 0x1000u) & 0xffffe000u;  // add half of the 13 dropped bits, then drop them
  std::memcpy(&x, &bits, sizeof bits);
  return x;
}

// The `columns` columns of `rows` values of a column-major operand with leading dimension ld, rounded to TF32.
std::vector<float> tf32_copy(const float* values, int rows, int columns, int ld) {
  std::vector<float> copy(static_cast<std::size_t>(ld) * static_cast<std::size_t>(columns));
  for (int j = 0; j < columns; ++j) {
    for (int i = 0; i < rows; ++i) {
      const std::size_t at = static_cast<std::size_t>(j) * static_cast<std::size_t>(ld) + static_cast<std::size_t>(i);
      copy[at] = to_tf32(values[at]);
    }
  }
  return copy;
}

CBLAS_TRANSPOSE cblas_op(cublasOperation_t op) { return op == CUBLAS_OP_T ? CblasTrans : CblasNoTrans; }

}  // namespace
}  // namespace alexnet::emulator

using alexnet::emulator::EmulatedBlas;

cublasStatus_t cublasCreate(cublasHandle_t* handle) {
  if (handle == nullptr) return CUBLAS_STATUS_INVALID_VALUE;
  *handle = new EmulatedBlas();
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasDestroy(cublasHandle_t handle) {
  if (handle == nullptr) return CUBLAS_STATUS_NOT_INITIALIZED;
  delete handle;
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSetStream(cublasHandle_t handle, cudaStream_t stream) {
  if (handle == nullptr) return CUBLAS_STATUS_NOT_INITIALIZED;
  handle->stream = stream;
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSetMathMode(cublasHandle_t handle, cublasMath_t mode) {
  if (handle == nullptr) return CUBLAS_STATUS_NOT_INITIALIZED;
  handle->mode = mode;
  return CUBLAS_STATUS_SUCCESS;
}

const char* cublasGetStatusString(cublasStatus_t status) {
  switch (status) {
    case CUBLAS_STATUS_SUCCESS: return "CUBLAS_STATUS_SUCCESS";
    case CUBLAS_STATUS_NOT_INITIALIZED: return "CUBLAS_STATUS_NOT_INITIALIZED";
    case CUBLAS_STATUS_INVALID_VALUE: return "CUBLAS_STATUS_INVALID_VALUE";
  }
  return "unknown cuBLAS status";
}

cublasStatus_t cublasSgemm(cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb, int m, int n,
                           int k, const float* alpha, const float* a, int lda, const float* b, int ldb,
                           const float* beta, float* c, int ldc) {
  if (handle == nullptr) return CUBLAS_STATUS_NOT_INITIALIZED;
  const int a_rows = transa == CUBLAS_OP_N ? m : k, a_columns = transa == CUBLAS_OP_N ? k : m;
  const int b_rows = transb == CUBLAS_OP_N ? k : n, b_columns = transb == CUBLAS_OP_N ? n : k;
  if (m < 0 || n < 0 || k < 0 || lda < (a_rows > 1 ? a_rows : 1) || ldb < (b_rows > 1 ? b_rows : 1) ||
      ldc < (m > 1 ? m : 1) || alpha == nullptr || beta == nullptr) {
    return CUBLAS_STATUS_INVALID_VALUE;
  }
  if (m == 0 || n == 0) return CUBLAS_STATUS_SUCCESS;
  std::vector<float> a_tf32, b_tf32;
  if (handle->mode == CUBLAS_TF32_TENSOR_OP_MATH && k > 0) {
    a_tf32 = alexnet::emulator::tf32_copy(a, a_rows, a_columns, lda);
    b_tf32 = alexnet::emulator::tf32_copy(b, b_rows, b_columns, ldb);
    a = a_tf32.data();
    b = b_tf32.data();
  }
  cblas_sgemm(CblasColMajor, alexnet::emulator::cblas_op(transa), alexnet::emulator::cblas_op(transb), m, n, k,
              *alpha, a, lda, b, ldb, *beta, c, ldc);
  return CUBLAS_STATUS_SUCCESS;
}
