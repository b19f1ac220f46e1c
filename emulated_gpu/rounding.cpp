// The emulated device's rounding of math functions (include/gpu_rounding.h): the host's result moved by a
// hashed number of ulps within the bound CUDA documents for the function.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "emulated_gpu/include/gpu_rounding.h"

namespace alexnet::emulator {
namespace {

std::uint64_t rounding_seed() {
  static const std::uint64_t seed = [] {
    const char* text = std::getenv("ALEXNET_EMULATED_ROUNDING_SEED");
    return text != nullptr ? std::strtoull(text, nullptr, 10) : 2012ull;
  }();
  return seed;
}

std::uint32_t bits_of(float value) {
  std::uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  return bits;
}

// SplitMix64's finaliser: every input bit moves every output bit.
std::uint64_t mix(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

}  // namespace

float gpu_rounded(float value, std::uint32_t function, float a, float b, int max_ulps) {
  if (!std::isfinite(value) || value == 0.0f || max_ulps == 0) return value;  // exact cases stay exact
  const std::uint64_t hash = mix(mix(rounding_seed() ^ function) ^ (std::uint64_t{bits_of(a)} << 32 | bits_of(b)));
  const int shift = static_cast<int>(hash % static_cast<std::uint64_t>(2 * max_ulps + 1)) - max_ulps;
  const float toward = shift > 0 ? INFINITY : -INFINITY;
  for (int step = 0; step < std::abs(shift); ++step) value = std::nextafter(value, toward);
  return value;
}

}  // namespace alexnet::emulator
