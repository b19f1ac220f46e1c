/// @file conv2d_checks.hpp
/// @brief Checks shared by the convolution chapters (01, 03–06): gradients in double,
/// and the two-tower form of a layer against its one-device grouped form.
#pragma once

#include "network/plan.hpp"
#include "reference_cpu/channels.hpp"
#include "reference_cpu/conv2d.hpp"
#include "reference_cpu/layer_table.hpp"
#include "tests/support/gradient_check.hpp"

namespace alexnet::testing {

/// @brief Central differences in double for ∂L/∂x, ∂L/∂weight, ∂L/∂bias of conv2d on random data.
inline void check_conv2d_gradients(const Shape& x_shape, const Shape& weight_shape, Conv2dParams params) {
  TensorD x = random_tensor(x_shape, 4);
  TensorD weight = random_tensor(weight_shape, 5);
  TensorD bias = random_tensor({weight_shape.at(0)}, 6);
  const auto forward = [&] { return cpu::conv2d_forward(x, weight, bias, params); };
  const TensorD grad_y = random_tensor(forward().shape(), 7);
  const cpu::Conv2dGradients<double> grad = cpu::conv2d_backward(x, weight, grad_y, params);
  CHECK_TENSORS_CLOSE("conv2d grad input", numerical_gradient(forward, x, grad_y), grad.input, gradient_tolerance());
  CHECK_TENSORS_CLOSE("conv2d grad weight", numerical_gradient(forward, weight, grad_y), grad.weight,
                      gradient_tolerance());
  CHECK_TENSORS_CLOSE("conv2d grad bias", numerical_gradient(forward, bias, grad_y), grad.bias, gradient_tolerance());
}

/// @brief The layer `name` of the two-tower table, built: its weight shape, output shape and
/// parameter count (counted in the allocated tensors) must be the expected ones.
inline void check_conv_layer_from_table(const std::string& name, const Shape& expected_weight,
                                        const Shape& expected_output, std::int64_t expected_parameters) {
  const LayerSummary layer = summarize_layer(alexnet_two_tower(), name);
  const LayerParameters built = initial_parameters(layer.spec, layer.input, 2012, 0);
  CHECK(built.weight.shape() == expected_weight);
  CHECK(built.weight.size() + built.bias.size() == expected_parameters);
  Shape batch_input = layer.input;
  batch_input.insert(batch_input.begin(), 2);
  Shape batch_output = expected_output;
  batch_output.insert(batch_output.begin(), 2);
  CHECK(cpu::conv2d_output_shape(batch_input, built.weight.shape(), built.bias.shape(), conv2d_params(layer.spec)) ==
        batch_output);
}

/// @brief One tower's share of a layer's forward and backward pass.
struct TowerPass {
  TensorD output;                        ///< the tower's output maps
  cpu::Conv2dGradients<double> gradients; ///< its gradients (input: of the maps the tower read)
};

/// @brief Runs the layer `name` of the two-tower network both ways and checks they agree.
///
/// One device: conv2d with the layer's groups on the whole batch. Two towers: tower t
/// holds output channels [t·C_out/2, (t+1)·C_out/2) and their kernels; it reads its own
/// half of the input (groups = 2) or, at a join (groups = 1), the concatenation of both
/// towers' halves. Outputs and weight/bias gradients must be the two towers' results
/// concatenated; the input gradient is too, except at a join, where each input map feeds
/// both towers and receives the sum of their two gradients (sent back across the GPUs).
inline void check_towers_equal_grouped(const std::string& name, std::int64_t batch) {
  const NetworkSpec network = alexnet_two_tower();
  const LayerSummary layer = summarize_layer(network, name);
  const Conv2dParams grouped = conv2d_params(layer.spec);
  const int towers = network.towers;
  // The input arrives as the towers' maps: [N, C_in/2, H, W] on each GPU.
  const Shape tower_input_shape{batch, layer.input[0] / towers, layer.input[1], layer.input[2]};
  std::vector<TensorD> tower_inputs;
  for (int t = 0; t < towers; ++t) tower_inputs.push_back(random_tensor(tower_input_shape, 30 + t));
  const TensorD x = cpu::concat_channels(tower_inputs);
  const TensorD weight = random_tensor(weight_shape(layer.spec, layer.input), 32);
  const TensorD bias = random_tensor({layer.output[0]}, 33);
  const TensorD y = cpu::conv2d_forward(x, weight, bias, grouped);
  const TensorD grad_y = random_tensor(y.shape(), 34);
  const cpu::Conv2dGradients<double> one_device = cpu::conv2d_backward(x, weight, grad_y, grouped);

  const std::int64_t kernels = layer.output[0] / towers;
  const bool join = grouped.groups == 1;
  std::vector<TowerPass> passes;
  for (int t = 0; t < towers; ++t) {
    const TensorD& seen = join ? x : tower_inputs[t];  // at a join: concat(tower 0, tower 1)
    const TensorD w = cpu::slice_rows(weight, t * kernels, kernels), b = cpu::slice_rows(bias, t * kernels, kernels);
    const Conv2dParams own{grouped.stride, grouped.pad, 1};
    passes.push_back(TowerPass{cpu::conv2d_forward(seen, w, b, own),
                               cpu::conv2d_backward(seen, w, cpu::tower_slice(grad_y, t, towers), own)});
  }
  auto gather = [&](auto field, bool channels) {
    std::vector<TensorD> parts;
    for (const TowerPass& pass : passes) parts.push_back(field(pass));
    return channels ? cpu::concat_channels(parts) : cpu::concat_rows(parts);
  };
  // Forward and the weight gradients: the same products summed in the same order: exact.
  CHECK_TENSORS_CLOSE(name + " output", y, gather([](const TowerPass& p) { return p.output; }, true), (Tolerance{0, 0}));
  CHECK_TENSORS_CLOSE(name + " grad weight", one_device.weight,
                      gather([](const TowerPass& p) { return p.gradients.weight; }, false), (Tolerance{0, 0}));
  CHECK_TENSORS_CLOSE(name + " grad bias", one_device.bias,
                      gather([](const TowerPass& p) { return p.gradients.bias; }, false), (Tolerance{0, 0}));
  if (join) {
    // Each input map receives gradient from both towers: one sum split into two partial
    // sums, so only the last bits of rounding differ (double: relative 1e-12 is ample).
    TensorD summed(x.shape());
    for (const TowerPass& pass : passes)
      for (std::int64_t i = 0; i < summed.size(); ++i) summed[i] += pass.gradients.input[i];
    CHECK_TENSORS_CLOSE(name + " grad input (sum of both towers)", one_device.input, summed, (Tolerance{1e-12, 1e-12}));
  } else {
    CHECK_TENSORS_CLOSE(name + " grad input", one_device.input,
                        gather([](const TowerPass& p) { return p.gradients.input; }, true), (Tolerance{0, 0}));
  }
}

}  // namespace alexnet::testing
