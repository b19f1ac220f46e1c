#include "network/fast_network.hpp"

#include "cpu_fast/batchnorm2d.hpp"
#include "cpu_fast/conv2d.hpp"
#include "cpu_fast/dropout.hpp"
#include "cpu_fast/groupnorm.hpp"
#include "cpu_fast/linear.hpp"
#include "cpu_fast/lrn.hpp"
#include "cpu_fast/maxpool2d.hpp"
#include "cpu_fast/relu.hpp"
#include "network/cpu_executor.hpp"

namespace alexnet {
namespace {

// The fast backend: alexnet::fast (im2col + SGEMM, OpenMP), with the reference's signatures.
struct FastOps {
  static TensorF conv2d_forward(const TensorF& x, const TensorF& w, const TensorF& b, Conv2dParams p) {
    return fast::conv2d_forward(x, w, b, p);
  }
  static cpu::Conv2dGradients<float> conv2d_backward(const TensorF& x, const TensorF& w, const TensorF& g,
                                                     Conv2dParams p, bool input_gradient) {
    return fast::conv2d_backward(x, w, g, p, input_gradient);
  }
  static TensorF relu_forward(const TensorF& x) { return fast::relu_forward(x); }
  static TensorF relu_backward(const TensorF& x, TensorF g) { return fast::relu_backward(x, std::move(g)); }
  static TensorF lrn_forward(const TensorF& x, LrnParams p) { return fast::lrn_forward(x, p); }
  static TensorF lrn_backward(const TensorF& x, TensorF g, LrnParams p) {
    return fast::lrn_backward(x, std::move(g), p);
  }
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
  static TensorF dropout_backward(TensorF g, const DropoutParams& p) {
    return fast::dropout_backward(std::move(g), p);
  }
  static BatchNormForward<float> batchnorm2d_forward_training(const TensorF& x, const TensorF& gamma,
                                                              const TensorF& beta, BatchNormParams p) {
    return fast::batchnorm2d_forward_training(x, gamma, beta, p);
  }
  static TensorF batchnorm2d_forward_inference(const TensorF& x, const TensorF& gamma, const TensorF& beta,
                                               const TensorF& mean, const TensorF& var, BatchNormParams p) {
    return fast::batchnorm2d_forward_inference(x, gamma, beta, mean, var, p);
  }
  static NormGradients<float> batchnorm2d_backward(const TensorF& x, const TensorF& gamma, TensorF g,
                                                   BatchNormParams p) {
    return fast::batchnorm2d_backward(x, gamma, std::move(g), p);
  }
  static TensorF groupnorm_forward(const TensorF& x, const TensorF& gamma, const TensorF& beta, GroupNormParams p) {
    return fast::groupnorm_forward(x, gamma, beta, p);
  }
  static NormGradients<float> groupnorm_backward(const TensorF& x, const TensorF& gamma, TensorF g,
                                                 GroupNormParams p) {
    return fast::groupnorm_backward(x, gamma, std::move(g), p);
  }
};

}  // namespace

Activations<float> fast_forward(const Plan& plan, const Parameters<float>& parameters, TensorF x,
                                const RunOptions& options) {
  return cpu_executor::run_forward<FastOps>(plan, parameters, std::move(x), options);
}

Gradients<float> fast_backward(const Plan& plan, const Parameters<float>& parameters, const Activations<float>& forward,
                               const TensorF& grad_logits, const RunOptions& options,
                               const GradientsReady<float>& ready) {
  return cpu_executor::run_backward<FastOps>(plan, parameters, forward, grad_logits, options, ready);
}

}  // namespace alexnet
