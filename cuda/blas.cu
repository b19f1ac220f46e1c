#include "cuda/blas.cuh"

#include <stdexcept>
#include <string>

#include "cuda/cuda_check.cuh"
#include "cuda/launch.cuh"

namespace alexnet::cuda {
namespace {

__global__ void fill_ones_kernel(float* values, std::int64_t count) {
  const std::int64_t index = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (index < count) values[index] = 1.0f;
}

}  // namespace

void fill_ones(const Context& context, float* values, std::int64_t count) {
  if (count == 0) return;
  launch(fill_ones_kernel, blocks_for(count), kThreadsPerBlock, 0, context.stream, values, count);
  CUDA_CHECK_LAUNCH();
}

void cublas_check(cublasStatus_t status, const char* call, const char* file, int line) {
  if (status != CUBLAS_STATUS_SUCCESS) {
    throw std::runtime_error(std::string("cuBLAS error at ") + file + ":" + std::to_string(line) + " in `" + call +
                             "`: " + cublasGetStatusString(status));
  }
}

Blas::Blas(int device, Precision precision) : device_(device), precision_(precision) {
  const ScopedDevice on_device(device_);
  CUBLAS_CHECK(cublasCreate(&handle_));
  CUBLAS_CHECK(cublasSetMathMode(handle_, precision == Precision::Tf32 ? CUBLAS_TF32_TENSOR_OP_MATH
                                                                         : CUBLAS_DEFAULT_MATH));
}

Blas::~Blas() {
  const ScopedDevice on_device(device_);
  cublasDestroy(handle_);
}

void Blas::gemm(const Context& context, int m, int n, int k, float alpha, MatrixOperand a, MatrixOperand b,
                float beta, float* c, int ldc) const {
  if (context.device != device_) {
    throw std::invalid_argument("Blas::gemm: the handle lives on device " + std::to_string(device_) +
                                ", but the op runs on device " + std::to_string(context.device));
  }
  const ScopedDevice on_device(device_);
  CUBLAS_CHECK(cublasSetStream(handle_, context.stream));
  // Row-major C = A·B is column-major Cᵀ = Bᵀ·Aᵀ: B first, and n before m (blas.cuh).
  const auto op = [](const MatrixOperand& x) { return x.transposed ? CUBLAS_OP_T : CUBLAS_OP_N; };
  CUBLAS_CHECK(cublasSgemm(handle_, op(b), op(a), n, m, k, &alpha, b.values, b.leading, a.values, a.leading, &beta,
                           c, ldc));
}

}  // namespace alexnet::cuda
