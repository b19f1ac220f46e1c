#include "network/cpu_network.hpp"

#include <stdexcept>

#include "network/cpu_executor.hpp"
#include "reference_cpu/batchnorm2d.hpp"
#include "reference_cpu/conv2d.hpp"
#include "reference_cpu/dropout.hpp"
#include "reference_cpu/groupnorm.hpp"
#include "reference_cpu/linear.hpp"
#include "reference_cpu/lrn.hpp"
#include "reference_cpu/maxpool2d.hpp"
#include "reference_cpu/relu.hpp"

namespace alexnet {
namespace {

// The reference backend: the naive loops of alexnet::cpu (fast_network.cpp holds the other).
struct ReferenceOps {
  template <typename T, typename... Args>
  static Tensor<T> conv2d_forward(const Tensor<T>& x, const Args&... args) { return cpu::conv2d_forward(x, args...); }
  template <typename T>  // the naive loops compute ∂L/∂x whether asked or not
  static auto conv2d_backward(const Tensor<T>& x, const Tensor<T>& w, const Tensor<T>& g, Conv2dParams p, bool) {
    return cpu::conv2d_backward(x, w, g, p);
  }
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
  template <typename T, typename... Args>
  static auto batchnorm2d_forward_training(const Tensor<T>& x, const Args&... args) {
    return cpu::batchnorm2d_forward_training(x, args...);
  }
  template <typename T, typename... Args>
  static Tensor<T> batchnorm2d_forward_inference(const Tensor<T>& x, const Args&... args) {
    return cpu::batchnorm2d_forward_inference(x, args...);
  }
  template <typename T, typename... Args>
  static auto batchnorm2d_backward(const Tensor<T>& x, const Args&... args) {
    return cpu::batchnorm2d_backward(x, args...);
  }
  template <typename T, typename... Args>
  static Tensor<T> groupnorm_forward(const Tensor<T>& x, const Args&... args) {
    return cpu::groupnorm_forward(x, args...);
  }
  template <typename T, typename... Args>
  static auto groupnorm_backward(const Tensor<T>& x, const Args&... args) {
    return cpu::groupnorm_backward(x, args...);
  }
};

}  // namespace

DropoutParams dropout_params(const DropoutStep& step, const RunOptions& options, const Shape& shape) {
  const std::int64_t images = shape.at(0);
  const auto units_per_image = static_cast<std::uint64_t>(images == 0 ? 0 : element_count(shape) / images);
  return dropout_params(step, options.seed, options.step, options.training, options.first_image * units_per_image);
}

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
void update_running_statistics(const Plan& plan, const Activations<T>& forward, Parameters<T>& parameters) {
  for (const BatchStatistics<T>& batch : forward.batch_statistics) {
    const Step& step = plan.steps.at(batch.step);
    const auto* bn = std::get_if<BatchNormStep>(&step.op);
    if (bn == nullptr) {
      throw std::invalid_argument("update_running_statistics: expected a batchnorm step, got " + step.name);
    }
    LayerTensors<T>& layer = parameters.at(static_cast<std::size_t>(bn->parameters));
    cpu::update_running_statistics(layer.running_mean, layer.running_var, batch.mean, batch.variance,
                                   batch.count_per_channel, bn->params);
  }
}

template <typename T>
Activations<T> reference_forward(const Plan& plan, const Parameters<T>& parameters, Tensor<T> x,
                                 const RunOptions& options) {
  return cpu_executor::run_forward<ReferenceOps>(plan, parameters, std::move(x), options);
}

template <typename T>
Tensor<T> reference_step_forward(const Plan& plan, std::size_t index, const Tensor<T>& x,
                                 const Parameters<T>& parameters, const RunOptions& options) {
  std::vector<BatchStatistics<T>> statistics;  // a batch normalization's, not needed here
  return cpu_executor::step_forward<ReferenceOps>(index, plan.steps.at(index), x, parameters, options, statistics);
}

template <typename T>
Gradients<T> reference_backward(const Plan& plan, const Parameters<T>& parameters, const Activations<T>& forward,
                                const Tensor<T>& grad_logits, const RunOptions& options,
                                const GradientsReady<T>& ready) {
  return cpu_executor::run_backward<ReferenceOps>(plan, parameters, forward, grad_logits, options, ready);
}

template void update_running_statistics(const Plan&, const Activations<float>&, Parameters<float>&);
template void update_running_statistics(const Plan&, const Activations<double>&, Parameters<double>&);
template Activations<float> reference_forward(const Plan&, const Parameters<float>&, Tensor<float>,
                                              const RunOptions&);
template Activations<double> reference_forward(const Plan&, const Parameters<double>&, Tensor<double>,
                                               const RunOptions&);
template Tensor<float> reference_step_forward(const Plan&, std::size_t, const Tensor<float>&,
                                               const Parameters<float>&, const RunOptions&);
template Gradients<float> reference_backward(const Plan&, const Parameters<float>&, const Activations<float>&,
                                             const Tensor<float>&, const RunOptions&, const GradientsReady<float>&);
template Gradients<double> reference_backward(const Plan&, const Parameters<double>&, const Activations<double>&,
                                              const Tensor<double>&, const RunOptions&, const GradientsReady<double>&);

}  // namespace alexnet
