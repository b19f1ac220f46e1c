// The training data pipeline: images stored as bytes, the held-out validation set
// and each epoch's order, batches prepared from bytes (checked against chapter 11's
// float path, the same on any thread count) and the background queue that prepares them.
#include <catch2/catch.hpp>
#include <omp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <memory>
#include <numeric>
#include <set>
#include <stdexcept>
#include <thread>

#include "datasets/fashion_mnist.hpp"
#include "datasets/image_folder.hpp"
#include "datasets/stored_images.hpp"
#include "datasets/synthetic.hpp"
#include "datasets/training_batches.hpp"
#include "reference_cpu/augment.hpp"

using namespace alexnet;

namespace {

// Chapter 11's committed image folder (this file lives in chapters/12_training).
const std::string kFixtures =
    (std::filesystem::path(__FILE__).parent_path().parent_path() / "11_augmentation" / "fixtures").string();

// Twelve synthetic RGB images 20×20 of 3 classes, as bytes.
StoredImages small_set() { return to_stored_images(synthetic_images(12, 20, 3, 7)); }

// `count` grey 1×1 images whose pixel and label are both their index: easy to follow through a split.
StoredImages numbered_set(std::int64_t count) {
  StoredImages data;
  data.count = count;
  data.channels = data.height = data.width = 1;
  for (std::int64_t i = 0; i < count; ++i) {
    data.pixels.push_back(static_cast<std::uint8_t>(i));
    data.labels.push_back(i);
  }
  return data;
}

// Small squares (20 → 32, crops of 27) with the set's own mean and colour PCA.
BatchRecipe small_recipe(const StoredImages& data, bool train) {
  BatchRecipe recipe;
  recipe.image_side = 32;
  recipe.crop_side = 27;
  recipe.train = train;
  recipe.augment.seed = 11;
  recipe.augment.pca = stored_colour_pca(data);
  recipe.mean = stored_channel_mean(data);
  return recipe;
}

// Rows images[indices[0]], images[indices[1]], ... of a [N, ...] tensor.
TensorF gather(const TensorF& images, const std::vector<std::int64_t>& indices) {
  Shape shape = images.shape();
  shape[0] = static_cast<std::int64_t>(indices.size());
  const std::int64_t per_image = images.size() / images.dim(0);
  std::vector<float> values;
  for (std::int64_t i : indices) values.insert(values.end(), images.data() + i * per_image, images.data() + (i + 1) * per_image);
  return TensorF(shape, values);
}

// Chapter 11's float path: the whole set as 32×32 RGB floats (grey copied to R, G, B).
TensorF float_squares(const StoredImages& data, int side) { return to_rgb_squares(to_labeled_images(data).images, side); }

// The labels of a set, as a set.
std::set<std::int64_t> label_set(const StoredImages& data) { return {data.labels.begin(), data.labels.end()}; }

}  // namespace

TEST_CASE("Fashion-MNIST as bytes: the float loader's values, 47 MB for all 60,000", "[datasets][stored]") {
  const StoredImages stored = load_fashion_mnist_stored(kFashionMnistDirectory, FashionMnistSplit::Train, 100);
  const LabeledImages floats = load_fashion_mnist(kFashionMnistDirectory, FashionMnistSplit::Train, 100);
  CHECK((stored.count == 100 && stored.channels == 1 && stored.height == 28 && stored.width == 28));
  CHECK(stored.image_bytes() == 784);
  CHECK(std::vector<float>(stored.pixels.begin(), stored.pixels.end()) == floats.images.values());
  CHECK(stored.labels == floats.labels);
  CHECK(stored.class_names == floats.class_names);
  CHECK(stored.image(99)[783] == floats.images.at(99, 0, 27, 27));

  // 60,000 images · 28 · 28 = 47,040,000 bytes (as 256×256 RGB floats: 60,000 · 786,432 ≈ 47 GB).
  const StoredImages all = load_fashion_mnist_stored(kFashionMnistDirectory, FashionMnistSplit::Train);
  CHECK(all.count == 60000);
  CHECK(all.pixels.size() == 47040000);
  CHECK(all.labels.size() == 60000);
}

TEST_CASE("a folder of images as bytes: the float loader's values rounded, skipped rows listed", "[datasets][stored][csv]") {
  ImageFolderOptions options;
  options.classes_path = kFixtures + "/classes.csv";
  options.side = 64;
  const StoredImageFolder stored = load_image_folder_stored(kFixtures + "/manifest.csv", options);
  const ImageFolder floats = load_image_folder(kFixtures + "/manifest.csv", options);
  CHECK((stored.data.count == 5 && stored.data.channels == 3 && stored.data.height == 64 && stored.data.width == 64));
  REQUIRE(stored.data.pixels.size() == static_cast<std::size_t>(floats.data.images.size()));
  bool rounded = true;
  for (std::size_t i = 0; i < stored.data.pixels.size(); ++i) {
    rounded = rounded && stored.data.pixels[i] == to_byte(floats.data.images.values()[i]);
  }
  CHECK(rounded);
  CHECK(stored.data.labels == floats.data.labels);
  CHECK(stored.data.class_names == floats.data.class_names);
  CHECK(stored.paths == floats.paths);
  CHECK(stored.skipped.empty());

  options.skip_bad = true;
  const StoredImageFolder skipping = load_image_folder_stored(kFixtures + "/manifest_with_bad_rows.csv", options);
  REQUIRE(skipping.skipped.size() == 3);
  CHECK(describe_skipped(skipping.skipped) ==
        describe_skipped(load_image_folder(kFixtures + "/manifest_with_bad_rows.csv", options).skipped));
  options.skip_bad = false;
  CHECK_THROWS_WITH(load_image_folder_stored(kFixtures + "/manifest_with_bad_rows.csv", options),
                    Catch::EndsWith("manifest_with_bad_rows.csv:3: missing column (expected 2)"));
}

TEST_CASE("to_byte rounds to the nearest integer and clamps to 0..255", "[datasets][stored]") {
  CHECK(to_byte(63.75f) == 64);
  CHECK(to_byte(63.25f) == 63);
  CHECK(to_byte(-3.0f) == 0);
  CHECK(to_byte(300.0f) == 255);
}

TEST_CASE("select_images copies the chosen images and labels, and refuses a wrong index", "[datasets][stored]") {
  const StoredImages data = numbered_set(5);
  const StoredImages picked = select_images(data, {4, 1, 1});
  CHECK(picked.count == 3);
  CHECK(picked.pixels == std::vector<std::uint8_t>{4, 1, 1});
  CHECK(picked.labels == std::vector<std::int64_t>{4, 1, 1});
  CHECK_THROWS_WITH(select_images(data, {2, 5}), "select_images: image index 5 is outside 0..4");
}

TEST_CASE("hold_out_validation: a random subset fixed by the seed", "[datasets][split]") {
  const StoredImages all = numbered_set(50);
  const TrainValidationSplit split = hold_out_validation(all, 10, 42);
  CHECK(split.train.count == 40);
  CHECK(split.validation.count == 10);
  CHECK(split.train.pixels.size() == 40);
  // Disjoint, and together every image once; each pixel still goes with its label.
  std::set<std::int64_t> both = label_set(split.train);
  both.insert(split.validation.labels.begin(), split.validation.labels.end());
  CHECK(both.size() == 50);
  CHECK(label_set(split.validation).size() == 10);
  for (std::int64_t i = 0; i < 10; ++i) CHECK(split.validation.pixels[i] == split.validation.labels[i]);
  // Not simply the first or last ten.
  CHECK(split.validation.labels != std::vector<std::int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
  CHECK(split.validation.labels != std::vector<std::int64_t>{40, 41, 42, 43, 44, 45, 46, 47, 48, 49});
  // The same seed holds out the same images; another seed others.
  CHECK(hold_out_validation(all, 10, 42).validation.labels == split.validation.labels);
  CHECK(hold_out_validation(all, 10, 43).validation.labels != split.validation.labels);
  CHECK(hold_out_validation(all, 0, 42).train.count == 50);
  CHECK_THROWS_WITH(hold_out_validation(all, 50, 42),
                    "hold_out_validation: expected 0 ≤ validation count < 50 (the images), got 50");
  CHECK_THROWS_WITH(hold_out_validation(all, -1, 42),
                    "hold_out_validation: expected 0 ≤ validation count < 50 (the images), got -1");
}

TEST_CASE("epoch_order is a permutation that depends on (seed, epoch) only", "[datasets][shuffle]") {
  const std::vector<std::int64_t> order = epoch_order(100, 7, 3);
  std::vector<std::int64_t> sorted = order, identity(100);
  std::sort(sorted.begin(), sorted.end());
  std::iota(identity.begin(), identity.end(), 0);
  CHECK(sorted == identity);
  CHECK(order != identity);
  CHECK(epoch_order(100, 7, 3) == order);
  CHECK(epoch_order(100, 7, 4) != order);
  CHECK(epoch_order(100, 8, 3) != order);
  CHECK(epoch_order(0, 7, 3).empty());
  CHECK(epoch_order(1, 7, 3) == std::vector<std::int64_t>{0});
  CHECK_THROWS_WITH(epoch_order(-1, 7, 3), "epoch_order: expected a count in 0..2^32−1, got -1");
  // Batches of an order: 100 images in batches of 32 are 32 + 32 + 32 + 4.
  CHECK(batch_count(100, 32) == 4);
  CHECK(batch_indices(order, 32, 3) == std::vector<std::int64_t>(order.begin() + 96, order.end()));
  CHECK_THROWS_WITH(batch_indices(order, 32, 4), "batch_indices: index 4 of 4 batches");
}

TEST_CASE("channel mean and colour PCA of stored bytes, by hand", "[datasets][stored][pca]") {
  // Two RGB pixels (0, 0, 0) and (255, 255, 0): mean (127.5, 127.5, 0). On the [0, 1]
  // scale each differs from the mean by ±(0.5, 0.5, 0), so the covariance is
  // [[.25, .25, 0], [.25, .25, 0], [0, 0, 0]]: λ = 0.5 along (1, 1, 0)/√2, then 0 and 0.
  StoredImages rgb;
  rgb.count = 2;
  rgb.channels = 3;
  rgb.height = rgb.width = 1;
  rgb.pixels = {0, 0, 0, 255, 255, 0};
  rgb.labels = {0, 0};
  CHECK(stored_channel_mean(rgb) == std::array<float, 3>{127.5f, 127.5f, 0.0f});
  const SymmetricEigen3 pca = stored_colour_pca(rgb);
  CHECK(pca.values[0] == Approx(0.5));
  CHECK(std::abs(pca.values[1]) < 1e-15);
  CHECK(std::abs(pca.values[2]) < 1e-15);
  CHECK(pca.vectors[0][0] == Approx(1 / std::sqrt(2.0)));
  CHECK(pca.vectors[0][1] == Approx(1 / std::sqrt(2.0)));
  CHECK(std::abs(pca.vectors[0][2]) < 1e-15);

  // One grey image 1×2 with pixels 0 and 255: R = G = B, mean 127.5 three times; every
  // covariance entry is 0.5² = 0.25, so λ = 3·0.25 = 0.75 along (1, 1, 1)/√3.
  StoredImages grey;
  grey.count = 1;
  grey.channels = grey.height = 1;
  grey.width = 2;
  grey.pixels = {0, 255};
  grey.labels = {0};
  CHECK(stored_channel_mean(grey) == std::array<float, 3>{127.5f, 127.5f, 127.5f});
  const SymmetricEigen3 grey_pca = stored_colour_pca(grey);
  CHECK(grey_pca.values[0] == Approx(0.75));
  for (double p : grey_pca.vectors[0]) CHECK(p == Approx(1 / std::sqrt(3.0)));
}

TEST_CASE("channel mean and colour PCA of bytes equal chapter 11's of the same images as floats", "[datasets][stored][pca]") {
  const StoredImages data = small_set();
  const TensorF floats = to_labeled_images(data).images;
  // The same sums in the same order: equal to the last bit.
  CHECK(stored_channel_mean(data) == cpu::channel_mean(floats));
  const SymmetricEigen3 expected = colour_pca(floats), got = stored_colour_pca(data);
  CHECK(got.values == expected.values);
  CHECK(got.vectors == expected.vectors);
}

TEST_CASE("prepare_batch in training mode equals chapter 11's float path", "[datasets][batches]") {
  // Chapter 11: to_rgb_squares → augment_batch with draw_augment_params → subtract_channel_mean,
  // on the whole set as floats. prepare_batch does the same float operations one image at a
  // time from bytes, so the results are equal exactly (tolerance 0).
  const StoredImages data = small_set();
  const BatchRecipe recipe = small_recipe(data, true);
  const std::vector<std::int64_t> indices{7, 2, 2, 11, 0};
  const Batch batch = prepare_batch(data, indices, 5, recipe);
  REQUIRE(batch.images.shape() == Shape{5, 3, 27, 27});

  AugmentConfig config = recipe.augment;
  config.image_side = 32;
  config.crop_side = 27;
  std::vector<AugmentParams> params;
  for (std::int64_t i : indices) params.push_back(draw_augment_params(config, 5, i, 1)[0]);
  const TensorF expected = cpu::subtract_channel_mean(
      cpu::augment_batch(gather(float_squares(data, 32), indices), params, 27), recipe.mean);
  CHECK(batch.images.values() == expected.values());
  CHECK(batch.labels == std::vector<std::int64_t>{data.labels[7], data.labels[2], data.labels[2], data.labels[11],
                                                  data.labels[0]});
  // The augmentation did something: colour noise and crops that differ between images.
  CHECK(params[0].colour_shift != std::array<float, 3>{0, 0, 0});
  CHECK((params[0].top != params[3].top || params[0].left != params[3].left));
  // Another epoch draws other crops and colours.
  CHECK(prepare_batch(data, indices, 6, recipe).images.values() != batch.images.values());
}

TEST_CASE("an image's training crop does not depend on the batch it is in", "[datasets][batches]") {
  const StoredImages data = small_set();
  const BatchRecipe recipe = small_recipe(data, true);
  const Batch alone = prepare_batch(data, {5}, 2, recipe);
  const Batch inside = prepare_batch(data, {1, 5, 9}, 2, recipe);
  CHECK(alone.images.values() == gather(inside.images, {1}).values());
  CHECK(alone.labels[0] == inside.labels[1]);
  CHECK_THROWS_WITH(prepare_batch(data, {3, 12}, 2, recipe), "prepare_batch: image index 12 is outside 0..11");
}

TEST_CASE("a batch is the same on one thread and on several; a bad index is reported first in order",
          "[datasets][batches]") {
  // prepare_batch shares a batch's images among the OpenMP threads; each image depends on its index alone.
  const StoredImages data = small_set();
  const BatchRecipe training = small_recipe(data, true), evaluation = small_recipe(data, false);
  const std::vector<std::int64_t> indices{11, 0, 7, 3, 3, 9, 1};
  const int threads = omp_get_max_threads();
  omp_set_num_threads(1);
  const Batch one = prepare_batch(data, indices, 4, training);
  const Batch one_ten_crop = prepare_ten_crop_batch(data, indices, evaluation);
  omp_set_num_threads(3);
  const Batch three = prepare_batch(data, indices, 4, training);
  const Batch three_ten_crop = prepare_ten_crop_batch(data, indices, evaluation);
  CHECK_THROWS_WITH(prepare_batch(data, {3, 12, 1, 13}, 2, training), "prepare_batch: image index 12 is outside 0..11");
  CHECK_THROWS_WITH(prepare_ten_crop_batch(data, {3, 1, 14, 12}, evaluation),
                    "prepare_ten_crop_batch: image index 14 is outside 0..11");
  omp_set_num_threads(threads);
  CHECK(one.images.values() == three.images.values());
  std::vector<std::int64_t> labels;
  for (std::int64_t i : indices) labels.push_back(data.labels[static_cast<std::size_t>(i)]);
  CHECK(one.labels == labels);
  CHECK(three.labels == labels);
  CHECK(one_ten_crop.images.values() == three_ten_crop.images.values());
  CHECK(one_ten_crop.labels == three_ten_crop.labels);
}

TEST_CASE("grey images are copied to R, G and B, as in chapter 11", "[datasets][batches]") {
  const StoredImages fashion = load_fashion_mnist_stored(kFashionMnistDirectory, FashionMnistSplit::Test, 4);
  BatchRecipe recipe = small_recipe(fashion, true);
  const Batch batch = prepare_batch(fashion, {3, 1}, 0, recipe);
  AugmentConfig config = recipe.augment;
  config.image_side = 32;
  config.crop_side = 27;
  const std::vector<AugmentParams> params{draw_augment_params(config, 0, 3, 1)[0], draw_augment_params(config, 0, 1, 1)[0]};
  const TensorF expected = cpu::subtract_channel_mean(
      cpu::augment_batch(gather(float_squares(fashion, 32), {3, 1}), params, 27), recipe.mean);
  CHECK(batch.images.values() == expected.values());
  // At the paper's sizes (28 → 256, crops of 227) a batch has the network's input shape.
  recipe.image_side = 256;
  recipe.crop_side = 227;
  CHECK(prepare_batch(fashion, {0, 2}, 0, recipe).images.shape() == Shape{2, 3, 227, 227});
}

TEST_CASE("prepare_batch in evaluation mode is the centre crop minus the mean", "[datasets][batches]") {
  const StoredImages data = small_set();
  const BatchRecipe recipe = small_recipe(data, false);
  const Batch batch = prepare_batch(data, {4, 8}, 9, recipe);
  // Crop 4 of ten_crops is the centre one: (32 − 27)/2 = 2 rows and columns in, not reflected.
  const TensorF crops = cpu::subtract_channel_mean(cpu::ten_crops(gather(float_squares(data, 32), {4, 8}), 27), recipe.mean);
  CHECK(batch.images.values() == gather(crops, {4, 14}).values());
  CHECK(prepare_batch(data, {4, 8}, 10, recipe).images.values() == batch.images.values());  // no epoch dependence
}

TEST_CASE("prepare_ten_crop_batch: ten crops per image, image-major, minus the mean", "[datasets][batches][ten_crop]") {
  const StoredImages data = small_set();
  const BatchRecipe recipe = small_recipe(data, false);
  const Batch batch = prepare_ten_crop_batch(data, {3, 0}, recipe);
  CHECK(batch.images.shape() == Shape{20, 3, 27, 27});
  const TensorF expected =
      cpu::subtract_channel_mean(cpu::ten_crops(gather(float_squares(data, 32), {3, 0}), 27), recipe.mean);
  CHECK(batch.images.values() == expected.values());
  CHECK(batch.labels == std::vector<std::int64_t>{data.labels[3], data.labels[0]});
}

TEST_CASE("BatchQueue yields the batches the direct calls give, in order", "[datasets][queue]") {
  const StoredImages data = small_set();
  const BatchRecipe recipe = small_recipe(data, true);
  const std::vector<std::int64_t> order = epoch_order(data.count, 3, 1);
  const auto prepare = [&](std::int64_t b) { return prepare_batch(data, batch_indices(order, 5, b), 1, recipe); };
  const std::int64_t batches = batch_count(data.count, 5);  // 12 images: 5 + 5 + 2
  REQUIRE(batches == 3);
  for (std::size_t depth : {0, 1, 3}) {  // 0: prepared by next() itself
    INFO("depth " << depth);
    BatchQueue queue(batches, prepare, depth);
    for (std::int64_t b = 0; b < batches; ++b) {
      const std::optional<Batch> got = queue.next();
      REQUIRE(got);
      const Batch direct = prepare(b);
      CHECK(got->images.values() == direct.images.values());
      CHECK(got->labels == direct.labels);
    }
    CHECK_FALSE(queue.next());
    CHECK_FALSE(queue.next());
  }
  BatchQueue empty(0, prepare);
  CHECK_FALSE(empty.next());
  CHECK_THROWS_WITH(BatchQueue(-1, prepare, 0), "BatchQueue: expected batches ≥ 0 and a prepare function, got -1 batches");
}

TEST_CASE("BatchQueue rethrows what prepare threw, after the batches before it", "[datasets][queue]") {
  for (std::size_t depth : {0, 2}) {
    INFO("depth " << depth);
    BatchQueue queue(
        5,
        [](std::int64_t b) {
          if (b == 2) throw std::runtime_error("prepare: batch 2 is broken");
          return Batch{TensorF({1}, static_cast<float>(b)), {b}};
        },
        depth);
    CHECK(queue.next()->labels == std::vector<std::int64_t>{0});
    CHECK(queue.next()->labels == std::vector<std::int64_t>{1});
    CHECK_THROWS_WITH(queue.next(), "prepare: batch 2 is broken");
    CHECK_THROWS_WITH(queue.next(), "prepare: batch 2 is broken");
  }
}

TEST_CASE("destroying a BatchQueue mid-epoch returns promptly", "[datasets][queue]") {
  std::atomic<int> prepared{0};
  auto queue = std::make_unique<BatchQueue>(10, [&](std::int64_t b) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    ++prepared;
    return Batch{TensorF({1}), {b}};
  });
  CHECK(queue->next()->labels == std::vector<std::int64_t>{0});
  const auto start = std::chrono::steady_clock::now();
  queue.reset();  // waits only for the batch being prepared (≤ 100 ms)
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  CHECK(seconds < 1.0);
  CHECK(prepared <= 4);  // the one taken, two ready ahead, one in progress
}
