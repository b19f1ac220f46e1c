// Augmentation on the CPU: crops, reflections and colour shifts checked by hand,
// the 3×3 eigen-solver, the parameter draws, the ten test crops and the mean.
#include <catch2/catch.hpp>

#include <cmath>
#include <set>
#include <tuple>

#include "reference_cpu/augment.hpp"
#include "reference_cpu/layer_table.hpp"
#include "reference_cpu/random.hpp"
#include "tests/support/check.hpp"

using namespace alexnet;

namespace {

// One RGB image [1, 3, 4, 4] whose value names its place: 100·c + 10·y + x.
TensorF numbered_image() {
  TensorF image({1, 3, 4, 4});
  for (int c = 0; c < 3; ++c) {
    for (int y = 0; y < 4; ++y) {
      for (int x = 0; x < 4; ++x) image.at(0, c, y, x) = static_cast<float>(100 * c + 10 * y + x);
    }
  }
  return image;
}

AugmentParams crop_at(int top, int left, bool flip) {
  AugmentParams p;
  p.top = top;
  p.left = left;
  p.flip = flip;
  return p;
}

Matrix3 multiply(const Matrix3& a, const Matrix3& b) {
  Matrix3 c{};
  for (int i = 0; i < 3; ++i) {
    for (int j = 0; j < 3; ++j) {
      for (int k = 0; k < 3; ++k) c[i][j] += a[i][k] * b[k][j];
    }
  }
  return c;
}

double dot(const std::array<double, 3>& a, const std::array<double, 3>& b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }

// The paper's crop side comes from the layer table: the network's input is 3@227×227.
int network_input_side() { return static_cast<int>(alexnet_two_tower().input.at(1)); }

}  // namespace

TEST_CASE("a crop keeps the rows and columns it covers", "[augment]") {
  // A 2×2 crop at top 1, left 2 of channel c holds 100c + {12, 13; 22, 23}.
  const TensorF out = cpu::augment_batch(numbered_image(), {crop_at(1, 2, false)}, 2);
  CHECK(out.shape() == Shape{1, 3, 2, 2});
  CHECK(out.values() == std::vector<float>{12, 13, 22, 23, 112, 113, 122, 123, 212, 213, 222, 223});
}

TEST_CASE("a reflection reverses each row of the crop", "[augment]") {
  // The same crop reflected: {13, 12; 23, 22} per channel.
  const TensorF out = cpu::augment_batch(numbered_image(), {crop_at(1, 2, true)}, 2);
  CHECK(out.values() == std::vector<float>{13, 12, 23, 22, 113, 112, 123, 122, 213, 212, 223, 222});
}

TEST_CASE("the colour shift is added to every pixel of its channel", "[augment]") {
  AugmentParams p = crop_at(0, 0, false);
  p.colour_shift = {1.5f, -2.0f, 0.25f};
  const TensorF out = cpu::augment_batch(numbered_image(), {p}, 1);
  CHECK(out.values() == std::vector<float>{0 + 1.5f, 100 - 2.0f, 200 + 0.25f});
}

TEST_CASE("augment_batch refuses crops outside the image and a wrong parameter count", "[augment]") {
  CHECK_THROWS_WITH(cpu::augment_batch(numbered_image(), {crop_at(2, 0, false)}, 3),
                    "augment_batch: a 3-pixel crop at (top 2, left 0) does not fit images of shape [1, 3, 4, 4]");
  CHECK_THROWS_WITH(cpu::augment_batch(numbered_image(), {}, 2),
                    "augment_batch: expected one AugmentParams per image (1), got 0");
}

TEST_CASE("the eigen-solver recovers a diagonal matrix, largest eigenvalue first", "[augment][eigen]") {
  const SymmetricEigen3 e = symmetric_eigen3({{{1, 0, 0}, {0, 3, 0}, {0, 0, 2}}});
  CHECK(e.values == std::array<double, 3>{3, 2, 1});
  CHECK(e.vectors[0] == std::array<double, 3>{0, 1, 0});
  CHECK(e.vectors[1] == std::array<double, 3>{0, 0, 1});
  CHECK(e.vectors[2] == std::array<double, 3>{1, 0, 0});
}

TEST_CASE("the eigen-solver recovers a matrix built from known eigenvectors", "[augment][eigen]") {
  // Q = rotation by 30° about z, then by 45° about x; A = Q·diag(5, 2, −1)·Qᵀ.
  const double c30 = std::sqrt(3.0) / 2, s30 = 0.5, c45 = std::sqrt(0.5);
  const Matrix3 rz{{{c30, -s30, 0}, {s30, c30, 0}, {0, 0, 1}}};
  const Matrix3 rx{{{1, 0, 0}, {0, c45, -c45}, {0, c45, c45}}};
  const Matrix3 q = multiply(rx, rz);
  const Matrix3 d{{{5, 0, 0}, {0, 2, 0}, {0, 0, -1}}};
  Matrix3 qt{};
  for (int i = 0; i < 3; ++i) {
    for (int j = 0; j < 3; ++j) qt[i][j] = q[j][i];
  }
  Matrix3 a = multiply(multiply(q, d), qt);
  for (int i = 0; i < 3; ++i) {
    for (int j = 0; j < i; ++j) a[i][j] = a[j][i];  // exactly symmetric despite rounding
  }
  const SymmetricEigen3 e = symmetric_eigen3(a);
  const std::array<double, 3> expected{5, 2, -1};
  for (int i = 0; i < 3; ++i) {
    CHECK(e.values[i] == Approx(expected[i]).margin(1e-12));
    // p_i is column i of Q, up to sign: |p_i · q_i| = 1.
    CHECK(std::abs(dot(e.vectors[i], {q[0][i], q[1][i], q[2][i]})) == Approx(1.0).margin(1e-12));
  }
}

TEST_CASE("A·p = λ·p with orthonormal p for random symmetric matrices", "[augment][eigen]") {
  RandomStream draws(7, 0);
  for (int trial = 0; trial < 100; ++trial) {
    Matrix3 a{};
    for (int i = 0; i < 3; ++i) {
      for (int j = 0; j <= i; ++j) a[i][j] = a[j][i] = draws.normal();
    }
    const SymmetricEigen3 e = symmetric_eigen3(a);
    CHECK(e.values[0] >= e.values[1]);
    CHECK(e.values[1] >= e.values[2]);
    for (int i = 0; i < 3; ++i) {
      for (int r = 0; r < 3; ++r) CHECK(dot(a[r], e.vectors[i]) == Approx(e.values[i] * e.vectors[i][r]).margin(1e-12));
      for (int j = 0; j < 3; ++j) CHECK(dot(e.vectors[i], e.vectors[j]) == Approx(i == j ? 1.0 : 0.0).margin(1e-12));
    }
  }
}

TEST_CASE("the colour shift of a known image follows its first principal component", "[augment][pca]") {
  // Two pixels, black (0, 0, 0) and white (255, 255, 255). On the [0, 1] scale the
  // mean is 0.5 and every covariance entry is 0.25, so λ = (0.75, 0, 0) and
  // p_0 = (1, 1, 1)/√3. With α = (0.1, 0.5, −0.7) only α_0 counts:
  // shift = 255 · 0.1 · 0.75 / √3 = 11.0418... on each of R, G, B.
  TensorF image({1, 3, 1, 2});
  for (int c = 0; c < 3; ++c) image.at(0, c, 0, 1) = 255;
  const Matrix3 covariance = rgb_covariance(image);
  CHECK(covariance[0][0] == Approx(0.25));
  CHECK(covariance[1][2] == Approx(0.25));
  const SymmetricEigen3 pca = colour_pca(image);
  CHECK(pca.values[0] == Approx(0.75));
  CHECK(pca.values[1] == Approx(0).margin(1e-12));
  CHECK(pca.vectors[0][0] == Approx(1 / std::sqrt(3.0)));
  const std::array<float, 3> shift = colour_shift(pca, {0.1, 0.5, -0.7});
  for (float s : shift) CHECK(s == Approx(255 * 0.1 * 0.75 / std::sqrt(3.0)));
  // Applied to the image: black becomes 11.04 grey, white 266.04 (no clamping).
  AugmentParams p = crop_at(0, 0, false);
  p.colour_shift = shift;
  const TensorF out = cpu::augment_batch(image, {p}, 1);
  CHECK(out.at(0, 1, 0, 0) == Approx(11.0418).epsilon(1e-4));
}

TEST_CASE("crop positions, reflections and α are drawn per (seed, epoch, image)", "[augment][random]") {
  AugmentConfig config;
  config.seed = 42;
  config.image_side = 256;
  config.crop_side = network_input_side();
  config.pca = symmetric_eigen3({{{0.05, 0, 0}, {0, 0.04, 0}, {0, 0, 0.03}}});
  const std::vector<AugmentParams> all = draw_augment_params(config, 3, 0, 2000);
  // The same draws whatever the batch split: images 1000.. drawn alone match.
  const std::vector<AugmentParams> tail = draw_augment_params(config, 3, 1000, 1000);
  std::set<std::tuple<int, int, bool>> distinct;
  int flips = 0;
  for (std::size_t i = 0; i < all.size(); ++i) {
    const AugmentParams& p = all[i];
    CHECK((p.top >= 0 && p.top <= 29 && p.left >= 0 && p.left <= 29));
    if (i >= 1000) CHECK((tail[i - 1000].top == p.top && tail[i - 1000].left == p.left && tail[i - 1000].flip == p.flip &&
                          tail[i - 1000].colour_shift == p.colour_shift));
    distinct.insert({p.top, p.left, p.flip});
    flips += p.flip;
  }
  // 30 positions per axis (0..29) and two reflections: at most 30·30·2 = 1800
  // different crops, and 2000 draws already hit most of them.
  CHECK(distinct.size() <= 1800);
  CHECK(distinct.size() > 1000);
  CHECK((flips > 900 && flips < 1100));  // about half, ±4.5 standard deviations
  // Another epoch draws other crops for the same image.
  const std::vector<AugmentParams> next_epoch = draw_augment_params(config, 4, 0, 2000);
  int same = 0;
  for (std::size_t i = 0; i < all.size(); ++i) same += all[i].top == next_epoch[i].top && all[i].left == next_epoch[i].left;
  CHECK(same < 20);  // 1 in 900 by chance: about 2 of 2000
}

TEST_CASE("the colour-noise coefficients have the paper's standard deviation 0.1", "[augment][pca]") {
  // With λ = (1, 0, 0) and p_0 = (1, 0, 0) the red shift is 255·α_0, so α_0 = shift / 255.
  AugmentConfig config;
  config.image_side = 256;
  config.crop_side = network_input_side();
  config.pca = symmetric_eigen3({{{1, 0, 0}, {0, 0, 0}, {0, 0, 0}}});
  const std::vector<AugmentParams> params = draw_augment_params(config, 0, 0, 10000);
  double sum = 0, squares = 0;
  for (const AugmentParams& p : params) {
    const double alpha = p.colour_shift[0] / 255.0;
    sum += alpha;
    squares += alpha * alpha;
  }
  const double mean = sum / 10000, stddev = std::sqrt(squares / 10000 - mean * mean);
  CHECK(std::abs(mean) < 0.005);                 // 5 standard errors of 0.001
  CHECK(stddev == Approx(kColourNoiseStddev).epsilon(0.05));
}

TEST_CASE("the ten test crops are the four corners, the centre and their reflections", "[augment][ten_crop]") {
  // 256 − 227 = 29: corners at 0 and 29, the centre at 29/2 = 14 (rounded down).
  const std::vector<AugmentParams> crops = ten_crop_params(256, network_input_side());
  REQUIRE(crops.size() == 10);
  const int expected[10][3] = {{0, 0, 0},  {0, 29, 0}, {29, 0, 0}, {29, 29, 0}, {14, 14, 0},
                               {0, 0, 1},  {0, 29, 1}, {29, 0, 1}, {29, 29, 1}, {14, 14, 1}};
  for (int k = 0; k < 10; ++k) {
    INFO("crop " << k);
    CHECK(crops[k].top == expected[k][0]);
    CHECK(crops[k].left == expected[k][1]);
    CHECK(crops[k].flip == (expected[k][2] == 1));
  }
}

TEST_CASE("ten_crops of a tiny image, image-major", "[augment][ten_crop]") {
  // 3×3 crops of the 4×4 numbered image: corners at 0 and 1, centre at 1/2 = 0.
  const TensorF crops = cpu::ten_crops(numbered_image(), 3);
  REQUIRE(crops.shape() == Shape{10, 3, 3, 3});
  CHECK(crops.at(1, 0, 0, 0) == 1);    // top-right corner starts at column 1
  CHECK(crops.at(2, 0, 0, 0) == 10);   // bottom-left starts at row 1
  CHECK(crops.at(3, 2, 2, 2) == 233);  // bottom-right ends at (3, 3) of channel 2
  CHECK(crops.at(5, 0, 0, 0) == 2);    // the top-left crop reflected starts with column 2
}

TEST_CASE("average_crop_probabilities averages each image's ten rows", "[augment][ten_crop]") {
  // Image 0: crops say class 0 with p = k/10 for crop k (k = 0..9): mean 0.45.
  TensorF probabilities({20, 2});
  for (int k = 0; k < 10; ++k) {
    probabilities.at(k, 0) = k / 10.0f;
    probabilities.at(k, 1) = 1 - k / 10.0f;
    probabilities.at(10 + k, 1) = 1;  // image 1: always class 1
  }
  const TensorF average = cpu::average_crop_probabilities(probabilities);
  CHECK(average.shape() == Shape{2, 2});
  CHECK(average.at(0, 0) == Approx(0.45));
  CHECK(average.at(0, 1) == Approx(0.55));
  CHECK(average.at(1, 1) == 1);
  CHECK_THROWS_WITH(cpu::average_crop_probabilities(TensorF({7, 2})),
                    "average_crop_probabilities: expected [10·N, K] probabilities, got [7, 2]");
}

TEST_CASE("channel_mean and its subtraction", "[augment][mean]") {
  // Channel c of the numbered image averages 100c + mean(10y + x) = 100c + 16.5.
  const std::array<float, 3> mean = cpu::channel_mean(numbered_image());
  CHECK(mean == std::array<float, 3>{16.5f, 116.5f, 216.5f});
  const TensorF centred = cpu::subtract_channel_mean(numbered_image(), mean);
  CHECK(centred.at(0, 0, 0, 0) == -16.5f);
  CHECK(centred.at(0, 2, 3, 3) == 16.5f);
  CHECK(cpu::channel_mean(centred) == std::array<float, 3>{0, 0, 0});
}
