/// @file cpu_executor.hpp
/// @brief The CPU executor behind reference_forward/backward and fast_forward/backward: the plan's
/// steps run one after another on a set of ops (`Ops::conv2d_forward`, ...) with the reference's
/// signatures. Included by the two backends' .cpp files only.
#pragma once

#include <chrono>
#include <stdexcept>

#include "network/cpu_network.hpp"
#include "reference_cpu/flatten.hpp"
#include "reference_cpu/timer.hpp"

namespace alexnet::cpu_executor {

/// @brief Values per channel of x [N, C, H, W]: N·H·W, the m of a batch normalization's statistics.
inline std::int64_t values_per_channel(const Shape& x) { return x.at(0) * x.at(2) * x.at(3); }

/// @brief Step `index` forward on the ops of `Ops`; a training-mode batch normalization appends its batch
/// statistics to `statistics`.
template <typename Ops, typename T>
Tensor<T> step_forward(std::size_t index, const Step& step, const Tensor<T>& x, const Parameters<T>& parameters,
                       const RunOptions& options, std::vector<BatchStatistics<T>>& statistics) {
  return std::visit(
      Overloaded{
          [&](const ConvolutionStep& s) {
            const LayerTensors<T>& p = parameters[static_cast<std::size_t>(s.parameters)];
            return Ops::conv2d_forward(x, p.weight, p.bias, s.params);
          },
          [&](const ReluStep&) { return Ops::relu_forward(x); },
          [&](const LrnStep& s) { return Ops::lrn_forward(x, s.params); },
          [&](const MaxPoolStep& s) { return Ops::maxpool2d_forward(x, s.params); },
          [&](const FlattenStep&) { return cpu::flatten_forward(x); },
          [&](const LinearStep& s) {
            const LayerTensors<T>& p = parameters[static_cast<std::size_t>(s.parameters)];
            return Ops::linear_forward(x, p.weight, p.bias);
          },
          [&](const DropoutStep& s) {
            return Ops::dropout_forward(x, dropout_params(s, options, x.shape()));
          },
          [&](const BatchNormStep& s) {
            const LayerTensors<T>& p = parameters[static_cast<std::size_t>(s.parameters)];
            if (!options.training) {  // test time: the running statistics, a fixed affine map per channel
              return Ops::batchnorm2d_forward_inference(x, p.weight, p.bias, p.running_mean, p.running_var, s.params);
            }
            auto out = Ops::batchnorm2d_forward_training(x, p.weight, p.bias, s.params);
            statistics.push_back({index, std::move(out.mean), std::move(out.variance), values_per_channel(x.shape())});
            return std::move(out.y);
          },
          [&](const GroupNormStep& s) {
            const LayerTensors<T>& p = parameters[static_cast<std::size_t>(s.parameters)];
            return Ops::groupnorm_forward(x, p.weight, p.bias, s.params);
          },
      },
      step.op);
}

/// @brief ∂L/∂x of one step given ∂L/∂y; a layer's parameter gradients go into `grads`. A convolution skips
/// ∂L/∂x (returns an empty tensor) unless `input_gradient`. ∂L/∂y is the caller's to give up: ReLU, dropout,
/// LRN and the normalizations receive it by move, and the fast backend writes their ∂L/∂x over it.
template <typename Ops, typename T>
Tensor<T> step_backward(const Step& step, const Tensor<T>& x, Tensor<T>&& grad_y,
                        const Parameters<T>& parameters, const RunOptions& options, bool input_gradient,
                        Parameters<T>& grads) {
  return std::visit(
      Overloaded{
          [&](const ConvolutionStep& s) {
            const auto i = static_cast<std::size_t>(s.parameters);
            auto g = Ops::conv2d_backward(x, parameters[i].weight, grad_y, s.params, input_gradient);
            grads[i].weight = std::move(g.weight);
            grads[i].bias = std::move(g.bias);
            return std::move(g.input);
          },
          [&](const ReluStep&) { return Ops::relu_backward(x, std::move(grad_y)); },
          [&](const LrnStep& s) { return Ops::lrn_backward(x, std::move(grad_y), s.params); },
          [&](const MaxPoolStep& s) { return Ops::maxpool2d_backward(x, grad_y, s.params); },
          [&](const FlattenStep&) { return cpu::flatten_backward(grad_y, x.shape()); },
          [&](const LinearStep& s) {
            const auto i = static_cast<std::size_t>(s.parameters);
            auto g = Ops::linear_backward(x, parameters[i].weight, grad_y);
            grads[i].weight = std::move(g.weight);
            grads[i].bias = std::move(g.bias);
            return std::move(g.input);
          },
          [&](const DropoutStep& s) {
            return Ops::dropout_backward(std::move(grad_y), dropout_params(s, options, x.shape()));
          },
          [&](const BatchNormStep& s) {
            if (!options.training) {
              throw std::logic_error(step.name + ": the backward of batch normalization runs after a training-mode "
                                     "forward (through the batch statistics); test mode has none");
            }
            const auto i = static_cast<std::size_t>(s.parameters);
            auto g = Ops::batchnorm2d_backward(x, parameters[i].weight, std::move(grad_y), s.params);
            grads[i].weight = std::move(g.gamma);
            grads[i].bias = std::move(g.beta);
            return std::move(g.input);
          },
          [&](const GroupNormStep& s) {
            const auto i = static_cast<std::size_t>(s.parameters);
            auto g = Ops::groupnorm_backward(x, parameters[i].weight, std::move(grad_y), s.params);
            grads[i].weight = std::move(g.gamma);
            grads[i].bias = std::move(g.beta);
            return std::move(g.input);
          },
      },
      step.op);
}

/// @brief Every step forward, keeping each output and its time.
template <typename Ops, typename T>
Activations<T> run_forward(const Plan& plan, const Parameters<T>& parameters, Tensor<T> x,
                           const RunOptions& options) {
  require_network_input(plan, x.shape());
  Activations<T> forward{std::move(x), {}, {}};
  forward.outputs.reserve(plan.steps.size());
  for (std::size_t i = 0; i < plan.steps.size(); ++i) {
    const auto start = std::chrono::steady_clock::now();
    const Tensor<T>& input = i == 0 ? forward.input : forward.outputs.back();
    forward.outputs.push_back(
        step_forward<Ops>(i, plan.steps[i], input, parameters, options, forward.batch_statistics));
    forward.step_ms.push_back(milliseconds_since(start));
  }
  return forward;
}

/// @brief Every step backward from ∂L/∂logits, reusing the forward's outputs; each layer's gradients go to `ready`
/// (when given) as soon as its step is done.
template <typename Ops, typename T>
Gradients<T> run_backward(const Plan& plan, const Parameters<T>& parameters, const Activations<T>& forward,
                          const Tensor<T>& grad_logits, const RunOptions& options, const GradientsReady<T>& ready) {
  require_shape(plan.spec.name + " backward", "grad_logits", forward.logits().shape(), grad_logits.shape());
  Gradients<T> gradients{{}, {}, std::vector<double>(plan.steps.size())};
  for (const LayerTensors<T>& layer : parameters) gradients.parameters.push_back({layer.name, {}, {}});  // filled below
  Tensor<T> grad = grad_logits;
  for (std::size_t i = plan.steps.size(); i-- > 0;) {
    const auto start = std::chrono::steady_clock::now();
    const Tensor<T>& x = i == 0 ? forward.input : forward.outputs[i - 1];
    const bool input_gradient = i > 0 || options.input_gradient;
    grad = step_backward<Ops>(plan.steps[i], x, std::move(grad), parameters, options, input_gradient,
                              gradients.parameters);
    gradients.step_ms[i] = milliseconds_since(start);
    const int learned = step_parameters(plan.steps[i]);
    if (ready && learned >= 0) ready(gradients.parameters[static_cast<std::size_t>(learned)]);
  }
  if (options.input_gradient) gradients.input = std::move(grad);
  return gradients;
}

}  // namespace alexnet::cpu_executor
