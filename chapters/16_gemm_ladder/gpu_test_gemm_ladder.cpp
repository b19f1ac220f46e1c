// Chapter 16: every step of the SGEMM ladder against a CPU product in double, at extents that are no multiple
// of any tile (1, 7, 33, 127, 129, and K one past a slice), with α and β, with β = 0 on a C of NaNs, which must
// then be written without being read, and with A or B stored transposed; the best step as the fully connected
// layer's product at FC6's shape.
#include <catch2/catch.hpp>

#include <array>
#include <string>

#include "cuda/gemm_ladder.cuh"
#include "cuda/linear_gemm.cuh"
#include "network/plan.hpp"
#include "reference_cpu/linear.hpp"
#include "tests/support/gpu_checks.hpp"
#include "tests/support/gradient_check.hpp"
#include "tests/support/linear_gpu_checks.hpp"

using namespace alexnet;
using namespace alexnet::testing;

namespace {

// α·A·B + β·C, each sum in double, rounded once to float.
TensorF expected_product(const TensorF& a, const TensorF& b, const TensorF& c, float alpha, float beta) {
  const std::int64_t m = a.dim(0), k = a.dim(1), n = b.dim(1);
  TensorF out({m, n});
  for (std::int64_t r = 0; r < m; ++r) {
    for (std::int64_t col = 0; col < n; ++col) {
      double sum = 0;
      for (std::int64_t i = 0; i < k; ++i) sum += static_cast<double>(a.at(r, i)) * b.at(i, col);
      const double scaled_c = beta == 0.0f ? 0.0 : beta * static_cast<double>(c.at(r, col));
      out.at(r, col) = static_cast<float>(alpha * sum + scaled_c);
    }
  }
  return out;
}

// The rows × cols matrix t stored transposed: cols × rows.
TensorF transposed(const TensorF& t) {
  TensorF out({t.dim(1), t.dim(0)});
  for (std::int64_t r = 0; r < t.dim(0); ++r)
    for (std::int64_t c = 0; c < t.dim(1); ++c) out.at(c, r) = t.at(r, c);
  return out;
}

// Whether A and B are handed to the kernel as stored or transposed (the fully connected layer's y = x·Wᵀ reads B
// transposed, its ∂W = ∂yᵀ·x A).
struct Storage {
  bool a_transposed = false, b_transposed = false;
};

// One product of m × k by k × n on `kernel`, checked against the CPU; C starts as NaNs when β = 0.
void check_step(cuda::LadderKernel kernel, int m, int n, int k, float alpha, float beta, Storage storage = {}) {
  const TensorF a = random_tensor_float({m, k}, 1), b = random_tensor_float({k, n}, 2);
  const TensorF c = random_tensor_float({m, n}, 3);
  DeviceTensorF a_dev(storage.a_transposed ? transposed(a) : a), b_dev(storage.b_transposed ? transposed(b) : b);
  DeviceTensorF c_dev = beta == 0.0f ? nan_tensor({m, n}) : DeviceTensorF(c);
  cuda::ladder_sgemm(kernel, nullptr,
                     {m, n, k, alpha, beta, a_dev.data(), b_dev.data(), c_dev.data(), storage.a_transposed,
                      storage.b_transposed});
  const Tolerance tolerance{std::abs(alpha) * sum_tolerance(k).abs + 1e-6, 0.0};
  CHECK_TENSORS_CLOSE(cuda::ladder_name(kernel) + " " + std::to_string(m) + "x" + std::to_string(n) + "x" +
                          std::to_string(k) + " alpha " + std::to_string(alpha) + " beta " + std::to_string(beta) +
                          (storage.a_transposed ? " A transposed" : "") + (storage.b_transposed ? " B transposed" : ""),
                      expected_product(a, b, c, alpha, beta), c_dev.to_host(), tolerance);
}

}  // namespace

TEST_CASE("every ladder step equals the CPU at extents that are no multiple of a tile", "[gpu][gemm_ladder]") {
  // (m, n, k): all ones; each of 7, 33, 127, 129 in each place; K one past a slice of 8 and of 32.
  const std::array<std::array<int, 3>, 8> extents{{{1, 1, 1},
                                                   {7, 33, 127},
                                                   {33, 127, 7},
                                                   {127, 7, 33},
                                                   {129, 130, 9},
                                                   {130, 129, 33},
                                                   {2, 257, 65},
                                                   {257, 2, 129}}};
  for (const cuda::LadderKernel kernel : cuda::ladder_kernels()) {
    for (const auto& [m, n, k] : extents) check_step(kernel, m, n, k, 1.0f, 0.0f);
  }
}

TEST_CASE("every ladder step scales by alpha and adds beta times C", "[gpu][gemm_ladder]") {
  for (const cuda::LadderKernel kernel : cuda::ladder_kernels()) {
    check_step(kernel, 67, 45, 70, 1.5f, 0.5f);
    check_step(kernel, 67, 45, 70, -2.0f, 0.0f);
  }
}

TEST_CASE("the vector loads: K and N multiples of 4 with edge tiles in every direction", "[gpu][gemm_ladder]") {
  // 128-bit loads are taken when a row's length is a multiple of 4: these extents take them, with tiles cut
  // at every edge (132 = 128 + 4, 20 = 2 slices of 8 + 4).
  for (const cuda::LadderKernel kernel : cuda::ladder_kernels()) {
    check_step(kernel, 132, 136, 20, 1.0f, 0.0f);
    check_step(kernel, 128, 128, 16, 1.0f, 1.0f);
  }
}

TEST_CASE("every ladder step reads A or B transposed, at edge tiles and where vector loads would fit",
          "[gpu][gemm_ladder][transpose]") {
  // A transposed operand is read by scalar loads even when its stored rows are a multiple of 4 long (132, 136).
  for (const cuda::LadderKernel kernel : cuda::ladder_kernels()) {
    for (const Storage storage : {Storage{true, false}, Storage{false, true}, Storage{true, true}}) {
      check_step(kernel, 33, 127, 9, 1.0f, 0.0f, storage);
      check_step(kernel, 132, 136, 20, 1.0f, 1.0f, storage);
    }
  }
}

TEST_CASE("the fully connected layer on the ladder's best step equals the CPU at FC6's shape",
          "[gpu][gemm_ladder][linear][slow]") {  // the sanitizers run the transposes' case above
  const LayerSummary fc6 = summarize_layer(alexnet_two_tower(), "fc6");
  const std::int64_t batch = 3, inputs = element_count(fc6.input), outputs = fc6.output[0];
  const LinearCase c = linear_case(batch, inputs, outputs);
  const cpu::LinearGradients<float> expected = cpu::linear_backward(c.x, c.weight, c.grad_y);
  const cuda::Context context{};
  const cuda::LadderProduct ladder;
  const DeviceTensorF x(c.x), weight(c.weight), bias(c.bias), grad_y(c.grad_y);
  DeviceTensorF y = nan_tensor({batch, outputs}), grad_x = nan_tensor(c.x.shape());
  DeviceTensorF grad_weight = nan_tensor(c.weight.shape()), grad_bias = nan_tensor(c.bias.shape());
  DeviceTensorF workspace = nan_tensor({batch});
  cuda::linear_forward_gemm(context, ladder, x, weight, bias, y);
  cuda::linear_backward_gemm(context, ladder, x, weight, grad_y, grad_x, grad_weight, grad_bias, workspace);
  cuda::synchronize(context);
  CHECK_TENSORS_CLOSE("forward", cpu::linear_forward(c.x, c.weight, c.bias), y.to_host(), sum_tolerance(inputs + 1));
  CHECK_TENSORS_CLOSE("grad input", expected.input, grad_x.to_host(), sum_tolerance(outputs));
  CHECK_TENSORS_CLOSE("grad weight", expected.weight, grad_weight.to_host(), sum_tolerance(batch));
  CHECK_TENSORS_CLOSE("grad bias", expected.bias, grad_bias.to_host(), sum_tolerance(batch));
  // The ladder reads rows back to back: an operand with a gap between its rows is refused.
  CHECK_THROWS_WITH(ladder.gemm(context, 2, 2, 2, 1.0f, {x.data(), false, 3}, {x.data(), false, 2}, 0.0f, y.data(), 2),
                    "LadderProduct::gemm: expected dense operands (rows 2, 2 and 2 floats apart), got 3, 2 and 2");
}

TEST_CASE("a ladder step refuses an empty extent", "[gpu][gemm_ladder]") {
  CHECK_THROWS_WITH(cuda::ladder_sgemm(cuda::LadderKernel::Naive, nullptr, {0, 4, 4}),
                    "ladder_sgemm: expected m, n, k >= 1, got 0, 4, 4");
}
