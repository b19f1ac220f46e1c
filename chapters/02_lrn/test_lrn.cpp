// Local response normalization on the CPU: a hand-computed single channel, the
// towers, gradient checks in double and the parameters from the layer table.
#include <catch2/catch.hpp>

#include <cmath>

#include "chapters/02_lrn/lrn_tolerances.hpp"
#include "network/plan.hpp"
#include "reference_cpu/lrn.hpp"
#include "tests/support/gradient_check.hpp"

using namespace alexnet;
using namespace alexnet::testing;

TEST_CASE("lrn of a single non-zero channel, by hand", "[lrn]") {
  // 7 channels, only channel 3 is non-zero: a_3 = v = 3. Paper parameters k = 2, n = 5,
  // alpha = 1e-4, beta = 0.75. Channels 1..5 have channel 3 in their window.
  TensorD x({1, 7, 1, 1});
  x[3] = 3.0;
  const LrnParams params;
  // y_3 = v / (k + alpha·v²)^beta: d = 2 + 1e-4·9 = 2.0009,
  // d^0.75 = exp(0.75·ln 2.0009) = exp(0.75·0.6935971) = 1.6823604, y_3 = 3 / 1.6823604 = 1.7832089.
  // Every other output is 0 / d^beta = 0.
  const TensorD y = cpu::lrn_forward(x, params);
  CHECK(y[3] == Approx(1.7832089).epsilon(1e-7));
  for (std::int64_t c : {0, 1, 2, 4, 5, 6}) CHECK(y[c] == 0.0);

  // Backward with g = 1 everywhere: dL/da_j = g_j / d_j^beta − 2·alpha·beta·a_j·Σ_c g_c·a_c / d_c^(beta+1).
  // j = 3: 1/1.6823604 − 2·1e-4·0.75·3·3/(2.0009·1.6823604) = 0.5944030 − 0.0004010 = 0.5940019.
  // j = 1, 2, 4, 5 (a_j = 0, channel 3 in the window): 1/d^beta = 1/1.6823604 = 0.5944030.
  // j = 0, 6 (window holds only zeros, d = 2): 1/2^0.75 = 1/1.6817928 = 0.5946036.
  const TensorD grad_x = cpu::lrn_backward(x, TensorD(x.shape(), 1.0), params);
  CHECK(grad_x[3] == Approx(0.5940019).epsilon(1e-7));
  for (std::int64_t j : {1, 2, 4, 5}) CHECK(grad_x[j] == Approx(0.5944030).epsilon(1e-7));
  for (std::int64_t j : {0, 6}) CHECK(grad_x[j] == Approx(0.5946036).epsilon(1e-7));
}

TEST_CASE("lrn in two towers differs from lrn across them only at the boundary", "[lrn][towers]") {
  // C = 96 as after CONV1. With n = 5 the window of c is c−2..c+2; across the towers,
  // channels 46 and 47 reach into 48..49 and channels 48 and 49 reach back into 46..47.
  LrnParams per_tower;
  per_tower.towers = 2;
  LrnParams across = per_tower;
  across.towers = 1;
  // Activations up to 100 make alpha·Σa² (up to 5 · 1e-4 · 100²) comparable to k = 2.
  const TensorF x = random_tensor_float({1, 96, 2, 2}, 31, 0.0, 100.0);
  const TensorF y_towers = cpu::lrn_forward(x, per_tower), y_across = cpu::lrn_forward(x, across);
  for (std::int64_t c = 0; c < 96; ++c) {
    bool same = true;
    for (std::int64_t s = 0; s < 4; ++s) same = same && y_towers[c * 4 + s] == y_across[c * 4 + s];
    INFO("channel " << c);
    CHECK(same == (c < 46 || c > 49));  // away from the boundary: the same windows, so bit-identical
  }
}

TEST_CASE("lrn backward matches central differences in double", "[lrn][gradient]") {
  SECTION("paper parameters, two towers of 5 channels (every window clipped at some edge)") {
    LrnParams params;
    params.towers = 2;
    // Values up to 60: alpha·Σa² ≈ 0.6, so the cross term through d_c is visible.
    TensorD x = random_tensor({2, 10, 2, 3}, 32, -60.0, 60.0);
    const TensorD g = random_tensor(x.shape(), 33);
    const TensorD numerical = numerical_gradient([&] { return cpu::lrn_forward(x, params); }, x, g);
    CHECK_TENSORS_CLOSE("lrn grad_x", numerical, cpu::lrn_backward(x, g, params), gradient_tolerance());
  }
  SECTION("a strong normalization, n = 3, k = 1, alpha = 0.5, beta = 0.75") {
    // alpha·Σa² ≈ 1.5 > k: the second term of the gradient is as large as the first.
    const LrnParams params{3, 1.0, 0.5, 0.75, 1};
    TensorD x = random_tensor({1, 7, 3, 2}, 34, -2.0, 2.0);
    const TensorD g = random_tensor(x.shape(), 35);
    const TensorD numerical = numerical_gradient([&] { return cpu::lrn_forward(x, params); }, x, g);
    CHECK_TENSORS_CLOSE("lrn grad_x", numerical, cpu::lrn_backward(x, g, params), gradient_tolerance());
  }
}

TEST_CASE("lrn in float stays within the GPU tests' tolerances of lrn in double", "[lrn][precision]") {
  // The GPU tests compare CUDA float with CPU float; this shows what float rounding alone
  // does at CONV1's shape, with the same data range (measured: forward 2.4e-7 relative,
  // backward 7.5e-8 absolute), well inside the tolerances.
  const LrnParams params = lrn_params(find_layer(alexnet_two_tower(), "lrn1"));
  const TensorF x = random_tensor_float({1, 96, 55, 55}, 36, 0.0, 100.0);
  const TensorF g = random_tensor_float(x.shape(), 37);
  const TensorD x_double = x.cast<double>(), g_double = g.cast<double>();
  CHECK_TENSORS_CLOSE("lrn forward", cpu::lrn_forward(x_double, params).cast<float>(), cpu::lrn_forward(x, params),
                      lrn_forward_tolerance());
  CHECK_TENSORS_CLOSE("lrn backward", cpu::lrn_backward(x_double, g_double, params).cast<float>(),
                      cpu::lrn_backward(x, g, params), lrn_backward_tolerance());
}

TEST_CASE("lrn parameters come from the layer table with the paper's constants", "[lrn][shapes]") {
  for (const char* name : {"lrn1", "lrn2"}) {
    const LrnParams params = lrn_params(find_layer(alexnet_two_tower(), name));
    CHECK(params.size == 5);
    CHECK(params.towers == 2);  // 48 + 48 maps after CONV1, 128 + 128 after CONV2
    CHECK(params.k == 2.0);
    CHECK(params.alpha == 1e-4);  // the paper's; Caffe/PyTorch/cuDNN would write 5 · 1e-4 = 5e-4
    CHECK(params.beta == 0.75);
  }
  CHECK(lrn_params(find_layer(alexnet_one_tower(), "lrn1")).towers == 1);
  CHECK_THROWS_WITH(lrn_params(find_layer(alexnet_two_tower(), "pool1")),
                    "lrn_params: expected an lrn layer, got pool1 (maxpool)");
}

TEST_CASE("lrn refuses inputs and parameters it cannot use", "[lrn]") {
  LrnParams params;
  params.towers = 2;
  CHECK_THROWS_WITH(cpu::lrn_forward(TensorF({1, 5, 2, 2}), params),
                    "lrn_forward: expected x [N, C, H, W] with C divisible into 2 towers, got [1, 5, 2, 2]");
  params.size = 4;
  CHECK_THROWS_WITH(cpu::lrn_forward(TensorF({1, 6, 2, 2}), params), "lrn_forward: expected an odd window size, got 4");
  CHECK_THROWS_WITH(cpu::lrn_backward(TensorF({1, 6, 2, 2}), TensorF({1, 6, 2, 1}), LrnParams{}),
                    "lrn_backward: expected grad_y of shape [1, 6, 2, 2], got [1, 6, 2, 1]");
}
