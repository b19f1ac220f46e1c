#include "datasets/synthetic.hpp"

#include <stdexcept>
#include <string>

#include "reference_cpu/random.hpp"

namespace alexnet {
namespace {

// Channel c of class k's colour, spread over 40..215 so that ±30 of noise stays inside 0..255.
float class_colour(int k, int c) { return 40.0f + 175.0f * static_cast<float>((37 * (k + 1) * (c + 2)) % 101) / 100.0f; }

}  // namespace

LabeledImages synthetic_images(std::int64_t count, int side, int classes, std::uint64_t seed) {
  if (count < 0 || side <= 0 || classes <= 0) {
    throw std::invalid_argument("synthetic_images: need count ≥ 0, side > 0 and classes > 0, got " +
                                std::to_string(count) + ", " + std::to_string(side) + ", " + std::to_string(classes));
  }
  LabeledImages data;
  data.images = TensorF({count, 3, side, side});
  RandomStream label_draws(seed, 0);
  const std::int64_t per_image = 3 * std::int64_t{side} * side, plane = std::int64_t{side} * side;
  for (std::int64_t n = 0; n < count; ++n) {
    const auto label = static_cast<int>(label_draws.below(static_cast<std::uint32_t>(classes)));
    data.labels.push_back(label);
    RandomStream noise(seed, static_cast<std::uint64_t>(n) + 1);
    for (std::int64_t i = 0; i < per_image; ++i) {
      data.images[n * per_image + i] = class_colour(label, static_cast<int>(i / plane)) + 60.0f * (noise.uniform() - 0.5f);
    }
  }
  for (int k = 0; k < classes; ++k) data.class_names.push_back("class " + std::to_string(k));
  return data;
}

}  // namespace alexnet
