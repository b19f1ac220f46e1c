// The fast CPU backend's normalizations against the reference (run in double) at realistic shapes,
// CONV1's output [2, 96, 55, 55] among them.
#include <catch2/catch.hpp>

#include <cmath>

#include "chapters/14_normalization/normalization_checks.hpp"
#include "cpu_fast/batchnorm2d.hpp"
#include "cpu_fast/groupnorm.hpp"
#include "reference_cpu/batchnorm2d.hpp"
#include "reference_cpu/groupnorm.hpp"

using namespace alexnet;
using namespace alexnet::testing;

TEST_CASE("fast batchnorm2d equals the reference: training, evaluation, running statistics, backward",
          "[fast_cpu][batchnorm]") {
  for (const Shape& shape : normalization_shapes()) {
    INFO("x " << to_string(shape));
    const std::int64_t m = shape[0] * shape[2] * shape[3];  // values per channel
    const NormInputs in = random_norm_inputs(shape, 100);
    const TensorD x = in.x.cast<double>(), gamma = in.gamma.cast<double>(), beta = in.beta.cast<double>();
    const BatchNormParams params;

    const BatchNormForward<double> expected = cpu::batchnorm2d_forward_training(x, gamma, beta, params);
    const BatchNormForward<float> out = fast::batchnorm2d_forward_training(in.x, in.gamma, in.beta, params);
    CHECK_TENSORS_CLOSE("training y", expected.y.cast<float>(), out.y, normalized_tolerance());
    CHECK_TENSORS_CLOSE("batch mean", expected.mean.cast<float>(), out.mean, statistics_tolerance());
    CHECK_TENSORS_CLOSE("batch variance", expected.variance.cast<float>(), out.variance, statistics_tolerance());

    const TensorF running_mean = random_tensor_float({shape[1]}, 104, 0.0, 2.0);
    const TensorF running_var = random_tensor_float({shape[1]}, 105, 0.5, 2.0);
    CHECK_TENSORS_CLOSE("evaluation y",
                        cpu::batchnorm2d_forward_inference(x, gamma, beta, running_mean.cast<double>(),
                                                           running_var.cast<double>(), params)
                            .cast<float>(),
                        fast::batchnorm2d_forward_inference(in.x, in.gamma, in.beta, running_mean, running_var, params),
                        normalized_tolerance());

    TensorD expected_mean = running_mean.cast<double>(), expected_var = running_var.cast<double>();
    cpu::update_running_statistics(expected_mean, expected_var, out.mean.cast<double>(), out.variance.cast<double>(),
                                   m, params);
    TensorF mean = running_mean, var = running_var;
    fast::update_running_statistics(mean, var, out.mean, out.variance, m, params);
    CHECK_TENSORS_CLOSE("running mean", expected_mean.cast<float>(), mean, statistics_tolerance());
    CHECK_TENSORS_CLOSE("running variance", expected_var.cast<float>(), var, statistics_tolerance());

    const NormGradients<double> grad = cpu::batchnorm2d_backward(x, gamma, in.grad_y.cast<double>(), params);
    const NormGradients<float> fast_grad = fast::batchnorm2d_backward(in.x, in.gamma, in.grad_y, params);
    CHECK_TENSORS_CLOSE("grad_x", grad.input.cast<float>(), fast_grad.input, normalized_tolerance());
    CHECK_TENSORS_CLOSE("grad_gamma", grad.gamma.cast<float>(), fast_grad.gamma, parameter_gradient_tolerance(m));
    CHECK_TENSORS_CLOSE("grad_beta", grad.beta.cast<float>(), fast_grad.beta, parameter_gradient_tolerance(m));
  }
}

// The fast statistics take one pass, about a value of each channel (cpu_fast/batchnorm2d.cpp). Values of 10⁶ in
// steps of 1/16 (floats exactly) with σ ≈ 0.6: the unshifted one-pass Σx² − (Σx)²/m would lose the variance to
// rounding in double (tried: up to 4.6e-4 off, 0.15 %), the shifted sums keep it to the last float digit.
TEST_CASE("fast batchnorm2d's one-pass statistics hold when the mean is far from zero", "[fast_cpu][batchnorm]") {
  const Shape shape{4, 64, 7, 7};
  const TensorF steps = random_tensor_float(shape, 300, -16.0, 16.0);
  TensorF x(shape);
  for (std::int64_t i = 0; i < x.size(); ++i) x[i] = 1e6f + std::round(steps[i]) / 16;
  const NormInputs in = random_norm_inputs(shape, 301);
  const BatchNormParams params;
  const BatchNormForward<double> expected =
      cpu::batchnorm2d_forward_training(x.cast<double>(), in.gamma.cast<double>(), in.beta.cast<double>(), params);
  const BatchNormForward<float> out = fast::batchnorm2d_forward_training(x, in.gamma, in.beta, params);
  CHECK_TENSORS_CLOSE("batch mean", expected.mean.cast<float>(), out.mean, statistics_tolerance());
  CHECK_TENSORS_CLOSE("batch variance", expected.variance.cast<float>(), out.variance, statistics_tolerance());
  const NormGradients<double> grad =
      cpu::batchnorm2d_backward(x.cast<double>(), in.gamma.cast<double>(), in.grad_y.cast<double>(), params);
  const NormGradients<float> fast_grad = fast::batchnorm2d_backward(x, in.gamma, in.grad_y, params);
  const std::int64_t m = shape[0] * shape[2] * shape[3];
  CHECK_TENSORS_CLOSE("grad_gamma", grad.gamma.cast<float>(), fast_grad.gamma, parameter_gradient_tolerance(m));
}

TEST_CASE("fast groupnorm equals the reference: LayerNorm, 8 groups and InstanceNorm", "[fast_cpu][groupnorm]") {
  for (const Shape& shape : normalization_shapes()) {
    const NormInputs in = random_norm_inputs(shape, 200);
    const TensorD x = in.x.cast<double>(), gamma = in.gamma.cast<double>(), beta = in.beta.cast<double>();
    const std::int64_t m = shape[0] * shape[2] * shape[3];  // terms of ∂γ_c and ∂β_c
    for (const int groups : {1, 8, static_cast<int>(shape[1])}) {
      INFO("x " << to_string(shape) << ", groups = " << groups);
      const GroupNormParams params{groups, 1e-5};
      CHECK_TENSORS_CLOSE("y", cpu::groupnorm_forward(x, gamma, beta, params).cast<float>(),
                          fast::groupnorm_forward(in.x, in.gamma, in.beta, params), normalized_tolerance());
      const NormGradients<double> grad = cpu::groupnorm_backward(x, gamma, in.grad_y.cast<double>(), params);
      const NormGradients<float> fast_grad = fast::groupnorm_backward(in.x, in.gamma, in.grad_y, params);
      CHECK_TENSORS_CLOSE("grad_x", grad.input.cast<float>(), fast_grad.input, normalized_tolerance());
      CHECK_TENSORS_CLOSE("grad_gamma", grad.gamma.cast<float>(), fast_grad.gamma, parameter_gradient_tolerance(m));
      CHECK_TENSORS_CLOSE("grad_beta", grad.beta.cast<float>(), fast_grad.beta, parameter_gradient_tolerance(m));
    }
  }
}

TEST_CASE("fast normalizations check their shapes", "[fast_cpu][batchnorm][groupnorm]") {
  const TensorF x({2, 6, 3, 3}), c6({6}), c4({4});
  CHECK_THROWS_WITH(fast::batchnorm2d_forward_training(x, c4, c6, BatchNormParams{}),
                    "fast::batchnorm2d_forward_training: expected gamma of shape [6], got [4]");
  CHECK_THROWS_WITH(fast::batchnorm2d_forward_inference(x, c6, c6, c4, c6, BatchNormParams{}),
                    "fast::batchnorm2d_forward_inference: expected running_mean of shape [6], got [4]");
  TensorF mean({6}), var({6});
  CHECK_THROWS_WITH(fast::update_running_statistics(mean, var, c6, c6, 1, BatchNormParams{}),
                    "fast::update_running_statistics: expected at least 2 values per channel (the unbiased "
                    "variance divides by m - 1), got 1");
  CHECK_THROWS_WITH(fast::batchnorm2d_backward(x, c6, c6, BatchNormParams{}),
                    "fast::batchnorm2d_backward: expected grad_y of shape [2, 6, 3, 3], got [6]");
  CHECK_THROWS_WITH(fast::groupnorm_forward(x, c6, c6, GroupNormParams{4, 1e-5}),
                    "fast::groupnorm_forward: expected x [N, C, H, W] with C > 0 divisible into 4 groups, got "
                    "[2, 6, 3, 3]");
  CHECK_THROWS_WITH(fast::groupnorm_backward(x, c4, x, GroupNormParams{}),
                    "fast::groupnorm_backward: expected gamma of shape [6], got [4]");
}
