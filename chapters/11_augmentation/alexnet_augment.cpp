// alexnet_augment: loads a batch, augments it as the paper did — random 227×227
// crops of the 256×256 images, reflections and PCA colour noise — on the CPU
// and (when there is one) on the GPU, prints the timings and writes a PNG grid
// of originals and augmented samples to out/augmentation_grid.png in the current
// folder, or to the file --grid names.
//
//   alexnet_augment                                   Fashion-MNIST (Debian's package)
//   alexnet_augment --manifest fixtures/manifest.csv --classes fixtures/classes.csv
//   options: --fashion-mnist DIR, --skip-bad, --count N, --rows R, --seed S, --grid FILE
#include <CLI/CLI.hpp>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>

#include "datasets/fashion_mnist.hpp"
#include "datasets/image_folder.hpp"
#include "reference_cpu/augment.hpp"
#include "reference_cpu/layer_table.hpp"
#include "reference_cpu/timer.hpp"
#if ALEXNET_WITH_CUDA
#include "cuda/augment.cuh"
#include "cuda/gpu.cuh"
#include "cuda/gpu_timer.cuh"
#endif

using namespace alexnet;

namespace {

struct Options {
  std::string fashion_dir = kFashionMnistDirectory;
  std::string manifest, classes;
  std::string grid = "out/augmentation_grid.png";  // never the lesson's picture unless --grid names it
  bool skip_bad = false;
  std::int64_t count = 128;  // the paper's batch size
  std::int64_t rows = 4;
  std::uint64_t seed = 1;
};

constexpr int kCell = 128;  // grid cells show a 256×256 canvas at half size
constexpr int kGap = 4;

// The images as [N, 3, 256, 256], 0..255: Fashion-MNIST's 28×28 grey digits are
// upscaled to 256 and copied to R, G and B; a manifest's images already are.
LabeledImages load(const Options& options) {
  if (options.manifest.empty()) {
    LabeledImages data = load_fashion_mnist(options.fashion_dir, FashionMnistSplit::Train, options.count);
    data.images = to_rgb_squares(data.images, kTrainingImageSide);
    std::printf("Fashion-MNIST: %lld training images, 28x28 grey upscaled to 256x256 and copied to R, G, B\n",
                static_cast<long long>(data.images.dim(0)));
    return data;
  }
  ImageFolderOptions folder_options;
  folder_options.classes_path = options.classes;
  folder_options.skip_bad = options.skip_bad;
  ImageFolder folder = load_image_folder(options.manifest, folder_options);
  std::printf("%s: %lld images at 256x256\n", options.manifest.c_str(), static_cast<long long>(folder.data.images.dim(0)));
  std::printf("%s", describe_skipped(folder.skipped).c_str());
  if (folder.data.images.dim(0) > options.count) folder.data = batch(folder.data, 0, options.count);
  return folder.data;
}

// Image n of a batch [N, 3, S, S] drawn in the middle of a white 256×256 canvas, shown at kCell.
TensorF cell(const TensorF& batch, std::int64_t n) {
  const std::int64_t side = batch.dim(2), margin = (kTrainingImageSide - side) / 2;
  TensorF canvas({3, kTrainingImageSide, kTrainingImageSide}, 255.0f);
  for (int c = 0; c < 3; ++c) {
    for (std::int64_t y = 0; y < side; ++y) {
      for (std::int64_t x = 0; x < side; ++x) canvas.at(c, margin + y, margin + x) = batch.at(n, c, y, x);
    }
  }
  return resize_and_crop_centre(canvas, kCell);
}

// Rows: images. Columns: the original, three epochs of training augmentation
// (crop, reflection, colour noise at σ = 0.1), then the colour shift alone with
// α_0 = +0.3 and −0.3 (3σ along the first principal component, to make it visible).
TensorF augmentation_grid(const TensorF& images, const AugmentConfig& config, std::int64_t rows) {
  const TensorF shown = batch(LabeledImages{images, std::vector<std::int64_t>(images.dim(0)), {}}, 0, rows).images;
  std::vector<TensorF> columns{shown};
  for (std::uint64_t epoch = 0; epoch < 3; ++epoch) {
    columns.push_back(cpu::augment_batch(shown, draw_augment_params(config, epoch, 0, rows), config.crop_side));
  }
  for (double alpha : {3 * config.colour_stddev, -3 * config.colour_stddev}) {
    std::vector<AugmentParams> whole(static_cast<std::size_t>(rows));
    for (AugmentParams& p : whole) p.colour_shift = colour_shift(config.pca, {alpha, 0, 0});
    columns.push_back(cpu::augment_batch(shown, whole, config.image_side));
  }
  const auto columns_count = static_cast<std::int64_t>(columns.size());
  TensorF grid({3, rows * (kCell + kGap) + kGap, columns_count * (kCell + kGap) + kGap}, 255.0f);
  for (std::int64_t r = 0; r < rows; ++r) {
    for (std::int64_t k = 0; k < columns_count; ++k) {
      const TensorF picture = cell(columns[static_cast<std::size_t>(k)], r);
      for (int c = 0; c < 3; ++c) {
        for (int y = 0; y < kCell; ++y) {
          for (int x = 0; x < kCell; ++x) {
            grid.at(c, kGap + r * (kCell + kGap) + y, kGap + k * (kCell + kGap) + x) = picture.at(c, y, x);
          }
        }
      }
    }
  }
  return grid;
}

void print_pca(const SymmetricEigen3& pca, const std::array<float, 3>& mean) {
  std::printf("channel mean (subtracted before the network): R %.2f  G %.2f  B %.2f\n", mean[0], mean[1], mean[2]);
  for (int i = 0; i < 3; ++i) {
    std::printf("lambda_%d = %.5f  p_%d = (%+.4f, %+.4f, %+.4f)   (RGB on the [0, 1] scale)\n", i, pca.values[i], i,
                pca.vectors[i][0], pca.vectors[i][1], pca.vectors[i][2]);
  }
}

void run_gpu(const TensorF& images, const std::vector<AugmentParams>& params, int crop_side, const TensorF& cpu_out) {
#if ALEXNET_WITH_CUDA
  if (!gpu_available()) {
    std::printf("GPU: not available (%s)\n", gpu_unavailable_reason().c_str());
    return;
  }
  DeviceTensorF device_images(images), out(cpu_out.shape());
  const double ms =
      median_gpu_time_ms([&] { cuda::augment_batch(cuda::Context{}, device_images, params, crop_side, out); });
  const TensorF gpu_out = out.to_host();
  std::int64_t differing = 0;
  for (std::int64_t i = 0; i < gpu_out.size(); ++i) differing += gpu_out[i] != cpu_out[i];
  std::printf("GPU %s: %.3f ms per batch, %.0f images/s; %lld of %lld values differ from the CPU\n",
              gpu_description().c_str(), ms, static_cast<double>(images.dim(0)) / ms * 1e3,
              static_cast<long long>(differing), static_cast<long long>(gpu_out.size()));
#else
  (void)images, (void)params, (void)crop_side, (void)cpu_out;
  std::printf("GPU: not built (configure with CUDA to compare)\n");
#endif
}

int run(const Options& options) {
  const LabeledImages data = load(options);
  AugmentConfig config;
  config.seed = options.seed;
  config.image_side = kTrainingImageSide;
  config.crop_side = static_cast<int>(alexnet_two_tower().input.at(1));  // 227, from the layer table
  config.pca = colour_pca(data.images);
  print_pca(config.pca, cpu::channel_mean(data.images));

  const std::int64_t n = data.images.dim(0);
  const std::vector<AugmentParams> params = draw_augment_params(config, 0, 0, n);
  TensorF cpu_out;
  const double ms = median_time_ms([&] { cpu_out = cpu::augment_batch(data.images, params, config.crop_side); }, 3);
  std::printf("CPU (1 thread): %.2f ms per batch of %lld, %.0f images/s (256 -> %d crop, flip, colour)\n", ms,
              static_cast<long long>(n), static_cast<double>(n) / ms * 1e3, config.crop_side);
  run_gpu(data.images, params, config.crop_side, cpu_out);

  const std::filesystem::path grid_folder = std::filesystem::path(options.grid).parent_path();
  if (!grid_folder.empty()) std::filesystem::create_directories(grid_folder);
  write_png(options.grid, augmentation_grid(data.images, config, std::min(options.rows, n)));
  std::printf("wrote %s: original | 3 epochs of crop+flip+colour | colour alpha_0 = +0.3 | -0.3\n", options.grid.c_str());
  return 0;
}

}  // namespace

int main(int argc, char* argv[]) {
  CLI::App app{"Augments a batch as the paper did (random 227x227 crops of 256x256 images, reflections, PCA colour "
               "noise) on the CPU and the GPU, and writes a PNG grid of originals and augmented samples"};
  Options options;
  CLI::Option* fashion = app.add_option("--fashion-mnist", options.fashion_dir, "Fashion-MNIST's folder")
                             ->capture_default_str();
  CLI::Option* manifest = app.add_option("--manifest", options.manifest, "CSV of images and labels (path,label)")
                              ->excludes(fashion);
  app.add_option("--classes", options.classes, "CSV of the manifest's class names (index,name)")->needs(manifest);
  app.add_flag("--skip-bad", options.skip_bad, "skip the manifest's bad rows and list them, instead of stopping")
      ->needs(manifest);
  app.add_option("--count", options.count, "images to load")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--rows", options.rows, "images shown in the grid")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--seed", options.seed, "seed of the augmentation")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--grid", options.grid, "the PNG grid to write")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  try {
    return run(options);
  } catch (const std::exception& error) {
    std::cerr << "alexnet_augment: " << error.what() << "\n";
    return 1;
  }
}
