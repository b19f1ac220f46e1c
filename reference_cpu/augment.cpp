#include "reference_cpu/augment.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "reference_cpu/random.hpp"

namespace alexnet {
namespace {

// One Jacobi rotation in the (p, q) plane that zeroes a[p][q]: A ← JᵀAJ, V ← VJ,
// with J = identity except J_pp = J_qq = c, J_pq = s, J_qp = −s (Numerical Recipes §11.1).
void jacobi_rotate(Matrix3& a, Matrix3& v, int p, int q) {
  const double theta = (a[q][q] - a[p][p]) / (2.0 * a[p][q]);
  const double t = (theta >= 0 ? 1.0 : -1.0) / (std::abs(theta) + std::sqrt(theta * theta + 1.0));
  const double c = 1.0 / std::sqrt(t * t + 1.0), s = t * c;
  for (int k = 0; k < 3; ++k) {  // columns: A·J
    const double akp = a[k][p], akq = a[k][q];
    a[k][p] = c * akp - s * akq;
    a[k][q] = s * akp + c * akq;
  }
  for (int k = 0; k < 3; ++k) {  // rows: Jᵀ·(A·J)
    const double apk = a[p][k], aqk = a[q][k];
    a[p][k] = c * apk - s * aqk;
    a[q][k] = s * apk + c * aqk;
  }
  for (int k = 0; k < 3; ++k) {  // eigenvectors accumulate in the columns of V
    const double vkp = v[k][p], vkq = v[k][q];
    v[k][p] = c * vkp - s * vkq;
    v[k][q] = s * vkp + c * vkq;
  }
}

double off_diagonal_squares(const Matrix3& a) { return a[0][1] * a[0][1] + a[0][2] * a[0][2] + a[1][2] * a[1][2]; }

void require_images(const std::string& op, const Shape& images) {
  if (images.size() != 4 || images[1] != 3) {
    throw std::invalid_argument(op + ": expected RGB images [N, 3, H, W], got " + to_string(images));
  }
}

void require_crop_side(const std::string& op, int image_side, int crop_side) {
  if (crop_side <= 0 || image_side <= 0 || crop_side > image_side) {
    throw std::invalid_argument(op + ": crop side " + std::to_string(crop_side) + " must be in 1.." +
                                std::to_string(image_side) + " (the image side)");
  }
}

// out[m] = crop of images[n] described by p (reflected if p.flip) plus p.colour_shift.
void crop_into(const TensorF& images, std::int64_t n, const AugmentParams& p, int crop_side, TensorF& out,
               std::int64_t m) {
  for (int c = 0; c < 3; ++c) {
    for (int y = 0; y < crop_side; ++y) {
      const float* source_row = &images.at(n, c, p.top + y, p.left);
      float* out_row = &out.at(m, c, y, 0);
      for (int x = 0; x < crop_side; ++x) {
        out_row[x] = source_row[p.flip ? crop_side - 1 - x : x] + p.colour_shift[c];
      }
    }
  }
}

}  // namespace

SymmetricEigen3 symmetric_eigen3(const Matrix3& input) {
  for (int r = 0; r < 3; ++r) {
    for (int c = 0; c < r; ++c) {
      if (input[r][c] != input[c][r]) throw std::invalid_argument("symmetric_eigen3: the matrix is not symmetric");
    }
  }
  Matrix3 a = input, v{{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}};
  double norm = 0;
  for (const auto& row : a) {
    for (double x : row) norm += x * x;
  }
  // Each sweep rotates away the three off-diagonal entries; convergence is quadratic,
  // so a handful of sweeps reaches the rounding level of double.
  for (int sweep = 0; sweep < 50 && off_diagonal_squares(a) > 1e-32 * norm; ++sweep) {
    for (auto [p, q] : {std::pair{0, 1}, std::pair{0, 2}, std::pair{1, 2}}) {
      if (a[p][q] != 0.0) jacobi_rotate(a, v, p, q);
    }
  }
  std::array<int, 3> order{0, 1, 2};
  std::sort(order.begin(), order.end(), [&](int i, int j) { return a[i][i] > a[j][j]; });
  SymmetricEigen3 result;
  for (int i = 0; i < 3; ++i) {
    const int column = order[i];
    result.values[i] = a[column][column];
    int largest = 0;
    for (int k = 0; k < 3; ++k) {
      result.vectors[i][k] = v[k][column];
      if (std::abs(v[k][column]) > std::abs(v[largest][column])) largest = k;
    }
    if (v[largest][column] < 0) {
      for (double& x : result.vectors[i]) x = -x;
    }
  }
  return result;
}

Matrix3 rgb_covariance(const TensorF& images) {
  require_images("rgb_covariance", images.shape());
  const std::int64_t pixels_per_image = images.dim(2) * images.dim(3);
  const std::int64_t count = images.dim(0) * pixels_per_image;
  if (count == 0) throw std::invalid_argument("rgb_covariance: no pixels");
  const auto value = [&](std::int64_t n, int c, std::int64_t pixel) {
    return images[(n * 3 + c) * pixels_per_image + pixel] / kPixelScale;
  };
  std::array<double, 3> mean{};
  for (std::int64_t n = 0; n < images.dim(0); ++n) {
    for (int c = 0; c < 3; ++c) {
      for (std::int64_t i = 0; i < pixels_per_image; ++i) mean[c] += value(n, c, i);
    }
  }
  for (double& m : mean) m /= static_cast<double>(count);
  Matrix3 covariance{};
  for (std::int64_t n = 0; n < images.dim(0); ++n) {
    for (std::int64_t i = 0; i < pixels_per_image; ++i) {
      const std::array<double, 3> d{value(n, 0, i) - mean[0], value(n, 1, i) - mean[1], value(n, 2, i) - mean[2]};
      for (int r = 0; r < 3; ++r) {
        for (int c = 0; c < 3; ++c) covariance[r][c] += d[r] * d[c];
      }
    }
  }
  for (auto& row : covariance) {
    for (double& x : row) x /= static_cast<double>(count);
  }
  return covariance;
}

SymmetricEigen3 colour_pca(const TensorF& images) { return symmetric_eigen3(rgb_covariance(images)); }

std::array<float, 3> colour_shift(const SymmetricEigen3& pca, const std::array<double, 3>& alpha) {
  std::array<float, 3> shift{};
  for (int c = 0; c < 3; ++c) {
    double sum = 0;
    for (int i = 0; i < 3; ++i) sum += alpha[i] * pca.values[i] * pca.vectors[i][c];
    shift[c] = static_cast<float>(kPixelScale * sum);
  }
  return shift;
}

std::vector<AugmentParams> draw_augment_params(const AugmentConfig& config, std::uint64_t epoch,
                                               std::int64_t first_image, std::int64_t count) {
  require_crop_side("draw_augment_params", config.image_side, config.crop_side);
  const auto positions = static_cast<std::uint32_t>(config.image_side - config.crop_side + 1);
  std::vector<AugmentParams> params(static_cast<std::size_t>(count));
  for (std::int64_t i = 0; i < count; ++i) {
    const auto image = static_cast<std::uint64_t>(first_image + i);
    RandomStream draws(purpose_seed(config.seed, RandomPurpose::Augmentation), (epoch << 32) + image);
    AugmentParams& p = params[static_cast<std::size_t>(i)];
    p.top = static_cast<int>(draws.below(positions));
    p.left = static_cast<int>(draws.below(positions));
    p.flip = draws.below(2) == 1 && config.flip;
    std::array<double, 3> alpha{};
    for (double& a : alpha) a = draws.normal(0.0, config.colour_stddev);
    if (config.colour_stddev > 0) p.colour_shift = colour_shift(config.pca, alpha);
  }
  return params;
}

void require_augment_params(const std::string& op, const Shape& images, const std::vector<AugmentParams>& params,
                            int crop_side) {
  require_images(op, images);
  if (static_cast<std::int64_t>(params.size()) != images[0]) {
    throw std::invalid_argument(op + ": expected one AugmentParams per image (" + std::to_string(images[0]) +
                                "), got " + std::to_string(params.size()));
  }
  for (const AugmentParams& p : params) {
    if (p.top < 0 || p.left < 0 || p.top + crop_side > images[2] || p.left + crop_side > images[3]) {
      throw std::invalid_argument(op + ": a " + std::to_string(crop_side) + "-pixel crop at (top " +
                                  std::to_string(p.top) + ", left " + std::to_string(p.left) +
                                  ") does not fit images of shape " + to_string(images));
    }
  }
}

std::vector<AugmentParams> ten_crop_params(int image_side, int crop_side) {
  require_crop_side("ten_crop_params", image_side, crop_side);
  const int far = image_side - crop_side, centre = far / 2;
  std::vector<AugmentParams> crops;
  for (bool flip : {false, true}) {
    for (auto [top, left] : {std::pair{0, 0}, std::pair{0, far}, std::pair{far, 0}, std::pair{far, far},
                             std::pair{centre, centre}}) {
      AugmentParams p;
      p.top = top;
      p.left = left;
      p.flip = flip;
      crops.push_back(p);
    }
  }
  return crops;
}

namespace cpu {

TensorF augment_batch(const TensorF& images, const std::vector<AugmentParams>& params, int crop_side) {
  require_augment_params("augment_batch", images.shape(), params, crop_side);
  TensorF out({images.dim(0), 3, crop_side, crop_side});
  for (std::int64_t n = 0; n < images.dim(0); ++n) {
    crop_into(images, n, params[static_cast<std::size_t>(n)], crop_side, out, n);
  }
  return out;
}

TensorF ten_crops(const TensorF& images, int crop_side) {
  require_images("ten_crops", images.shape());
  if (images.dim(2) != images.dim(3)) {
    throw std::invalid_argument("ten_crops: expected square images, got " + to_string(images.shape()));
  }
  const std::vector<AugmentParams> crops = ten_crop_params(static_cast<int>(images.dim(2)), crop_side);
  const auto per_image = static_cast<std::int64_t>(crops.size());
  TensorF out({images.dim(0) * per_image, 3, crop_side, crop_side});
  for (std::int64_t n = 0; n < images.dim(0); ++n) {
    for (std::int64_t k = 0; k < per_image; ++k) {
      crop_into(images, n, crops[static_cast<std::size_t>(k)], crop_side, out, n * per_image + k);
    }
  }
  return out;
}

TensorF average_crop_probabilities(const TensorF& probabilities, int crops) {
  if (probabilities.rank() != 2 || crops <= 0 || probabilities.dim(0) % crops != 0) {
    throw std::invalid_argument("average_crop_probabilities: expected [" + std::to_string(crops) +
                                "·N, K] probabilities, got " + to_string(probabilities.shape()));
  }
  const std::int64_t images = probabilities.dim(0) / crops, classes = probabilities.dim(1);
  TensorF average({images, classes});
  for (std::int64_t n = 0; n < images; ++n) {
    for (std::int64_t k = 0; k < classes; ++k) {
      double sum = 0;
      for (std::int64_t crop = 0; crop < crops; ++crop) sum += probabilities.at(n * crops + crop, k);
      average.at(n, k) = static_cast<float>(sum / crops);
    }
  }
  return average;
}

std::array<float, 3> channel_mean(const TensorF& images) {
  require_images("channel_mean", images.shape());
  const std::int64_t plane = images.dim(2) * images.dim(3);
  std::array<double, 3> sum{};
  for (std::int64_t n = 0; n < images.dim(0); ++n) {
    for (int c = 0; c < 3; ++c) {
      for (std::int64_t i = 0; i < plane; ++i) sum[c] += images[(n * 3 + c) * plane + i];
    }
  }
  const double count = static_cast<double>(images.dim(0) * plane);
  return {static_cast<float>(sum[0] / count), static_cast<float>(sum[1] / count), static_cast<float>(sum[2] / count)};
}

TensorF subtract_channel_mean(const TensorF& images, const std::array<float, 3>& mean) {
  require_images("subtract_channel_mean", images.shape());
  TensorF out(images.shape());
  const std::int64_t plane = images.dim(2) * images.dim(3);
  for (std::int64_t i = 0; i < images.size(); ++i) out[i] = images[i] - mean[static_cast<std::size_t>((i / plane) % 3)];
  return out;
}

}  // namespace cpu
}  // namespace alexnet
