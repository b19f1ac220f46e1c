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
#include "cpu_fast/conv2d.hpp"
#include "cpu_fast/dropout.hpp"
#include "cpu_fast/linear.hpp"
#include "cpu_fast/lrn.hpp"
#include "cpu_fast/maxpool2d.hpp"
#include "cpu_fast/relu.hpp"

namespace alexnet {
namespace {

// A CPU backend is a set of ops with the reference's signatures: the naive loops of
// alexnet::cpu, or alexnet::fast (im2col + SGEMM, OpenMP). Flatten moves no values.
struct ReferenceOps {
  template <typename T, typename... Args>
  static Tensor<T> conv2d_forward(const Tensor<T>& x, const Args&... args) { return cpu::conv2d_forward(x, args...); }
  template <typename T, typename... Args>
  static auto conv2d_backward(const Tensor<T>& x, const Args&... args) { return cpu::conv2d_backward(x, args...); }
  template <typename T>
  static Tensor<T> relu_forward(const Tensor<T>& x) { return cpu::relu_forward(x); }
  template <typename T>
  static Tensor<T> relu_backward(const Tensor<T>& x, const Tensor<T>& g) { return cpu::relu_backward(x, g); }
  template <typename T>
  static Tensor<T> lrn_forward(const Tensor<T>& x, LrnParams p) { return cpu::lrn_forward(x, p); }
  template <typename T>
  static Tensor<T> lrn_backward(const Tensor<T>& x, const Tensor<T>& g, LrnParams p) { return cpu::lrn_backward(x, g, p); }
  template <typename T>
  static Tensor<T> maxpool2d_forward(const Tensor<T>& x, Pool2dParams p) { return cpu::maxpool2d_forward(x, p); }
  template <typename T>
  static Tensor<T> maxpool2d_backward(const Tensor<T>& x, const Tensor<T>& g, Pool2dParams p) {
    return cpu::maxpool2d_backward(x, g, p);
  }
  template <typename T, typename... Args>
  static Tensor<T> linear_forward(const Tensor<T>& x, const Args&... args) { return cpu::linear_forward(x, args...); }
  template <typename T, typename... Args>
  static auto linear_backward(const Tensor<T>& x, const Args&... args) { return cpu::linear_backward(x, args...); }
  template <typename T>
  static Tensor<T> dropout_forward(const Tensor<T>& x, const DropoutParams& p) { return cpu::dropout_forward(x, p); }
  template <typename T>
  static Tensor<T> dropout_backward(const Tensor<T>& g, const DropoutParams& p) { return cpu::dropout_backward(g, p); }
};

struct FastOps {
  static TensorF conv2d_forward(const TensorF& x, const TensorF& w, const TensorF& b, Conv2dParams p) {
    return fast::conv2d_forward(x, w, b, p);
  }
  static cpu::Conv2dGradients<float> conv2d_backward(const TensorF& x, const TensorF& w, const TensorF& g,
                                                     Conv2dParams p) {
    return fast::conv2d_backward(x, w, g, p);
  }
  static TensorF relu_forward(const TensorF& x) { return fast::relu_forward(x); }
  static TensorF relu_backward(const TensorF& x, const TensorF& g) { return fast::relu_backward(x, g); }
  static TensorF lrn_forward(const TensorF& x, LrnParams p) { return fast::lrn_forward(x, p); }
  static TensorF lrn_backward(const TensorF& x, const TensorF& g, LrnParams p) { return fast::lrn_backward(x, g, p); }
  static TensorF maxpool2d_forward(const TensorF& x, Pool2dParams p) { return fast::maxpool2d_forward(x, p); }
  static TensorF maxpool2d_backward(const TensorF& x, const TensorF& g, Pool2dParams p) {
    return fast::maxpool2d_backward(x, g, p);
  }
  static TensorF linear_forward(const TensorF& x, const TensorF& w, const TensorF& b) {
    return fast::linear_forward(x, w, b);
  }
  static cpu::LinearGradients<float> linear_backward(const TensorF& x, const TensorF& w, const TensorF& g) {
    return fast::linear_backward(x, w, g);
  }
  static TensorF dropout_forward(const TensorF& x, const DropoutParams& p) { return fast::dropout_forward(x, p); }
  static TensorF dropout_backward(const TensorF& g, const DropoutParams& p) { return fast::dropout_backward(g, p); }
};

template <typename Ops, typename T>
Tensor<T> step_forward(const Step& step, const Tensor<T>& x, const Parameters<T>& parameters,
                       const RunOptions& options) {
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
            return Ops::dropout_forward(x, dropout_params(s, options.seed, options.step, options.training));
          },
      },
      step.op);
}

// ∂L/∂x of one step given ∂L/∂y; a layer's parameter gradients go into `grads`.
template <typename Ops, typename T>
Tensor<T> step_backward(const Step& step, const Tensor<T>& x, const Tensor<T>& grad_y,
                        const Parameters<T>& parameters, const RunOptions& options, Parameters<T>& grads) {
  return std::visit(
      Overloaded{
          [&](const ConvolutionStep& s) {
            const auto i = static_cast<std::size_t>(s.parameters);
            auto g = Ops::conv2d_backward(x, parameters[i].weight, grad_y, s.params);
            grads[i].weight = std::move(g.weight);
            grads[i].bias = std::move(g.bias);
            return std::move(g.input);
          },
          [&](const ReluStep&) { return Ops::relu_backward(x, grad_y); },
          [&](const LrnStep& s) { return Ops::lrn_backward(x, grad_y, s.params); },
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
            return Ops::dropout_backward(grad_y, dropout_params(s, options.seed, options.step, options.training));
          },
      },
      step.op);
}

double milliseconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

template <typename Ops, typename T>
Activations<T> run_forward(const Plan& plan, const Parameters<T>& parameters, Tensor<T> x,
                           const RunOptions& options) {
  require_network_input(plan, x.shape());
  Activations<T> forward{std::move(x), {}, {}};
  forward.outputs.reserve(plan.steps.size());
  for (const Step& step : plan.steps) {
    const auto start = std::chrono::steady_clock::now();
    const Tensor<T>& input = forward.outputs.empty() ? forward.input : forward.outputs.back();
    forward.outputs.push_back(step_forward<Ops>(step, input, parameters, options));
    forward.step_ms.push_back(milliseconds_since(start));
  }
  return forward;
}

template <typename Ops, typename T>
Gradients<T> run_backward(const Plan& plan, const Parameters<T>& parameters, const Activations<T>& forward,
                          const Tensor<T>& grad_logits, const RunOptions& options) {
  require_shape(plan.spec.name + " backward", "grad_logits", forward.logits().shape(), grad_logits.shape());
  Gradients<T> gradients{{}, {}, std::vector<double>(plan.steps.size())};
  for (const LayerTensors<T>& layer : parameters) gradients.parameters.push_back({layer.name, {}, {}});  // filled below
  Tensor<T> grad = grad_logits;
  for (std::size_t i = plan.steps.size(); i-- > 0;) {
    const auto start = std::chrono::steady_clock::now();
    const Tensor<T>& x = i == 0 ? forward.input : forward.outputs[i - 1];
    grad = step_backward<Ops>(plan.steps[i], x, grad, parameters, options, gradients.parameters);
    gradients.step_ms[i] = milliseconds_since(start);
  }
  gradients.input = std::move(grad);
  return gradients;
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
  return run_forward<ReferenceOps>(plan, parameters, std::move(x), options);
}

template <typename T>
Gradients<T> reference_backward(const Plan& plan, const Parameters<T>& parameters, const Activations<T>& forward,
                                const Tensor<T>& grad_logits, const RunOptions& options) {
  return run_backward<ReferenceOps>(plan, parameters, forward, grad_logits, options);
}

Activations<float> fast_forward(const Plan& plan, const Parameters<float>& parameters, TensorF x,
                                const RunOptions& options) {
  return run_forward<FastOps>(plan, parameters, std::move(x), options);
}

Gradients<float> fast_backward(const Plan& plan, const Parameters<float>& parameters, const Activations<float>& forward,
                               const TensorF& grad_logits, const RunOptions& options) {
  return run_backward<FastOps>(plan, parameters, forward, grad_logits, options);
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
