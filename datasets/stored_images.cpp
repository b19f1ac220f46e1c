#include "datasets/stored_images.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <utility>

#include "reference_cpu/random.hpp"

namespace alexnet {
namespace {

void require_channels(const std::string& op, const StoredImages& data) {
  if (data.channels != 1 && data.channels != 3) {
    throw std::invalid_argument(op + ": expected grey or RGB images (1 or 3 channels), got " +
                                std::to_string(data.channels));
  }
  if (static_cast<std::int64_t>(data.pixels.size()) != data.count * data.image_bytes() ||
      static_cast<std::int64_t>(data.labels.size()) != data.count) {
    throw std::invalid_argument(op + ": expected " + std::to_string(data.count * data.image_bytes()) + " pixels and " +
                                std::to_string(data.count) + " labels, got " + std::to_string(data.pixels.size()) +
                                " and " + std::to_string(data.labels.size()));
  }
}

// 0, 1, ..., count−1 shuffled by Fisher–Yates: position i (from the end) swaps with a uniform j in 0..i.
std::vector<std::int64_t> shuffled(const std::string& op, std::int64_t count, RandomStream draws) {
  if (count < 0 || count > std::numeric_limits<std::uint32_t>::max()) {
    throw std::invalid_argument(op + ": expected a count in 0..2^32−1, got " + std::to_string(count));
  }
  std::vector<std::int64_t> order(static_cast<std::size_t>(count));
  for (std::int64_t i = 0; i < count; ++i) order[static_cast<std::size_t>(i)] = i;
  for (std::int64_t i = count - 1; i > 0; --i) {
    const std::uint32_t j = draws.below(static_cast<std::uint32_t>(i + 1));
    std::swap(order[static_cast<std::size_t>(i)], order[j]);
  }
  return order;
}

// The R, G or B value (0..255) of pixel `p` of image `n`; a grey image gives its one value for all three.
std::uint8_t rgb_value(const StoredImages& data, std::int64_t n, int c, std::int64_t p) {
  const std::int64_t plane = std::int64_t{data.height} * data.width;
  return data.image(n)[(data.channels == 1 ? 0 : c) * plane + p];
}

}  // namespace

std::uint8_t to_byte(float value) { return static_cast<std::uint8_t>(std::clamp(std::round(value), 0.0f, 255.0f)); }

StoredImages to_stored_images(const LabeledImages& data) {
  if (data.images.rank() != 4) {
    throw std::invalid_argument("to_stored_images: expected images [N, C, H, W], got " + to_string(data.images.shape()));
  }
  StoredImages stored;
  stored.count = data.images.dim(0);
  stored.channels = static_cast<int>(data.images.dim(1));
  stored.height = static_cast<int>(data.images.dim(2));
  stored.width = static_cast<int>(data.images.dim(3));
  stored.pixels.reserve(static_cast<std::size_t>(data.images.size()));
  for (float v : data.images.values()) stored.pixels.push_back(to_byte(v));
  stored.labels = data.labels;
  stored.class_names = data.class_names;
  require_channels("to_stored_images", stored);
  return stored;
}

LabeledImages to_labeled_images(const StoredImages& data) {
  require_channels("to_labeled_images", data);
  LabeledImages images;
  images.images = TensorF({data.count, data.channels, data.height, data.width},
                          std::vector<float>(data.pixels.begin(), data.pixels.end()));
  images.labels = data.labels;
  images.class_names = data.class_names;
  return images;
}

StoredImages select_images(const StoredImages& data, const std::vector<std::int64_t>& indices) {
  require_channels("select_images", data);
  StoredImages selected = data;
  selected.count = static_cast<std::int64_t>(indices.size());
  selected.pixels.clear();
  selected.labels.clear();
  selected.pixels.reserve(static_cast<std::size_t>(selected.count * data.image_bytes()));
  for (std::int64_t i : indices) {
    if (i < 0 || i >= data.count) {
      throw std::out_of_range("select_images: image index " + std::to_string(i) + " is outside 0.." +
                              std::to_string(data.count - 1));
    }
    selected.pixels.insert(selected.pixels.end(), data.image(i), data.image(i) + data.image_bytes());
    selected.labels.push_back(data.labels[static_cast<std::size_t>(i)]);
  }
  return selected;
}

TrainValidationSplit hold_out_validation(const StoredImages& all, std::int64_t validation_count, std::uint64_t seed) {
  if (validation_count < 0 || validation_count >= all.count) {
    throw std::invalid_argument("hold_out_validation: expected 0 ≤ validation count < " + std::to_string(all.count) +
                                " (the images), got " + std::to_string(validation_count));
  }
  // The first validation_count positions of a shuffle are held out; both parts keep the original order.
  const std::vector<std::int64_t> order =
      shuffled("hold_out_validation", all.count, RandomStream(purpose_seed(seed, RandomPurpose::HoldOut), 0));
  std::vector<bool> held(static_cast<std::size_t>(all.count), false);
  for (std::int64_t k = 0; k < validation_count; ++k) held[static_cast<std::size_t>(order[static_cast<std::size_t>(k)])] = true;
  std::vector<std::int64_t> train, validation;
  for (std::int64_t i = 0; i < all.count; ++i) (held[static_cast<std::size_t>(i)] ? validation : train).push_back(i);
  return {select_images(all, train), select_images(all, validation)};
}

std::vector<std::int64_t> epoch_order(std::int64_t count, std::uint64_t seed, std::uint64_t epoch) {
  return shuffled("epoch_order", count, RandomStream(purpose_seed(seed, RandomPurpose::Shuffling), epoch));
}

std::array<float, 3> stored_channel_mean(const StoredImages& data) {
  require_channels("stored_channel_mean", data);
  const std::int64_t plane = std::int64_t{data.height} * data.width;
  if (data.count * plane == 0) throw std::invalid_argument("stored_channel_mean: no pixels");
  std::array<double, 3> sum{};
  for (std::int64_t n = 0; n < data.count; ++n) {
    for (int c = 0; c < 3; ++c) {
      for (std::int64_t p = 0; p < plane; ++p) sum[c] += rgb_value(data, n, c, p);
    }
  }
  const double pixels = static_cast<double>(data.count * plane);
  return {static_cast<float>(sum[0] / pixels), static_cast<float>(sum[1] / pixels), static_cast<float>(sum[2] / pixels)};
}

SymmetricEigen3 stored_colour_pca(const StoredImages& data) {
  // The same two passes as rgb_covariance() (mean, then the mean of d·dᵀ), in the
  // same order, on values / 255: the result equals colour_pca() of the float images.
  require_channels("stored_colour_pca", data);
  const std::int64_t plane = std::int64_t{data.height} * data.width;
  if (data.count * plane == 0) throw std::invalid_argument("stored_colour_pca: no pixels");
  const auto value = [&](std::int64_t n, int c, std::int64_t p) { return rgb_value(data, n, c, p) / kPixelScale; };
  std::array<double, 3> mean{};
  for (std::int64_t n = 0; n < data.count; ++n) {
    for (int c = 0; c < 3; ++c) {
      for (std::int64_t p = 0; p < plane; ++p) mean[c] += value(n, c, p);
    }
  }
  const double pixels = static_cast<double>(data.count * plane);
  for (double& m : mean) m /= pixels;
  Matrix3 covariance{};
  for (std::int64_t n = 0; n < data.count; ++n) {
    for (std::int64_t p = 0; p < plane; ++p) {
      const std::array<double, 3> d{value(n, 0, p) - mean[0], value(n, 1, p) - mean[1], value(n, 2, p) - mean[2]};
      for (int r = 0; r < 3; ++r) {
        for (int c = 0; c < 3; ++c) covariance[r][c] += d[r] * d[c];
      }
    }
  }
  for (auto& row : covariance) {
    for (double& x : row) x /= pixels;
  }
  return symmetric_eigen3(covariance);
}

}  // namespace alexnet
