// gemm_ladder_benchmark: every step of chapter 16's SGEMM ladder against cuBLAS SGEMM (fp32, no TF32) in
// the same run, at 4096 x 4096 x 4096 and at the network's products — FC6's and FC7's forward at the paper's
// batch of 128 and CONV2's im2col product for one tower — in milliseconds, TFLOP/s and percent of cuBLAS,
// each result checked against cuBLAS's. Then the five convolutions of the paper's network at batch 128, the
// implicit GEMM against chapter 15's im2col + cuBLAS, forward and backward, results checked against each other.
// First, with a GPU or without, where each product lies on the roofline: its FLOPs over the least bytes it
// must move.
#include <algorithm>
#include <cstdio>
#include <vector>

#if ALEXNET_WITH_CUDA
#include <cublas_v2.h>

#include <stdexcept>
#include <string>

#include "cuda/blas.cuh"
#include "cuda/conv2d_gemm.cuh"
#include "cuda/conv2d_implicit.cuh"
#include "cuda/device_tensor.cuh"
#include "cuda/gemm_ladder.cuh"
#include "cuda/gpu.cuh"
#include "cuda/gpu_timer.cuh"
#include "network/plan.hpp"
#include "reference_cpu/compare.hpp"
#include "reference_cpu/layer_table.hpp"
#include "reference_cpu/random.hpp"

using namespace alexnet;
#endif

namespace {

struct Product {
  const char* name;
  int m, n, k;
};

// C [m, n] = A [m, k]·B [k, n]. FC6 forward: y [128, 4096] = x [128, 9216]·Wᵀ. CONV2 on one tower: 128
// filters of 48 × 5 × 5 = 1,200 weights against 27 × 27 positions of 128 images (93,312 columns of im2col).
const std::vector<Product> kProducts{{"4096 x 4096 x 4096", 4096, 4096, 4096},
                                     {"FC6 forward, batch 128", 128, 4096, 9216},
                                     {"FC7 forward, batch 128", 128, 4096, 4096},
                                     {"CONV2 im2col, one tower, batch 128", 128, 93312, 1200}};

double gflop(const Product& p) { return 2e-9 * static_cast<double>(p.m) * p.n * p.k; }  // 2 FLOP per multiply-add

// Each value of A, B and C crosses from memory once: the least a product can move.
double least_megabytes(const Product& p) {
  return 4e-6 * (static_cast<double>(p.m) * p.k + static_cast<double>(p.k) * p.n + static_cast<double>(p.m) * p.n);
}

void print_roofline_positions() {
  std::printf("%-36s %10s %15s %14s\n", "product", "GFLOP", "least MB moved", "FLOPs per byte");
  for (const Product& p : kProducts) {
    std::printf("%-36s %10.1f %15.1f %14.0f\n", p.name, gflop(p), least_megabytes(p),
                1e3 * gflop(p) / least_megabytes(p));
  }
}

#if ALEXNET_WITH_CUDA
void cublas_check(cublasStatus_t status, const char* call) {
  if (status != CUBLAS_STATUS_SUCCESS) {
    throw std::runtime_error(std::string("cuBLAS error in ") + call + ": " + cublasGetStatusString(status));
  }
}

// Row-major C = A·B with column-major cuBLAS: a row-major matrix is its transpose in column-major, and
// Cᵀ = Bᵀ·Aᵀ, so cuBLAS multiplies B by A with the extents swapped.
void cublas_product(cublasHandle_t handle, const Product& p, const DeviceTensorF& a, const DeviceTensorF& b,
                    DeviceTensorF& c) {
  const float one = 1.0f, zero = 0.0f;
  cublas_check(cublasSgemm(handle, CUBLAS_OP_N, CUBLAS_OP_N, p.n, p.m, p.k, &one, b.data(), p.n, a.data(), p.k,
                           &zero, c.data(), p.n),
               "cublasSgemm");
}

double tflops(const Product& p, double ms) { return gflop(p) / ms; }

// Times every step on one product; returns the best step's share of cuBLAS, or a negative number when a
// step's result differs from cuBLAS's.
double time_product(cublasHandle_t handle, const Product& p) {
  TensorF a_host({p.m, p.k}), b_host({p.k, p.n});
  fill_uniform(a_host, 1, 1, -1.0, 1.0);
  fill_uniform(b_host, 1, 2, -1.0, 1.0);
  DeviceTensorF a(a_host), b(b_host), expected({p.m, p.n}), ours({p.m, p.n});
  std::printf("\n%s: C [%d, %d] = A [%d, %d] . B [%d, %d], %.1f GFLOP\n", p.name, p.m, p.n, p.m, p.k, p.k, p.n,
              gflop(p));
  std::printf("%-18s %10s %9s %12s %22s\n", "step", "ms", "TFLOP/s", "% of cuBLAS", "max |ours - cuBLAS|");
  const double cublas_ms = median_gpu_time_ms([&] { cublas_product(handle, p, a, b, expected); });
  std::printf("%-18s %10.3f %9.2f %11.1f%%\n", "cuBLAS SGEMM", cublas_ms, tflops(p, cublas_ms), 100.0);
  const TensorF reference = expected.to_host();
  // Sums of k products of U[-1, 1) values in another order: the course's rule, 1e-6 per term (tests/support).
  const Tolerance tolerance{1e-6 * p.k, 0.0};
  double best = 0;
  bool all_ok = true;
  for (const cuda::LadderKernel kernel : cuda::ladder_kernels()) {
    const cuda::GemmOperands g{p.m, p.n, p.k, 1.0f, 0.0f, a.data(), b.data(), ours.data()};
    const double ms = median_gpu_time_ms([&] { cuda::ladder_sgemm(kernel, nullptr, g); });
    const Comparison diff = compare(reference, ours.to_host(), tolerance);
    std::printf("%-18s %10.3f %9.2f %11.1f%% %22.1e%s\n", cuda::ladder_name(kernel).c_str(), ms, tflops(p, ms),
                100.0 * cublas_ms / ms, diff.max_abs_error, diff.ok() ? "" : "  MISMATCH");
    best = std::max(best, cublas_ms / ms);
    all_ok = all_ok && diff.ok();
  }
  return all_ok ? best : -1.0;
}

// One convolution of the paper's network at batch 128 (both towers: the grouped layers as groups), on both paths.
struct ConvTimes {
  double implicit_forward, gemm_forward, implicit_backward, gemm_backward;
  bool agree;
};

// Seconds are CUDA events around each call; ∂x is computed for every layer but CONV1, as in training.
ConvTimes time_convolution(const std::string& layer, const cuda::Blas& blas) {
  const LayerSummary summary = summarize_layer(alexnet_two_tower(), layer);
  const Shape x_shape{128, summary.input[0], summary.input[1], summary.input[2]};
  const Shape w_shape = weight_shape(summary.spec, summary.input);
  const Conv2dParams params = conv2d_params(summary.spec);
  TensorF x_host(x_shape), w_host(w_shape), b_host({w_shape[0]});
  fill_uniform(x_host, 1, 1, -1.0, 1.0);
  fill_uniform(w_host, 1, 2, -0.1, 0.1);
  fill_uniform(b_host, 1, 3, -1.0, 1.0);
  const Shape y_shape = cpu::conv2d_output_shape(x_shape, w_shape, b_host.shape(), params);
  TensorF grad_y_host(y_shape);
  fill_uniform(grad_y_host, 1, 4, -1.0, 1.0);
  const cuda::Context context{};
  const DeviceTensorF x(x_host), w(w_host), b(b_host), grad_y(grad_y_host);
  DeviceTensorF y_implicit(y_shape), y_gemm(y_shape), grad_x_implicit(x_shape), grad_x_gemm(x_shape);
  DeviceTensorF grad_w(w_shape), grad_b({w_shape[0]});
  // Chapter 15's executor's rule: the whole batch's columns within 256 MB, else chunks of images.
  const std::int64_t per_image = cuda::conv2d_gemm_workspace_floats(x_shape, w_shape, params);
  DeviceTensorF columns({std::clamp<std::int64_t>((256ll << 20) / 4 / per_image, 1, 128) * per_image});
  DeviceTensorF pieces({cuda::conv2d_implicit_workspace_floats(x_shape, w_shape, params)});
  DeviceTensorF* implicit_grad_x = layer == "conv1" ? nullptr : &grad_x_implicit;
  DeviceTensorF* gemm_grad_x = layer == "conv1" ? nullptr : &grad_x_gemm;
  ConvTimes t{};
  t.implicit_forward = median_gpu_time_ms([&] { cuda::conv2d_forward_implicit(context, x, w, b, params, y_implicit); });
  t.gemm_forward =
      median_gpu_time_ms([&] { cuda::conv2d_forward_gemm(context, blas, x, w, b, params, y_gemm, columns); });
  t.implicit_backward = median_gpu_time_ms([&] {
    cuda::conv2d_backward_implicit(context, x, w, grad_y, params, implicit_grad_x, grad_w, grad_b, pieces);
  });
  t.gemm_backward = median_gpu_time_ms([&] {
    cuda::conv2d_backward_gemm(context, blas, x, w, grad_y, params, gemm_grad_x, grad_w, grad_b, columns);
  });
  const std::int64_t terms = w_shape[1] * w_shape[2] * w_shape[3] + 1;
  t.agree = compare(y_gemm.to_host(), y_implicit.to_host(), Tolerance{1e-6 * terms, 0.0}).ok() &&
            (gemm_grad_x == nullptr ||
             compare(grad_x_gemm.to_host(), grad_x_implicit.to_host(), Tolerance{1e-6 * w_shape[0] * terms, 0.0}).ok());
  return t;
}

// The five convolutions on both paths; false when their results differ.
bool time_convolutions() {
  std::printf("\nthe paper's convolutions at batch 128, implicit GEMM (ladder step 8) against im2col + cuBLAS, ms\n");
  std::printf("%-8s %12s %14s %7s %14s %14s %7s\n", "layer", "forward", "im2col+cuBLAS", "ratio", "backward",
              "im2col+cuBLAS", "ratio");
  const cuda::Blas blas(0, cuda::Precision::Fp32);
  ConvTimes total{};
  bool all_agree = true;
  for (const char* layer : {"conv1", "conv2", "conv3", "conv4", "conv5"}) {
    const ConvTimes t = time_convolution(layer, blas);
    std::printf("%-8s %12.3f %14.3f %7.2f %14.3f %14.3f %7.2f%s\n", layer, t.implicit_forward, t.gemm_forward,
                t.implicit_forward / t.gemm_forward, t.implicit_backward, t.gemm_backward,
                t.implicit_backward / t.gemm_backward, t.agree ? "" : "  MISMATCH");
    total.implicit_forward += t.implicit_forward;
    total.gemm_forward += t.gemm_forward;
    total.implicit_backward += t.implicit_backward;
    total.gemm_backward += t.gemm_backward;
    all_agree = all_agree && t.agree;
  }
  std::printf("%-8s %12.3f %14.3f %7.2f %14.3f %14.3f %7.2f\n", "all five", total.implicit_forward,
              total.gemm_forward, total.implicit_forward / total.gemm_forward, total.implicit_backward,
              total.gemm_backward, total.implicit_backward / total.gemm_backward);
  return all_agree;
}

// Every product on every step, then the convolutions; false when a result differs from cuBLAS's.
bool time_ladder() {
  cublasHandle_t handle;
  cublas_check(cublasCreate(&handle), "cublasCreate");
  int version = 0;
  cublas_check(cublasGetVersion(handle, &version), "cublasGetVersion");
  std::printf("GPU: %s, cuBLAS %d, fp32 (default math mode: no TF32)\n", gpu_description().c_str(), version);
  std::printf("what each step asks of a multiprocessor:\n");
  for (const cuda::LadderKernel kernel : cuda::ladder_kernels()) {
    std::printf("  %-18s %s\n", cuda::ladder_name(kernel).c_str(), cuda::ladder_resources(kernel).c_str());
  }
  bool all_ok = true;
  for (const Product& p : kProducts) {
    const double best = time_product(handle, p);
    if (best < 0) all_ok = false;
    else std::printf("best step: %.1f%% of cuBLAS\n", 100.0 * best);
  }
  cublas_check(cublasDestroy(handle), "cublasDestroy");
  return time_convolutions() && all_ok;
}
#endif

}  // namespace

int main() {
  print_roofline_positions();
#if ALEXNET_WITH_CUDA
  if (gpu_available()) return time_ladder() ? 0 : 1;
  std::printf("GPU: not available (%s); the ladder's kernels are tested on the emulated device\n",
              gpu_unavailable_reason().c_str());
#else
  std::printf("GPU: not available (built without CUDA); the ladder's kernels are tested on the emulated device\n");
#endif
  return 0;
}
