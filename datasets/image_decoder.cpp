#include "datasets/image_decoder.hpp"

#include <png.h>

#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <vector>

// jpeglib.h needs FILE and size_t declared before it.
#include <jpeglib.h>

#include "reference_cpu/untrusted_file.hpp"

namespace alexnet {
namespace {

// Both libraries report errors by longjmp (the documented way out of a C library; a C++
// exception must not unwind through its frames). The functions that call setjmp below own
// no C++ object with a destructor: the pixel buffers live in their callers, so a longjmp
// skips nothing that needs destroying, and each library's state is destroyed on every path.

// What a decode attempt ended with; the caller turns it into a message naming the file.
enum class DecodeStatus { ok, decoder_error, empty, too_many_pixels, out_of_memory };

struct DecodeResult {
  DecodeStatus status = DecodeStatus::ok;
  std::uint32_t declared_width = 0, declared_height = 0;  // as the header says
  int width = 0, height = 0;                              // as decoded (JPEG may be scaled down)
  char reason[JMSG_LENGTH_MAX > 256 ? JMSG_LENGTH_MAX : 256] = {};
};

// Refuses a declared size of 0×N or above the limit, before anything is decoded.
DecodeStatus check_declared_size(std::uint32_t width, std::uint32_t height, const DecodeLimits& limits) {
  if (width == 0 || height == 0) return DecodeStatus::empty;
  if (static_cast<std::uint64_t>(width) * height > static_cast<std::uint64_t>(limits.max_pixels)) {
    return DecodeStatus::too_many_pixels;
  }
  return DecodeStatus::ok;
}

// Resizes a caller-owned buffer; false (not an exception through C frames) when memory runs out.
template <typename T>
bool resize_buffer(std::vector<T>& buffer, std::size_t size) {
  try {
    buffer.resize(size);
    return true;
  } catch (const std::bad_alloc&) {
    return false;
  }
}

// ---- JPEG (libjpeg-turbo) -------------------------------------------------------------------

constexpr int kMaxProgressiveScans = 500;  // libjpeg-turbo's own fuzzers' bound against slow progressive files

struct JpegErrorManager {
  jpeg_error_mgr manager;  // first member: libjpeg hands us a pointer to it
  std::jmp_buf jump;
  char* reason;
};

[[noreturn]] void on_jpeg_error(j_common_ptr info) {
  auto* error = reinterpret_cast<JpegErrorManager*>(info->err);
  (*info->err->format_message)(info, error->reason);
  std::longjmp(error->jump, 1);
}

void ignore_jpeg_message(j_common_ptr) {}  // warnings (e.g. extraneous bytes) are not printed

// Stops a progressive JPEG whose scans would take unbounded time.
void limit_jpeg_scans(j_common_ptr info) {
  const auto* decompress = reinterpret_cast<j_decompress_ptr>(info);
  if (decompress->progressive_mode && decompress->input_scan_number > kMaxProgressiveScans) {
    std::snprintf(reinterpret_cast<JpegErrorManager*>(info->err)->reason, JMSG_LENGTH_MAX,
                  "more than %d progressive scans", kMaxProgressiveScans);
    std::longjmp(reinterpret_cast<JpegErrorManager*>(info->err)->jump, 1);
  }
}

// 8, 4, 2 or 1: the largest DCT scale denominator that keeps the shorter side at least `target`.
unsigned jpeg_scale_denominator(std::uint32_t width, std::uint32_t height, int target) {
  const std::uint32_t shorter = width < height ? width : height;
  for (unsigned denominator = 8; denominator > 1; denominator /= 2) {
    if (target > 0 && (shorter + denominator - 1) / denominator >= static_cast<std::uint32_t>(target)) {
      return denominator;
    }
  }
  return 1;
}

void decode_jpeg(const unsigned char* data, std::size_t size, const DecodeLimits& limits,
                 std::vector<unsigned char>& pixels, DecodeResult& result) {
  jpeg_decompress_struct info;
  std::memset(&info, 0, sizeof info);
  JpegErrorManager error;
  info.err = jpeg_std_error(&error.manager);
  error.manager.error_exit = on_jpeg_error;
  error.manager.output_message = ignore_jpeg_message;
  error.reason = result.reason;
  jpeg_progress_mgr progress;
  progress.progress_monitor = limit_jpeg_scans;
  if (setjmp(error.jump)) {
    jpeg_destroy_decompress(&info);
    result.status = DecodeStatus::decoder_error;
    return;
  }
  jpeg_create_decompress(&info);
  info.progress = &progress;
  jpeg_mem_src(&info, data, static_cast<unsigned long>(size));
  jpeg_read_header(&info, TRUE);
  result.declared_width = info.image_width;
  result.declared_height = info.image_height;
  result.status = check_declared_size(info.image_width, info.image_height, limits);
  if (result.status == DecodeStatus::ok) {
    info.out_color_space = JCS_RGB;  // grey and YCbCr are converted; CMYK is refused by libjpeg
    info.scale_num = 1;
    info.scale_denom = jpeg_scale_denominator(info.image_width, info.image_height, limits.target_side);
    jpeg_start_decompress(&info);
    result.width = static_cast<int>(info.output_width);
    result.height = static_cast<int>(info.output_height);
    const std::size_t row_bytes = std::size_t{info.output_width} * 3;
    if (!resize_buffer(pixels, row_bytes * info.output_height)) {
      result.status = DecodeStatus::out_of_memory;
    } else {
      while (info.output_scanline < info.output_height) {
        JSAMPROW row = pixels.data() + row_bytes * info.output_scanline;
        jpeg_read_scanlines(&info, &row, 1);
      }
      jpeg_finish_decompress(&info);
    }
  }
  jpeg_destroy_decompress(&info);
}

// ---- PNG (libpng) ---------------------------------------------------------------------------

struct PngInput {
  const unsigned char* data;
  std::size_t size, at;
  char* reason;
};

[[noreturn]] void on_png_error(png_structp png, png_const_charp message) {
  auto* input = static_cast<PngInput*>(png_get_error_ptr(png));
  std::snprintf(input->reason, 256, "%s", message);
  png_longjmp(png, 1);
}

void ignore_png_warning(png_structp, png_const_charp) {}

void read_png_bytes(png_structp png, png_bytep out, png_size_t length) {
  auto* input = static_cast<PngInput*>(png_get_io_ptr(png));
  if (length > input->size - input->at) png_error(png, "truncated file");
  std::memcpy(out, input->data + input->at, length);
  input->at += length;
}

// Asks libpng for 8-bit RGB whatever the file holds: palette, grey, 16 bits, alpha.
void request_rgb8(png_structp png, png_infop info) {
  png_set_strip_16(png);
  png_set_packing(png);
  png_set_palette_to_rgb(png);
  png_set_expand_gray_1_2_4_to_8(png);
  png_set_gray_to_rgb(png);
  png_set_strip_alpha(png);
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
}

void decode_png(const unsigned char* data, std::size_t size, const DecodeLimits& limits,
                std::vector<unsigned char>& pixels, std::vector<png_bytep>& rows, DecodeResult& result) {
  PngInput input{data, size, 0, result.reason};
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &input, on_png_error, ignore_png_warning);
  if (!png) {
    result.status = DecodeStatus::out_of_memory;
    return;
  }
  png_infop info = png_create_info_struct(png);
  if (!info) {
    png_destroy_read_struct(&png, nullptr, nullptr);
    result.status = DecodeStatus::out_of_memory;
    return;
  }
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_read_struct(&png, &info, nullptr);
    result.status = DecodeStatus::decoder_error;
    return;
  }
  png_set_read_fn(png, &input, read_png_bytes);
  png_set_chunk_malloc_max(png, 8u << 20);  // text and other chunks: 8 MiB at most
  png_read_info(png, info);
  result.declared_width = png_get_image_width(png, info);
  result.declared_height = png_get_image_height(png, info);
  result.status = check_declared_size(result.declared_width, result.declared_height, limits);
  if (result.status == DecodeStatus::ok) {
    request_rgb8(png, info);
    result.width = static_cast<int>(result.declared_width);
    result.height = static_cast<int>(result.declared_height);
    const std::size_t row_bytes = png_get_rowbytes(png, info);
    if (row_bytes != std::size_t{result.declared_width} * 3) png_error(png, "unexpected row size after conversion");
    if (!resize_buffer(pixels, row_bytes * result.declared_height) || !resize_buffer(rows, result.declared_height)) {
      result.status = DecodeStatus::out_of_memory;
    } else {
      for (std::uint32_t y = 0; y < result.declared_height; ++y) rows[y] = pixels.data() + row_bytes * y;
      png_read_image(png, rows.data());
    }
  }
  png_destroy_read_struct(&png, &info, nullptr);
}

// ---- the common part ------------------------------------------------------------------------

bool starts_with(const std::string& bytes, const char* magic, std::size_t length) {
  return bytes.size() >= length && std::memcmp(bytes.data(), magic, length) == 0;
}

// The message for a decode that did not succeed, naming the file and the size it declared.
std::string failure_message(const std::string& name, const char* format, const DecodeResult& result,
                            const DecodeLimits& limits) {
  const std::string declared = std::to_string(result.declared_width) + "x" + std::to_string(result.declared_height);
  switch (result.status) {
    case DecodeStatus::empty:
      return name + ": " + format + " image of " + declared + " pixels: expected a width and height of at least 1";
    case DecodeStatus::too_many_pixels:
      return name + ": " + format + " image of " + declared + " pixels, more than the limit of " +
             std::to_string(limits.max_pixels) + " pixels (--max-pixels)";
    case DecodeStatus::out_of_memory:
      return name + ": out of memory decoding a " + format + " image of " + declared + " pixels";
    default:
      return name + ": cannot decode " + format + " image (" + result.reason + ")";
  }
}

TensorF to_planes(const std::vector<unsigned char>& interleaved, int width, int height) {
  TensorF image({3, height, width});
  const std::int64_t plane = std::int64_t{width} * height;
  for (std::int64_t i = 0; i < plane; ++i) {
    for (int c = 0; c < 3; ++c) image[c * plane + i] = interleaved[static_cast<std::size_t>(i * 3 + c)];
  }
  return image;
}

}  // namespace

TensorF decode_image_bytes_rgb(const std::string& bytes, const std::string& name, const DecodeLimits& limits) {
  const auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
  std::vector<unsigned char> pixels;
  DecodeResult result;
  const char* format = nullptr;
  if (starts_with(bytes, "\xFF\xD8\xFF", 3)) {
    format = "JPEG";
    decode_jpeg(data, bytes.size(), limits, pixels, result);
  } else if (starts_with(bytes, "\x89PNG\r\n\x1A\n", 8)) {
    format = "PNG";
    std::vector<png_bytep> rows;
    decode_png(data, bytes.size(), limits, pixels, rows, result);
  } else {
    throw std::runtime_error(name + ": not a JPEG or PNG file (expected FF D8 FF or the PNG signature at the start; "
                                    "convert other formats, e.g. with ImageMagick's convert)");
  }
  if (result.status != DecodeStatus::ok) throw std::runtime_error(failure_message(name, format, result, limits));
  return to_planes(pixels, result.width, result.height);
}

TensorF decode_image_rgb(const std::string& path, const DecodeLimits& limits) {
  return decode_image_bytes_rgb(read_regular_file(path, "an image", kMaxImageFileBytes), path, limits);
}

}  // namespace alexnet
