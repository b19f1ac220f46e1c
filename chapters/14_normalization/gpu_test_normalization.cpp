// BatchNorm and GroupNorm on the GPU against the CPU reference (run in double) at realistic shapes,
// CONV1's output [2, 96, 55, 55] among them, forward and backward. Outputs start as NaN, so an
// element a kernel forgets to write fails the comparison.
#include <catch2/catch.hpp>

#include "chapters/14_normalization/normalization_checks.hpp"
#include "cuda/batchnorm2d.cuh"
#include "cuda/groupnorm.cuh"
#include "reference_cpu/batchnorm2d.hpp"
#include "reference_cpu/groupnorm.hpp"
#include "tests/support/gpu_checks.hpp"

using namespace alexnet;
using namespace alexnet::testing;

TEST_CASE("cuda batchnorm2d equals the CPU: training, evaluation, running statistics, backward",
          "[gpu][batchnorm]") {
  const cuda::Context context{};
  std::vector<Shape> shapes = normalization_shapes();
  shapes.push_back({64, 8, 2, 1});  // planes of two values: the partial sums barely fit in the output they borrow
  for (const Shape& shape : shapes) {
    INFO("x " << to_string(shape));
    const std::int64_t m = shape[0] * shape[2] * shape[3];  // values per channel
    const Shape channels{shape[1]};
    const NormInputs in = random_norm_inputs(shape, 300);
    const TensorD x = in.x.cast<double>(), gamma = in.gamma.cast<double>(), beta = in.beta.cast<double>();
    const BatchNormParams params;
    const DeviceTensorF x_dev(in.x), gamma_dev(in.gamma), beta_dev(in.beta), grad_y_dev(in.grad_y);

    DeviceTensorF y = nan_tensor(shape), mean = nan_tensor(channels), variance = nan_tensor(channels);
    cuda::batchnorm2d_forward_training(context, x_dev, gamma_dev, beta_dev, params, y, mean, variance);
    const BatchNormForward<double> expected = cpu::batchnorm2d_forward_training(x, gamma, beta, params);
    CHECK_TENSORS_CLOSE("training y", expected.y.cast<float>(), y.to_host(), normalized_tolerance());
    CHECK_TENSORS_CLOSE("batch mean", expected.mean.cast<float>(), mean.to_host(), statistics_tolerance());
    CHECK_TENSORS_CLOSE("batch variance", expected.variance.cast<float>(), variance.to_host(), statistics_tolerance());

    const TensorF running_mean = random_tensor_float(channels, 304, 0.0, 2.0);
    const TensorF running_var = random_tensor_float(channels, 305, 0.5, 2.0);
    DeviceTensorF running_mean_dev(running_mean), running_var_dev(running_var), y_eval = nan_tensor(shape);
    cuda::batchnorm2d_forward_inference(context, x_dev, gamma_dev, beta_dev, running_mean_dev, running_var_dev, params,
                                        y_eval);
    CHECK_TENSORS_CLOSE("evaluation y",
                        cpu::batchnorm2d_forward_inference(x, gamma, beta, running_mean.cast<double>(),
                                                           running_var.cast<double>(), params)
                            .cast<float>(),
                        y_eval.to_host(), normalized_tolerance());

    // The update from the GPU's own batch statistics, against the reference given the same ones.
    TensorD expected_mean = running_mean.cast<double>(), expected_var = running_var.cast<double>();
    cpu::update_running_statistics(expected_mean, expected_var, mean.to_host().cast<double>(),
                                   variance.to_host().cast<double>(), m, params);
    cuda::update_running_statistics(context, running_mean_dev, running_var_dev, mean, variance, m, params);
    CHECK_TENSORS_CLOSE("running mean", expected_mean.cast<float>(), running_mean_dev.to_host(), statistics_tolerance());
    CHECK_TENSORS_CLOSE("running variance", expected_var.cast<float>(), running_var_dev.to_host(),
                        statistics_tolerance());

    DeviceTensorF grad_x = nan_tensor(shape), grad_gamma = nan_tensor(channels), grad_beta = nan_tensor(channels);
    cuda::batchnorm2d_backward(context, x_dev, gamma_dev, mean, variance, grad_y_dev, params, grad_x, grad_gamma,
                               grad_beta);
    const NormGradients<double> grad = cpu::batchnorm2d_backward(x, gamma, in.grad_y.cast<double>(), params);
    CHECK_TENSORS_CLOSE("grad_x", grad.input.cast<float>(), grad_x.to_host(), normalized_tolerance());
    CHECK_TENSORS_CLOSE("grad_gamma", grad.gamma.cast<float>(), grad_gamma.to_host(), parameter_gradient_tolerance(m));
    CHECK_TENSORS_CLOSE("grad_beta", grad.beta.cast<float>(), grad_beta.to_host(), parameter_gradient_tolerance(m));
  }
}

TEST_CASE("cuda groupnorm equals the CPU: LayerNorm, 8 groups and InstanceNorm", "[gpu][groupnorm]") {
  const cuda::Context context{};
  for (const Shape& shape : normalization_shapes()) {
    const Shape channels{shape[1]};
    const std::int64_t m = shape[0] * shape[2] * shape[3];  // terms of ∂γ_c and ∂β_c
    const NormInputs in = random_norm_inputs(shape, 400);
    const TensorD x = in.x.cast<double>(), gamma = in.gamma.cast<double>(), beta = in.beta.cast<double>();
    const DeviceTensorF x_dev(in.x), gamma_dev(in.gamma), beta_dev(in.beta), grad_y_dev(in.grad_y);
    for (const int groups : {1, 8, static_cast<int>(shape[1])}) {
      INFO("x " << to_string(shape) << ", groups = " << groups);
      const GroupNormParams params{groups, 1e-5};
      const Shape statistics{shape[0], groups};
      DeviceTensorF y = nan_tensor(shape), mean = nan_tensor(statistics), variance = nan_tensor(statistics);
      cuda::groupnorm_forward(context, x_dev, gamma_dev, beta_dev, params, y, mean, variance);
      CHECK_TENSORS_CLOSE("y", cpu::groupnorm_forward(x, gamma, beta, params).cast<float>(), y.to_host(),
                          normalized_tolerance());
      const GroupMoments expected = group_moments(x, groups);
      CHECK_TENSORS_CLOSE("group mean", expected.mean.cast<float>(), mean.to_host(), statistics_tolerance());
      CHECK_TENSORS_CLOSE("group variance", expected.variance.cast<float>(), variance.to_host(),
                          statistics_tolerance());

      DeviceTensorF grad_x = nan_tensor(shape), grad_gamma = nan_tensor(channels), grad_beta = nan_tensor(channels);
      cuda::groupnorm_backward(context, x_dev, gamma_dev, mean, variance, grad_y_dev, params, grad_x, grad_gamma,
                               grad_beta);
      const NormGradients<double> grad = cpu::groupnorm_backward(x, gamma, in.grad_y.cast<double>(), params);
      CHECK_TENSORS_CLOSE("grad_x", grad.input.cast<float>(), grad_x.to_host(), normalized_tolerance());
      CHECK_TENSORS_CLOSE("grad_gamma", grad.gamma.cast<float>(), grad_gamma.to_host(),
                          parameter_gradient_tolerance(m));
      CHECK_TENSORS_CLOSE("grad_beta", grad.beta.cast<float>(), grad_beta.to_host(), parameter_gradient_tolerance(m));
    }
  }
}

TEST_CASE("cuda normalizations check their shapes", "[gpu][batchnorm][groupnorm]") {
  const cuda::Context context{};
  const DeviceTensorF x({2, 6, 3, 3}), c6({6});
  DeviceTensorF y({2, 6, 3, 3}), c4({4}), mean({6}), var({6}), grad_x({2, 6, 3, 3}), grad_gamma({6}), grad_beta({6});
  CHECK_THROWS_WITH(cuda::batchnorm2d_forward_training(context, x, c6, c6, BatchNormParams{}, y, c4, var),
                    "cuda::batchnorm2d_forward_training: expected batch_mean of shape [6], got [4]");
  CHECK_THROWS_WITH(cuda::batchnorm2d_forward_inference(context, x, c6, c6, c6, c4, BatchNormParams{}, y),
                    "cuda::batchnorm2d_forward_inference: expected running_var of shape [6], got [4]");
  CHECK_THROWS_WITH(cuda::update_running_statistics(context, mean, var, c6, c6, 1, BatchNormParams{}),
                    "cuda::update_running_statistics: expected at least 2 values per channel (the unbiased "
                    "variance divides by m - 1), got 1");
  CHECK_THROWS_WITH(cuda::batchnorm2d_backward(context, x, c6, mean, var, x, BatchNormParams{}, grad_x, grad_gamma,
                                               c4),
                    "cuda::batchnorm2d_backward: expected grad_beta of shape [6], got [4]");
  CHECK_THROWS_WITH(cuda::batchnorm2d_backward(context, x, c6, c4, var, x, BatchNormParams{}, grad_x, grad_gamma,
                                               grad_beta),
                    "cuda::batchnorm2d_backward: expected batch_mean of shape [6], got [4]");
  DeviceTensorF group_mean({2, 1}), group_var({2, 1});  // statistics of G = 1 (GroupNormParams{}'s)
  CHECK_THROWS_WITH(cuda::groupnorm_forward(context, x, c6, c6, GroupNormParams{4, 1e-5}, y, group_mean, group_var),
                    "cuda::groupnorm_forward: expected x [N, C, H, W] with C > 0 divisible into 4 groups, got "
                    "[2, 6, 3, 3]");
  CHECK_THROWS_WITH(cuda::groupnorm_forward(context, x, c6, c6, GroupNormParams{}, y, mean, group_var),
                    "cuda::groupnorm_forward: expected group_mean of shape [2, 1], got [6]");
  CHECK_THROWS_WITH(cuda::groupnorm_backward(context, x, c6, group_mean, group_var, c6, GroupNormParams{}, grad_x,
                                             grad_gamma, grad_beta),
                    "cuda::groupnorm_backward: expected grad_y of shape [2, 6, 3, 3], got [6]");
}
