// bench_augment: throughput of the data path, to see whether it could slow training.
//   1. decode a 500×375 JPEG (a typical ImageNet size) and rescale + centre-crop it to 256 (CPU, one thread);
//   2. augment a batch of 128 (256 -> 227 crop, reflection, colour noise) on the CPU, one thread;
//   3. the same on the GPU, and the upload of the 256×256 batch it starts from.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

#include "datasets/image.hpp"
#include "datasets/synthetic.hpp"
#include "reference_cpu/augment.hpp"
#include "reference_cpu/layer_table.hpp"
#include "reference_cpu/random.hpp"
#include "reference_cpu/timer.hpp"
#if ALEXNET_WITH_CUDA
#include "cuda/augment.cuh"
#include "cuda/gpu.cuh"
#include "cuda/gpu_timer.cuh"
#endif

using namespace alexnet;

namespace {

constexpr std::int64_t kBatch = 128;

// Writes a 500×375 JPEG (quality 90) of colour ramps plus ±10 of noise to
// out/bench_augment_500x375.jpg in the current folder (never into the checkout's tracked files).
std::string write_test_jpeg() {
  const int width = 500, height = 375;
  RandomStream noise(3, 0);
  TensorF rgb({3, height, width});
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      for (int c = 0; c < 3; ++c) {
        const float smooth = 128.0f + 60.0f * static_cast<float>(((x * (c + 1) + y * (3 - c)) % 256) - 128) / 128.0f;
        rgb.at(c, y, x) = smooth + 20.0f * (noise.uniform() - 0.5f);  // encode_jpeg clamps to 0..255
      }
    }
  }
  std::filesystem::create_directories("out");
  const std::string path = "out/bench_augment_500x375.jpg";
  const std::string jpeg = encode_jpeg(rgb, 90);
  std::ofstream file(path, std::ios::binary);
  if (!file.write(jpeg.data(), static_cast<std::streamsize>(jpeg.size()))) throw std::runtime_error("cannot write " + path);
  return path;
}

}  // namespace

int main() {
  try {
    const int crop = static_cast<int>(alexnet_two_tower().input.at(1));
    const double training_gflop = 3 * 2.0 * static_cast<double>(total_multiply_adds(alexnet_two_tower())) / 1e9;
    std::printf("precision fp32; batch %lld; 256x256 -> %dx%d; training costs ~%.2f GFLOP per image (3x forward)\n",
                static_cast<long long>(kBatch), crop, crop, training_gflop);

    const std::string jpeg = write_test_jpeg();
    const double decode_ms = median_time_ms([&] { resize_and_crop_centre(decode_image_rgb(jpeg), kTrainingImageSide); });
    std::printf("CPU decode 500x375 JPEG + rescale/crop to 256: %.2f ms per image, %.0f images/s per core\n", decode_ms,
                1e3 / decode_ms);

    const LabeledImages data = synthetic_images(kBatch, kTrainingImageSide, 10, 1);
    AugmentConfig config;
    config.image_side = kTrainingImageSide;
    config.crop_side = crop;
    config.pca = colour_pca(data.images);
    const std::vector<AugmentParams> params = draw_augment_params(config, 0, 0, kBatch);
    const double draw_ms = median_time_ms([&] { draw_augment_params(config, 0, 0, kBatch); });
    const double cpu_ms = median_time_ms([&] { cpu::augment_batch(data.images, params, crop); });
    const double out_gb = static_cast<double>(kBatch) * 3 * crop * crop * sizeof(float) / 1e9;
    std::printf("CPU draw parameters: %.3f ms per batch\n", draw_ms);
    std::printf("CPU augment (1 thread): %.2f ms per batch, %.0f images/s, %.1f GB/s written\n", cpu_ms,
                kBatch / cpu_ms * 1e3, out_gb / cpu_ms * 1e3);
#if ALEXNET_WITH_CUDA
    if (!gpu_available()) {
      std::printf("GPU: not available (%s)\n", gpu_unavailable_reason().c_str());
      return 0;
    }
    DeviceTensorF images(data.images), out({kBatch, 3, crop, crop});
    const double gpu_ms =
        median_gpu_time_ms([&] { cuda::augment_batch(cuda::Context{}, images, params, crop, out); });
    const double upload_ms = median_gpu_time_ms([&] { images.copy_from(data.images); });
    std::printf("GPU %s\n", gpu_description().c_str());
    std::printf("GPU augment: %.3f ms per batch, %.0f images/s, %.0f GB/s read+written; %.1fx the CPU thread\n", gpu_ms,
                kBatch / gpu_ms * 1e3, 2 * out_gb / gpu_ms * 1e3, cpu_ms / gpu_ms);
    std::printf("GPU upload of the 256x256 batch (pageable memory): %.2f ms, %.0f images/s\n", upload_ms,
                kBatch / upload_ms * 1e3);
#else
    std::printf("GPU: not available (built without CUDA)\n");
#endif
  } catch (const std::exception& error) {
    std::fprintf(stderr, "bench_augment: %s\n", error.what());
    return 1;
  }
  return 0;
}
