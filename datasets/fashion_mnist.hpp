/// @file fashion_mnist.hpp
/// @brief Fashion-MNIST from its gzip'd IDX files (Debian's dataset-fashion-mnist).
///
/// An IDX file is a big-endian header — a magic number (2051 for images, 2049
/// for labels), the count, and for images the rows and columns — followed by
/// one unsigned byte per pixel or label. The files are read through zlib and
/// every defect (unreadable gzip, truncation, wrong magic, implausible sizes,
/// counts that disagree, labels out of range) is an error naming the file and,
/// where it applies, the image or label index. load_fashion_mnist_stored()
/// (stored_images.hpp) reads the same files as bytes, for training.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "datasets/labeled_images.hpp"

namespace alexnet {

/// @brief Where Debian's dataset-fashion-mnist package installs the four files (`dpkg -L dataset-fashion-mnist`).
inline const std::string kFashionMnistDirectory = "/usr/share/datasets/fashion-mnist";

/// @brief Which half of Fashion-MNIST: 60,000 training or 10,000 test images.
enum class FashionMnistSplit {
  Train,  ///< train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz
  Test,   ///< t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz
};

/// @brief Images of an IDX3 file (gzip'd or not) as [N, 1, rows, cols], values 0..255; at most `limit` (all if < 0).
TensorF read_idx_images(const std::string& path, std::int64_t limit = -1);

/// @brief Labels of an IDX1 file (gzip'd or not); at most `limit` (all if < 0).
std::vector<std::int64_t> read_idx_labels(const std::string& path, std::int64_t limit = -1);

/// @brief The ten class names, index = label ("T-shirt/top", "Trouser", ..., "Ankle boot").
std::vector<std::string> fashion_mnist_class_names();

/// @brief Images [N, 1, 28, 28], labels and class names of one split; the first `limit` images (all if < 0).
LabeledImages load_fashion_mnist(const std::string& directory, FashionMnistSplit split, std::int64_t limit = -1);

}  // namespace alexnet
