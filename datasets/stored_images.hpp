/// @file stored_images.hpp
/// @brief A training set kept as bytes at the size it was stored, and the index
/// arithmetic of a training run: a held-out validation set and one shuffled order per epoch.
///
/// Turning all 60,000 Fashion-MNIST images into 256×256 RGB floats up front would
/// take 60,000·3·256·256·4 bytes ≈ 47 GB; kept as bytes at 28×28 they take
/// 60,000·784 = 47,040,000 bytes. A training loop therefore stores bytes and
/// prepares floats one batch at a time (datasets/training_batches.hpp).
/// Every random choice here is drawn from the counter-based generator
/// (reference_cpu/random.hpp), so it is the same on every machine.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "datasets/fashion_mnist.hpp"
#include "datasets/image_folder.hpp"
#include "datasets/labeled_images.hpp"
#include "reference_cpu/augment.hpp"

namespace alexnet {

/// @brief Images as 8-bit pixels at their stored size, with one label each.
struct StoredImages {
  std::int64_t count = 0;                ///< number of images
  int channels = 0;                      ///< 1 (grey) or 3 (RGB)
  int height = 0;                        ///< rows of every image
  int width = 0;                         ///< columns of every image
  std::vector<std::uint8_t> pixels;      ///< [count, channels, height, width], 0..255
  std::vector<std::int64_t> labels;      ///< count labels
  std::vector<std::string> class_names;  ///< class index -> name; may be empty

  /// @brief Bytes of one image: channels·height·width.
  std::int64_t image_bytes() const { return std::int64_t{channels} * height * width; }
  /// @brief The first byte of image `i` (unchecked).
  const std::uint8_t* image(std::int64_t i) const { return pixels.data() + i * image_bytes(); }
};

/// @brief What a manifest gave as bytes: the images that loaded, their paths, and the rows skipped.
struct StoredImageFolder {
  StoredImages data;                 ///< images 3×side×side as bytes, labels, class names
  std::vector<std::string> paths;    ///< the file each image came from
  std::vector<SkippedRow> skipped;   ///< rows skipped under skip_bad (empty otherwise)
};

/// @brief One split of Fashion-MNIST as bytes 1×28×28, the first `limit` images (all if < 0); errors as load_fashion_mnist().
///
/// Defined in fashion_mnist.cpp, next to the IDX reader it shares with load_fashion_mnist().
StoredImages load_fashion_mnist_stored(const std::string& directory, FashionMnistSplit split, std::int64_t limit = -1);

/// @brief Every image of a manifest as bytes 3×side×side (load_image_folder()'s rescale and centre crop, rounded and clamped).
///
/// Defined in image_folder.cpp, next to the manifest reader it shares with load_image_folder().
StoredImageFolder load_image_folder_stored(const std::string& manifest_path, const ImageFolderOptions& options = {});

/// @brief A pixel value as a byte: rounded to the nearest integer and clamped to 0..255.
std::uint8_t to_byte(float value);

/// @brief Float images [N, C, H, W] rounded and clamped to bytes (e.g. synthetic_images() for tests).
StoredImages to_stored_images(const LabeledImages& data);

/// @brief Bytes back to float images [N, C, H, W] holding 0..255 (the whole set: only for small sets and tests).
LabeledImages to_labeled_images(const StoredImages& data);

/// @brief The images data[indices[0]], data[indices[1]], ... with their labels; throws on an index outside 0..count−1.
StoredImages select_images(const StoredImages& data, const std::vector<std::int64_t>& indices);

/// @brief A training set and the validation set held out of it.
struct TrainValidationSplit {
  StoredImages train;       ///< the images not held out, in their original order
  StoredImages validation;  ///< the held-out images, in their original order
};

/// @brief Holds out a random `validation_count` images fixed by `seed` (0 ≤ validation_count < count).
TrainValidationSplit hold_out_validation(const StoredImages& all, std::int64_t validation_count, std::uint64_t seed);

/// @brief The order of one epoch: a permutation of 0..count−1 that depends on (seed, epoch) only (Fisher–Yates).
std::vector<std::int64_t> epoch_order(std::int64_t count, std::uint64_t seed, std::uint64_t epoch);

/// @brief Mean R, G, B value over every pixel, 0..255 scale (grey: the same value three times).
std::array<float, 3> stored_channel_mean(const StoredImages& data);

/// @brief colour_pca() of the RGB values of every pixel (grey is copied to R, G and B), without converting the set to floats.
SymmetricEigen3 stored_colour_pca(const StoredImages& data);

}  // namespace alexnet
