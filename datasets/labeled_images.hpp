/// @file labeled_images.hpp
/// @brief A set of images with their labels, and the batches a training loop takes from it.
///
/// Every loader in datasets/ returns images as float tensors [N, C, H, W]
/// (NCHW, RGB when C = 3) holding the 8-bit pixel values 0..255 unchanged.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "reference_cpu/tensor.hpp"

namespace alexnet {

/// @brief Images, one label per image, and (when known) the name of each class.
struct LabeledImages {
  TensorF images;                        ///< [N, C, H, W], values 0..255
  std::vector<std::int64_t> labels;      ///< N class indices in [0, class_names.size()) when names are known
  std::vector<std::string> class_names;  ///< class index -> name; may be empty
};

/// @brief Number of batches of `batch_size` images (the last one may be smaller).
std::int64_t batch_count(const LabeledImages& data, std::int64_t batch_size);

/// @brief Batch `index` of `batch_size` images: images [index·batch_size, ...) and their labels.
LabeledImages batch(const LabeledImages& data, std::int64_t index, std::int64_t batch_size);

}  // namespace alexnet
