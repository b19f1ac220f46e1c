#include "network/cpu_network.hpp"

#include <chrono>
#include <stdexcept>

#include "reference_cpu/conv2d.hpp"
#include "reference_cpu/dropout.hpp"
#include "reference_cpu/flatten.hpp"
#include "reference_cpu/linear.hpp"
#include "reference_cpu/lrn.hpp"
#include "reference_cpu/maxpool2d.hpp"
#include "reference_cpu/relu.hpp"

namespace alexnet {
namespace {

template <typename T>
Tensor<T> step_forward(const Step& step, const Tensor<T>& x, const Parameters<T>& parameters,
                       const RunOptions& options) {
  return std::visit(
      Overloaded{
          [&](const ConvolutionStep& s) {
            const LayerTensors<T>& p = parameters[static_cast<std::size_t>(s.parameters)];
            return cpu::conv2d_forward(x, p.weight, p.bias, s.params);
          },
          [&](const ReluStep&) { return cpu::relu_forward(x); },
          [&](const LrnStep& s) { return cpu::lrn_forward(x, s.params); },
          [&](const MaxPoolStep& s) { return cpu::maxpool2d_forward(x, s.params); },
          [&](const FlattenStep&) { return cpu::flatten_forward(x); },
          [&](const LinearStep& s) {
            const LayerTensors<T>& p = parameters[static_cast<std::size_t>(s.parameters)];
            return cpu::linear_forward(x, p.weight, p.bias);
          },
          [&](const DropoutStep& s) {
            return cpu::dropout_forward(x, dropout_params(s, options.seed, options.step, options.training));
          },
      },
      step.op);
}

// ∂L/∂x of one step given ∂L/∂y; a layer's parameter gradients go into `grads`.
template <typename T>
Tensor<T> step_backward(const Step& step, const Tensor<T>& x, const Tensor<T>& grad_y,
                        const Parameters<T>& parameters, const RunOptions& options, Parameters<T>& grads) {
  return std::visit(
      Overloaded{
          [&](const ConvolutionStep& s) {
            const auto i = static_cast<std::size_t>(s.parameters);
            cpu::Conv2dGradients<T> g = cpu::conv2d_backward(x, parameters[i].weight, grad_y, s.params);
            grads[i].weight = std::move(g.weight);
            grads[i].bias = std::move(g.bias);
            return std::move(g.input);
          },
          [&](const ReluStep&) { return cpu::relu_backward(x, grad_y); },
          [&](const LrnStep& s) { return cpu::lrn_backward(x, grad_y, s.params); },
          [&](const MaxPoolStep& s) { return cpu::maxpool2d_backward(x, grad_y, s.params); },
          [&](const FlattenStep&) { return cpu::flatten_backward(grad_y, x.shape()); },
          [&](const LinearStep& s) {
            const auto i = static_cast<std::size_t>(s.parameters);
            cpu::LinearGradients<T> g = cpu::linear_backward(x, parameters[i].weight, grad_y);
            grads[i].weight = std::move(g.weight);
            grads[i].bias = std::move(g.bias);
            return std::move(g.input);
          },
          [&](const DropoutStep& s) {
            return cpu::dropout_backward(grad_y, dropout_params(s, options.seed, options.step, options.training));
          },
      },
      step.op);
}

double milliseconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

void require_network_input(const Plan& plan, const Shape& x) {
  const Shape& per_image = plan.spec.input;
  const bool ok = x.size() == per_image.size() + 1 && x[0] > 0 && Shape(x.begin() + 1, x.end()) == per_image;
  if (!ok) {
    const std::string expected = "[N, " + to_string(per_image).substr(1);  // [3, 227, 227] -> [N, 3, 227, 227]
    throw std::invalid_argument(plan.spec.name + ": expected an input of shape " + expected + " with N > 0, got " +
                                to_string(x));
  }
}

template <typename T>
Activations<T> reference_forward(const Plan& plan, const Parameters<T>& parameters, Tensor<T> x,
                                 const RunOptions& options) {
  require_network_input(plan, x.shape());
  Activations<T> forward{std::move(x), {}, {}};
  forward.outputs.reserve(plan.steps.size());
  for (const Step& step : plan.steps) {
    const auto start = std::chrono::steady_clock::now();
    const Tensor<T>& input = forward.outputs.empty() ? forward.input : forward.outputs.back();
    forward.outputs.push_back(step_forward(step, input, parameters, options));
    forward.step_ms.push_back(milliseconds_since(start));
  }
  return forward;
}

template <typename T>
Gradients<T> reference_backward(const Plan& plan, const Parameters<T>& parameters, const Activations<T>& forward,
                                const Tensor<T>& grad_logits, const RunOptions& options) {
  require_shape(plan.spec.name + " backward", "grad_logits", forward.logits().shape(), grad_logits.shape());
  Gradients<T> gradients{{}, parameters, std::vector<double>(plan.steps.size())};  // every value is overwritten
  Tensor<T> grad = grad_logits;
  for (std::size_t i = plan.steps.size(); i-- > 0;) {
    const auto start = std::chrono::steady_clock::now();
    const Tensor<T>& x = i == 0 ? forward.input : forward.outputs[i - 1];
    grad = step_backward(plan.steps[i], x, grad, parameters, options, gradients.parameters);
    gradients.step_ms[i] = milliseconds_since(start);
  }
  gradients.input = std::move(grad);
  return gradients;
}

template Activations<float> reference_forward(const Plan&, const Parameters<float>&, Tensor<float>,
                                              const RunOptions&);
template Activations<double> reference_forward(const Plan&, const Parameters<double>&, Tensor<double>,
                                               const RunOptions&);
template Gradients<float> reference_backward(const Plan&, const Parameters<float>&, const Activations<float>&,
                                             const Tensor<float>&, const RunOptions&);
template Gradients<double> reference_backward(const Plan&, const Parameters<double>&, const Activations<double>&,
                                              const Tensor<double>&, const RunOptions&);

}  // namespace alexnet
