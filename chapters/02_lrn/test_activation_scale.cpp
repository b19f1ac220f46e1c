// How large LRN1's input is in a freshly initialised network, and how much LRN1 changes
// it there: CONV1 with the paper's initialisation (weights N(0, 0.01²), bias 0, from the
// layer table) on pixels 0..255 minus their mean, then the ReLU and LRN1.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

#include "datasets/fashion_mnist.hpp"
#include "datasets/image.hpp"
#include "datasets/labeled_images.hpp"
#include "network/plan.hpp"
#include "reference_cpu/conv2d.hpp"
#include "reference_cpu/layer_table.hpp"
#include "reference_cpu/lrn.hpp"
#include "reference_cpu/random.hpp"
#include "reference_cpu/relu.hpp"

using namespace alexnet;

namespace {

double rms(const TensorF& t) {
  double sum = 0;
  for (std::int64_t i = 0; i < t.size(); ++i) sum += static_cast<double>(t[i]) * t[i];
  return std::sqrt(sum / static_cast<double>(t.size()));
}

struct Conv1AtInit {
  double input_rms = 0;   // s: RMS of the centred pixels
  double conv_rms = 0;    // RMS of CONV1's outputs (its standard deviation: the mean is ≈ 0)
  double relu_rms = 0;    // RMS after the ReLU: LRN1's input
  double lrn_mean = 0;    // mean over positive a of b / (a / k^β) = (k / d)^β: 1 = LRN only scales by k^-β
  double lrn_lowest = 1;  // its smallest value: the largest neighbourhood
};

// x: [N, 3, 227, 227], pixels already centred.
Conv1AtInit conv1_at_init(const TensorF& x) {
  const NetworkSpec network = alexnet_two_tower();
  const LayerSpec& conv1 = find_layer(network, "conv1");
  const LayerParameters parameters = initial_parameters(conv1, network.input, 2012, 1);
  const TensorF conv = cpu::conv2d_forward(x, parameters.weight, parameters.bias, conv2d_params(conv1));
  const TensorF a = cpu::relu_forward(conv);
  const LrnParams lrn = lrn_params(find_layer(network, "lrn1"));
  const TensorF b = cpu::lrn_forward(a, lrn);

  Conv1AtInit result;
  result.input_rms = rms(x);
  result.conv_rms = rms(conv);
  result.relu_rms = rms(a);
  double sum = 0;
  std::int64_t positive = 0;
  for (std::int64_t i = 0; i < a.size(); ++i) {
    if (a[i] <= 0) continue;
    const double ratio = b[i] / (a[i] / std::pow(lrn.k, lrn.beta));
    sum += ratio;
    result.lrn_lowest = std::min(result.lrn_lowest, ratio);
    ++positive;
  }
  result.lrn_mean = sum / static_cast<double>(positive);
  return result;
}

// A sum of 363 products w·x with w ~ N(0, 0.01²) has standard deviation 0.01·√(Σx²),
// ≈ 0.01·√363·s over the windows; the ReLU keeps half of a symmetric distribution, so
// its RMS is that divided by √2.
double predicted_conv_rms(double input_rms) { return 0.01 * std::sqrt(363.0) * input_rms; }

}  // namespace

TEST_CASE("CONV1's activations at the paper's initialisation are of order 10, not 0.01", "[lrn][init]") {
  SECTION("uniform pixels 0..256 minus 127.5 (s = 256/sqrt(12) = 73.9)") {
    TensorF x({1, 3, 227, 227});
    fill_uniform(x, 2012, 7, 0.0, 256.0);
    for (std::int64_t i = 0; i < x.size(); ++i) x[i] -= 127.5f;
    const Conv1AtInit at = conv1_at_init(x);
    CAPTURE(at.input_rms, at.conv_rms, at.relu_rms, at.lrn_mean, at.lrn_lowest);
    // Predicted 0.01·√363·73.9 = 14.08; measured 14.10, then 9.97 after the ReLU.
    CHECK(at.conv_rms == Approx(predicted_conv_rms(at.input_rms)).epsilon(0.03));
    CHECK(at.relu_rms == Approx(predicted_conv_rms(at.input_rms) / std::sqrt(2.0)).epsilon(0.03));
    CHECK(at.relu_rms > 9.5);
    CHECK(at.relu_rms < 10.5);
    // d ≈ 2 + 1e-4·5·10² = 2.05: LRN1 divides nearly every activation by about 2^0.75, so
    // it barely changes their relative sizes: (2/2.05)^0.75 = 0.98 on average (measured 0.979).
    CHECK(at.lrn_mean > 0.97);
    CHECK(at.lrn_mean < 0.99);
  }
  SECTION("uniform noise with ImageNet's spread: s = 57.6, the pixels' RMS around the channel mean") {
    // torchvision's ImageNet standard deviations (0.229, 0.224, 0.225) times 255 are 58.4,
    // 57.1, 57.4; uniform noise on [-h, h] has RMS h/sqrt(3), so h = 57.6·sqrt(3) = 99.8.
    TensorF x({1, 3, 227, 227});
    fill_uniform(x, 2012, 8, -99.8, 99.8);
    const Conv1AtInit at = conv1_at_init(x);
    CAPTURE(at.input_rms, at.conv_rms, at.relu_rms, at.lrn_mean, at.lrn_lowest);
    // Predicted 0.01·√363·57.6 = 11.0 and 7.8 after the ReLU; measured 11.03 and 7.80. LRN1:
    // d ≈ 2 + 1e-4·5·7.8² = 2.03, (2/2.03)^0.75 = 0.989 (measured mean 0.987).
    CHECK(at.conv_rms == Approx(predicted_conv_rms(at.input_rms)).epsilon(0.03));
    CHECK(at.relu_rms > 7.3);
    CHECK(at.relu_rms < 8.3);
    CHECK(at.lrn_mean > 0.98);
  }
  SECTION("two Fashion-MNIST images, upscaled to 227 and copied to R, G, B, minus the training mean") {
    const LabeledImages train = load_fashion_mnist(kFashionMnistDirectory, FashionMnistSplit::Train, 1000);
    double mean = 0;
    for (std::int64_t i = 0; i < train.images.size(); ++i) mean += train.images[i];
    mean /= static_cast<double>(train.images.size());  // 72.1 over the first 1000 images
    TensorF x = to_rgb_squares(batch(train, 0, 2).images, 227);
    for (std::int64_t i = 0; i < x.size(); ++i) x[i] -= static_cast<float>(mean);
    const Conv1AtInit at = conv1_at_init(x);
    CAPTURE(mean, at.input_rms, at.conv_rms, at.relu_rms, at.lrn_mean, at.lrn_lowest);
    // These two images are bright garments on black: s = 102, predicted 19.4, measured
    // 20.8, then 13.6 after the ReLU; LRN1's mean ratio 0.963.
    CHECK(at.conv_rms == Approx(predicted_conv_rms(at.input_rms)).epsilon(0.15));
    CHECK(at.relu_rms > 10.0);
    CHECK(at.relu_rms < 17.0);
    CHECK(at.lrn_mean > 0.94);
  }
}
