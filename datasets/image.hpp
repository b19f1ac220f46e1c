/// @file image.hpp
/// @brief Decoding (image_decoder.hpp: libjpeg-turbo and libpng), the paper's rescale-and-centre-crop, and writing PNGs (stb_image_write) and JPEGs (libjpeg-turbo).
///
/// Images are float tensors [C, H, W] (one image) or [N, C, H, W] holding 8-bit
/// pixel values 0..255; C = 3 is RGB, C = 1 grey.
#pragma once

#include <string>

#include "datasets/image_decoder.hpp"
#include "reference_cpu/tensor.hpp"

namespace alexnet {

/// @brief Side of the square training images: the paper rescales the shorter side to 256 and keeps the central 256×256.
constexpr int kTrainingImageSide = 256;

/// @brief Rescales `image` [C, H, W] so its shorter side is `side` and returns the central `side`×`side` square.
///
/// One bilinear loop with pixel centres aligned (source = (target + 0.5)/scale − 0.5,
/// clamped at the border) that only evaluates the pixels the crop keeps. It does
/// not low-pass filter first, so strong downscaling aliases a little; the paper
/// does not say which filter it used.
TensorF resize_and_crop_centre(const TensorF& image, int side);

/// @brief Every image of [N, C, H, W] (C = 1 or 3) rescaled and centre-cropped to [N, 3, side, side]; grey is copied to R, G and B.
TensorF to_rgb_squares(const TensorF& images, int side);

/// @brief PNG bytes of an image [3, H, W] or [1, H, W]; values are rounded and clamped to 0..255.
std::string encode_png(const TensorF& image);

/// @brief JPEG bytes (libjpeg-turbo's encoder, `quality` 1..100) of an image [3, H, W] or [1, H, W]; values are
/// rounded and clamped to 0..255. (stb_image_write's JPEG encoder shifts negative values: undefined behaviour.)
std::string encode_jpeg(const TensorF& image, int quality);

/// @brief encode_png() written to `path` through a temporary file and a rename.
void write_png(const std::string& path, const TensorF& image);

}  // namespace alexnet
