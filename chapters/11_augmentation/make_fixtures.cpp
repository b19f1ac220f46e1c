// make_fixtures: draws the tiny images committed in fixtures/ (and their
// manifest and classes files), so that anyone can see how they were made.
//
//   make_fixtures [--fashion-mnist DIR] OUTPUT_DIR
//
// Two drawn patterns of other aspect ratios than square (to exercise the
// rescale and centre crop), a disc, and two Fashion-MNIST test images, one
// saved as a grey PNG (the decoder must turn it into RGB) and one tinted.
#include <CLI/CLI.hpp>

#include <cmath>
#include <iostream>
#include <string>

#include "datasets/fashion_mnist.hpp"
#include "datasets/image.hpp"
#include "reference_cpu/atomic_file.hpp"

using namespace alexnet;

namespace {

// 40×30 (landscape): vertical red, green and blue stripes 5 pixels wide, on black rows at the top and bottom.
TensorF stripes() {
  TensorF image({3, 30, 40});
  for (int y = 3; y < 27; ++y) {
    for (int x = 0; x < 40; ++x) image.at((x / 5) % 3, y, x) = 255;
  }
  return image;
}

// 24×48 (portrait): red grows to the right, green downwards, blue constant.
TensorF gradient() {
  TensorF image({3, 48, 24});
  for (int y = 0; y < 48; ++y) {
    for (int x = 0; x < 24; ++x) {
      image.at(0, y, x) = 255.0f * x / 23;
      image.at(1, y, x) = 255.0f * y / 47;
      image.at(2, y, x) = 96;
    }
  }
  return image;
}

// 32×32: an orange disc of radius 11 on a sky-blue background.
TensorF disc() {
  TensorF image({3, 32, 32});
  const float inside[3] = {250, 150, 30}, outside[3] = {90, 170, 240};
  for (int y = 0; y < 32; ++y) {
    for (int x = 0; x < 32; ++x) {
      const bool in = std::hypot(x - 15.5, y - 15.5) < 11;
      for (int c = 0; c < 3; ++c) image.at(c, y, x) = in ? inside[c] : outside[c];
    }
  }
  return image;
}

// Image n of a [N, 1, 28, 28] batch, as [1, 28, 28] (grey) or tinted [3, 28, 28].
TensorF fashion_image(const TensorF& images, std::int64_t n, bool tinted) {
  TensorF image({tinted ? 3 : 1, 28, 28});
  const float tint[3] = {1.0f, 0.55f, 0.75f};
  for (std::int64_t c = 0; c < image.dim(0); ++c) {
    for (int y = 0; y < 28; ++y) {
      for (int x = 0; x < 28; ++x) image.at(c, y, x) = images.at(n, 0, y, x) * (tinted ? tint[c] : 1.0f);
    }
  }
  return image;
}

void write_text(const std::string& path, const std::string& text) {
  write_file_atomically(path, [&](std::ostream& out) { out << text; });
}

}  // namespace

int main(int argc, char* argv[]) {
  CLI::App app{"Draws the tiny images of fixtures/ and writes them with their manifest and classes files"};
  std::string fashion_dir = kFashionMnistDirectory, out_dir;
  app.add_option("--fashion-mnist", fashion_dir, "Fashion-MNIST's folder")->capture_default_str();
  app.add_option("OUTPUT_DIR", out_dir, "the folder to write into")->required();
  CLI11_PARSE(app, argc, argv);
  try {
    // Test images 0 (label 9, an ankle boot) and 1 (label 2, a pullover).
    const LabeledImages fashion = load_fashion_mnist(fashion_dir, FashionMnistSplit::Test, 2);
    write_png(out_dir + "/stripes_40x30.png", stripes());
    write_png(out_dir + "/gradient_24x48.png", gradient());
    write_png(out_dir + "/disc_32x32.png", disc());
    write_png(out_dir + "/ankle_boot_grey.png", fashion_image(fashion.images, 0, false));
    write_png(out_dir + "/pullover_tinted.png", fashion_image(fashion.images, 1, true));
    write_text(out_dir + "/classes.csv", "index,name\n0,pattern\n1,clothing\n");
    // The last row gives its label as a class index instead of a name.
    write_text(out_dir + "/manifest.csv",
               "path,label\nstripes_40x30.png,pattern\ngradient_24x48.png,pattern\ndisc_32x32.png,pattern\n"
               "ankle_boot_grey.png,clothing\n\"pullover_tinted.png\",1\n");
  } catch (const std::exception& error) {
    std::cerr << "make_fixtures: " << error.what() << "\n";
    return 1;
  }
  std::cout << "wrote 5 images, manifest.csv and classes.csv to " << out_dir << "\n";
  return 0;
}
