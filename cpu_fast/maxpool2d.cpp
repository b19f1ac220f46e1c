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

// One plane's windows, found by three passes that are each one long loop over contiguous floats — loops the
// compiler vectorises. A loop per row of windows would not pay: the mini network's rows hold 15 or 7 windows, too
// short for the vector loop to outweigh its set-up and tail.
//
//  1. Split the columns by their phase modulo S: phase p holds columns p, p + S, p + 2S, … of every row, rows
//     `pitch` = ⌈W/S⌉ apart. Window j's column S·j + dw is then phase (dw mod S) at j + ⌊dw/S⌋: for fixed dw,
//     the windows of all rows read one contiguous run.
//  2. Along the rows: for every row h and every j < pitch at once, the winner of window j's K columns in that row
//     (and which dw it sits at). Entries j ≥ W_out are computed too and never read.
//  3. Down the columns: for every row h that can start a window, the winner of rows h … h + K − 1 of pass 2's
//     results; the output row i is the row h = S·i (rows in between are computed and never read).
// The "plane" may be several planes stacked (consecutive in memory, so B planes of H rows are one of B·H rows):
// a window of plane q starts at row q·H + S·i and ends inside plane q, so the windows the caller reads never
// straddle two planes, and the passes run over B times as many floats at once.
// Both passes scan as the reference does — each row left to right, then the rows top to bottom, a later value
// winning only by `replaces` — so the winner is cpu::window_argmax's, ties and NaNs included.
class PlaneWindows {
 public:
  PlaneWindows(std::int64_t height, std::int64_t width, Pool2dParams params)
      : height_(height), width_(width), kernel_(params.kernel), stride_(params.stride),
        pitch_((width + stride_ - 1) / stride_),
        top_rows_(height - kernel_ + 1),
        phases_(static_cast<std::size_t>(stride_ * phase_size())), row_best_(cells(height_)),
        row_tap_(row_best_.size()), best_(cells(top_rows_)), tap_(best_.size()) {}

  // Finds every window's winner in `plane` [H, W]; with `taps`, also where it sits.
  void find(const float* plane, bool taps) {
    split_phases(plane);
    best_along_rows(taps);
    best_down_columns(taps);
  }
  // The winning value of the window whose top row is `row` and whose column is j.
  float value(std::int64_t row, std::int64_t j) const { return best_[cell(row, j)]; }
  // That window's winner as an index into the plane (after find(plane, true)).
  std::int64_t argmax(std::int64_t row, std::int64_t j) const {
    return row * width_ + j * stride_ + tap_[cell(row, j)];
  }

 private:
  // A phase: `height` rows of `pitch` columns, and ⌊(K−1)/S⌋ + 1 spare zeros read by the last row's unused entries.
  std::int64_t phase_size() const { return height_ * pitch_ + (kernel_ - 1) / stride_ + 1; }
  std::size_t cells(std::int64_t rows) const { return static_cast<std::size_t>(rows * pitch_); }
  std::size_t cell(std::int64_t row, std::int64_t j) const { return static_cast<std::size_t>(row * pitch_ + j); }
  float* phase(std::int64_t p) { return phases_.data() + p * phase_size(); }

  void split_phases(const float* plane) {
    for (int p = 0; p < stride_; ++p) {
      float* out = phase(p);
      for (std::int64_t h = 0; h < height_; ++h) {
        const float* in = plane + h * width_ + p;
        const std::int64_t inside = (width_ - p + stride_ - 1) / stride_;  // columns p + S·j < W
        if (stride_ == 2) {  // the network's stride, as a constant: the compiler vectorises the stride-2 load
          for (std::int64_t j = 0; j < inside; ++j) out[h * pitch_ + j] = in[2 * j];
        } else {
          for (std::int64_t j = 0; j < inside; ++j) out[h * pitch_ + j] = in[j * stride_];
        }
        for (std::int64_t j = inside; j < pitch_; ++j) out[h * pitch_ + j] = 0.0f;
      }
      for (std::int64_t q = height_ * pitch_; q < phase_size(); ++q) out[q] = 0.0f;
    }
  }

  void best_along_rows(bool taps) {
    const std::int64_t count = static_cast<std::int64_t>(row_best_.size());
    float* best = row_best_.data();
    std::int32_t* tap = row_tap_.data();
    const float* first = phase(0);
    for (std::int64_t q = 0; q < count; ++q) best[q] = first[q];
    if (taps) std::fill(tap, tap + count, 0);
    for (int dw = 1; dw < kernel_; ++dw) {
      const float* column = phase(dw % stride_) + dw / stride_;
      if (taps) {
        for (std::int64_t q = 0; q < count; ++q) {
          const bool wins = replaces(column[q], best[q]);
          best[q] = wins ? column[q] : best[q];
          tap[q] = wins ? dw : tap[q];
        }
      } else {
        for (std::int64_t q = 0; q < count; ++q) best[q] = replaces(column[q], best[q]) ? column[q] : best[q];
      }
    }
  }

  void best_down_columns(bool taps) {
    const std::int64_t count = static_cast<std::int64_t>(best_.size());
    float* best = best_.data();
    std::int32_t* tap = tap_.data();
    std::copy(row_best_.begin(), row_best_.begin() + count, best);
    if (taps) std::copy(row_tap_.begin(), row_tap_.begin() + count, tap);
    const auto row_pitch = static_cast<std::int32_t>(width_);
    for (int dh = 1; dh < kernel_; ++dh) {
      const float* below = row_best_.data() + dh * pitch_;
      const std::int32_t* below_tap = row_tap_.data() + dh * pitch_;
      if (taps) {
        for (std::int64_t q = 0; q < count; ++q) {
          const bool wins = replaces(below[q], best[q]);
          best[q] = wins ? below[q] : best[q];
          tap[q] = wins ? dh * row_pitch + below_tap[q] : tap[q];
        }
      } else {
        for (std::int64_t q = 0; q < count; ++q) best[q] = replaces(below[q], best[q]) ? below[q] : best[q];
      }
    }
  }

  std::int64_t height_, width_;
  int kernel_, stride_;
  std::int64_t pitch_, top_rows_;
  std::vector<float> phases_, row_best_;
  std::vector<std::int32_t> row_tap_;
  std::vector<float> best_;
  std::vector<std::int32_t> tap_;  // dh·W + dw of each winner: its offset from its window's top-left corner
};

// Planes handed to PlaneWindows at once: the most that divide C and hold at most kStackFloats together (1 when
// one plane is larger). The mini network's pool5 stacks 32 planes of 7 × 7, pool2 16 of 15 × 15.
constexpr std::int64_t kStackFloats = 2048;

// A winner's offset from its window's corner, (K − 1)·W + K − 1 at most, must fit the 32 bits PlaneWindows keeps.
void require_offsets_fit(const char* op, const Shape& x, Pool2dParams params) {
  if ((params.kernel - 1) * x[3] + params.kernel > std::numeric_limits<std::int32_t>::max()) {
    throw std::invalid_argument(std::string(op) + ": planes " + std::to_string(x[3]) + " wide with " +
                                std::to_string(params.kernel) + " x " + std::to_string(params.kernel) +
                                " windows put a winner's offset beyond 32 bits");
  }
}

std::int64_t planes_per_stack(const Shape& x) {
  const std::int64_t channels = x[1], plane = x[2] * x[3];
  std::int64_t stack = 1;
  for (std::int64_t b = 2; b <= channels && b * plane <= kStackFloats; ++b) {
    if (channels % b == 0) stack = b;
  }
  return stack;
}

}  // namespace

ALEXNET_SIMD_CLONES TensorF maxpool2d_forward(const TensorF& x, Pool2dParams params) {
  TensorF y = TensorF::uninitialized(maxpool2d_output_shape("fast::maxpool2d_forward", x.shape(), params));
  if (y.size() == 0) return y;
  require_offsets_fit("fast::maxpool2d_forward", x.shape(), params);
  const std::int64_t height = x.dim(2), width = x.dim(3), out_height = y.dim(2), out_width = y.dim(3);
  const std::int64_t stack = planes_per_stack(x.shape()), stacks = x.dim(0) * x.dim(1) / stack;
#pragma omp parallel
  {
    PlaneWindows windows(stack * height, width, params);  // each thread's own buffers
#pragma omp for schedule(static)
    for (std::int64_t s = 0; s < stacks; ++s) {
      windows.find(x.data() + s * stack * height * width, false);
      float* out = y.data() + s * stack * out_height * out_width;
      for (std::int64_t q = 0; q < stack; ++q) {
        for (std::int64_t i = 0; i < out_height; ++i) {
          for (std::int64_t j = 0; j < out_width; ++j) *out++ = windows.value(q * height + i * params.stride, j);
        }
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
  require_offsets_fit("fast::maxpool2d_backward", x.shape(), params);
  TensorF grad_x = TensorF::uninitialized(x.shape());  // zeroed a stack at a time, just before its sums
  const std::int64_t height = x.dim(2), width = x.dim(3), out_height = grad_y.dim(2), out_width = grad_y.dim(3);
  const std::int64_t stack = planes_per_stack(x.shape()), stacks = x.dim(0) * x.dim(1) / stack;
#pragma omp parallel
  {
    PlaneWindows windows(stack * height, width, params);
#pragma omp for schedule(static)
    for (std::int64_t s = 0; s < stacks; ++s) {  // a plane's windows only reach that plane: no races
      windows.find(x.data() + s * stack * height * width, true);
      const float* g = grad_y.data() + s * stack * out_height * out_width;
      float* out = grad_x.data() + s * stack * height * width;
      std::fill(out, out + stack * height * width, 0.0f);
      for (std::int64_t q = 0; q < stack; ++q) {
        for (std::int64_t i = 0; i < out_height; ++i) {
          for (std::int64_t j = 0; j < out_width; ++j) out[windows.argmax(q * height + i * params.stride, j)] += *g++;
        }
      }
    }
  }
  return grad_x;
}

}  // namespace alexnet::fast
