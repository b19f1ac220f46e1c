#include "datasets/image.hpp"

#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb/stb_image_write.h>

#include <cstdio>  // jpeglib.h needs FILE
#include <jpeglib.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <stdexcept>
#include <vector>

#include "reference_cpu/atomic_file.hpp"

namespace alexnet {
namespace {

// An image [C, H, W] as bytes C values per pixel, row after row (values rounded and clamped to 0..255).
std::vector<unsigned char> interleaved_bytes(const TensorF& image) {
  const int channels = static_cast<int>(image.dim(0)), height = static_cast<int>(image.dim(1)),
            width = static_cast<int>(image.dim(2));
  std::vector<unsigned char> interleaved(static_cast<std::size_t>(image.size()));
  for (int c = 0; c < channels; ++c) {
    for (int y = 0; y < height; ++y) {
      for (int x = 0; x < width; ++x) {
        const float value = std::clamp(std::round(image.at(c, y, x)), 0.0f, 255.0f);
        interleaved[(static_cast<std::size_t>(y) * width + x) * channels + c] = static_cast<unsigned char>(value);
      }
    }
  }
  return interleaved;
}

// Where target pixel t of a rescaled axis samples the source axis of `length` pixels.
struct Tap {
  int low, high;   // the two source pixels
  float weight;    // of `high`
};

Tap source_tap(int target, double scale, int length) {
  const double source = std::clamp((target + 0.5) / scale - 0.5, 0.0, length - 1.0);
  const int low = static_cast<int>(source);
  return {low, std::min(low + 1, length - 1), static_cast<float>(source - low)};
}

void require_image(const std::string& op, const TensorF& image) {
  if (image.rank() != 3 || (image.dim(0) != 1 && image.dim(0) != 3)) {
    throw std::invalid_argument(op + ": expected an image [1 or 3, H, W], got " + to_string(image.shape()));
  }
}

}  // namespace

TensorF resize_and_crop_centre(const TensorF& image, int side) {
  require_image("resize_and_crop_centre", image);
  const int channels = static_cast<int>(image.dim(0)), height = static_cast<int>(image.dim(1)),
            width = static_cast<int>(image.dim(2));
  const double scale = static_cast<double>(side) / std::min(height, width);
  // The rescaled image is round(H·scale) × round(W·scale); the crop starts half the excess in.
  const int top = (static_cast<int>(std::lround(height * scale)) - side) / 2;
  const int left = (static_cast<int>(std::lround(width * scale)) - side) / 2;
  TensorF out({channels, side, side});
  std::vector<Tap> columns;  // the same for every row: computed once
  for (int x = 0; x < side; ++x) columns.push_back(source_tap(left + x, scale, width));
  for (int y = 0; y < side; ++y) {
    const Tap row = source_tap(top + y, scale, height);
    for (int x = 0; x < side; ++x) {
      const Tap& column = columns[static_cast<std::size_t>(x)];
      for (int c = 0; c < channels; ++c) {
        const float upper = image.at(c, row.low, column.low) * (1 - column.weight) +
                            image.at(c, row.low, column.high) * column.weight;
        const float lower = image.at(c, row.high, column.low) * (1 - column.weight) +
                            image.at(c, row.high, column.high) * column.weight;
        out.at(c, y, x) = upper * (1 - row.weight) + lower * row.weight;
      }
    }
  }
  return out;
}

TensorF to_rgb_squares(const TensorF& images, int side) {
  if (images.rank() != 4) throw std::invalid_argument("to_rgb_squares: expected [N, C, H, W], got " + to_string(images.shape()));
  const std::int64_t n = images.dim(0), per_image = images.size() / std::max<std::int64_t>(n, 1);
  const std::int64_t plane = std::int64_t{side} * side;
  TensorF out({n, 3, side, side});
  for (std::int64_t i = 0; i < n; ++i) {
    const auto begin = images.values().begin() + i * per_image;
    const TensorF square = resize_and_crop_centre(
        TensorF({images.dim(1), images.dim(2), images.dim(3)}, std::vector<float>(begin, begin + per_image)), side);
    for (std::int64_t c = 0; c < 3; ++c) {
      const float* source = square.data() + (square.dim(0) == 1 ? 0 : c) * plane;
      std::copy(source, source + plane, out.data() + (i * 3 + c) * plane);
    }
  }
  return out;
}

std::string encode_png(const TensorF& image) {
  require_image("encode_png", image);
  const int channels = static_cast<int>(image.dim(0)), height = static_cast<int>(image.dim(1)),
            width = static_cast<int>(image.dim(2));
  const std::vector<unsigned char> interleaved = interleaved_bytes(image);
  std::string png;
  const auto append = [](void* context, void* data, int size) {
    static_cast<std::string*>(context)->append(static_cast<const char*>(data), static_cast<std::size_t>(size));
  };
  if (stbi_write_png_to_func(append, &png, width, height, channels, interleaved.data(), width * channels) == 0) {
    throw std::runtime_error("encode_png: stb_image_write failed for an image of shape " + to_string(image.shape()));
  }
  return png;
}

std::string encode_jpeg(const TensorF& image, int quality) {
  require_image("encode_jpeg", image);
  const int channels = static_cast<int>(image.dim(0)), height = static_cast<int>(image.dim(1)),
            width = static_cast<int>(image.dim(2));
  const std::vector<unsigned char> interleaved = interleaved_bytes(image);
  jpeg_compress_struct info{};
  jpeg_error_mgr error{};
  info.err = jpeg_std_error(&error);  // libjpeg's default: a message and exit(), for a program's own pixels only
  jpeg_create_compress(&info);
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&info, &buffer, &size);
  info.image_width = static_cast<JDIMENSION>(width);
  info.image_height = static_cast<JDIMENSION>(height);
  info.input_components = channels;
  info.in_color_space = channels == 3 ? JCS_RGB : JCS_GRAYSCALE;
  jpeg_set_defaults(&info);
  jpeg_set_quality(&info, quality, TRUE);
  jpeg_start_compress(&info, TRUE);
  while (info.next_scanline < info.image_height) {
    JSAMPROW row[] = {const_cast<unsigned char*>(interleaved.data()) +
                      static_cast<std::size_t>(info.next_scanline) * width * channels};
    jpeg_write_scanlines(&info, row, 1);
  }
  jpeg_finish_compress(&info);
  jpeg_destroy_compress(&info);
  std::string jpeg(reinterpret_cast<const char*>(buffer), size);
  std::free(buffer);
  return jpeg;
}

void write_png(const std::string& path, const TensorF& image) {
  const std::string png = encode_png(image);
  write_file_atomically(path, [&](std::ostream& out) { out.write(png.data(), static_cast<std::streamsize>(png.size())); });
}

}  // namespace alexnet
