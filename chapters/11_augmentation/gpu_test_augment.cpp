// Augmentation on the GPU against the CPU loop: the same seed gives the same batch.
#include <catch2/catch.hpp>

#include "cuda/augment.cuh"
#include "datasets/synthetic.hpp"
#include "reference_cpu/augment.hpp"
#include "reference_cpu/layer_table.hpp"
#include "tests/support/check.hpp"

using namespace alexnet;

TEST_CASE("cuda augment_batch equals the CPU on a 256→227 batch with the same seed", "[gpu][augment]") {
  const LabeledImages data = synthetic_images(16, 256, 4, 21);
  AugmentConfig config;
  config.seed = 99;
  config.image_side = 256;
  config.crop_side = static_cast<int>(alexnet_two_tower().input.at(1));
  config.pca = colour_pca(data.images);
  const std::vector<AugmentParams> params = draw_augment_params(config, 5, 0, 16);
  DeviceTensorF images(data.images), out({16, 3, config.crop_side, config.crop_side});
  cuda::augment_batch(cuda::Context{}, images, params, config.crop_side, out);
  // Exact, colour included: the host drew α and computed each image's shift once;
  // both sides then do one float addition per value, which IEEE rounds identically.
  CHECK_TENSORS_CLOSE("augment_batch", cpu::augment_batch(data.images, params, config.crop_side), out.to_host(),
                      (Tolerance{0, 0}));
}

TEST_CASE("cuda augment_batch makes the ten test crops of the CPU", "[gpu][augment][ten_crop]") {
  // Ten copies of one image, one crop each: the GPU's crops are cpu::ten_crops'.
  const LabeledImages one = synthetic_images(1, 256, 2, 3);
  TensorF copies({10, 3, 256, 256});
  for (std::int64_t k = 0; k < 10; ++k) std::copy(one.images.data(), one.images.data() + one.images.size(), copies.data() + k * one.images.size());
  const int crop = static_cast<int>(alexnet_two_tower().input.at(1));
  DeviceTensorF images(copies), out({10, 3, crop, crop});
  cuda::augment_batch(cuda::Context{}, images, ten_crop_params(256, crop), crop, out);
  CHECK_TENSORS_CLOSE("ten crops", cpu::ten_crops(one.images, crop), out.to_host(), (Tolerance{0, 0}));
}

TEST_CASE("cuda augment_batch checks its output shape", "[gpu][augment]") {
  DeviceTensorF images(Shape{1, 3, 8, 8}), out(Shape{1, 3, 4, 4});
  CHECK_THROWS_WITH(cuda::augment_batch(cuda::Context{}, images, {AugmentParams{}}, 5, out),
                    "cuda::augment_batch: expected out of shape [1, 3, 5, 5], got [1, 3, 4, 4]");
}
