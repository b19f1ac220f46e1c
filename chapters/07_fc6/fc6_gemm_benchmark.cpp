// fc6_gemm_benchmark: FC6's matrix multiply at the paper's batch of 128,
// y [128, 4096] = x [128, 9216] · Wᵀ, on our naive and tiled kernels and on
// cuBLAS SGEMM (fp32), in GFLOP/s and as a percentage of cuBLAS measured in the
// same run. cuBLAS appears only here: it is the yardstick, not part of the course's ops.
// Without a GPU it times the CPU loop at a small batch and says so.
#include <cstdio>

#include "reference_cpu/layer_table.hpp"
#include "reference_cpu/linear.hpp"
#include "reference_cpu/random.hpp"
#include "reference_cpu/timer.hpp"

#if ALEXNET_WITH_CUDA
#include <cublas_v2.h>

#include <stdexcept>
#include <string>

#include "cuda/device_tensor.cuh"
#include "cuda/gpu.cuh"
#include "cuda/gpu_timer.cuh"
#include "cuda/linear.cuh"
#include "reference_cpu/compare.hpp"
#endif

using namespace alexnet;

namespace {

constexpr std::int64_t kPaperBatch = 128;  // the paper's SGD batch
constexpr std::int64_t kCpuBatch = 4;      // the CPU loop is ~1000× slower: time a small batch

double gflops(std::int64_t batch, std::int64_t inputs, std::int64_t outputs, double ms) {
  return 2.0 * static_cast<double>(batch * inputs * outputs) / (ms * 1e6);  // 2 FLOP per multiply-add
}

void time_cpu(const TensorF& weight, const TensorF& bias) {
  TensorF x({kCpuBatch, weight.dim(1)});
  fill_uniform(x, 1, 1, -1.0, 1.0);
  const double ms = median_time_ms([&] { cpu::linear_forward(x, weight, bias); }, 1);
  std::printf("CPU naive loop, batch %lld: %.1f ms, %.2f GFLOP/s (fp32, one core)\n",
              static_cast<long long>(kCpuBatch), ms, gflops(kCpuBatch, weight.dim(1), weight.dim(0), ms));
}

#if ALEXNET_WITH_CUDA
void cublas_check(cublasStatus_t status, const char* call) {
  if (status != CUBLAS_STATUS_SUCCESS) {
    throw std::runtime_error(std::string("cuBLAS error in ") + call + ": " + cublasGetStatusString(status));
  }
}

// y = x · Wᵀ with cuBLAS. cuBLAS is column-major: our row-major W [out, in] is its
// in × out matrix, so y [N, out] row-major = (W·xᵀ) column-major = op_T(W_cm) · x_cm.
void cublas_linear(cublasHandle_t handle, const DeviceTensorF& x, const DeviceTensorF& weight, DeviceTensorF& y) {
  const int batch = static_cast<int>(x.shape()[0]), inputs = static_cast<int>(x.shape()[1]);
  const int outputs = static_cast<int>(weight.shape()[0]);
  const float one = 1.0f, zero = 0.0f;
  cublas_check(cublasSgemm(handle, CUBLAS_OP_T, CUBLAS_OP_N, outputs, batch, inputs, &one, weight.data(), inputs,
                           x.data(), inputs, &zero, y.data(), outputs),
               "cublasSgemm");
}

// Returns false when a kernel's result differs from cuBLAS's.
bool time_gpu(const TensorF& weight_host, const TensorF& bias_host) {
  const std::int64_t inputs = weight_host.dim(1), outputs = weight_host.dim(0);
  TensorF x_host({kPaperBatch, inputs});
  fill_uniform(x_host, 1, 1, -1.0, 1.0);
  DeviceTensorF x(x_host), weight(weight_host), bias(bias_host);
  DeviceTensorF ours({kPaperBatch, outputs}), reference({kPaperBatch, outputs});
  cublasHandle_t handle;
  cublas_check(cublasCreate(&handle), "cublasCreate");

  int version = 0;
  cublas_check(cublasGetVersion(handle, &version), "cublasGetVersion");
  std::printf("GPU: %s, cuBLAS %d, fp32 (default math mode: no TF32)\n", gpu_description().c_str(), version);
  std::printf("y [%lld, %lld] = x [%lld, %lld] · W^T: %.2f GFLOP per call\n", static_cast<long long>(kPaperBatch),
              static_cast<long long>(outputs), static_cast<long long>(kPaperBatch), static_cast<long long>(inputs),
              2e-9 * static_cast<double>(kPaperBatch * inputs * outputs));

  const double cublas_ms = median_gpu_time_ms([&] { cublas_linear(handle, x, weight, reference); });
  const TensorF expected = reference.to_host();
  std::printf("%-14s %9.3f ms %9.0f GFLOP/s %6.1f%% of cuBLAS\n", "cuBLAS SGEMM", cublas_ms,
              gflops(kPaperBatch, inputs, outputs, cublas_ms), 100.0);
  bool all_ok = true;
  for (cuda::LinearVersion v : {cuda::LinearVersion::Naive, cuda::LinearVersion::Tiled}) {
    const double ms = median_gpu_time_ms([&] { cuda::linear_forward(cuda::Context{}, x, weight, bias, ours, v); });
    // The bias is zero, so both compute the same product; sums of 9216 terms in another order.
    const Comparison diff = compare(expected, ours.to_host(), Tolerance{1e-3, 1e-4});
    std::printf("%-14s %9.3f ms %9.0f GFLOP/s %6.1f%% of cuBLAS   max |ours - cuBLAS| %.1e%s\n",
                v == cuda::LinearVersion::Naive ? "ours, naive" : "ours, tiled", ms,
                gflops(kPaperBatch, inputs, outputs, ms), 100.0 * cublas_ms / ms, diff.max_abs_error,
                diff.ok() ? "" : "  MISMATCH");
    all_ok = all_ok && diff.ok();
  }
  cublas_check(cublasDestroy(handle), "cublasDestroy");
  return all_ok;
}
#endif

}  // namespace

int main() {
  const LayerSummary fc6 = summarize_layer(alexnet_two_tower(), "fc6");
  TensorF weight({fc6.output[0], element_count(fc6.input)}), bias({fc6.output[0]});
  fill_normal(weight, 2012, 0, 0.0, 0.01);
  std::printf("FC6 matrix multiply: %lld inputs -> %lld outputs\n", static_cast<long long>(weight.dim(1)),
              static_cast<long long>(weight.dim(0)));
  time_cpu(weight, bias);
#if ALEXNET_WITH_CUDA
  if (gpu_available()) return time_gpu(weight, bias) ? 0 : 1;
  std::printf("GPU: not available (%s)\n", gpu_unavailable_reason().c_str());
#else
  std::printf("GPU: not available (built without CUDA)\n");
#endif
  return 0;
}
