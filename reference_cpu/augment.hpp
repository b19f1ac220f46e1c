/// @file augment.hpp
/// @brief The paper's data augmentation on the CPU: random crops, reflections,
/// PCA colour noise, the test-time ten crops and the mean subtraction.
///
/// Images are `[N, 3, H, W]` float tensors, RGB, values on the 0..255 scale of
/// 8-bit pixels (what datasets/ produces). Every random choice is drawn on the
/// host from the counter-based generator per (seed, epoch, image index) into an
/// AugmentParams; the CPU loop here and the CUDA kernel (cuda/augment.cuh)
/// apply the same AugmentParams, so both make exactly the same crops.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "reference_cpu/tensor.hpp"

namespace alexnet {

/// @brief Standard deviation of the colour-noise coefficients α_i (the paper: "Gaussian with mean zero and standard deviation 0.1").
constexpr double kColourNoiseStddev = 0.1;
/// @brief 8-bit pixel values are 0..255; the colour PCA measures them in [0, 1] (value / 255).
constexpr double kPixelScale = 255.0;

/// @brief A 3×3 matrix of doubles, row-major: `m[row][column]`.
using Matrix3 = std::array<std::array<double, 3>, 3>;

/// @brief Eigen-decomposition of a symmetric 3×3 matrix: A·p_i = λ_i·p_i.
struct SymmetricEigen3 {
  std::array<double, 3> values{};  ///< λ_0 ≥ λ_1 ≥ λ_2
  Matrix3 vectors{};               ///< vectors[i] = p_i, unit length, largest-magnitude component positive
};

/// @brief What one image's augmentation does: a crop, maybe a reflection, and an RGB shift.
struct AugmentParams {
  int top = 0;                              ///< first row of the crop in the source image
  int left = 0;                             ///< first column of the crop in the source image
  bool flip = false;                        ///< reflect the crop left–right
  std::array<float, 3> colour_shift{};      ///< added to every R, G, B value (0..255 scale)
};

/// @brief How training-time parameters are drawn (set both sides; the others have the paper's values).
struct AugmentConfig {
  std::uint64_t seed = 0;                          ///< the run's seed
  int image_side = 0;                              ///< side of the square source images (256 in the paper)
  int crop_side = 0;                               ///< side of the crops (the network's input, 227)
  bool flip = true;                                ///< draw reflections (else never flip)
  double colour_stddev = kColourNoiseStddev;       ///< σ of α_i; 0 switches the colour noise off
  SymmetricEigen3 pca;                             ///< colour_pca() of the training set
};

/// @brief Eigenvalues and eigenvectors of a symmetric 3×3 matrix by cyclic Jacobi rotations (double precision).
SymmetricEigen3 symmetric_eigen3(const Matrix3& a);

/// @brief 3×3 covariance of the R, G, B values of every pixel of `images` [N, 3, H, W], measured in [0, 1] (value / 255).
Matrix3 rgb_covariance(const TensorF& images);

/// @brief Principal components of the RGB values: symmetric_eigen3(rgb_covariance(images)).
SymmetricEigen3 colour_pca(const TensorF& images);

/// @brief The paper's colour shift Σ_i α_i·λ_i·p_i, converted from the [0, 1] scale to 0..255.
std::array<float, 3> colour_shift(const SymmetricEigen3& pca, const std::array<double, 3>& alpha);

/// @brief Draws crop position, reflection and α for images first_image .. first_image+count−1 of `epoch`.
///
/// Image i of epoch e draws, in this order, top, left, flip and α_0..α_2 from
/// RandomStream(purpose_seed(config.seed, RandomPurpose::Augmentation), e·2^32 + i): the draws depend on
/// (seed, epoch, image) only, not on the batch size, the order of calls or the device.
std::vector<AugmentParams> draw_augment_params(const AugmentConfig& config, std::uint64_t epoch,
                                               std::int64_t first_image, std::int64_t count);

/// @brief The ten test-time crops of a `side`-square image: 4 corners and the centre, then the same five reflected.
std::vector<AugmentParams> ten_crop_params(int image_side, int crop_side);

/// @brief Throws std::invalid_argument naming `op` unless `images` is [N, 3, H, W], there is one
/// AugmentParams per image and every crop of side `crop_side` lies inside its image.
void require_augment_params(const std::string& op, const Shape& images, const std::vector<AugmentParams>& params,
                            int crop_side);

namespace cpu {

/// @brief out[n] = crop (+ reflection) of images[n] plus its colour shift; one AugmentParams per image.
// images: [N, 3, S, S]  ->  [N, 3, crop_side, crop_side]
TensorF augment_batch(const TensorF& images, const std::vector<AugmentParams>& params, int crop_side);

/// @brief The ten crops of every image, image-major: row 10·n + k is crop k of image n.
// images: [N, 3, S, S]  ->  [10·N, 3, crop_side, crop_side]
TensorF ten_crops(const TensorF& images, int crop_side);

/// @brief Averages the class probabilities of each image's `crops` consecutive rows.
// probabilities: [crops·N, K]  ->  [N, K]
TensorF average_crop_probabilities(const TensorF& probabilities, int crops = 10);

/// @brief Mean R, G and B value over every pixel of `images` [N, 3, H, W] (the training set), 0..255 scale.
std::array<float, 3> channel_mean(const TensorF& images);

/// @brief What the network expects as input: images [N, 3, H, W] minus the training set's channel_mean().
TensorF subtract_channel_mean(const TensorF& images, const std::array<float, 3>& mean);

}  // namespace cpu
}  // namespace alexnet
