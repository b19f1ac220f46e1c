#include "reference_cpu/lrn.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace alexnet {

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

// Flat indices first, first + step, ..., last of the elements of window(c) at one
// (n, h, w): channels c ± size/2, clipped at the edges of c's tower.
struct WindowIndices {
  std::int64_t first, last, step;
};

// Calls visit(at, window) for every element of an [N, C, H, W] tensor: `at` is its
// flat index, `window` the flat indices of its channel's window at the same (n, h, w).
template <typename Visit>
void for_each_window(const Shape& x, LrnParams params, Visit&& visit) {
  const std::int64_t batch = x[0], channels = x[1], plane = x[2] * x[3];
  const std::int64_t per_tower = channels / params.towers;
  for (std::int64_t n = 0; n < batch; ++n) {
    for (std::int64_t c = 0; c < channels; ++c) {
      const std::int64_t tower_first = c / per_tower * per_tower, tower_last = tower_first + per_tower - 1;
      const std::int64_t first = std::max(tower_first, c - params.size / 2);
      const std::int64_t last = std::min(tower_last, c + params.size / 2);
      for (std::int64_t s = 0; s < plane; ++s) {
        visit((n * channels + c) * plane + s,
              WindowIndices{(n * channels + first) * plane + s, (n * channels + last) * plane + s, plane});
      }
    }
  }
}

// d[n, c, h, w] = k + alpha · Σ_{c' in window(c)} x[n, c', h, w]², summed in increasing c'
template <typename T>
Tensor<T> lrn_denominators(const Tensor<T>& x, LrnParams params) {
  Tensor<T> d(x.shape());
  for_each_window(x.shape(), params, [&](std::int64_t at, WindowIndices window) {
    T sum_of_squares = 0;
    for (std::int64_t i = window.first; i <= window.last; i += window.step) sum_of_squares += x[i] * x[i];
    d[at] = static_cast<T>(params.k) + static_cast<T>(params.alpha) * sum_of_squares;
  });
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
  const T alpha = static_cast<T>(params.alpha), beta = static_cast<T>(params.beta);
  Tensor<T> grad_x(x.shape());
  // The channels c whose window holds j are exactly window(j): both mean |c − j| <= size/2 in one tower.
  for_each_window(x.shape(), params, [&](std::int64_t j, WindowIndices window) {
    T through_denominators = 0;  // Σ_c g_c · a_c / d_c^(β+1)
    for (std::int64_t c = window.first; c <= window.last; c += window.step) {
      through_denominators += grad_y[c] * x[c] / std::pow(d[c], beta + 1);
    }
    grad_x[j] = grad_y[j] / std::pow(d[j], beta) - 2 * alpha * beta * x[j] * through_denominators;
  });
  return grad_x;
}

// float for the network and CUDA comparisons, double for gradient checks.
template Tensor<float> lrn_forward(const Tensor<float>&, LrnParams);
template Tensor<double> lrn_forward(const Tensor<double>&, LrnParams);
template Tensor<float> lrn_backward(const Tensor<float>&, const Tensor<float>&, LrnParams);
template Tensor<double> lrn_backward(const Tensor<double>&, const Tensor<double>&, LrnParams);

}  // namespace cpu
}  // namespace alexnet
