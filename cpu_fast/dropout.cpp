#include "cpu_fast/dropout.hpp"

#include <algorithm>
#include <cmath>

#include "cpu_fast/simd.hpp"

namespace alexnet::fast {
namespace {

// Units drawn at once: Philox4x32-10 (reference_cpu/random.hpp) on this many counters side by side, one array
// per word, so that each round is a few vector multiplies and XORs instead of one scalar chain per unit. Each
// round waits for the last one's products (AVX-512's 64-bit multiply takes about 15 cycles), so the lanes must be
// many enough for the multiplier to have other vectors to work on meanwhile: 64 lanes ran 1.5 ns a unit on this
// course's 2-core Xeon, 16 lanes 2.6 ns (FC6's dropout at batch 64, 2 threads).
constexpr std::int64_t kLanes = 64;

// dropout_keeps in integers: random_uniform is k·2^-24 with k = bits >> 8, and k·2^-24 ≥ p exactly when
// k ≥ ⌈p·2^24⌉ (p·2^24 is exact in double). The same mask, bit for bit, with no float conversion.
std::uint32_t keep_threshold(double p) { return static_cast<std::uint32_t>(std::ceil(p * 16777216.0)); }

// philox4x32_10's ten rounds on kLanes counters, word by word: w0[l], w1[l], w2[l], w3[l] are counter l.
ALEXNET_SIMD_CLONES void philox_rounds(std::uint32_t* __restrict w0, std::uint32_t* __restrict w1,
                                       std::uint32_t* __restrict w2, std::uint32_t* __restrict w3, std::uint32_t key0,
                                       std::uint32_t key1) {
  for (int round = 0; round < 10; ++round) {
    std::uint64_t product0[kLanes], product1[kLanes];  // 32 × 32 → 64 bits: vpmullq (AVX-512) or vpmuludq
    for (std::int64_t l = 0; l < kLanes; ++l) {
      product0[l] = std::uint64_t{0xD2511F53u} * w0[l];
      product1[l] = std::uint64_t{0xCD9E8D57u} * w2[l];
    }
    for (std::int64_t l = 0; l < kLanes; ++l) {
      w0[l] = static_cast<std::uint32_t>(product1[l] >> 32) ^ w1[l] ^ key0;
      w2[l] = static_cast<std::uint32_t>(product0[l] >> 32) ^ w3[l] ^ key1;
      w1[l] = static_cast<std::uint32_t>(product1[l]);
      w3[l] = static_cast<std::uint32_t>(product0[l]);
    }
    key0 += 0x9E3779B9u;
    key1 += 0xBB67AE85u;
  }
}

// Forward and backward are the same diagonal map: the mask times the scale.
ALEXNET_SIMD_CLONES TensorF apply_mask(const std::string& op, const TensorF& in, const DropoutParams& params) {
  check_dropout_params(op, params);
  if (!params.training) return in;
  TensorF out = TensorF::uninitialized(in.shape());
  const float scale = dropout_scale(params);
  const std::uint32_t threshold = keep_threshold(params.p);
  const auto stream_low = static_cast<std::uint32_t>(params.step);
  const auto stream_high = static_cast<std::uint32_t>(params.step >> 32);
  const auto seed_low = static_cast<std::uint32_t>(params.seed);
  const auto seed_high = static_cast<std::uint32_t>(params.seed >> 32);
  const std::int64_t count = in.size();
  const float* x = in.data();
  float* y = out.data();
#pragma omp parallel for schedule(static)
  for (std::int64_t start = 0; start < count; start += kLanes) {
    // The counters (index, step) of units start … start + kLanes − 1, as random_block builds them.
    std::uint32_t w0[kLanes], w1[kLanes], w2[kLanes], w3[kLanes];
    for (std::int64_t l = 0; l < kLanes; ++l) {
      const auto index = params.first_unit + static_cast<std::uint64_t>(start + l);
      w0[l] = static_cast<std::uint32_t>(index);
      w1[l] = static_cast<std::uint32_t>(index >> 32);
      w2[l] = stream_low;
      w3[l] = stream_high;
    }
    philox_rounds(w0, w1, w2, w3, seed_low, seed_high);
    const std::int64_t lanes = std::min(kLanes, count - start);
    for (std::int64_t l = 0; l < lanes; ++l) y[start + l] = (w0[l] >> 8) >= threshold ? x[start + l] * scale : 0.0f;
  }
  return out;
}

}  // namespace

TensorF dropout_forward(const TensorF& x, const DropoutParams& params) {
  return apply_mask("fast::dropout_forward", x, params);
}

TensorF dropout_backward(const TensorF& grad_y, const DropoutParams& params) {
  return apply_mask("fast::dropout_backward", grad_y, params);
}

}  // namespace alexnet::fast
