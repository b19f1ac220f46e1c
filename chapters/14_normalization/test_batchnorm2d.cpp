// Batch normalization on the CPU reference: hand-computed cases, PyTorch's conventions for the
// running statistics, evaluation as an affine map, and gradient checks in double through the
// batch statistics.
#include <catch2/catch.hpp>

#include <cmath>

#include "reference_cpu/batchnorm2d.hpp"
#include "tests/support/gradient_check.hpp"

using namespace alexnet;
using namespace alexnet::testing;

namespace {

// Two channels of m = 4 values each, x [N = 2, C = 2, H = 1, W = 2] in NCHW order:
//   channel 0: x[0,0,:] = 1 2, x[1,0,:] = 3 6  -> {1, 2, 3, 6}:  μ = 3, deviations −2 −1 0 3,
//              squares 4 + 1 + 0 + 9 = 14, σ² = 14/4 = 3.5 (biased)
//   channel 1: x[0,1,:] = 10 7, x[1,1,:] = 6 5 -> {10, 7, 6, 5}: μ = 7, deviations 3 0 −1 −2,
//              squares 9 + 0 + 1 + 4 = 14, σ² = 3.5
// With ε = 0.5, σ̂ = √(3.5 + 0.5) = 2: x̂ = {−1, −0.5, 0, 1.5} and {1.5, 0, −0.5, −1}.
TensorD hand_x() { return TensorD({2, 2, 1, 2}, {1, 2, 10, 7, 3, 6, 6, 5}); }
const BatchNormParams kHandParams{0.5, 0.1};

}  // namespace

TEST_CASE("batchnorm2d training forward, by hand", "[batchnorm]") {
  // γ = {2, −1}, β = {1, 0.5}: channel 0 y = 2·x̂ + 1 = {−1, 0, 1, 4};
  // channel 1 y = −x̂ + 0.5 = {−1, 0.5, 1, 1.5}. Back in NCHW order: −1 0 −1 0.5 1 4 1 1.5.
  const BatchNormForward<double> out =
      cpu::batchnorm2d_forward_training(hand_x(), TensorD({2}, {2, -1}), TensorD({2}, {1, 0.5}), kHandParams);
  CHECK(out.mean.values() == std::vector<double>{3, 7});
  CHECK(out.variance.values() == std::vector<double>{3.5, 3.5});  // biased: divided by m = 4, not 3
  const std::vector<double> expected{-1, 0, -1, 0.5, 1, 4, 1, 1.5};
  for (std::size_t i = 0; i < expected.size(); ++i) CHECK(out.y.values()[i] == Approx(expected[i]).margin(1e-15));
}

TEST_CASE("batchnorm2d backward, by hand: one upstream gradient reaches the whole channel", "[batchnorm][gradient]") {
  // g = 1 at x[0,0,0,0] only (x̂ = −1), γ_0 = 2, σ̂ = 2, m = 4:
  //   ∂β_0 = Σ g = 1, ∂γ_0 = Σ g·x̂ = −1;
  //   ∂x = γ/σ̂·(g − Σg/m − x̂·Σg·x̂/m) = 1·(g − 0.25 + 0.25·x̂) over channel 0's x̂ = {−1, −0.5, 0, 1.5}:
  //        {1 − 0.25 − 0.25, −0.25 − 0.125, −0.25, −0.25 + 0.375} = {0.5, −0.375, −0.25, 0.125} (sum 0).
  // Channel 1 gets no gradient at all. Without the batch statistics the answer would be {1, 0, 0, 0}.
  TensorD g({2, 2, 1, 2});
  g[0] = 1;
  const NormGradients<double> grad = cpu::batchnorm2d_backward(hand_x(), TensorD({2}, {2, -1}), g, kHandParams);
  const std::vector<double> expected{0.5, -0.375, 0, 0, -0.25, 0.125, 0, 0};  // channel 0 at flat 0, 1, 4, 5
  for (std::size_t i = 0; i < expected.size(); ++i) {
    CHECK(grad.input.values()[i] == Approx(expected[i]).margin(1e-15));
  }
  CHECK(grad.beta.values() == std::vector<double>{1, 0});
  CHECK(grad.gamma.values() == std::vector<double>{-1, 0});
}

TEST_CASE("running statistics follow PyTorch: momentum 0.1, unbiased variance", "[batchnorm]") {
  const BatchNormForward<double> out =
      cpu::batchnorm2d_forward_training(hand_x(), TensorD({2}, 1.0), TensorD({2}, 0.0), kHandParams);
  // Fresh running statistics (PyTorch's: mean 0, variance 1). m = 4 values per channel, so the
  // unbiased variance is 3.5·4/3 = 14/3:
  //   mean ← 0.9·0 + 0.1·{3, 7} = {0.3, 0.7};  var ← 0.9·1 + 0.1·14/3 = 0.9 + 0.4666… = 1.3666…
  TensorD running_mean({2}, 0.0), running_var({2}, 1.0);
  cpu::update_running_statistics(running_mean, running_var, out.mean, out.variance, 4, kHandParams);
  CHECK(running_mean[0] == Approx(0.3));
  CHECK(running_mean[1] == Approx(0.7));
  for (int c : {0, 1}) CHECK(running_var[c] == Approx(0.9 + 0.1 * 14.0 / 3.0));

  // momentum = 1 keeps only the batch: the mean, and the variance with Bessel's correction.
  BatchNormParams only_batch = kHandParams;
  only_batch.momentum = 1.0;
  cpu::update_running_statistics(running_mean, running_var, out.mean, out.variance, 4, only_batch);
  CHECK(running_mean.values() == std::vector<double>{3, 7});
  CHECK(running_var[0] == Approx(14.0 / 3.0));
}

TEST_CASE("batchnorm2d in evaluation mode is the affine map its running statistics define", "[batchnorm]") {
  const TensorD x = random_tensor({3, 4, 2, 3}, 1, -2.0, 2.0);
  const TensorD gamma = random_tensor({4}, 2, 0.5, 1.5), beta = random_tensor({4}, 3);
  const TensorD running_mean = random_tensor({4}, 4), running_var = random_tensor({4}, 5, 0.5, 2.0);
  const BatchNormParams params;
  const TensorD y = cpu::batchnorm2d_forward_inference(x, gamma, beta, running_mean, running_var, params);
  // y = a_c·x + b_c with a_c = γ_c/√(running_var_c + ε), b_c = β_c − a_c·running_mean_c.
  TensorD expected(x.shape());
  for (std::int64_t n = 0; n < 3; ++n) {
    for (std::int64_t c = 0; c < 4; ++c) {
      const double a = gamma[c] / std::sqrt(running_var[c] + params.epsilon), b = beta[c] - a * running_mean[c];
      for (std::int64_t i = 0; i < 6; ++i) expected[(n * 4 + c) * 6 + i] = a * x[(n * 4 + c) * 6 + i] + b;
    }
  }
  CHECK_TENSORS_CLOSE("evaluation mode", expected, y, (Tolerance{1e-14, 1e-14}));

  // An image's output does not depend on the rest of the batch (in training mode it does).
  const TensorD first_image(Shape{1, 4, 2, 3}, std::vector<double>(x.values().begin(), x.values().begin() + 24));
  const TensorD y_alone = cpu::batchnorm2d_forward_inference(first_image, gamma, beta, running_mean, running_var, params);
  for (std::int64_t i = 0; i < 24; ++i) CHECK(y_alone[i] == y[i]);
  const TensorD y_alone_training = cpu::batchnorm2d_forward_training(first_image, gamma, beta, params).y;
  const TensorD y_training = cpu::batchnorm2d_forward_training(x, gamma, beta, params).y;
  CHECK(std::fabs(y_alone_training[0] - y_training[0]) > 1e-3);
}

TEST_CASE("training and evaluation agree when the running statistics are the batch's", "[batchnorm]") {
  // The two paths share only the formula: evaluation given the batch mean and *biased* variance
  // reproduces the training output (with the unbiased variance it would not).
  const TensorD x = random_tensor({4, 3, 3, 3}, 6, -1.0, 3.0);
  const TensorD gamma = random_tensor({3}, 7, 0.5, 1.5), beta = random_tensor({3}, 8);
  const BatchNormForward<double> training = cpu::batchnorm2d_forward_training(x, gamma, beta, BatchNormParams{});
  const TensorD evaluation =
      cpu::batchnorm2d_forward_inference(x, gamma, beta, training.mean, training.variance, BatchNormParams{});
  CHECK_TENSORS_CLOSE("evaluation with the batch statistics", training.y, evaluation, (Tolerance{1e-14, 1e-14}));
}

TEST_CASE("batchnorm2d training output has zero mean and unit variance per channel", "[batchnorm]") {
  // γ = 1, β = 0: per channel, mean(y) = 0 and mean(y²) = σ²/(σ² + ε), just under 1.
  const TensorD x = random_tensor({5, 3, 4, 4}, 9, -1.0, 3.0);
  const BatchNormForward<double> out =
      cpu::batchnorm2d_forward_training(x, TensorD({3}, 1.0), TensorD({3}, 0.0), BatchNormParams{});
  for (std::int64_t c = 0; c < 3; ++c) {
    double sum = 0, squares = 0;
    for (std::int64_t n = 0; n < 5; ++n) {
      for (std::int64_t i = 0; i < 16; ++i) {
        const double y = out.y[(n * 3 + c) * 16 + i];
        sum += y;
        squares += y * y;
      }
    }
    CHECK(sum / 80 == Approx(0.0).margin(1e-14));
    CHECK(squares / 80 == Approx(out.variance[c] / (out.variance[c] + 1e-5)).epsilon(1e-12));
  }
}

TEST_CASE("batchnorm2d backward matches central differences in double", "[batchnorm][gradient]") {
  // L = Σ r·y with a random r: Σ y alone would be a useless loss, since Σ over a channel of
  // the normalized x̂ is 0 whatever x is, so its gradient with respect to x vanishes.
  for (const Shape& shape : {Shape{3, 4, 2, 3}, Shape{4, 3, 1, 1}}) {
    INFO("x " << to_string(shape));
    const BatchNormParams params;
    TensorD x = random_tensor(shape, 10, -1.0, 3.0);
    TensorD gamma = random_tensor({shape[1]}, 11, 0.5, 1.5), beta = random_tensor({shape[1]}, 12);
    const TensorD r = random_tensor(shape, 13);
    const auto forward = [&] { return cpu::batchnorm2d_forward_training(x, gamma, beta, params).y; };
    const NormGradients<double> grad = cpu::batchnorm2d_backward(x, gamma, r, params);
    CHECK_TENSORS_CLOSE("grad_x", numerical_gradient(forward, x, r), grad.input, gradient_tolerance());
    CHECK_TENSORS_CLOSE("grad_gamma", numerical_gradient(forward, gamma, r), grad.gamma, gradient_tolerance());
    CHECK_TENSORS_CLOSE("grad_beta", numerical_gradient(forward, beta, r), grad.beta, gradient_tolerance());

    // The classic mistake, treating μ and σ as constants (∂x = γ·g/σ̂), fails the same check.
    TensorD constant_statistics(shape);
    const BatchNormForward<double> out = cpu::batchnorm2d_forward_training(x, gamma, beta, params);
    const std::int64_t plane = shape[2] * shape[3];
    for (std::int64_t i = 0; i < x.size(); ++i) {
      const std::int64_t c = i / plane % shape[1];
      constant_statistics[i] = gamma[c] * r[i] / std::sqrt(out.variance[c] + params.epsilon);
    }
    CHECK_FALSE(compare(numerical_gradient(forward, x, r), constant_statistics, Tolerance{1e-2, 0.0}).ok());
  }
}

TEST_CASE("batchnorm2d refuses shapes and parameters it cannot use", "[batchnorm]") {
  const TensorF x({2, 3, 2, 2}), c3({3}), c4({4});
  const BatchNormParams params;
  CHECK_THROWS_WITH(cpu::batchnorm2d_forward_training(TensorF({2, 3, 4}), c3, c3, params),
                    "batchnorm2d_forward_training: expected x [N, C, H, W] with N·H·W > 0, got [2, 3, 4]");
  CHECK_THROWS_WITH(cpu::batchnorm2d_forward_training(TensorF({0, 3, 2, 2}), c3, c3, params),
                    "batchnorm2d_forward_training: expected x [N, C, H, W] with N·H·W > 0, got [0, 3, 2, 2]");
  CHECK_THROWS_WITH(cpu::batchnorm2d_forward_training(x, c3, c3, BatchNormParams{0.0, 0.1}),
                    "batchnorm2d_forward_training: expected epsilon > 0, got 0");
  CHECK_THROWS_WITH(cpu::batchnorm2d_forward_inference(x, c3, c4, c3, c3, params),
                    "batchnorm2d_forward_inference: expected beta of shape [3], got [4]");
  CHECK_THROWS_WITH(cpu::batchnorm2d_forward_inference(x, c3, c3, c3, c4, params),
                    "batchnorm2d_forward_inference: expected running_var of shape [3], got [4]");
  CHECK_THROWS_WITH(cpu::batchnorm2d_backward(x, c4, x, params),
                    "batchnorm2d_backward: expected gamma of shape [3], got [4]");
  CHECK_THROWS_WITH(cpu::batchnorm2d_backward(x, c3, TensorF({2, 3, 2, 1}), params),
                    "batchnorm2d_backward: expected grad_y of shape [2, 3, 2, 2], got [2, 3, 2, 1]");
  TensorF mean({3}), var({3});
  CHECK_THROWS_WITH(cpu::update_running_statistics(mean, var, c3, c3, 1, params),
                    "update_running_statistics: expected at least 2 values per channel (the unbiased variance "
                    "divides by m - 1), got 1");
  CHECK_THROWS_WITH(cpu::update_running_statistics(mean, var, c4, c3, 8, params),
                    "update_running_statistics: expected batch_mean of shape [3], got [4]");
  CHECK_THROWS_WITH(cpu::update_running_statistics(mean, var, c3, c3, 8, BatchNormParams{1e-5, 1.5}),
                    "update_running_statistics: expected momentum in [0, 1], got 1.5");
}
