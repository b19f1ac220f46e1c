// conv2d on the CPU: hand-computed cases, groups as a block-diagonal kernel,
// gradient checks in double, CONV1's shapes from the layer table, bad shapes.
#include <catch2/catch.hpp>

#include <cmath>

#include "network/plan.hpp"
#include "reference_cpu/conv2d.hpp"
#include "tests/support/conv2d_checks.hpp"

using namespace alexnet;
using namespace alexnet::testing;

namespace {

// x = 1..16 in one 4×4 map:
//    1  2  3  4
//    5  6  7  8
//    9 10 11 12
//   13 14 15 16
TensorF one_to_sixteen() {
  TensorF x({1, 1, 4, 4});
  for (std::int64_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i + 1);
  return x;
}

}  // namespace

TEST_CASE("conv2d with a 3x3 kernel of ones and pad 1 sums each 3x3 neighbourhood", "[conv2d]") {
  const TensorF weight({1, 1, 3, 3}, 1.0f), bias({1}, 0.0f);
  // Each output is the sum of the inputs in the 3×3 window centred on it; the padding adds zeros.
  //   y[0][0] = 1+2+5+6 = 14             y[0][1] = 1+2+3+5+6+7 = 24
  //   y[1][1] = 1+2+3+5+6+7+9+10+11 = 54 y[2][2] = 6+7+8+10+11+12+14+15+16 = 99
  //   y[3][3] = 11+12+15+16 = 54         y[3][0] = 9+10+13+14 = 46
  const TensorF y = cpu::conv2d_forward(one_to_sixteen(), weight, bias, Conv2dParams{1, 1, 1});
  CHECK(y.shape() == Shape{1, 1, 4, 4});
  CHECK(y.values() == std::vector<float>{14, 24, 30, 22,  //
                                         33, 54, 63, 45,  //
                                         57, 90, 99, 69,  //
                                         46, 72, 78, 54});
  // Stride 2: (4 + 2·1 − 3)/2 + 1 = 2 windows per side, centred on (0,0), (0,2), (2,0), (2,2).
  const TensorF strided = cpu::conv2d_forward(one_to_sixteen(), weight, bias, Conv2dParams{2, 1, 1});
  CHECK(strided.shape() == Shape{1, 1, 2, 2});
  CHECK(strided.values() == std::vector<float>{14, 30, 57, 99});
}

TEST_CASE("conv2d is a cross-correlation: the kernel is not flipped", "[conv2d]") {
  // Only the top-left weight is 1, so y[i][j] = x[i−1][j−1] (0 in the padding) + bias 0.5:
  //   row 0 sees the padding: 0.5 everywhere; row 1 = 0.5 + (0, 1, 2, 3); row 2 = 0.5 + (0, 5, 6, 7) ...
  // A flipped kernel (true convolution) would give x[i+1][j+1] instead.
  TensorF weight({1, 1, 3, 3}, 0.0f);
  weight.at(0, 0, 0, 0) = 1.0f;
  const TensorF y = cpu::conv2d_forward(one_to_sixteen(), weight, TensorF({1}, 0.5f), Conv2dParams{1, 1, 1});
  CHECK(y.values() == std::vector<float>{0.5f, 0.5f, 0.5f, 0.5f,   //
                                         0.5f, 1.5f, 2.5f, 3.5f,   //
                                         0.5f, 5.5f, 6.5f, 7.5f,   //
                                         0.5f, 9.5f, 10.5f, 11.5f});
}

TEST_CASE("groups: each output channel sees only its group's input channels", "[conv2d][groups]") {
  // x: two channels of one pixel, 1 and 2. 1×1 kernels, 4 output channels.
  const TensorF x({1, 2, 1, 1}, {1.0f, 2.0f});
  const TensorF bias({4}, 0.0f);
  // groups = 2: outputs 0, 1 see channel 0 only, outputs 2, 3 channel 1 only:
  //   y = (1·1, 2·1, 3·2, 4·2) = (1, 2, 6, 8)
  const TensorF grouped_weight({4, 1, 1, 1}, {1, 2, 3, 4});
  CHECK(cpu::conv2d_forward(x, grouped_weight, bias, Conv2dParams{1, 0, 2}).values() ==
        std::vector<float>{1, 2, 6, 8});
  // groups = 1 with the same numbers repeated for both channels sees both:
  //   y = (1·1 + 1·2, 2·1 + 2·2, 3·1 + 3·2, 4·1 + 4·2) = (3, 6, 9, 12)
  const TensorF dense_weight({4, 2, 1, 1}, {1, 1, 2, 2, 3, 3, 4, 4});
  CHECK(cpu::conv2d_forward(x, dense_weight, bias, Conv2dParams{1, 0, 1}).values() ==
        std::vector<float>{3, 6, 9, 12});
}

TEST_CASE("a grouped convolution equals a dense one whose kernel is zero across groups", "[conv2d][groups]") {
  // The two towers of AlexNet as one layer: groups = 2 is a dense convolution whose
  // weight is block-diagonal in (output channel, input channel).
  const Conv2dParams grouped{2, 1, 2};
  const TensorD x = random_tensor({2, 4, 7, 6}, 1);
  const TensorD weight = random_tensor({6, 2, 3, 3}, 2), bias = random_tensor({6}, 3);
  TensorD dense({6, 4, 3, 3});  // zero where output channel and input channel are in different groups
  for (std::int64_t co = 0; co < 6; ++co)
    for (std::int64_t ci = 0; ci < 2; ++ci)
      for (std::int64_t k = 0; k < 9; ++k) dense.at(co, co / 3 * 2 + ci, k / 3, k % 3) = weight.at(co, ci, k / 3, k % 3);
  // Same products, same order, plus exact zeros: equal to the last bit.
  CHECK_TENSORS_CLOSE("grouped vs block-diagonal dense", cpu::conv2d_forward(x, dense, bias, Conv2dParams{2, 1, 1}),
                      cpu::conv2d_forward(x, weight, bias, grouped), (Tolerance{0, 0}));
}

TEST_CASE("conv2d backward matches central differences in double", "[conv2d][gradient]") {
  // Plain; stride 2 with padding and groups; stride 3 with an even kernel, which
  // leaves the last rows unread ((8 + 2·1 − 2) / 3 = 2 rem 2).
  for (const Conv2dParams params : {Conv2dParams{1, 0, 1}, Conv2dParams{2, 1, 2}, Conv2dParams{3, 1, 2}}) {
    const int kernel = params.stride == 3 ? 2 : 3;
    CAPTURE(params.stride, params.pad, params.groups, kernel);
    check_conv2d_gradients({2, 4, 8, 7}, {6, 4 / params.groups, kernel, kernel}, params);
  }
}

TEST_CASE("CONV1 from the layer table: 3@227x227 -> 96@55x55 with 34,944 parameters", "[conv2d][conv1]") {
  const NetworkSpec network = alexnet_two_tower();
  const LayerSpec& conv1 = find_layer(network, "conv1");
  const Conv2dParams params = conv2d_params(conv1);
  CHECK(params.stride == 4);
  CHECK(params.pad == 0);
  CHECK(params.groups == 1);  // both towers see the whole image
  const LayerParameters weights = initial_parameters(conv1, network.input, 1, 0);
  CHECK(weights.weight.shape() == Shape{96, 3, 11, 11});
  // (227 − 11)/4 + 1 = 55; (11·11·3 + 1)·48·2 = 34,944.
  CHECK(cpu::conv2d_output_shape({2, 3, 227, 227}, weights.weight.shape(), weights.bias.shape(), params) ==
        Shape{2, 96, 55, 55});
  CHECK(weights.weight.size() + weights.bias.size() == 34944);
  CHECK(weights.bias.values() == std::vector<float>(96, 0.0f));
}

TEST_CASE("initial_parameters draws N(0, 0.01^2) weights and sets the paper's bias", "[conv2d]") {
  const NetworkSpec network = alexnet_two_tower();
  // CONV2 reads pool1's 96@27×27 in two groups: 256 kernels of 48×5×5, bias 1 in the paper.
  const LayerParameters conv2 = initial_parameters(find_layer(network, "conv2"), {96, 27, 27}, 2, 0);
  CHECK(conv2.weight.shape() == Shape{256, 48, 5, 5});
  CHECK(conv2.bias.values() == std::vector<float>(256, 1.0f));
  double sum = 0, sum_of_squares = 0;
  for (double w : conv2.weight.values()) {  // in double: sums of 307,200 terms
    sum += w;
    sum_of_squares += w * w;
  }
  const double count = static_cast<double>(conv2.weight.size());  // 307,200 draws
  // Standard errors: mean 0.01/sqrt(307200) ≈ 1.8e-5, stddev 0.01/sqrt(2·307200) ≈ 1.3e-5; allow ~5 of them.
  CHECK(std::abs(sum / count) < 1e-4);
  CHECK(std::abs(std::sqrt(sum_of_squares / count) - 0.01) < 1e-4);
}

TEST_CASE("conv2d refuses shapes that do not fit, naming what it expected", "[conv2d]") {
  const Shape x{2, 4, 8, 8}, bias{6};
  CHECK_THROWS_WITH(cpu::conv2d_output_shape(x, {6, 4, 3, 3}, bias, Conv2dParams{1, 0, 2}),
                    "conv2d: expected weight of shape [6, 2, 3, 3], got [6, 4, 3, 3]");
  CHECK_THROWS_WITH(cpu::conv2d_output_shape(x, {6, 4, 3, 3}, {5}, Conv2dParams{}),
                    "conv2d: expected bias of shape [6], got [5]");
  CHECK_THROWS_WITH(cpu::conv2d_output_shape(x, {6, 1, 3, 3}, bias, Conv2dParams{1, 0, 4}),
                    "conv2d: expected input and output channels divisible by groups = 4, got 4 -> 6");
  CHECK_THROWS_WITH(cpu::conv2d_output_shape(x, {6, 4, 11, 11}, bias, Conv2dParams{1, 1, 1}),
                    "conv2d: expected a 11x11 kernel to fit in the input padded by 1, got x [2, 4, 8, 8]");
  CHECK_THROWS_WITH(cpu::conv2d_output_shape({4, 8, 8}, {6, 4, 3, 3}, bias, Conv2dParams{}),
                    "conv2d: expected x of rank 4 [N, C_in, H, W], got [4, 8, 8]");
  CHECK_THROWS_WITH(cpu::conv2d_output_shape(x, {6, 4, 3, 3}, bias, Conv2dParams{0, 0, 1}),
                    "conv2d: expected stride >= 1, pad >= 0, groups >= 1, got stride 0, pad 0, groups 1");
  CHECK_THROWS_WITH(cpu::conv2d_backward(TensorF(x), TensorF({6, 4, 3, 3}), TensorF({2, 6, 8, 8}), Conv2dParams{}),
                    "conv2d_backward: expected grad_y of shape [2, 6, 6, 6], got [2, 6, 8, 8]");
  CHECK_THROWS_WITH(conv2d_params(find_layer(alexnet_two_tower(), "pool1")),
                    "conv2d_params: expected a convolution, got pool1 (maxpool)");
}
