// Images and datasets from outside: sizes declared in a header are refused before any pixel is decoded,
// empty images are refused, every decode error is a bad row that --skip-bad skips, labels beyond the
// network's classes are refused at the manifest's line, and IDX headers cannot make the loader allocate.
#include <catch2/catch.hpp>

#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "datasets/fashion_mnist.hpp"
#include "datasets/image.hpp"
#include "datasets/image_folder.hpp"
#include "datasets/stored_images.hpp"

using namespace alexnet;

namespace {

// A fresh folder under the build tree for one test's hostile files.
std::string hostile_folder(const std::string& name) {
  const std::string dir = std::string(ALEXNET_TEST_OUTPUT_DIR) + "/hostile/" + name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

std::string write_file(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

// A width × height RGB picture with a gradient, so that scaled decodes differ from full ones.
TensorF gradient_image(int width, int height) {
  TensorF image({3, height, width});
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      image.at(0, y, x) = static_cast<float>(x % 256);
      image.at(1, y, x) = static_cast<float>(y % 256);
      image.at(2, y, x) = 128;
    }
  }
  return image;
}

// The picture encoded by libjpeg-turbo's compressor (stb_image_write's JPEG encoder shifts negative values,
// which UBSan stops in the asan build).
std::string jpeg_bytes(int width, int height) { return encode_jpeg(gradient_image(width, height), 90); }

void put_u16_be(std::string& bytes, std::size_t at, std::uint32_t value) {
  bytes[at] = static_cast<char>(value >> 8);
  bytes[at + 1] = static_cast<char>(value);
}

void put_u32_be(std::string& bytes, std::size_t at, std::uint32_t value) {
  put_u16_be(bytes, at, value >> 16);
  put_u16_be(bytes, at + 2, value & 0xffff);
}

// A JPEG whose frame header (SOF0: FF C0, length, precision, height, width) declares another size.
std::string jpeg_declaring(int width, int height) {
  std::string jpeg = jpeg_bytes(16, 16);
  const std::size_t sof = jpeg.find("\xFF\xC0");
  REQUIRE(sof != std::string::npos);
  put_u16_be(jpeg, sof + 5, static_cast<std::uint32_t>(height));
  put_u16_be(jpeg, sof + 7, static_cast<std::uint32_t>(width));
  return jpeg;
}

// A PNG whose IHDR declares another size, with its CRC recomputed so that only the size is wrong.
std::string png_declaring(std::uint32_t width, std::uint32_t height) {
  std::string png = encode_png(gradient_image(4, 4));
  // signature (8), length (4), "IHDR" (4), width (4) at 16, height (4) at 20, ..., CRC of bytes 12..28 at 29.
  put_u32_be(png, 16, width);
  put_u32_be(png, 20, height);
  const auto crc = crc32(0, reinterpret_cast<const Bytef*>(png.data() + 12), 17);
  put_u32_be(png, 29, static_cast<std::uint32_t>(crc));
  return png;
}

std::string decode_error(const std::string& path, const DecodeLimits& limits = {}) {
  try {
    decode_image_rgb(path, limits);
  } catch (const std::runtime_error& error) {
    return error.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("a size declared above the pixel limit is refused before decoding", "[datasets][hostile]") {
  const std::string dir = hostile_folder("too_large");
  // 20000 × 20000 = 400 million pixels in files of a few hundred bytes (4.8 GB as floats if decoded).
  const std::string jpeg = write_file(dir + "/huge.jpg", jpeg_declaring(20000, 20000));
  CHECK(decode_error(jpeg) == jpeg + ": JPEG image of 20000x20000 pixels, more than the limit of 50000000 pixels "
                                     "(--max-pixels)");
  const std::string png = write_file(dir + "/huge.png", png_declaring(20000, 20000));
  CHECK(decode_error(png) == png + ": PNG image of 20000x20000 pixels, more than the limit of 50000000 pixels "
                                   "(--max-pixels)");
  const std::string small = write_file(dir + "/small.png", encode_png(gradient_image(10, 10)));
  CHECK(decode_image_rgb(small).shape() == Shape{3, 10, 10});
  CHECK(decode_error(small, DecodeLimits{99, 0}) ==
        small + ": PNG image of 10x10 pixels, more than the limit of 99 pixels (--max-pixels)");
}

TEST_CASE("an image of width or height 0 is refused", "[datasets][hostile]") {
  const std::string dir = hostile_folder("empty");
  const std::string png = write_file(dir + "/empty.png", png_declaring(0, 8));
  CHECK_THAT(decode_error(png), Catch::StartsWith(png + ": ") &&
                                    (Catch::Contains("at least 1") || Catch::Contains("IHDR")));
  const std::string jpeg = write_file(dir + "/empty.jpg", jpeg_declaring(8, 0));
  CHECK_THAT(decode_error(jpeg), Catch::StartsWith(jpeg + ": ") &&
                                     (Catch::Contains("at least 1") || Catch::Contains("Empty JPEG image")));
}

TEST_CASE("truncated, foreign and non-files are refused by name", "[datasets][hostile]") {
  const std::string dir = hostile_folder("foreign");
  const std::string png = encode_png(gradient_image(32, 32));
  const std::string cut = write_file(dir + "/cut.png", png.substr(0, png.size() / 2));
  CHECK_THAT(decode_error(cut), Catch::StartsWith(cut + ": cannot decode PNG image ("));
  const std::string gif = write_file(dir + "/zero.gif", std::string("GIF89a\0\0\x08\0", 10));
  CHECK_THAT(decode_error(gif), Catch::StartsWith(gif + ": not a JPEG or PNG file"));
  CHECK(decode_error(dir) == dir + ": expected an image (a regular file), got a directory");
  CHECK(decode_error("/dev/zero") == "/dev/zero: expected an image (a regular file), got a character device");
}

TEST_CASE("a JPEG much larger than its target is decoded at a reduced DCT scale", "[datasets][hostile]") {
  const std::string dir = hostile_folder("scaled");
  const std::string jpeg = write_file(dir + "/photo.jpg", jpeg_bytes(640, 480));
  CHECK(decode_image_rgb(jpeg).shape() == Shape{3, 480, 640});
  // Target 100: 480/4 = 120 ≥ 100 but 480/8 = 60 < 100, so 1/4 scale.
  CHECK(decode_image_rgb(jpeg, DecodeLimits{kDefaultMaxPixels, 100}).shape() == Shape{3, 120, 160});
  CHECK(decode_image_rgb(jpeg, DecodeLimits{kDefaultMaxPixels, 60}).shape() == Shape{3, 60, 80});
  CHECK(decode_image_rgb(jpeg, DecodeLimits{kDefaultMaxPixels, 480}).shape() == Shape{3, 480, 640});
  // The scaled decode still holds the picture: red grows to the right (about 4·x at 1/4 scale).
  const TensorF quarter = decode_image_rgb(jpeg, DecodeLimits{kDefaultMaxPixels, 100});
  CHECK(quarter.at(0, 60, 10) == Approx(4 * 10 + 1.5).margin(6));
}

TEST_CASE("skip_bad skips every decode error class, and lists each", "[datasets][hostile]") {
  const std::string dir = hostile_folder("skip_bad");
  write_file(dir + "/good.png", encode_png(gradient_image(12, 12)));
  write_file(dir + "/empty.png", png_declaring(0, 8));
  write_file(dir + "/huge.jpg", jpeg_declaring(20000, 20000));
  write_file(dir + "/cut.png", encode_png(gradient_image(32, 32)).substr(0, 60));
  std::filesystem::create_directories(dir + "/folder.png");
  const std::string manifest = write_file(dir + "/manifest.csv",
                                          "path,label\ngood.png,0\nempty.png,0\nhuge.jpg,1\ncut.png,1\nfolder.png,0\n");
  ImageFolderOptions options;
  options.side = 8;
  CHECK_THROWS_WITH(load_image_folder(manifest, options), Catch::StartsWith(manifest + ":3: " + dir + "/empty.png: "));
  options.skip_bad = true;
  const ImageFolder loaded = load_image_folder(manifest, options);
  CHECK(loaded.data.labels == std::vector<std::int64_t>{0});
  REQUIRE(loaded.skipped.size() == 4);
  CHECK(loaded.skipped[0].where == manifest + ":3");
  CHECK_THAT(loaded.skipped[1].reason, Catch::Contains("more than the limit"));
  CHECK(loaded.skipped[3].reason == dir + "/folder.png: expected an image (a regular file), got a directory");
}

TEST_CASE("labels beyond the network's classes are refused at load time, at their line", "[datasets][hostile]") {
  const std::string dir = hostile_folder("labels");
  write_file(dir + "/good.png", encode_png(gradient_image(12, 12)));
  const std::string manifest = write_file(dir + "/manifest.csv", "path,label\ngood.png,9\ngood.png,12\n");
  ImageFolderOptions options;
  options.side = 8;
  options.class_count = 10;
  CHECK_THROWS_WITH(load_image_folder(manifest, options),
                    manifest + ":3: label 12 is not a class of the network (expected 0..9)");
  CHECK_THROWS_WITH(load_image_folder_stored(manifest, options),
                    manifest + ":3: label 12 is not a class of the network (expected 0..9)");
  options.classes_path = write_file(dir + "/classes.csv", "index,name\n0,a\n1,b\n2,c\n");
  options.class_count = 2;
  CHECK_THROWS_WITH(load_image_folder(manifest, options),
                    options.classes_path + ": lists 3 classes, expected at most the network's 2");
}

TEST_CASE("an IDX header announcing more than its file can hold allocates nothing", "[datasets][hostile]") {
  const std::string dir = hostile_folder("idx");
  // 2,147,483,647 labels announced in a file of a few dozen bytes: refused before a 16 GiB vector.
  const std::string labels = dir + "/labels.gz";
  gzFile file = gzopen(labels.c_str(), "wb");
  REQUIRE(file != nullptr);
  const char header[] = {0, 0, 8, 1, 0x7f, char(0xff), char(0xff), char(0xff), 3, 4};
  REQUIRE(gzwrite(file, header, sizeof header) == static_cast<int>(sizeof header));
  gzclose(file);
  CHECK_THROWS_WITH(read_idx_labels(labels), Catch::StartsWith(labels + ": the header announces 2147483647 labels "
                                                               "(2147483647 bytes), more than a file of ") &&
                                                 Catch::Contains("bytes can hold"));
  CHECK_THROWS_WITH(read_idx_images(dir), dir + ": expected a gzip'd IDX file (a regular file), got a directory");
  CHECK_THROWS_WITH(read_idx_labels("/dev/zero"),
                    "/dev/zero: expected a gzip'd IDX file (a regular file), got a character device");
}
