#include "cpu_fast/lrn.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "cpu_fast/simd.hpp"

namespace alexnet::fast {
namespace {

// The channels of window(c): c ± size/2, clipped at the edges of c's tower.
struct Window {
  int first, last;
};

Window window(int c, int per_tower, int half) {
  const int tower_first = c / per_tower * per_tower;
  return {std::max(tower_first, c - half), std::min(tower_first + per_tower - 1, c + half)};
}

// 1/√v for a positive normal float v: a first guess from v's bits (its exponent halved and negated: within 3.5%),
// then three Newton steps y ← y·(3/2 − v/2·y²), each about squaring the error: 3.5% → 1.8·10⁻³ → 4.7·10⁻⁶ →
// 1.8·10⁻⁷ (measured over every 97th float; the last is float rounding's). Multiplies and adds only, where the exact
// 1/√v costs a square root and a division.
inline float reciprocal_sqrt(float v) {
  std::uint32_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  bits = 0x5F375A86u - (bits >> 1);
  float y;
  std::memcpy(&y, &bits, sizeof y);
  const float half = 0.5f * v;
  for (int step = 0; step < 3; ++step) y = y * (1.5f - half * y * y);
  return y;
}

// The paper's d^−0.75 as d^−1/2 · d^−1/2 · d^1/4, with r = d^−1/2 and d^1/4 = 1/√r: within 5.3·10⁻⁷ of the exact
// power (about 4 roundings), for d a positive normal float.
inline float inverse_power_075(float r) { return r * r * reciprocal_sqrt(r); }

// Whether d is a positive normal float, where inverse_power_075 holds; a denominator that is not (k = 0 with zero
// inputs, a sum of squares that overflowed, a NaN) takes the exact path. `&`, not `&&`: no branch, so the loop
// that asks vectorises.
inline bool usual(float d) {
  return (d >= std::numeric_limits<float>::min()) & (d <= std::numeric_limits<float>::max());
}

// Whether every d of a row is usual.
inline bool all_usual(const float* d, std::int64_t length) {
  int usual_ones = 0;
  for (std::int64_t i = 0; i < length; ++i) usual_ones += usual(d[i]);
  return usual_ones == length;
}

// d^−β, exactly rounded operations: the path for any β, and for the paper's β where d is not usual.
float exact_inverse_power(float d, float beta) {
  if (beta == 0.75f) return 1.0f / (std::sqrt(d) * std::sqrt(std::sqrt(d)));
  return std::pow(d, -beta);
}

// Both passes walk one image a chunk of positions at a time: a chunk's positions of channel 0, of channel 1, and
// so on. A window's rows are then a few kilobytes, still in the L1 cache when the next channel's window reads them
// again, and every input value comes from memory once (a pass over whole planes instead reads each value `size`
// times from L2 or memory). A plane is cut into chunks of about equal length, at most kForwardChunk positions
// forward (the paper's LRN1 planes, 55 × 55, into five of 512 and one of 465; LRN2's, 27 × 27, into 368 and 361)
// and kBackwardChunk backward. A chunk keeps a row of each derived value per channel, three kinds backward: for
// the paper's LRN2 (256 channels) that is 1.5 MB in chunks of 512 positions, most of the L2 cache. In the paper's
// network at batch 64 on the course's 2-core Xeon, chunks of 256 ran the backwards 7–11 % faster than 512 (LRN2's
// 13.0–13.3 ms against 14.1–14.2) and the forwards up to 14 % slower; 512 ran LRN1's backward 15 % faster than 768.
constexpr std::int64_t kForwardChunk = 512;
constexpr std::int64_t kBackwardChunk = 256;

// Positions summed side by side in the denominators: one AVX-512 vector, two AVX2 ones. The chunk sizes are
// multiples, and so is every chunk's row length.
constexpr int kBlock = 16;
static_assert(kForwardChunk % kBlock == 0 && kBackwardChunk % kBlock == 0, "a row holds whole blocks");

// The channels ahead whose rows of a (and of ∂y, backward) are prefetched while a channel's squares are computed:
// a chunk's rows are runs of at most 2 KB, a plane apart. In the paper's network at batch 64, LRN2's backward went
// from 17.5–18.0 to 13.9–14.5 ms with the prefetch, LRN1's from 20.4 to 18.3–18.5 ms.
constexpr int kPrefetchAhead = 2;

// One chunk of one image: positions [begin, begin + length) of every channel, and a row per channel for the
// values the passes derive from it, each computed the first time a window asks for it.
class Chunk {
 public:
  // For chunks of at most `longest` positions.
  Chunk(int channels, const LrnParams& p, std::int64_t longest)
      : longest_(longest), channels_(channels), per_tower_(channels / p.towers), half_(p.size / 2),
        k_(static_cast<float>(p.k)), alpha_(static_cast<float>(p.alpha)), beta_(static_cast<float>(p.beta)),
        two_alpha_beta_(static_cast<float>(2 * p.alpha * p.beta)),
        squares_(static_cast<std::size_t>(channels * longest)), sums_(static_cast<std::size_t>(longest)) {}

  // Starts on positions [begin, begin + length) of image `a` [C, H·W] (and of its gradient `g`, backward).
  void start(const float* a, const float* g, std::int64_t plane, std::int64_t begin, std::int64_t length) {
    a_ = a + begin, g_ = g == nullptr ? nullptr : g + begin, plane_ = plane, length_ = length;
    squared_ = 0, derived_ = 0;
    if (g != nullptr && powers_.empty()) {  // the backward's rows, which the forward does not need
      powers_.resize(squares_.size());
      terms_.resize(squares_.size());
    }
  }
  // d_c = k + Σ_{o ∈ window(c)} α·a_o².
  void denominators(int c, float* d) {
    const Window w = window(c);
    squares(w.last);
    window_sum(squares_, w, k_, d);
  }
  // b_c = a_c·d_c^−β into out.
  ALEXNET_SIMD_CLONES void normalize(int c, float* out) {
    float* d = sums_.data();
    denominators(c, d);
    const float* ac = a(c);
    if (beta_ == 0.75f && all_usual(d, length_)) {
      for (std::int64_t i = 0; i < length_; ++i) out[i] = ac[i] * inverse_power_075(reciprocal_sqrt(d[i]));
      return;
    }
    const float beta = beta_;  // a local: a store through `out` might otherwise change beta_ for all the compiler knows
    for (std::int64_t i = 0; i < length_; ++i) out[i] = ac[i] * exact_inverse_power(d[i], beta);
  }
  // ∂a_j = g_j·p_j − 2αβ·a_j·Σ_{c ∈ window(j)} t_c into out, with p_c = d_c^−β and t_c = g_c·a_c·p_c/d_c: the
  // channels whose window holds j are window(j) itself. `out` may be g_j's own row: the rows derived from g_j
  // are made before it is written, and no later channel reads it.
  ALEXNET_SIMD_CLONES void gradient(int j, float* out) {
    const Window w = window(j);
    derive(w.last);
    float* sum = sums_.data();
    window_sum(terms_, w, 0.0f, sum);
    const float* aj = a(j);
    const float* gj = g(j);
    const float* p = row(powers_, j);
#pragma omp simd  // out[i] may be gj[i]: each value read before it is written
    for (std::int64_t i = 0; i < length_; ++i) out[i] = gj[i] * p[i] - two_alpha_beta_ * aj[i] * sum[i];
  }

 private:
  Window window(int c) const { return fast::window(c, per_tower_, half_); }
  const float* a(int c) const { return a_ + c * plane_; }
  const float* g(int c) const { return g_ + c * plane_; }
  float* row(std::vector<float>& rows, int c) const { return rows.data() + c * longest_; }

  // out[i] = first + Σ_{o ∈ w} rows[o][i] for the chunk's positions, a block at a time: a block's sums stay in
  // registers while the window's rows are added to them. The last block may run past the chunk's length (each
  // row is longest_ long), so `out` must hold a multiple of kBlock.
  ALEXNET_SIMD_CLONES void window_sum(std::vector<float>& rows, Window w, float first, float* out) {
    for (std::int64_t block = 0; block < length_; block += kBlock) {
      float sum[kBlock];
      for (int l = 0; l < kBlock; ++l) sum[l] = first;
      for (int o = w.first; o <= w.last; ++o) {
        const float* r = row(rows, o) + block;
        for (int l = 0; l < kBlock; ++l) sum[l] += r[l];
      }
      for (int l = 0; l < kBlock; ++l) out[block + l] = sum[l];
    }
  }

  // α·a_o², computed once per chunk.
  ALEXNET_SIMD_CLONES const float* squares(int o) {
    for (; squared_ <= o; ++squared_) {
      if (squared_ + kPrefetchAhead < channels_) prefetch_rows(squared_ + kPrefetchAhead);
      const float* ao = a(squared_);
      float* s = row(squares_, squared_);
      for (std::int64_t i = 0; i < length_; ++i) s[i] = alpha_ * ao[i] * ao[i];
    }
    return row(squares_, o);
  }

  // Asks for channel c's rows of a and ∂y a cache line (16 floats) at a time.
  void prefetch_rows(int c) const {
    for (std::int64_t i = 0; i < length_; i += 16) {
      __builtin_prefetch(a(c) + i);
      if (g_ != nullptr) __builtin_prefetch(g(c) + i);
    }
  }

  // p_c = d_c^−β and t_c = g_c·a_c·p_c/d_c, computed once per chunk.
  ALEXNET_SIMD_CLONES void derive(int c) {
    for (; derived_ <= c; ++derived_) {
      float* p = row(powers_, derived_);
      float* t = row(terms_, derived_);
      denominators(derived_, t);  // t holds d until p is known
      const float* ac = a(derived_);
      const float* gc = g(derived_);
      if (beta_ == 0.75f && all_usual(t, length_)) {
        derive_075(ac, gc, p, t);
        continue;
      }
      const float beta = beta_;
      for (std::int64_t i = 0; i < length_; ++i) {
        p[i] = exact_inverse_power(t[i], beta);
        t[i] = gc[i] * ac[i] * p[i] / t[i];
      }
    }
  }

  // derive's row for β = 0.75 and a row of usual denominators (in t), with 1/d = r² (r = d^−1/2).
  ALEXNET_SIMD_CLONES void derive_075(const float* ac, const float* gc, float* p, float* t) {
    for (std::int64_t i = 0; i < length_; ++i) {
      const float r = reciprocal_sqrt(t[i]);
      p[i] = inverse_power_075(r);
      t[i] = gc[i] * ac[i] * p[i] * (r * r);
    }
  }

  std::int64_t longest_;  // positions a row holds
  int channels_, per_tower_, half_;
  float k_, alpha_, beta_, two_alpha_beta_;
  std::vector<float> squares_, powers_, terms_;
  std::vector<float> sums_;  // one row: the denominators (forward) or the window's terms (backward) of a channel
  const float* a_ = nullptr;
  const float* g_ = nullptr;
  std::int64_t plane_ = 0, length_ = 0;
  int squared_ = 0, derived_ = 0;
};

// Runs `body(chunk, image, begin, length)` on every chunk of every image (`image`: the offset of its first
// value), the chunks shared out among the threads.
template <typename Body>
void for_each_chunk(const TensorF& x, const LrnParams& params, std::int64_t longest, Body body) {
  const int channels = static_cast<int>(x.dim(1));
  const std::int64_t plane = x.dim(2) * x.dim(3), chunks = (plane + longest - 1) / longest;
  const std::int64_t even_share = (plane + chunks - 1) / chunks;  // ≤ longest, and so is its round-up to kBlock
  const std::int64_t chunk_length = (even_share + kBlock - 1) / kBlock * kBlock;
  const std::int64_t tasks = x.dim(0) * chunks;
#pragma omp parallel
  {
    Chunk chunk(channels, params, longest);  // each thread's own rows
#pragma omp for schedule(static)
    for (std::int64_t task = 0; task < tasks; ++task) {
      const std::int64_t n = task / chunks, begin = task % chunks * chunk_length;
      body(chunk, n * channels * plane, begin, std::min(chunk_length, plane - begin));
    }
  }
}

}  // namespace

TensorF lrn_forward(const TensorF& x, LrnParams params) {
  require_lrn_input("fast::lrn_forward", x.shape(), params);
  TensorF y = TensorF::uninitialized(x.shape());
  const int channels = static_cast<int>(x.dim(1));
  const std::int64_t plane = x.dim(2) * x.dim(3);
  for_each_chunk(x, params, kForwardChunk, [&](Chunk& chunk, std::int64_t image, std::int64_t begin,
                                                std::int64_t length) {
    chunk.start(x.data() + image, nullptr, plane, begin, length);
    for (int c = 0; c < channels; ++c) chunk.normalize(c, y.data() + image + c * plane + begin);
  });
  return y;
}

TensorF lrn_backward(const TensorF& x, TensorF grad_y, LrnParams params) {
  require_lrn_input("fast::lrn_backward", x.shape(), params);
  require_shape("fast::lrn_backward", "grad_y", x.shape(), grad_y.shape());
  const int channels = static_cast<int>(x.dim(1));
  const std::int64_t plane = x.dim(2) * x.dim(3);
  for_each_chunk(x, params, kBackwardChunk, [&](Chunk& chunk, std::int64_t image, std::int64_t begin,
                                                 std::int64_t length) {
    float* g = grad_y.data() + image;  // ∂x overwrites ∂y, channel by channel
    chunk.start(x.data() + image, g, plane, begin, length);
    for (int j = 0; j < channels; ++j) chunk.gradient(j, g + j * plane + begin);
  });
  return grad_y;
}

}  // namespace alexnet::fast
