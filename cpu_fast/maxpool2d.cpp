#include "cpu_fast/maxpool2d.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "cpu_fast/simd.hpp"

namespace alexnet::fast {

namespace {

// Whether v, met later in the reference's row-major scan of a window, replaces `best`, the winner so far: a NaN
// replaces a number, a larger number a smaller one, and nothing replaces a NaN (the first NaN, else the first
// maximum: cpu::window_argmax's rules).
inline bool replaces(float v, float best) { return v > best || (v != v && best == best); }

// The windows of a stack of planes (consecutive planes of x, across images: B planes of H × W are one array of
// B·H·W floats), found by two passes that are each one long loop over contiguous floats, loops the compiler
// vectorises. A loop per row of windows would not pay: the networks' rows hold 3 to 27 windows, too short for a
// vector loop to outweigh its set-up and tail.
//
//  1. Along the rows: at every position q, the winner of x[q], x[q + 1], …, x[q + K − 1] (and which dw it is).
//  2. Down the columns: at every position q, the winner of pass 1's results at q, q + W, …, q + (K − 1)·W.
// Pass 2's result at q = (b·H + S·i)·W + S·j is then the winner of window (i, j) of plane b; at the positions in
// between (S − 1 of every S columns and rows, and those whose "window" runs past a row's or a plane's end) the
// passes compute values no one reads — S² times the comparisons a window needs, cheaper than skipping them.
// Both passes scan as the reference does — each row left to right, then the rows top to bottom, a later value
// winning only by `replaces` — so the winner is cpu::window_argmax's, ties and NaNs included.
class StackWindows {
 public:
  // For stacks of up to `planes` planes of x [N, C, H, W] whose windows give y [N, C, H_out, W_out].
  StackWindows(const Shape& x, const Shape& y, std::int64_t planes, Pool2dParams params)
      : width_(x[3]), plane_(x[2] * x[3]), kernel_(params.kernel), along_(planes * plane_), down_(along_.size()),
        along_tap_(along_.size()), down_tap_(along_.size()) {
    for (std::int64_t i = 0; i < y[2]; ++i) {
      for (std::int64_t j = 0; j < y[3]; ++j) {
        corners_.push_back(static_cast<std::int32_t>(params.stride * (i * width_ + j)));
      }
    }
  }

  // Finds the windows of `planes` planes from `x`; with `taps`, also where each winner sits.
  void find(const float* x, std::int64_t planes, bool taps) {
    if (kernel_ == 3) {
      find_with<3>(x, planes, taps);
    } else {
      find_with<0>(x, planes, taps);
    }
  }
  // Window k's corner (k = i·W_out + j) as an offset into its plane, for the windows in the reference's order.
  const std::vector<std::int32_t>& corners() const { return corners_; }
  // The winning value of the window whose top-left corner is at `corner` of the stack.
  float value(std::int64_t corner) const { return down_[corner]; }
  // That window's winner as an offset into the stack (after find(x, planes, true)).
  std::int64_t argmax(std::int64_t corner) const { return corner + down_tap_[corner]; }

 private:
  // K > 0: the window's size known to the compiler — the networks' 3, for which each position's K values are
  // compared in registers and the loop over positions is vectorised; K = 0: kernel_, a loop the compiler does not
  // vectorise (no network pools with it; the tests check it).
  template <int K>
  void find_with(const float* x, std::int64_t planes, bool taps) {
    const int kernel = K > 0 ? K : kernel_;
    const std::int64_t along = planes * plane_ - (kernel - 1);  // positions whose K values lie in the stack
    if (taps) {
      best_along_rows<K, true>(x, along);
      best_down_columns<K, true>(along - (kernel - 1) * width_);
    } else {
      best_along_rows<K, false>(x, along);
      best_down_columns<K, false>(along - (kernel - 1) * width_);
    }
  }

  template <int K, bool kTaps>
  void best_along_rows(const float* x, std::int64_t count) {
    const int kernel = K > 0 ? K : kernel_;
    float* best = along_.data();
    std::int32_t* tap = along_tap_.data();
    for (std::int64_t q = 0; q < count; ++q) {
      float winner = x[q];
      std::int32_t at = 0;
      for (int dw = 1; dw < kernel; ++dw) {
        const bool wins = replaces(x[q + dw], winner);
        winner = wins ? x[q + dw] : winner;
        at = wins ? dw : at;
      }
      best[q] = winner;
      if (kTaps) tap[q] = at;
    }
  }

  template <int K, bool kTaps>
  void best_down_columns(std::int64_t count) {
    const int kernel = K > 0 ? K : kernel_;
    const std::int64_t width = width_;
    const float* along = along_.data();
    const std::int32_t* along_tap = along_tap_.data();
    float* best = down_.data();
    std::int32_t* tap = down_tap_.data();
    for (std::int64_t q = 0; q < count; ++q) {
      float winner = along[q];
      std::int32_t at = kTaps ? along_tap[q] : 0;
      for (int dh = 1; dh < kernel; ++dh) {
        const std::int64_t below = q + dh * width;
        const bool wins = replaces(along[below], winner);
        winner = wins ? along[below] : winner;
        if (kTaps) at = wins ? static_cast<std::int32_t>(dh * width) + along_tap[below] : at;
      }
      best[q] = winner;
      if (kTaps) tap[q] = at;
    }
  }

  std::int64_t width_, plane_;
  int kernel_;
  std::vector<std::int32_t> corners_;
  std::vector<float> along_, down_;
  std::vector<std::int32_t> along_tap_, down_tap_;  // dh·W + dw of each winner: its offset from its window's corner
};

// Floats handed to StackWindows at once: as many whole planes as fit (at least one).
constexpr std::int64_t kStackFloats = 2048;

// A winner's offset from its window's corner, (K − 1)·W + K − 1 at most, and a plane's corners must fit 32 bits.
void require_offsets_fit(const char* op, const Shape& x) {
  if (x[2] * x[3] > std::numeric_limits<std::int32_t>::max()) {
    throw std::invalid_argument(std::string(op) + ": planes of " + std::to_string(x[2]) + " x " +
                                std::to_string(x[3]) + " put offsets in a plane beyond 32 bits");
  }
}

// The N·C planes of x in stacks of per_stack consecutive planes, the last one perhaps fewer.
struct Stacks {
  std::int64_t planes, per_stack, count;
  explicit Stacks(const Shape& x)
      : planes(x[0] * x[1]), per_stack(std::max<std::int64_t>(1, kStackFloats / (x[2] * x[3]))),
        count((planes + per_stack - 1) / per_stack) {}
  std::int64_t first(std::int64_t s) const { return s * per_stack; }
  std::int64_t size(std::int64_t s) const { return std::min(per_stack, planes - first(s)); }
};

}  // namespace

ALEXNET_SIMD_CLONES TensorF maxpool2d_forward(const TensorF& x, Pool2dParams params) {
  const Shape y_shape = maxpool2d_output_shape("fast::maxpool2d_forward", x.shape(), params);
  if (element_count(y_shape) == 0) return TensorF(y_shape);
  require_offsets_fit("fast::maxpool2d_forward", x.shape());
  TensorF y = TensorF::uninitialized(y_shape);
  const std::int64_t plane = x.dim(2) * x.dim(3), out_plane = y.dim(2) * y.dim(3);
  const Stacks stacks(x.shape());
#pragma omp parallel
  {
    StackWindows windows(x.shape(), y.shape(), stacks.per_stack, params);  // each thread's own buffers
    const std::int32_t* corners = windows.corners().data();
#pragma omp for schedule(static)
    for (std::int64_t s = 0; s < stacks.count; ++s) {
      windows.find(x.data() + stacks.first(s) * plane, stacks.size(s), false);
      float* out = y.data() + stacks.first(s) * out_plane;
      for (std::int64_t b = 0; b < stacks.size(s); ++b) {
        for (std::int64_t k = 0; k < out_plane; ++k) *out++ = windows.value(b * plane + corners[k]);
      }
    }
  }
  return y;
}

// Each window's gradient goes to its winner, added in the reference's order (windows row by row), so the sums
// where windows overlap are the reference's bit for bit.
ALEXNET_SIMD_CLONES TensorF maxpool2d_backward(const TensorF& x, const TensorF& grad_y, Pool2dParams params) {
  require_shape("fast::maxpool2d_backward", "grad_y",
                maxpool2d_output_shape("fast::maxpool2d_backward", x.shape(), params), grad_y.shape());
  if (grad_y.size() == 0) return TensorF(x.shape());  // no window: every gradient is zero
  require_offsets_fit("fast::maxpool2d_backward", x.shape());
  TensorF grad_x = TensorF::uninitialized(x.shape());  // zeroed a stack at a time, just before its sums
  const std::int64_t plane = x.dim(2) * x.dim(3), out_plane = grad_y.dim(2) * grad_y.dim(3);
  const Stacks stacks(x.shape());
#pragma omp parallel
  {
    StackWindows windows(x.shape(), grad_y.shape(), stacks.per_stack, params);
    const std::int32_t* corners = windows.corners().data();
#pragma omp for schedule(static)
    for (std::int64_t s = 0; s < stacks.count; ++s) {  // a plane's windows only reach that plane: no races
      windows.find(x.data() + stacks.first(s) * plane, stacks.size(s), true);
      const float* g = grad_y.data() + stacks.first(s) * out_plane;
      float* out = grad_x.data() + stacks.first(s) * plane;
      std::fill(out, out + stacks.size(s) * plane, 0.0f);
      for (std::int64_t b = 0; b < stacks.size(s); ++b) {
        for (std::int64_t k = 0; k < out_plane; ++k) out[windows.argmax(b * plane + corners[k])] += *g++;
      }
    }
  }
  return grad_x;
}

}  // namespace alexnet::fast
