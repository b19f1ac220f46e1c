// Loaders: Fashion-MNIST from the Debian package, the committed CSV fixtures,
// synthetic data, and every kind of bad input, written at run time into the build folder.
#include <catch2/catch.hpp>

#include <zlib.h>

#include <filesystem>
#include <fstream>

#include "datasets/fashion_mnist.hpp"
#include "datasets/image_folder.hpp"
#include "datasets/synthetic.hpp"

using namespace alexnet;

namespace {

const std::string kFixtures = ALEXNET_FIXTURES_DIR;

// A fresh folder under the build tree for one test's bad files.
std::string scratch(const std::string& name) {
  const std::string dir = std::string(ALEXNET_TEST_OUTPUT_DIR) + "/scratch/" + name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

// Big-endian 32-bit header field.
std::string u32(std::uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8), static_cast<char>(v)};
}

void write_gzip(const std::string& path, const std::string& bytes) {
  gzFile file = gzopen(path.c_str(), "wb");
  REQUIRE(file != nullptr);
  REQUIRE(gzwrite(file, bytes.data(), static_cast<unsigned>(bytes.size())) == static_cast<int>(bytes.size()));
  gzclose(file);
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// An IDX3 file of `count` announced 2×2 images holding `stored` of them.
std::string idx_images(std::uint32_t count, std::uint32_t stored) {
  return u32(2051) + u32(count) + u32(2) + u32(2) + std::string(4 * stored, '\x07');
}

}  // namespace

TEST_CASE("Fashion-MNIST test split from the Debian package", "[datasets][fashion_mnist]") {
  const LabeledImages test = load_fashion_mnist(kFashionMnistDirectory, FashionMnistSplit::Test);
  CHECK(test.images.shape() == Shape{10000, 1, 28, 28});
  REQUIRE(test.labels.size() == 10000);
  // The first test image is an ankle boot (label 9) whose 784 pixels sum to 33,456
  // (zcat t10k-images-idx3-ubyte.gz, then sum bytes 16..799 in Python).
  CHECK(test.labels[0] == 9);
  CHECK(test.class_names[9] == "Ankle boot");
  double sum = 0;
  for (std::int64_t i = 0; i < 784; ++i) sum += test.images[i];
  CHECK(sum == 33456);
  // Test labels 0..11: 9 2 1 1 6 1 4 6 5 7 4 5.
  CHECK(std::vector<std::int64_t>(test.labels.begin(), test.labels.begin() + 12) ==
        std::vector<std::int64_t>{9, 2, 1, 1, 6, 1, 4, 6, 5, 7, 4, 5});
}

TEST_CASE("a limit reads only the first images; batches cover them in order", "[datasets][fashion_mnist]") {
  const LabeledImages train = load_fashion_mnist(kFashionMnistDirectory, FashionMnistSplit::Train, 100);
  CHECK(train.images.shape() == Shape{100, 1, 28, 28});
  CHECK(batch_count(train, 32) == 4);  // 32 + 32 + 32 + 4
  const LabeledImages last = batch(train, 3, 32);
  CHECK(last.images.shape() == Shape{4, 1, 28, 28});
  CHECK(last.labels == std::vector<std::int64_t>(train.labels.begin() + 96, train.labels.end()));
  CHECK(last.images.at(3, 0, 27, 27) == train.images.at(99, 0, 27, 27));
  CHECK_THROWS_WITH(batch(train, 4, 32), "batch: index 4 of 4 batches");
}

TEST_CASE("a wrong magic number names the file and both numbers", "[datasets][bad_input]") {
  const std::string path = scratch("magic") + "/labels-as-images.gz";
  write_gzip(path, u32(2049) + u32(1) + "\x03");
  CHECK_THROWS_WITH(read_idx_images(path), path + ": bad magic number 2049 (expected 2051 for IDX images)");
}

TEST_CASE("an IDX file with fewer images than its header names the missing one", "[datasets][bad_input]") {
  const std::string path = scratch("short_idx") + "/images.gz";
  write_gzip(path, idx_images(5, 2));
  CHECK_THROWS_WITH(read_idx_images(path), path + ": truncated: image 2 of 5 has 0 of 4 bytes");
  CHECK(read_idx_images(path, 2).shape() == Shape{2, 1, 2, 2});  // the two that are there
}

TEST_CASE("a truncated gzip file is an error naming the file and the label", "[datasets][bad_input]") {
  const std::string labels = read_bytes(kFashionMnistDirectory + "/t10k-labels-idx1-ubyte.gz");
  const std::string path = scratch("truncated_gz") + "/t10k-labels-idx1-ubyte.gz";
  write_bytes(path, labels.substr(0, labels.size() / 2));
  CHECK_THROWS_WITH(read_idx_labels(path), Catch::StartsWith(path + ": truncated: label ") &&
                                               Catch::Contains(" of 10000 has 0 of 1 bytes"));
}

TEST_CASE("corrupt gzip data is an error naming the file", "[datasets][bad_input]") {
  std::string labels = read_bytes(kFashionMnistDirectory + "/t10k-labels-idx1-ubyte.gz");
  for (std::size_t i = 100; i < 200; ++i) labels[i] = static_cast<char>(~labels[i]);
  const std::string path = scratch("corrupt_gz") + "/t10k-labels-idx1-ubyte.gz";
  write_bytes(path, labels);
  // zlib reads ahead in blocks: the error surfaces at the first read after the damage is decoded.
  CHECK_THROWS_WITH(read_idx_labels(path), Catch::StartsWith(path + ": corrupt gzip data (zlib: ") &&
                                               Catch::Contains(") reading "));
}

TEST_CASE("image and label files of different lengths are refused", "[datasets][bad_input]") {
  const std::string dir = scratch("count_mismatch");
  write_gzip(dir + "/t10k-images-idx3-ubyte.gz", idx_images(3, 3));
  write_gzip(dir + "/t10k-labels-idx1-ubyte.gz", u32(2049) + u32(2) + std::string("\x01\x02", 2));
  CHECK_THROWS_WITH(load_fashion_mnist(dir, FashionMnistSplit::Test),
                    dir + "/t10k-images-idx3-ubyte.gz holds 3 images but " + dir +
                        "/t10k-labels-idx1-ubyte.gz holds 2 labels");
  write_gzip(dir + "/t10k-labels-idx1-ubyte.gz", u32(2049) + u32(3) + std::string("\x01\x0c\x02", 3));
  CHECK_THROWS_WITH(load_fashion_mnist(dir, FashionMnistSplit::Test),
                    dir + "/t10k-labels-idx1-ubyte.gz: label 1 is 12, not a class (0..9)");
  CHECK_THROWS_WITH(load_fashion_mnist(dir + "/nowhere", FashionMnistSplit::Test),
                    Catch::StartsWith(dir + "/nowhere/t10k-images-idx3-ubyte.gz: cannot read a gzip'd IDX file"));
}

TEST_CASE("the committed image folder loads as 256×256 RGB with its classes", "[datasets][csv]") {
  ImageFolderOptions options;
  options.classes_path = kFixtures + "/classes.csv";
  const ImageFolder folder = load_image_folder(kFixtures + "/manifest.csv", options);
  CHECK(folder.data.images.shape() == Shape{5, 3, 256, 256});
  CHECK(folder.data.labels == std::vector<std::int64_t>{0, 0, 0, 1, 1});
  CHECK(folder.data.class_names == std::vector<std::string>{"pattern", "clothing"});
  CHECK(folder.skipped.empty());
  // The grey PNG (image 3) came out with R = G = B.
  const TensorF& images = folder.data.images;
  bool grey = true;
  for (int y = 0; y < 256; ++y) {
    for (int x = 0; x < 256; ++x) grey = grey && images.at(3, 0, y, x) == images.at(3, 1, y, x) && images.at(3, 1, y, x) == images.at(3, 2, y, x);
  }
  CHECK(grey);
  // The disc's centre is orange (250, 150, 30), its corner sky blue (90, 170, 240).
  CHECK(images.at(2, 0, 128, 128) == 250);
  CHECK(images.at(2, 2, 0, 0) == 240);
  // The 40×30 stripes: the shorter side 30 becomes 256, the width 341 is cropped to
  // its middle 256, so the black rows at the top (3 of 30 source rows) remain.
  CHECK(images.at(0, 0, 0, 128) + images.at(0, 1, 0, 128) + images.at(0, 2, 0, 128) == 0);
}

TEST_CASE("rescaling: the shorter side to 256, then the centre, bilinear by hand", "[datasets][resize]") {
  // A 1×2 grey image [0, 255] to side 2: scale 2, rescaled 4×2, crop from column 1.
  // Output column 0 samples source x = (1 + 0.5)/2 − 0.5 = 0.25 → 0.75·0 + 0.25·255 = 63.75;
  // column 1 samples x = 0.75 → 191.25. Rows sample y = −0.25 and 0.25, clamped to row 0.
  const TensorF out = resize_and_crop_centre(TensorF({1, 1, 2}, {0, 255}), 2);
  CHECK(out.values() == std::vector<float>{63.75f, 191.25f, 63.75f, 191.25f});
  const TensorF rgb = to_rgb_squares(TensorF({1, 1, 1, 2}, {0, 255}), 2);
  CHECK(rgb.shape() == Shape{1, 3, 2, 2});
  CHECK(rgb.at(0, 2, 1, 1) == 191.25f);
}

TEST_CASE("synthetic images are the same for the same seed", "[datasets][synthetic]") {
  const LabeledImages a = synthetic_images(8, 16, 3, 5), b = synthetic_images(8, 16, 3, 5);
  CHECK(a.images.values() == b.images.values());
  CHECK(a.labels == b.labels);
  CHECK(synthetic_images(8, 16, 3, 6).images.values() != a.images.values());
  for (std::int64_t label : a.labels) CHECK((label >= 0 && label < 3));
  for (float v : a.images.values()) CHECK((v >= 10 && v <= 245));
}

namespace {

// A folder with the fixture classes, a good image and every kind of bad row.
struct BadFolder {
  std::string dir = scratch("bad_manifest");
  std::string manifest = dir + "/manifest.csv";
  BadFolder() {
    std::filesystem::copy_file(kFixtures + "/disc_32x32.png", dir + "/disc.png");
    std::filesystem::copy_file(kFixtures + "/classes.csv", dir + "/classes.csv");
    write_bytes(dir + "/junk.png", "this is not a PNG");
    write_bytes(manifest,
                "path,label\n"
                "disc.png,pattern\n"      // line 2: good
                "disc.png\n"              // line 3: missing column
                "disc.png,zebra\n"        // line 4: unknown class
                "missing.png,pattern\n"   // line 5: no such file
                "junk.png,clothing\n"     // line 6: not an image
                "disc.png,1\n");          // line 7: good, label by index
  }
  ImageFolderOptions options(bool skip_bad) const {
    ImageFolderOptions o;
    o.classes_path = dir + "/classes.csv";
    o.skip_bad = skip_bad;
    return o;
  }
};

}  // namespace

TEST_CASE("a bad manifest row is an error naming the file and line", "[datasets][csv][bad_input]") {
  BadFolder folder;
  CHECK_THROWS_WITH(load_image_folder(folder.manifest, folder.options(false)),
                    folder.manifest + ":3: missing column (expected 2)");
}

TEST_CASE("skip_bad skips bad rows and says which and why", "[datasets][csv][bad_input]") {
  BadFolder folder;
  const ImageFolder loaded = load_image_folder(folder.manifest, folder.options(true));
  CHECK(loaded.data.images.dim(0) == 2);
  CHECK(loaded.data.labels == std::vector<std::int64_t>{0, 1});
  REQUIRE(loaded.skipped.size() == 4);
  const std::string m = folder.manifest;
  CHECK(describe_skipped(loaded.skipped) ==
        "skipped 4 bad rows:\n"
        "  " + m + ":3: missing column (expected 2)\n"
        "  " + m + ":4: label 'zebra' is not a known class (" + folder.dir + "/classes.csv lists 2)\n"
        "  " + m + ":5: " + folder.dir + "/missing.png: cannot read an image (No such file or directory)\n"
        "  " + m + ":6: " + folder.dir + "/junk.png: not a JPEG or PNG file (expected FF D8 FF or the PNG "
        "signature at the start; convert other formats, e.g. with ImageMagick's convert)\n");
}

TEST_CASE("without a classes file labels must be class indices", "[datasets][csv][bad_input]") {
  BadFolder folder;
  ImageFolderOptions options;
  options.skip_bad = true;
  const ImageFolder loaded = load_image_folder(folder.manifest, options);
  CHECK(loaded.data.labels == std::vector<std::int64_t>{1});  // only line 7's "1" is an index
  REQUIRE(loaded.skipped.size() == 5);
  CHECK(loaded.skipped.at(0).where == folder.manifest + ":2");
  CHECK(loaded.skipped.at(0).reason ==
        "label 'pattern' is not a class index (without a classes file labels are 0, 1, ...)");
}

TEST_CASE("bad headers and bad classes files name file and line", "[datasets][csv][bad_input]") {
  const std::string dir = scratch("bad_headers");
  write_bytes(dir + "/manifest.csv", "file,label\na.png,0\n");
  CHECK_THROWS_WITH(load_image_folder(dir + "/manifest.csv"),
                    Catch::StartsWith(dir + "/manifest.csv:1: expected the header 'path,label'"));
  write_bytes(dir + "/classes.csv", "index,name\n0,cat\n1,dog\n0,cow\n");
  CHECK_THROWS_WITH(read_class_names(dir + "/classes.csv"),
                    dir + "/classes.csv:4: class 0 is already defined on line 2");
  write_bytes(dir + "/classes.csv", "index,name\n0,cat\n2,dog\n");
  CHECK_THROWS_WITH(read_class_names(dir + "/classes.csv"), dir + "/classes.csv: class 1 is missing");
  write_bytes(dir + "/classes.csv", "index,name\nx,cat\n");
  CHECK_THROWS_WITH(read_class_names(dir + "/classes.csv"), dir + "/classes.csv:2: index 'x' is not a class index");
  CHECK_THROWS_WITH(load_image_folder(dir + "/absent.csv"),
                    dir + "/absent.csv: cannot read a CSV file (path,label) (No such file or directory)");
}
