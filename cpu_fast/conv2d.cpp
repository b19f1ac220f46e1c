#include "cpu_fast/conv2d.hpp"

#include <cblas.h>
#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "cpu_fast/simd.hpp"
#include "cpu_fast/threads.hpp"
#include "cpu_fast/workspace.hpp"
#include "reference_cpu/timer.hpp"

namespace alexnet::fast {
namespace {

// A convolution that keeps the plane's size: stride 1 and H_out × W_out = H × W, as every convolution after CONV1
// in both networks. Tap (kh, kw) then reads the plane shifted by (kh − P)·W + kw − P floats, and one image's part
// of a col row is one contiguous run of the plane — except where the input row is in the top or bottom padding,
// and in the |kw − P| columns on one side whose input column is in the left or right padding, where the shifted
// run reads the neighbouring row (those entries are zeros). One pass, or one add, per tap instead of one per row.
struct ShiftedTap {
  std::int64_t shift;       // position q of the col row reads the plane at q + shift
  std::int64_t begin, end;  // the positions whose input row is inside the plane (and q + shift too)
  const float* inside;      // [H·W]: 1 where the input column of q is inside the plane, 0 where it is padding
};

// The taps of a convolution that keeps the size, worked out once per call: taps[kh·K + kw], and for each kw the
// flags `inside` of its columns (an input column depends on kw alone).
struct ShiftedTaps {
  std::vector<ShiftedTap> taps;
  std::vector<float> inside;  // [K, H·W]
};

// The extents of one convolution, read from the shapes once, and its shifted taps when it keeps the size.
struct Geometry {
  int batch, channels, height, width;          // x: [N, C_in, H, W]
  int out_channels, kernel, out_height, out_width;
  int stride, pad, groups;
  ShiftedTaps shifted;                         // empty unless keeps_size()
  int group_channels() const { return channels / groups; }           // C_in/g
  int group_outputs() const { return out_channels / groups; }        // C_out/g
  int patch() const { return group_channels() * kernel * kernel; }   // rows of col: C_in/g·K·K
  int positions() const { return out_height * out_width; }           // columns of col
  bool keeps_size() const { return stride == 1 && out_height == height && out_width == width; }
};

ShiftedTaps shifted_taps(const Geometry& g) {
  const std::int64_t width = g.width, positions = g.positions();
  ShiftedTaps shifted{{}, std::vector<float>(static_cast<std::size_t>(g.kernel * positions))};
  for (int kw = 0; kw < g.kernel; ++kw) {
    const int dw = kw - g.pad;  // column ow reads input column ow + dw
    for (std::int64_t q = 0; q < positions; ++q) {
      const std::int64_t column = q % width + dw;
      shifted.inside[static_cast<std::size_t>(kw * positions + q)] = column >= 0 && column < width ? 1.0f : 0.0f;
    }
  }
  for (int kh = 0; kh < g.kernel; ++kh) {
    for (int kw = 0; kw < g.kernel; ++kw) {
      const std::int64_t dh = kh - g.pad, shift = dh * width + kw - g.pad;
      const std::int64_t begin = std::min(std::max(std::max<std::int64_t>(0, -dh) * width, -shift), positions);
      const std::int64_t end = std::min(std::min<std::int64_t>(g.height, g.height - dh) * width, positions - shift);
      shifted.taps.push_back({shift, begin, std::max(begin, end), shifted.inside.data() + kw * positions});
    }
  }
  return shifted;
}

Geometry geometry(const Shape& x, const Shape& weight, const Shape& y, Conv2dParams params) {
  Geometry g{static_cast<int>(x[0]), static_cast<int>(x[1]),      static_cast<int>(x[2]),
             static_cast<int>(x[3]), static_cast<int>(weight[0]), static_cast<int>(weight[2]),
             static_cast<int>(y[2]), static_cast<int>(y[3]),      params.stride,
             params.pad,             params.groups,               {}};
  if (g.keeps_size()) g.shifted = shifted_taps(g);
  return g;
}

// The output columns ow whose input column ow·S − P + kw lies inside the image, [begin, end): the same for every
// row of windows, so the loops below copy that range without a test per value and fill the rest with zeros.
struct Inside {
  int begin, end;
};
Inside inside_columns(const Geometry& g, int kw) {
  const int reach = g.pad - kw;  // ow·S ≥ reach and ow·S < W + reach
  const int begin = reach <= 0 ? 0 : (reach + g.stride - 1) / g.stride;
  const int end = std::min(g.out_width, (g.width + reach + g.stride - 1) / g.stride);
  return {std::min(begin, g.out_width), std::max(end, std::min(begin, g.out_width))};
}

// One image's part of a col row of a shifted tap: zeros outside [begin, end), the plane's values shifted inside it
// but in the padding columns. A select, not a multiply by the flag: 0·∞ would be NaN.
inline void copy_shifted(const float* plane, const ShiftedTap& tap, std::int64_t positions, float* out) {
  const float* from = plane + tap.shift;
  for (std::int64_t q = 0; q < tap.begin; ++q) out[q] = 0.0f;
  for (std::int64_t q = tap.begin; q < tap.end; ++q) out[q] = tap.inside[q] != 0.0f ? from[q] : 0.0f;
  for (std::int64_t q = tap.end; q < positions; ++q) out[q] = 0.0f;
}

// Its adjoint: the entries of a ∂col row inside [begin, end) and not in the padding columns added back.
inline void add_shifted(const float* in, const ShiftedTap& tap, float* plane) {
  float* to = plane + tap.shift;
  for (std::int64_t q = tap.begin; q < tap.end; ++q) to[q] += tap.inside[q] != 0.0f ? in[q] : 0.0f;
}

// col[(c·K + kh)·K + kw][oh·W_out + ow] = x[c, oh·S − P + kh, ow·S − P + kw], 0 in the padding,
// for the C_in/g channels of one image and group at `x` ([C_in/g, H, W]); col's rows are `ld` floats apart.
// Called from a thread that works through its own run of images (the mini network's), it runs on that thread
// alone without opening a region of its own: a nested region of one thread cost the mini network's training step
// about 5 % (44 against 46 ms on the course's 2-core Xeon), and col2im's the same.
ALEXNET_SIMD_CLONES void im2col(const float* x, const Geometry& g, float* col, std::int64_t ld) {
  const int taps = g.kernel * g.kernel;
#pragma omp parallel for schedule(static) if (!omp_in_parallel())
  for (int row = 0; row < g.patch(); ++row) {
    const int c = row / taps, kh = row % taps / g.kernel, kw = row % g.kernel;
    const float* plane = x + static_cast<std::int64_t>(c) * g.height * g.width;
    float* out = col + row * ld;
    if (g.keeps_size()) {
      copy_shifted(plane, g.shifted.taps[static_cast<std::size_t>(row % taps)], g.positions(), out);
      continue;
    }
    const Inside inside = inside_columns(g, kw);
    for (int oh = 0; oh < g.out_height; ++oh) {
      float* out_row = out + oh * g.out_width;
      const int ih = oh * g.stride - g.pad + kh;
      if (ih < 0 || ih >= g.height) {
        std::fill(out_row, out_row + g.out_width, 0.0f);
        continue;
      }
      const float* in_row = plane + ih * g.width;
      const int shift = kw - g.pad;  // column ow's input is in_row[ow·S + shift]
      std::fill(out_row, out_row + inside.begin, 0.0f);
      if (g.stride == 1) {
        std::copy(in_row + inside.begin + shift, in_row + inside.end + shift, out_row + inside.begin);
      } else {
        for (int ow = inside.begin; ow < inside.end; ++ow) out_row[ow] = in_row[ow * g.stride + shift];
      }
      std::fill(out_row + inside.end, out_row + g.out_width, 0.0f);
    }
  }
}

// The adjoint of im2col: every entry of col (rows `ld` floats apart) is added back to the input element it was
// copied from, tap by tap. One thread per channel, so no two threads add into the same element. For a convolution
// that keeps the size, each tap is one pass over its shifted run.
ALEXNET_SIMD_CLONES void col2im(const float* col, const Geometry& g, float* x, std::int64_t ld) {
  const int taps = g.kernel * g.kernel;
#pragma omp parallel for schedule(static) if (!omp_in_parallel())
  for (int c = 0; c < g.group_channels(); ++c) {
    float* plane = x + static_cast<std::int64_t>(c) * g.height * g.width;
    std::fill(plane, plane + g.height * g.width, 0.0f);
    for (int tap = 0; tap < taps; ++tap) {
      const int kh = tap / g.kernel, kw = tap % g.kernel;
      const float* in = col + (c * taps + tap) * ld;
      if (g.keeps_size()) {
        add_shifted(in, g.shifted.taps[static_cast<std::size_t>(tap)], plane);
        continue;
      }
      const Inside inside = inside_columns(g, kw);
      for (int oh = 0; oh < g.out_height; ++oh) {
        const int ih = oh * g.stride - g.pad + kh;
        if (ih < 0 || ih >= g.height) continue;
        float* out_row = plane + ih * g.width;
        const int shift = kw - g.pad;  // column ow's value goes to out_row[ow·S + shift]
        const float* in_row = in + oh * g.out_width;
        for (int ow = inside.begin; ow < inside.end; ++ow) out_row[ow * g.stride + shift] += in_row[ow];
      }
    }
  }
}

// Offsets of image n, group `group` in x, y and the weights.
std::int64_t x_offset(const Geometry& g, int n, int group) {
  return (static_cast<std::int64_t>(n) * g.channels + group * g.group_channels()) * g.height * g.width;
}
std::int64_t y_offset(const Geometry& g, int n, int group) {
  return (static_cast<std::int64_t>(n) * g.out_channels + group * g.group_outputs()) * g.positions();
}
std::int64_t weight_offset(const Geometry& g, int group) {
  return static_cast<std::int64_t>(group) * g.group_outputs() * g.patch();
}

// A run of images lowered side by side: images first … first + count − 1, image first + b in columns
// b·HW … b·HW + HW − 1 of one col matrix [C_in/g·K·K, count·HW] (HW = H_out·W_out), so that one GEMM serves them
// all.
// The mini network's planes are small (conv3–5: HW = 49), and a GEMM 49 columns wide runs far below SGEMM's rate.
struct Images {
  int first, count;
  std::int64_t columns(const Geometry& g) const { return static_cast<std::int64_t>(count) * g.positions(); }
};

void lower(const TensorF& x, const Geometry& g, Images images, int group, float* col) {
  for (int b = 0; b < images.count; ++b) {
    im2col(x.data() + x_offset(g, images.first + b, group), g, col + b * g.positions(), images.columns(g));
  }
}

// A group's rows of a run of images, between a tensor like y ([N, C_out, HW]) and a matrix [C_out/g, count·HW] of
// the images side by side: gathered into the matrix (∂y, backward), or scattered out of it with the bias added
// (y, forward).
void to_side_by_side(const float* y, const Geometry& g, Images images, int group, float* matrix) {
  const std::int64_t ld = images.columns(g), hw = g.positions();
  for (int b = 0; b < images.count; ++b) {
    for (int co = 0; co < g.group_outputs(); ++co) {
      const float* from = y + y_offset(g, images.first + b, group) + co * hw;
      std::copy(from, from + hw, matrix + co * ld + b * hw);
    }
  }
}
void from_side_by_side(const float* matrix, const float* bias, const Geometry& g, Images images, int group,
                       float* y) {
  const std::int64_t ld = images.columns(g), hw = g.positions();
  for (int b = 0; b < images.count; ++b) {
    for (int co = 0; co < g.group_outputs(); ++co) {
      const float* from = matrix + co * ld + b * hw;
      float* to = y + y_offset(g, images.first + b, group) + co * hw;
      const float add = bias[group * g.group_outputs() + co];
      for (std::int64_t p = 0; p < hw; ++p) to[p] = from[p] + add;
    }
  }
}

// y[n] = W · im2col(x[n]) + b for a run of images, group by group, through the scratch matrix `col`. One image:
// its rows of y get the bias first and the SGEMM adds onto them in place. Several: the SGEMM writes `product`
// [C_out/g, count·HW], copied into y with the bias.
void forward_images(const TensorF& x, const TensorF& weight, const TensorF& bias, const Geometry& g, Images images,
                    float* col, float* product, TensorF& y) {
  const std::int64_t columns = images.columns(g);
  for (int group = 0; group < g.groups; ++group) {
    lower(x, g, images, group, col);
    const bool in_place = images.count == 1;
    float* out = in_place ? y.data() + y_offset(g, images.first, group) : product;
    if (in_place) {
      for (int co = 0; co < g.group_outputs(); ++co) {
        std::fill_n(out + co * columns, columns, bias[group * g.group_outputs() + co]);
      }
    }
    // out [C_out/g, count·HW] (+)= W_g [C_out/g, C_in/g·K·K] · col [C_in/g·K·K, count·HW]
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, g.group_outputs(), static_cast<int>(columns), g.patch(),
                1.0f, weight.data() + weight_offset(g, group), g.patch(), col, static_cast<int>(columns),
                in_place ? 1.0f : 0.0f, out, static_cast<int>(columns));
    if (!in_place) from_side_by_side(product, bias.data(), g, images, group, y.data());
  }
}

// The backward of a run of images: grad_weight += ∂y · colᵀ, and ∂x = col2im(Wᵀ · ∂y) unless grad_x is null (not
// asked for). Several images: their ∂y rows are first copied side by side into `side`.
void backward_images(const TensorF& x, const TensorF& weight, const TensorF& grad_y, const Geometry& g,
                     Images images, float* col, float* grad_col, float* side, float* grad_weight, TensorF* grad_x) {
  const std::int64_t columns = images.columns(g);
  const int ld = static_cast<int>(columns);
  for (int group = 0; group < g.groups; ++group) {
    const float* dy = grad_y.data() + y_offset(g, images.first, group);
    if (images.count > 1) {
      to_side_by_side(grad_y.data(), g, images, group, side);
      dy = side;
    }
    lower(x, g, images, group, col);
    // ∂W_g [C_out/g, C_in/g·K·K] += ∂y_g [C_out/g, count·HW] · colᵀ [count·HW, C_in/g·K·K]
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, g.group_outputs(), g.patch(), ld, 1.0f, dy, ld, col, ld,
                1.0f, grad_weight + weight_offset(g, group), g.patch());
    if (grad_x == nullptr) continue;
    // ∂col [C_in/g·K·K, count·HW] = W_gᵀ · ∂y_g
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, g.patch(), ld, g.group_outputs(), 1.0f,
                weight.data() + weight_offset(g, group), g.patch(), dy, ld, 0.0f, grad_col, ld);
    for (int b = 0; b < images.count; ++b) {
      col2im(grad_col + b * g.positions(), g, grad_x->data() + x_offset(g, images.first + b, group), columns);
    }
  }
}

// Many small images (the mini network's): whole images per thread, each GEMM on one thread (OpenBLAS runs
// single-threaded inside an OpenMP region), no synchronisation between the small GEMMs. A few large images (the
// paper's at a small batch): one image at a time, every thread in each GEMM.
bool one_image_per_thread(const Geometry& g) { return g.batch >= 2 * threads(); }

// A run's GEMM should have about kColumns columns, and its col matrix no more than kColFloats floats (1 MB: the
// backward keeps col and ∂col, which must stay in the 2 MB L2 of the course's machine).
constexpr std::int64_t kColumns = 1024;
constexpr std::int64_t kColFloats = 256 * 1024;

// The runs' length when each thread takes whole images: a thread's images are shared out into runs of equal
// length, as few as give each run about kColumns columns within kColFloats. 1 for the paper's planes (its col
// matrices are larger than kColFloats already); for the mini network at batch 128 on 2 threads, 5 (conv2), 11 (conv3)
// and 16 (conv4, conv5).
int images_per_run(const Geometry& g) {
  if (!one_image_per_thread(g)) return 1;
  const std::int64_t per_thread = (g.batch + threads() - 1) / threads();
  const std::int64_t image_floats = static_cast<std::int64_t>(g.patch()) * g.positions();
  const std::int64_t wide_enough = (kColumns + g.positions() - 1) / g.positions();
  const std::int64_t within_cache = kColFloats / std::max<std::int64_t>(1, image_floats);
  const std::int64_t longest = std::max<std::int64_t>(1, std::min(wide_enough, within_cache));
  const std::int64_t runs = (per_thread + longest - 1) / longest;
  return static_cast<int>((per_thread + runs - 1) / runs);
}

// How a convolution's batch is lowered: its runs of images (`length` each but the last), whether each thread
// takes whole runs, and the scratch one run needs: col [C_in/g·K·K, length·HW] and, for runs of several images,
// a matrix [C_out/g, length·HW] of their outputs side by side.
struct Lowering {
  std::vector<Images> runs;
  bool per_thread;  // whole runs per thread (one_image_per_thread), else one image at a time on every thread
  std::size_t col_size, side_size;
  int run_count() const { return static_cast<int>(runs.size()); }
  std::size_t scratches() const { return per_thread ? static_cast<std::size_t>(threads()) : 1; }  // one a thread
};

Lowering lowering(const Geometry& g) {
  const int length = images_per_run(g);
  Lowering plan{{}, one_image_per_thread(g), 0, 0};
  for (int n = 0; n < g.batch; n += length) plan.runs.push_back({n, std::min(length, g.batch - n)});
  const std::size_t columns = static_cast<std::size_t>(length) * g.positions();
  plan.col_size = static_cast<std::size_t>(g.patch()) * columns;
  plan.side_size = length > 1 ? static_cast<std::size_t>(g.group_outputs()) * columns : 0;
  return plan;
}

// body(images, mine) on every run, shared out among the threads or one after another as one_image_per_thread says;
// `mine` numbers the scratch of the thread that runs it, 0 … scratches() − 1.
template <typename Body>
void for_each_run(const Lowering& plan, Body body) {
  if (plan.per_thread) {
#pragma omp parallel for schedule(static)
    for (int r = 0; r < plan.run_count(); ++r) body(plan.runs[static_cast<std::size_t>(r)], omp_get_thread_num());
  } else {
    for (const Images& images : plan.runs) body(images, 0);
  }
}

}  // namespace

ALEXNET_SIMD_CLONES TensorF conv2d_forward(const TensorF& x, const TensorF& weight, const TensorF& bias,
                                           Conv2dParams params) {
  TensorF y = TensorF::uninitialized(cpu::conv2d_output_shape(x.shape(), weight.shape(), bias.shape(), params));
  const Geometry g = geometry(x.shape(), weight.shape(), y.shape(), params);
  if (y.size() == 0) return y;
  const Lowering plan = lowering(g);
  const std::size_t per_scratch = plan.col_size + plan.side_size;
  float* scratch = workspace(0, per_scratch * plan.scratches());
  for_each_run(plan, [&](Images images, int mine) {
    float* col = scratch + per_scratch * static_cast<std::size_t>(mine);
    forward_images(x, weight, bias, g, images, col, col + plan.col_size, y);
  });
  return y;
}

ALEXNET_SIMD_CLONES cpu::Conv2dGradients<float> conv2d_backward(const TensorF& x, const TensorF& weight,
                                                                const TensorF& grad_y, Conv2dParams params,
                                                                bool input_gradient) {
  const Shape bias_shape{weight.shape().empty() ? 0 : weight.dim(0)};
  require_shape("fast::conv2d_backward", "grad_y",
                cpu::conv2d_output_shape(x.shape(), weight.shape(), bias_shape, params), grad_y.shape());
  if (grad_y.size() == 0) {  // no output: every gradient is zero
    return {input_gradient ? TensorF(x.shape()) : TensorF(), TensorF(weight.shape()), TensorF(bias_shape)};
  }
  // col2im writes every element of ∂x and the loop at the end every ∂b; ∂W is summed into, so it starts at zero.
  cpu::Conv2dGradients<float> grads{input_gradient ? TensorF::uninitialized(x.shape()) : TensorF(),
                                    TensorF(weight.shape()), TensorF::uninitialized(bias_shape)};
  const Geometry g = geometry(x.shape(), weight.shape(), grad_y.shape(), params);
  TensorF* grad_x = input_gradient ? &grads.input : nullptr;
  const Lowering plan = lowering(g);
  const std::size_t col_size = plan.col_size, per_scratch = 2 * col_size + plan.side_size;
  float* scratch = workspace(0, per_scratch * plan.scratches());
  // With whole runs per thread, each thread sums its images' ∂W in a buffer of its own; the buffers are added in
  // thread order afterwards, so the same thread count gives the same bits. Else the runs sum into ∂W itself.
  const auto weights = static_cast<std::size_t>(weight.size());
  float* partial = plan.per_thread ? workspace(1, weights * plan.scratches()) : grads.weight.data();
  if (plan.per_thread) std::fill(partial, partial + weights * plan.scratches(), 0.0f);
  for_each_run(plan, [&](Images images, int mine) {
    float* col = scratch + per_scratch * static_cast<std::size_t>(mine);
    backward_images(x, weight, grad_y, g, images, col, col + col_size, col + 2 * col_size,
                    partial + (plan.per_thread ? weights * static_cast<std::size_t>(mine) : 0), grad_x);
  });
  if (plan.per_thread) {
    for (std::size_t t = 0; t < plan.scratches(); ++t) {
      for (std::size_t i = 0; i < weights; ++i) grads.weight[static_cast<std::int64_t>(i)] += partial[weights * t + i];
    }
  }
  // ∂b: each image's plane of ∂y summed in vector lanes (one add after another would wait 4 cycles for each),
  // the images' sums added in order.
#pragma omp parallel for schedule(static)
  for (int co = 0; co < g.out_channels; ++co) {
    float sum = 0.0f;
    for (int n = 0; n < g.batch; ++n) {
      const float* dy = grad_y.data() + (static_cast<std::int64_t>(n) * g.out_channels + co) * g.positions();
      float plane = 0.0f;
#pragma omp simd reduction(+ : plane)
      for (int p = 0; p < g.positions(); ++p) plane += dy[p];
      sum += plane;
    }
    grads.bias[co] = sum;
  }
  return grads;
}

LoweringTimes time_lowering(const Shape& x_shape, const Shape& weight_shape, Conv2dParams params, int repeats) {
  const Shape bias_shape{weight_shape.at(0)};
  const Geometry g =
      geometry(x_shape, weight_shape, cpu::conv2d_output_shape(x_shape, weight_shape, bias_shape, params), params);
  const Lowering plan = lowering(g);
  const TensorF x(x_shape, 1.0f);
  TensorF grad_x = TensorF::uninitialized(x_shape);
  std::vector<float> cols(plan.col_size * plan.scratches(), 1.0f);  // a col matrix per scratch, as the convolutions
  const Spread im2col_ms = time_calls([&] {
    for_each_run(plan, [&](Images images, int mine) {
      float* col = cols.data() + plan.col_size * static_cast<std::size_t>(mine);
      for (int group = 0; group < g.groups; ++group) lower(x, g, images, group, col);
    });
  }, repeats);
  const Spread col2im_ms = time_calls([&] {
    for_each_run(plan, [&](Images images, int mine) {
      const float* col = cols.data() + plan.col_size * static_cast<std::size_t>(mine);
      for (int group = 0; group < g.groups; ++group) {
        for (int b = 0; b < images.count; ++b) {
          col2im(col + b * g.positions(), g, grad_x.data() + x_offset(g, images.first + b, group),
                 images.columns(g));
        }
      }
    });
  }, repeats);
  const auto col_floats = static_cast<std::int64_t>(g.batch) * g.groups * g.patch() * g.positions();
  constexpr auto kFloat = static_cast<std::int64_t>(sizeof(float));
  return {im2col_ms.median, col2im_ms.median, x.size() * kFloat, col_floats * kFloat};
}

}  // namespace alexnet::fast
