/// @file image_decoder.hpp
/// @brief Decoding JPEG (libjpeg-turbo) and PNG (libpng) images from outside, bounded before any pixel is decoded.
///
/// Only JPEG and PNG are read: the two formats of photographs datasets (ImageNet is JPEG) and of
/// the course's own fixtures, and the two whose decoders are fuzzed upstream continuously. The
/// declared width and height are read from the header and refused when either is 0 or their
/// product exceeds DecodeLimits::max_pixels; only then are the pixels decoded. A JPEG much larger
/// than the size it will be resized to is decoded at 1/2, 1/4 or 1/8 scale (libjpeg's DCT
/// scaling), which is also faster.
#pragma once

#include <cstdint>
#include <string>

#include "reference_cpu/tensor.hpp"

namespace alexnet {

/// @brief The default pixel limit: 50 megapixels, above the largest ImageNet photographs (about 20 MP);
/// an image of that size takes 600 MB as floats before it is resized.
constexpr std::int64_t kDefaultMaxPixels = 50'000'000;

/// @brief The largest image file read: 256 MiB.
constexpr std::uintmax_t kMaxImageFileBytes = std::uintmax_t{256} << 20;

/// @brief Limits on decoding one image, checked against its header.
struct DecodeLimits {
  std::int64_t max_pixels = kDefaultMaxPixels;  ///< width × height as the header declares it
  /// The shorter side the image will be resized to (0: unknown). A JPEG is then decoded at the
  /// smallest of the scales 1/8, 1/4, 1/2, 1 that keeps its shorter side at least this long.
  int target_side = 0;
};

/// @brief Decodes the JPEG or PNG file `path` as RGB [3, H, W] (0..255; grey becomes RGB, alpha is dropped).
///
/// Throws std::runtime_error naming the file: not a regular file, not JPEG or PNG, a size of 0 or
/// above the pixel limit, or the decoder's own reason for a corrupt file.
TensorF decode_image_rgb(const std::string& path, const DecodeLimits& limits = {});

/// @brief decode_image_rgb() on bytes in memory; `name` is the file named in errors.
TensorF decode_image_bytes_rgb(const std::string& bytes, const std::string& name, const DecodeLimits& limits = {});

}  // namespace alexnet
