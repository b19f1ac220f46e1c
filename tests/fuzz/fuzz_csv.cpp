// libFuzzer target: the CSV readers (datasets/image_folder.cpp): the input is read both as a manifest
// (path,label; its rows may name the small PNG and JPEG written next to it) and as a classes file (index,name).
#include "datasets/image_folder.hpp"
#include "datasets/stored_images.hpp"
#include "fuzz_input.hpp"

namespace {

// A 6×4 PNG (a.png) and a copy of it under another name (b.png) beside the manifest, written once.
void write_images_once() {
  static const bool written = [] {
    alexnet::TensorF image({3, 4, 6}, 100.0f);
    const std::string png = alexnet::encode_png(image);
    const auto* bytes = reinterpret_cast<const std::uint8_t*>(png.data());
    alexnet::fuzz::write_input(bytes, png.size(), "a.png");
    alexnet::fuzz::write_input(bytes, png.size(), "b.png");
    const std::string classes = "index,name\n0,cat\n1,dog\n";
    alexnet::fuzz::write_input(reinterpret_cast<const std::uint8_t*>(classes.data()), classes.size(), "classes.csv");
    return true;
  }();
  (void)written;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  write_images_once();
  const std::string path = alexnet::fuzz::write_input(data, size, "manifest.csv");
  alexnet::ImageFolderOptions options;
  options.side = 8;
  options.max_pixels = 1 << 16;
  options.class_count = 10;
  alexnet::fuzz::expect_named_errors_only([&] { alexnet::load_image_folder_stored(path, options); });
  options.skip_bad = true;
  options.classes_path = alexnet::fuzz::scratch_folder() + "/classes.csv";
  alexnet::fuzz::expect_named_errors_only([&] { alexnet::load_image_folder_stored(path, options); });
  alexnet::fuzz::expect_named_errors_only([&] { alexnet::read_class_names(path); });
  return 0;
}
