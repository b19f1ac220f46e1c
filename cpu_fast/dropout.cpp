#include "cpu_fast/dropout.hpp"

#include <algorithm>
#include <cmath>

#include "cpu_fast/simd.hpp"

#if ALEXNET_HAS_SIMD_CLONES
#include <immintrin.h>
#endif

namespace alexnet::fast {
namespace {

// Philox blocks drawn at once: Philox4x32-10 (reference_cpu/random.hpp) on this many counters side by side, one
// array per word, so that each round is a few vector multiplies and XORs instead of one scalar chain per block.
// Each round waits for the last one's products (5 cycles for vpmuludq), so the lanes must be many enough for the
// multiplier to have other vectors to work on meanwhile: 64 (four AVX-512 registers a word) ran faster on the
// course's 2-core Xeon than 32 or 128. A block's four words serve four units: 256 units at a time.
constexpr std::int64_t kLanes = 64;
constexpr std::int64_t kUnits = 4 * kLanes;

// dropout_keeps in integers: random_uniform is k·2^-24 with k = bits >> 8, and k·2^-24 ≥ p exactly when
// k ≥ ⌈p·2^24⌉ (p·2^24 is exact in double). The same mask, bit for bit, with no float conversion.
std::uint32_t keep_threshold(double p) { return static_cast<std::uint32_t>(std::ceil(p * 16777216.0)); }

// philox4x32_10's ten rounds on kLanes counters, word by word: w0[l], w1[l], w2[l], w3[l] are counter l. Written
// for the compiler to vectorise.
inline void philox_rounds_by_words(std::uint32_t* __restrict w0, std::uint32_t* __restrict w1,
                                   std::uint32_t* __restrict w2, std::uint32_t* __restrict w3, std::uint32_t key0,
                                   std::uint32_t key1) {
  for (int round = 0; round < 10; ++round) {
    std::uint64_t product0[kLanes], product1[kLanes];  // 32 × 32 → 64 bits
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

#if ALEXNET_HAS_SIMD_CLONES
// The same rounds, one version per instruction set, picked when the program starts (GCC's function
// multiversioning, as ALEXNET_SIMD_CLONES but with a body of its own for AVX-512).
__attribute__((target("default"))) void philox_rounds(std::uint32_t* w0, std::uint32_t* w1, std::uint32_t* w2,
                                                      std::uint32_t* w3, std::uint32_t key0, std::uint32_t key1) {
  philox_rounds_by_words(w0, w1, w2, w3, key0, key1);
}
__attribute__((target("arch=x86-64-v3"))) void philox_rounds(std::uint32_t* w0, std::uint32_t* w1, std::uint32_t* w2,
                                                             std::uint32_t* w3, std::uint32_t key0,
                                                             std::uint32_t key1) {
  philox_rounds_by_words(w0, w1, w2, w3, key0, key1);  // GCC multiplies with vpmuludq here
}

// AVX-512 written out: GCC vectorises the 32 × 32 → 64-bit products above with vpmullq (a full 64-bit multiply,
// three micro-ops, about 15 cycles), where vpmuludq (one micro-op, 5 cycles) is exact for them. vpmuludq
// multiplies the even 32-bit lanes of a register; the odd lanes, shifted down, are a second vpmuludq; one
// permutation of the two products gathers the 16 high words, another the 16 low ones. The rounds' three-way XORs
// are one vpternlogd each. 1.5 → 0.65 ns a unit (FC6's dropout at batch 64, 2 threads, the course's Xeon).
constexpr int kVectors = kLanes / 16;  // registers per word

// GCC 12's AVX-512 headers fill the unused operand of the shift and multiply intrinsics with a deliberately
// undefined value, which -Wuninitialized (an error in this build) reports: silenced for these functions only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"

struct HighLow {
  __m512i high, low;
};

// m·w for 16 lanes: lane i's product is in `even` (i even: 32-bit slots i, i + 1 hold its low and high word) or in
// `odd` (i odd: slots i − 1, i); index 16 + s takes slot s of the second operand.
__attribute__((target("arch=x86-64-v4"))) inline HighLow multiply(__m512i w, __m512i m) {
  const __m512i even = _mm512_mul_epu32(w, m);
  const __m512i odd = _mm512_mul_epu32(_mm512_srli_epi64(w, 32), m);
  const __m512i high_slots = _mm512_setr_epi32(1, 17, 3, 19, 5, 21, 7, 23, 9, 25, 11, 27, 13, 29, 15, 31);
  const __m512i low_slots = _mm512_setr_epi32(0, 16, 2, 18, 4, 20, 6, 22, 8, 24, 10, 26, 12, 28, 14, 30);
  return {_mm512_permutex2var_epi32(even, high_slots, odd), _mm512_permutex2var_epi32(even, low_slots, odd)};
}

// a ^ b ^ c in one instruction: 0x96 is the truth table of a three-input XOR.
__attribute__((target("arch=x86-64-v4"))) inline __m512i xor3(__m512i a, __m512i b, __m512i c) {
  return _mm512_ternarylogic_epi32(a, b, c, 0x96);
}

__attribute__((target("arch=x86-64-v4"))) void philox_rounds(std::uint32_t* w0, std::uint32_t* w1, std::uint32_t* w2,
                                                             std::uint32_t* w3, std::uint32_t key0,
                                                             std::uint32_t key1) {
  __m512i a[kVectors], b[kVectors], c[kVectors], d[kVectors];
  for (int v = 0; v < kVectors; ++v) {
    a[v] = _mm512_loadu_si512(w0 + 16 * v);
    b[v] = _mm512_loadu_si512(w1 + 16 * v);
    c[v] = _mm512_loadu_si512(w2 + 16 * v);
    d[v] = _mm512_loadu_si512(w3 + 16 * v);
  }
  const __m512i m0 = _mm512_set1_epi32(static_cast<int>(0xD2511F53u));
  const __m512i m1 = _mm512_set1_epi32(static_cast<int>(0xCD9E8D57u));
  for (int round = 0; round < 10; ++round) {
    const __m512i k0 = _mm512_set1_epi32(static_cast<int>(key0)), k1 = _mm512_set1_epi32(static_cast<int>(key1));
    for (int v = 0; v < kVectors; ++v) {  // the kVectors chains are independent: the multiplier interleaves them
      const HighLow p0 = multiply(a[v], m0), p1 = multiply(c[v], m1);
      a[v] = xor3(p1.high, b[v], k0);
      c[v] = xor3(p0.high, d[v], k1);
      b[v] = p1.low;
      d[v] = p0.low;
    }
    key0 += 0x9E3779B9u;
    key1 += 0xBB67AE85u;
  }
  for (int v = 0; v < kVectors; ++v) {
    _mm512_storeu_si512(w0 + 16 * v, a[v]);
    _mm512_storeu_si512(w1 + 16 * v, b[v]);
    _mm512_storeu_si512(w2 + 16 * v, c[v]);
    _mm512_storeu_si512(w3 + 16 * v, d[v]);
  }
}
#pragma GCC diagnostic pop
#else
void philox_rounds(std::uint32_t* w0, std::uint32_t* w1, std::uint32_t* w2, std::uint32_t* w3, std::uint32_t key0,
                   std::uint32_t key1) {
  philox_rounds_by_words(w0, w1, w2, w3, key0, key1);
}
#endif

// Forward and backward are the same diagonal map: y = mask · scale · x over `count` units (y may be x).
ALEXNET_SIMD_CLONES void apply_mask(const float* x, float* y, std::int64_t count, const DropoutParams& params) {
  const float scale = dropout_scale(params);
  const std::uint32_t threshold = keep_threshold(params.p);
  const auto stream_low = static_cast<std::uint32_t>(params.step);
  const auto stream_high = static_cast<std::uint32_t>(params.step >> 32);
  const auto seed_low = static_cast<std::uint32_t>(params.seed);
  const auto seed_high = static_cast<std::uint32_t>(params.seed >> 32);
  // Unit i is the batch's unit first_unit + i, word (first_unit + i) mod 4 of block ⌊(first_unit + i)/4⌋. The
  // tensor's units start `skip` words into block first_block; run r draws the kLanes blocks from
  // first_block + r·kLanes, units r·kUnits − skip … of the tensor.
  const std::uint64_t first_block = params.first_unit / 4;
  const auto skip = static_cast<std::int64_t>(params.first_unit % 4);
  const std::int64_t runs = (skip + count + kUnits - 1) / kUnits;
#pragma omp parallel for schedule(static)
  for (std::int64_t run = 0; run < runs; ++run) {
    // The counters (block, step) of the run's blocks, as random_block builds them.
    std::uint32_t w0[kLanes], w1[kLanes], w2[kLanes], w3[kLanes];
    for (std::int64_t l = 0; l < kLanes; ++l) {
      const std::uint64_t block = first_block + static_cast<std::uint64_t>(run * kLanes + l);
      w0[l] = static_cast<std::uint32_t>(block);
      w1[l] = static_cast<std::uint32_t>(block >> 32);
      w2[l] = stream_low;
      w3[l] = stream_high;
    }
    philox_rounds(w0, w1, w2, w3, seed_low, seed_high);
    std::uint32_t bits[kUnits];  // the words in unit order: block l's word w is unit 4·l + w of the run
    for (std::int64_t l = 0; l < kLanes; ++l) {
      bits[4 * l] = w0[l];
      bits[4 * l + 1] = w1[l];
      bits[4 * l + 2] = w2[l];
      bits[4 * l + 3] = w3[l];
    }
    const std::int64_t base = run * kUnits - skip;  // the tensor's unit at bits[0]
    const std::int64_t begin = std::max<std::int64_t>(base, 0), end = std::min(base + kUnits, count);
#pragma omp simd  // y may be x: each value read before it is written
    for (std::int64_t i = begin; i < end; ++i) y[i] = (bits[i - base] >> 8) >= threshold ? x[i] * scale : 0.0f;
  }
}

}  // namespace

TensorF dropout_forward(const TensorF& x, const DropoutParams& params) {
  check_dropout_params("fast::dropout_forward", params);
  if (!params.training) return x;
  TensorF y = TensorF::uninitialized(x.shape());
  apply_mask(x.data(), y.data(), x.size(), params);
  return y;
}

TensorF dropout_backward(TensorF grad_y, const DropoutParams& params) {
  check_dropout_params("fast::dropout_backward", params);
  if (params.training) apply_mask(grad_y.data(), grad_y.data(), grad_y.size(), params);
  return grad_y;
}

}  // namespace alexnet::fast
