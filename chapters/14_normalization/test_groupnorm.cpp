// Group normalization on the CPU reference: hand-computed cases, its two ends (G = 1 is LayerNorm
// over (C, H, W), G = C is InstanceNorm), and gradient checks in double.
#include <catch2/catch.hpp>

#include <cmath>

#include "reference_cpu/batchnorm2d.hpp"
#include "reference_cpu/groupnorm.hpp"
#include "tests/support/gradient_check.hpp"

using namespace alexnet;
using namespace alexnet::testing;

namespace {

void check_values(const TensorD& actual, const std::vector<double>& expected) {
  REQUIRE(actual.size() == static_cast<std::int64_t>(expected.size()));
  for (std::size_t i = 0; i < expected.size(); ++i) {
    INFO("element " << i);
    CHECK(actual.values()[i] == Approx(expected[i]).margin(1e-12));
  }
}

// LayerNorm over (C, H, W), written out on its own: each image is one set of C·H·W values.
TensorD layer_norm(const TensorD& x, const TensorD& gamma, const TensorD& beta, double epsilon) {
  const std::int64_t channels = x.dim(1), height = x.dim(2), width = x.dim(3);
  const double m = static_cast<double>(channels * height * width);
  TensorD y(x.shape());
  for (std::int64_t n = 0; n < x.dim(0); ++n) {
    double sum = 0, squares = 0;
    for (std::int64_t c = 0; c < channels; ++c) {
      for (std::int64_t h = 0; h < height; ++h) {
        for (std::int64_t w = 0; w < width; ++w) sum += x.at(n, c, h, w);
      }
    }
    const double mean = sum / m;
    for (std::int64_t c = 0; c < channels; ++c) {
      for (std::int64_t h = 0; h < height; ++h) {
        for (std::int64_t w = 0; w < width; ++w) squares += (x.at(n, c, h, w) - mean) * (x.at(n, c, h, w) - mean);
      }
    }
    const double sigma = std::sqrt(squares / m + epsilon);
    for (std::int64_t c = 0; c < channels; ++c) {
      for (std::int64_t h = 0; h < height; ++h) {
        for (std::int64_t w = 0; w < width; ++w) {
          y.at(n, c, h, w) = gamma[c] * (x.at(n, c, h, w) - mean) / sigma + beta[c];
        }
      }
    }
  }
  return y;
}

// γ [C] repeated for each of N images: [N·C].
TensorD tiled(const TensorD& per_channel, std::int64_t images) {
  TensorD out({images * per_channel.size()});
  for (std::int64_t i = 0; i < out.size(); ++i) out[i] = per_channel[i % per_channel.size()];
  return out;
}

}  // namespace

TEST_CASE("groupnorm with two groups, by hand", "[groupnorm]") {
  // x [N = 1, C = 4, H = 1, W = 2], G = 2 groups of 2 channels, ε = 0.5:
  //   group 0 = channels 0, 1 = {1, 2, 3, 6}:  μ = 3, σ² = (4 + 1 + 0 + 9)/4 = 3.5, σ̂ = √4 = 2,
  //             x̂ = {−1, −0.5, 0, 1.5}
  //   group 1 = channels 2, 3 = {10, 7, 6, 5}: μ = 7, σ² = (9 + 0 + 1 + 4)/4 = 3.5, σ̂ = 2,
  //             x̂ = {1.5, 0, −0.5, −1}
  // γ = {1, 2, −1, 0.5}, β = {0, 1, 0, −1}, per channel:
  //   c0: x̂ = −1, −0.5        -> −1, −0.5
  //   c1: 2·{0, 1.5} + 1      -> 1, 4
  //   c2: −{1.5, 0}           -> −1.5, 0
  //   c3: 0.5·{−0.5, −1} − 1  -> −1.25, −1.5
  const TensorD x({1, 4, 1, 2}, {1, 2, 3, 6, 10, 7, 6, 5});
  const TensorD y = cpu::groupnorm_forward(x, TensorD({4}, {1, 2, -1, 0.5}), TensorD({4}, {0, 1, 0, -1}),
                                           GroupNormParams{2, 0.5});
  check_values(y, {-1, -0.5, 1, 4, -1.5, 0, -1.25, -1.5});
}

TEST_CASE("groupnorm at both ends, by hand: LayerNorm (G = 1) and InstanceNorm (G = C)", "[groupnorm]") {
  const TensorD x({1, 2, 1, 2}, {1, 2, 3, 6});
  SECTION("G = 1: all four values together") {
    // μ = 3, σ² = 3.5, ε = 0.5 -> σ̂ = 2, x̂ = {−1, −0.5, 0, 1.5};
    // γ = {2, −1}, β = {1, 0.5}: {2·(−1) + 1, 2·(−0.5) + 1, −0 + 0.5, −1.5 + 0.5} = {−1, 0, 0.5, −1}.
    const TensorD y = cpu::groupnorm_forward(x, TensorD({2}, {2, -1}), TensorD({2}, {1, 0.5}), GroupNormParams{1, 0.5});
    check_values(y, {-1, 0, 0.5, -1});
  }
  SECTION("G = C = 2: each channel alone") {
    // ε = 0.75. Channel 0 {1, 2}: μ = 1.5, σ² = 0.25, σ̂ = √1 = 1, x̂ = {−0.5, 0.5}.
    // Channel 1 {3, 6}: μ = 4.5, σ² = 2.25, σ̂ = √3, x̂ = ∓1.5/√3 = ∓√3/2 = ∓0.8660254. γ = 1, β = 0.
    const TensorD y = cpu::groupnorm_forward(x, TensorD({2}, 1.0), TensorD({2}, 0.0), GroupNormParams{2, 0.75});
    check_values(y, {-0.5, 0.5, -std::sqrt(3.0) / 2, std::sqrt(3.0) / 2});
  }
}

TEST_CASE("groupnorm with G = 1 is LayerNorm over (C, H, W)", "[groupnorm]") {
  const TensorD x = random_tensor({3, 6, 4, 5}, 1, -1.0, 3.0);
  const TensorD gamma = random_tensor({6}, 2, 0.5, 1.5), beta = random_tensor({6}, 3);
  CHECK_TENSORS_CLOSE("groupnorm G = 1", layer_norm(x, gamma, beta, 1e-5),
                      cpu::groupnorm_forward(x, gamma, beta, GroupNormParams{1, 1e-5}), (Tolerance{1e-13, 1e-13}));
}

TEST_CASE("groupnorm with G = C is InstanceNorm: BatchNorm of a batch of one image with N·C channels",
          "[groupnorm][batchnorm]") {
  // InstanceNorm normalizes every (image, channel) plane on its own. So does BatchNorm in training mode
  // on x viewed as [1, N·C, H, W], each plane a channel of its own (with γ, β repeated for each image).
  const TensorD x = random_tensor({3, 4, 3, 5}, 4, -1.0, 3.0);
  const TensorD gamma = random_tensor({4}, 5, 0.5, 1.5), beta = random_tensor({4}, 6), r = random_tensor(x.shape(), 7);
  const GroupNormParams instance{4, 1e-5};
  const Shape planes_as_channels{1, 12, 3, 5};
  const BatchNormParams batch{1e-5, 0.1};
  const Tolerance tolerance{1e-13, 1e-13};
  const TensorD y_batch =
      cpu::batchnorm2d_forward_training(x.reshaped(planes_as_channels), tiled(gamma, 3), tiled(beta, 3), batch).y;
  CHECK_TENSORS_CLOSE("forward", y_batch.reshaped(x.shape()), cpu::groupnorm_forward(x, gamma, beta, instance),
                      tolerance);

  // Backward too: the same ∂x, and ∂γ, ∂β of a channel are the sums of its planes' over the images.
  const NormGradients<double> grad_batch =
      cpu::batchnorm2d_backward(x.reshaped(planes_as_channels), tiled(gamma, 3), r.reshaped(planes_as_channels), batch);
  const NormGradients<double> grad = cpu::groupnorm_backward(x, gamma, r, instance);
  CHECK_TENSORS_CLOSE("grad_x", grad_batch.input.reshaped(x.shape()), grad.input, tolerance);
  TensorD grad_gamma({4}), grad_beta({4});
  for (std::int64_t i = 0; i < 12; ++i) {
    grad_gamma[i % 4] += grad_batch.gamma[i];
    grad_beta[i % 4] += grad_batch.beta[i];
  }
  CHECK_TENSORS_CLOSE("grad_gamma", grad_gamma, grad.gamma, tolerance);
  CHECK_TENSORS_CLOSE("grad_beta", grad_beta, grad.beta, tolerance);
}

TEST_CASE("groupnorm normalizes each image on its own", "[groupnorm]") {
  // Unlike BatchNorm in training mode, no statistic crosses images: image 1 alone gives the same output.
  const TensorD x = random_tensor({2, 6, 3, 3}, 8, -1.0, 3.0);
  const TensorD gamma = random_tensor({6}, 9, 0.5, 1.5), beta = random_tensor({6}, 10);
  const GroupNormParams params{3, 1e-5};
  const TensorD y = cpu::groupnorm_forward(x, gamma, beta, params);
  const TensorD second(Shape{1, 6, 3, 3}, std::vector<double>(x.values().begin() + 54, x.values().end()));
  const TensorD y_second = cpu::groupnorm_forward(second, gamma, beta, params);
  for (std::int64_t i = 0; i < 54; ++i) CHECK(y_second[i] == y[54 + i]);
}

TEST_CASE("groupnorm backward matches central differences in double", "[groupnorm][gradient]") {
  // L = Σ r·y with a random r (Σ y alone has no gradient with respect to x: Σ x̂ over a group is 0).
  // G = 1 (LayerNorm), 3 (groups of 2 channels) and C = 6 (InstanceNorm).
  for (const int groups : {1, 3, 6}) {
    INFO("groups = " << groups);
    const GroupNormParams params{groups, 1e-5};
    TensorD x = random_tensor({2, 6, 3, 2}, 11, -1.0, 3.0);
    TensorD gamma = random_tensor({6}, 12, 0.5, 1.5), beta = random_tensor({6}, 13);
    const TensorD r = random_tensor(x.shape(), 14);
    const auto forward = [&] { return cpu::groupnorm_forward(x, gamma, beta, params); };
    const NormGradients<double> grad = cpu::groupnorm_backward(x, gamma, r, params);
    CHECK_TENSORS_CLOSE("grad_x", numerical_gradient(forward, x, r), grad.input, gradient_tolerance());
    CHECK_TENSORS_CLOSE("grad_gamma", numerical_gradient(forward, gamma, r), grad.gamma, gradient_tolerance());
    CHECK_TENSORS_CLOSE("grad_beta", numerical_gradient(forward, beta, r), grad.beta, gradient_tolerance());
  }
}

TEST_CASE("groupnorm refuses shapes and parameters it cannot use", "[groupnorm]") {
  const TensorF x({2, 6, 3, 3}), c6({6}), c4({4});
  CHECK_THROWS_WITH(cpu::groupnorm_forward(x, c6, c6, GroupNormParams{4, 1e-5}),
                    "groupnorm_forward: expected x [N, C, H, W] with C > 0 divisible into 4 groups, got [2, 6, 3, 3]");
  CHECK_THROWS_WITH(cpu::groupnorm_forward(TensorF({6, 3, 3}), c6, c6, GroupNormParams{}),
                    "groupnorm_forward: expected x [N, C, H, W] with C > 0 divisible into 1 groups, got [6, 3, 3]");
  CHECK_THROWS_WITH(cpu::groupnorm_forward(x, c6, c6, GroupNormParams{0, 1e-5}),
                    "groupnorm_forward: expected x [N, C, H, W] with C > 0 divisible into 0 groups, got [2, 6, 3, 3]");
  CHECK_THROWS_WITH(cpu::groupnorm_forward(x, c6, c6, GroupNormParams{2, -1.0}),
                    "groupnorm_forward: expected epsilon > 0, got -1");
  CHECK_THROWS_WITH(cpu::groupnorm_forward(x, c6, c4, GroupNormParams{}),
                    "groupnorm_forward: expected beta of shape [6], got [4]");
  CHECK_THROWS_WITH(cpu::groupnorm_backward(x, c4, x, GroupNormParams{}),
                    "groupnorm_backward: expected gamma of shape [6], got [4]");
  CHECK_THROWS_WITH(cpu::groupnorm_backward(x, c6, TensorF({2, 6, 3, 2}), GroupNormParams{}),
                    "groupnorm_backward: expected grad_y of shape [2, 6, 3, 3], got [2, 6, 3, 2]");
}
