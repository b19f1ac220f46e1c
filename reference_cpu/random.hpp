/// @file random.hpp
/// @brief Counter-based random numbers (Philox4x32-10) that CPU and GPU draw alike.
///
/// A counter-based generator has no state to carry: the number at position
/// `index` of stream `stream` under `seed` is a pure function of those three
/// integers. A CUDA thread computes exactly the bits the CPU loop computes for
/// the same element, so dropout masks and crop positions agree bit for bit.
/// (`std::normal_distribution` differs between standard libraries; this does not.)
///
/// The algorithm is Philox4x32 with 10 rounds from Salmon et al., "Parallel
/// Random Numbers: As Easy as 1, 2, 3" (SC'11), the generator behind cuRAND's
/// `curand_Philox4x32_10` and Random123; the tests check its known-answer vectors.
#pragma once

#include <cmath>
#include <cstdint>
#include <string_view>

#include "host_device.hpp"
#include "tensor.hpp"

namespace alexnet {

/// @brief Four 32-bit words: a Philox counter or its output.
struct Philox4x32 {
  std::uint32_t word[4];  ///< the four words, word[0] first
};

/// @brief The high and low 32 bits of a 32×32-bit product.
ALEXNET_HD void multiply_high_low(std::uint32_t a, std::uint32_t b, std::uint32_t& high,
                                  std::uint32_t& low) {
  const std::uint64_t product = static_cast<std::uint64_t>(a) * b;
  high = static_cast<std::uint32_t>(product >> 32);
  low = static_cast<std::uint32_t>(product);
}

/// @brief Philox4x32-10: scrambles a 128-bit counter under a 64-bit key.
ALEXNET_HD Philox4x32 philox4x32_10(Philox4x32 counter, std::uint32_t key0, std::uint32_t key1) {
  constexpr std::uint32_t kMultiplier0 = 0xD2511F53u, kMultiplier1 = 0xCD9E8D57u;
  constexpr std::uint32_t kWeyl0 = 0x9E3779B9u, kWeyl1 = 0xBB67AE85u;  // golden ratio, sqrt(3)-1
  for (int round = 0; round < 10; ++round) {
    std::uint32_t high0, low0, high1, low1;
    multiply_high_low(kMultiplier0, counter.word[0], high0, low0);
    multiply_high_low(kMultiplier1, counter.word[2], high1, low1);
    counter = Philox4x32{{high1 ^ counter.word[1] ^ key0, low1, high0 ^ counter.word[3] ^ key1, low0}};
    key0 += kWeyl0;
    key1 += kWeyl1;
  }
  return counter;
}

/// @brief The 128 random bits at (seed, stream, index): counter = (index, stream), key = seed.
ALEXNET_HD Philox4x32 random_block(std::uint64_t seed, std::uint64_t stream, std::uint64_t index) {
  const Philox4x32 counter{{static_cast<std::uint32_t>(index), static_cast<std::uint32_t>(index >> 32),
                            static_cast<std::uint32_t>(stream), static_cast<std::uint32_t>(stream >> 32)}};
  return philox4x32_10(counter, static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32));
}

/// @brief 32 random bits at (seed, stream, index).
ALEXNET_HD std::uint32_t random_bits(std::uint64_t seed, std::uint64_t stream, std::uint64_t index) {
  return random_block(seed, stream, index).word[0];
}

/// @brief Maps 32 random bits to a float in [0, 1) exactly (24 bits, multiples of 2^-24).
ALEXNET_HD float bits_to_unit_float(std::uint32_t bits) {
  return static_cast<float>(bits >> 8) * (1.0f / 16777216.0f);
}

/// @brief Uniform float in [0, 1) at (seed, stream, index); identical on CPU and GPU.
ALEXNET_HD float random_uniform(std::uint64_t seed, std::uint64_t stream, std::uint64_t index) {
  return bits_to_unit_float(random_bits(seed, stream, index));
}

/// @brief Standard normal at (seed, stream, index) by Box–Muller, in double.
///
/// The bits are identical everywhere; log/cos may differ in the last ulp between
/// a CPU's libm and the GPU, so code that must agree exactly across devices
/// draws its normals on the host (e.g. per-image colour noise).
ALEXNET_HD double random_normal(std::uint64_t seed, std::uint64_t stream, std::uint64_t index) {
  const Philox4x32 block = random_block(seed, stream, index);
  const double u1 = (static_cast<double>(block.word[0]) + 1.0) / 4294967296.0;  // (0, 1]
  const double u2 = static_cast<double>(block.word[1]) / 4294967296.0;          // [0, 1)
  const double two_pi = 6.283185307179586476925286766559;
  return sqrt(-2.0 * log(u1)) * cos(two_pi * u2);
}

/// @brief Fills `t` with N(mean, stddev²): element i gets random_normal(seed, stream, i).
template <typename T>
void fill_normal(Tensor<T>& t, std::uint64_t seed, std::uint64_t stream, double mean, double stddev) {
  for (std::int64_t i = 0; i < t.size(); ++i) {
    t[i] = static_cast<T>(mean + stddev * random_normal(seed, stream, static_cast<std::uint64_t>(i)));
  }
}

/// @brief Fills `t` with U[low, high): element i gets random_uniform(seed, stream, i).
template <typename T>
void fill_uniform(Tensor<T>& t, std::uint64_t seed, std::uint64_t stream, double low, double high) {
  for (std::int64_t i = 0; i < t.size(); ++i) {
    t[i] = static_cast<T>(low + (high - low) * random_uniform(seed, stream, static_cast<std::uint64_t>(i)));
  }
}

/// @brief What a draw is for. Each purpose XORs its tag (its name in ASCII) into the run's seed, so
/// two purposes never share a Philox key: initial weights, dropout masks, crops, the epoch order and
/// the held-out split are independent draws of one seed, however their streams and indices line up.
enum class RandomPurpose : std::uint64_t {
  Initialisation = 0x696e6974ull,      ///< "init": initial weights, stream = name_stream(layer)
  Dropout = 0x64726f706f7574ull,       ///< "dropout": masks, stream = (layer, training step)
  Augmentation = 0x6175676d656e74ull,  ///< "augment": crops, flips and colour noise, stream = (epoch, image)
  Shuffling = 0x73687566666c65ull,     ///< "shuffle": the order of an epoch, stream = epoch
  HoldOut = 0x686f6c646f7574ull,       ///< "holdout": which images are held out for validation
};

/// @brief The Philox key of `purpose` in the run with seed `seed`: seed ⊕ the purpose's tag.
constexpr std::uint64_t purpose_seed(std::uint64_t seed, RandomPurpose purpose) {
  return seed ^ static_cast<std::uint64_t>(purpose);
}

/// @brief A layer's stream number, from its name (64-bit FNV-1a): "conv2" draws the same numbers
/// wherever its row is, so adding or removing another row changes none of its draws.
constexpr std::uint64_t name_stream(std::string_view name) {
  std::uint64_t hash = 0xcbf29ce484222325ull;  // FNV-1a offset basis
  for (const char c : name) hash = (hash ^ static_cast<unsigned char>(c)) * 0x100000001b3ull;  // FNV prime
  return hash;
}

/// @brief A sequence of draws from one (seed, stream): the n-th call uses index n.
class RandomStream {
 public:
  /// @brief Starts the stream at index 0.
  RandomStream(std::uint64_t seed, std::uint64_t stream) : seed_(seed), stream_(stream) {}
  /// @brief Next uniform float in [0, 1).
  float uniform() { return random_uniform(seed_, stream_, next_++); }
  /// @brief Next normal draw with the given mean and standard deviation.
  double normal(double mean = 0.0, double stddev = 1.0) {
    return mean + stddev * random_normal(seed_, stream_, next_++);
  }
  /// @brief Next integer drawn uniformly from [0, bound) (bound > 0).
  std::uint32_t below(std::uint32_t bound) {
    // 64-bit multiply-shift: unbiased enough for crops (bias < bound / 2^32).
    return static_cast<std::uint32_t>((static_cast<std::uint64_t>(random_bits(seed_, stream_, next_++)) * bound) >> 32);
  }

 private:
  std::uint64_t seed_;
  std::uint64_t stream_;
  std::uint64_t next_ = 0;
};

}  // namespace alexnet
