#include "reference_cpu/lrn.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace alexnet {

LrnParams lrn_params(const LayerSpec& layer) {
  if (layer.kind != LayerKind::LocalResponseNorm) {
    throw std::invalid_argument("lrn_params: expected an lrn layer, got " + layer.name + " (" +
                                to_string(layer.kind) + ")");
  }
  LrnParams params;  // k, alpha, beta: the paper's
  params.size = layer.kernel;
  params.towers = layer.groups;
  return params;
}

void require_lrn_input(const std::string& op, const Shape& x, LrnParams params) {
  if (params.size < 1 || params.size % 2 == 0) {
    throw std::invalid_argument(op + ": expected an odd window size, got " + std::to_string(params.size));
  }
  if (x.size() != 4 || params.towers < 1 || x[1] % params.towers != 0) {
    throw std::invalid_argument(op + ": expected x [N, C, H, W] with C divisible into " +
                                std::to_string(params.towers) + " towers, got " + to_string(x));
  }
}

namespace cpu {
namespace {

// Channels first..last of window(c): c ± size/2, clipped at the edges of c's tower.
struct ChannelWindow {
  std::int64_t first, last;
};

ChannelWindow channel_window(std::int64_t c, std::int64_t channels, LrnParams params) {
  const std::int64_t per_tower = channels / params.towers;
  const std::int64_t tower_first = c / per_tower * per_tower, tower_last = tower_first + per_tower - 1;
  return {std::max(tower_first, c - params.size / 2), std::min(tower_last, c + params.size / 2)};
}

// d[n, c, h, w] = k + alpha · Σ_{c' in window(c)} x[n, c', h, w]²
template <typename T>
Tensor<T> lrn_denominators(const Tensor<T>& x, LrnParams params) {
  Tensor<T> d(x.shape());
  const std::int64_t batch = x.dim(0), channels = x.dim(1), plane = x.dim(2) * x.dim(3);
  for (std::int64_t n = 0; n < batch; ++n) {
    for (std::int64_t c = 0; c < channels; ++c) {
      const ChannelWindow window = channel_window(c, channels, params);
      for (std::int64_t s = 0; s < plane; ++s) {
        T sum_of_squares = 0;
        for (std::int64_t other = window.first; other <= window.last; ++other) {
          const T a = x[(n * channels + other) * plane + s];
          sum_of_squares += a * a;
        }
        d[(n * channels + c) * plane + s] = static_cast<T>(params.k) + static_cast<T>(params.alpha) * sum_of_squares;
      }
    }
  }
  return d;
}

}  // namespace

// x: [N, C, H, W] -> y: [N, C, H, W]
template <typename T>
Tensor<T> lrn_forward(const Tensor<T>& x, LrnParams params) {
  require_lrn_input("lrn_forward", x.shape(), params);
  const Tensor<T> d = lrn_denominators(x, params);
  Tensor<T> y(x.shape());
  for (std::int64_t i = 0; i < x.size(); ++i) y[i] = x[i] / std::pow(d[i], static_cast<T>(params.beta));
  return y;
}

// x, grad_y: [N, C, H, W] -> grad_x: [N, C, H, W]
template <typename T>
Tensor<T> lrn_backward(const Tensor<T>& x, const Tensor<T>& grad_y, LrnParams params) {
  require_lrn_input("lrn_backward", x.shape(), params);
  require_shape("lrn_backward", "grad_y", x.shape(), grad_y.shape());
  const Tensor<T> d = lrn_denominators(x, params);
  const T beta = static_cast<T>(params.beta);
  Tensor<T> grad_x(x.shape());
  const std::int64_t batch = x.dim(0), channels = x.dim(1), plane = x.dim(2) * x.dim(3);
  for (std::int64_t n = 0; n < batch; ++n) {
    for (std::int64_t j = 0; j < channels; ++j) {
      // The channels c whose window holds j are exactly window(j): both mean |c − j| <= size/2 in one tower.
      const ChannelWindow window = channel_window(j, channels, params);
      for (std::int64_t s = 0; s < plane; ++s) {
        const std::int64_t at_j = (n * channels + j) * plane + s;
        T through_denominators = 0;  // Σ_c g_c · a_c / d_c^(β+1)
        for (std::int64_t c = window.first; c <= window.last; ++c) {
          const std::int64_t at_c = (n * channels + c) * plane + s;
          through_denominators += grad_y[at_c] * x[at_c] / std::pow(d[at_c], beta + 1);
        }
        grad_x[at_j] = grad_y[at_j] / std::pow(d[at_j], beta) -
                       2 * static_cast<T>(params.alpha) * beta * x[at_j] * through_denominators;
      }
    }
  }
  return grad_x;
}

// float for the network and CUDA comparisons, double for gradient checks.
template Tensor<float> lrn_forward(const Tensor<float>&, LrnParams);
template Tensor<double> lrn_forward(const Tensor<double>&, LrnParams);
template Tensor<float> lrn_backward(const Tensor<float>&, const Tensor<float>&, LrnParams);
template Tensor<double> lrn_backward(const Tensor<double>&, const Tensor<double>&, LrnParams);

}  // namespace cpu
}  // namespace alexnet
