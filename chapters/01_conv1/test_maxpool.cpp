// Max-pooling on the CPU: a hand-computed 5×5 map, the tie rule, NaN propagation,
// a gradient check in double and the shapes of AlexNet's POOL1.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "network/plan.hpp"
#include "reference_cpu/maxpool2d.hpp"
#include "tests/support/gradient_check.hpp"

using namespace alexnet;
using namespace alexnet::testing;

TEST_CASE("maxpool 3x3 stride 2 on a 5x5 map, by hand", "[maxpool]") {
  // (5 − 3)/2 + 1 = 2: four windows, with rows/columns 0..2 and 2..4; row and column 2 are shared.
  const TensorF x({1, 1, 5, 5}, {1, 3, 2, 0, 4,  //
                                 5, 0, 9, 1, 2,  //
                                 2, 8, 1, 7, 3,  //
                                 0, 6, 4, 2, 5,  //
                                 3, 1, 2, 8, 0});
  // window (0,0): rows 0-2, cols 0-2 = {1 3 2 / 5 0 9 / 2 8 1} -> 9 at (1,2)
  // window (0,1): rows 0-2, cols 2-4 = {2 0 4 / 9 1 2 / 1 7 3} -> 9 at (1,2), the same element
  // window (1,0): rows 2-4, cols 0-2 = {2 8 1 / 0 6 4 / 3 1 2} -> 8 at (2,1)
  // window (1,1): rows 2-4, cols 2-4 = {1 7 3 / 4 2 5 / 2 8 0} -> 8 at (4,3)
  const Pool2dParams params{3, 2};
  CHECK(cpu::maxpool2d_forward(x, params).values() == std::vector<float>{9, 9, 8, 8});
  // The gradient goes to each arg-max; (1,2) wins two overlapping windows: 1 + 2 = 3.
  const TensorF grad_y({1, 1, 2, 2}, {1, 2, 3, 4});
  CHECK(cpu::maxpool2d_backward(x, grad_y, params).values() == std::vector<float>{0, 0, 0, 0, 0,  //
                                                                                  0, 0, 3, 0, 0,  //
                                                                                  0, 3, 0, 0, 0,  //
                                                                                  0, 0, 0, 0, 0,  //
                                                                                  0, 0, 0, 4, 0});
}

TEST_CASE("maxpool ties go to the first maximum in row-major order", "[maxpool][ties]") {
  const Pool2dParams params{3, 2};
  const TensorF grad_y({1, 1, 2, 2}, {1, 2, 3, 4});
  SECTION("all equal: every window's top-left corner") {
    // Corners of windows (0,0), (0,1), (1,0), (1,1) are (0,0), (0,2), (2,0), (2,2).
    const TensorF x({1, 1, 5, 5}, 1.0f);
    CHECK(cpu::maxpool2d_forward(x, params).values() == std::vector<float>{1, 1, 1, 1});
    CHECK(cpu::maxpool2d_backward(x, grad_y, params).values() == std::vector<float>{1, 0, 2, 0, 0,  //
                                                                                    0, 0, 0, 0, 0,  //
                                                                                    3, 0, 4, 0, 0,  //
                                                                                    0, 0, 0, 0, 0,  //
                                                                                    0, 0, 0, 0, 0});
  }
  SECTION("two 7s in one window: the one scanned first, (0,2) before (1,0)") {
    const TensorF x({1, 1, 3, 3}, {0, 0, 7,  //
                                   7, 0, 0,  //
                                   0, 0, 0});
    CHECK(cpu::maxpool2d_backward(x, TensorF({1, 1, 1, 1}, 5.0f), params).values() ==
          std::vector<float>{0, 0, 5, 0, 0, 0, 0, 0, 0});
  }
}

TEST_CASE("maxpool propagates a NaN wherever it sits in the window", "[maxpool][nan]") {
  // One 3×3 window whose maximum, 9, sits at (0,2). A strict '>' alone would output NaN
  // only for a NaN scanned first (every later '>' against NaN is false) and skip a
  // NaN anywhere else; the rule is: any NaN in the window wins, and takes the gradient.
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const Pool2dParams params{3, 2};
  const TensorF grad_y({1, 1, 1, 1}, 5.0f);
  const auto window_with_nan_at = [&](std::int64_t at) {
    TensorF x({1, 1, 3, 3}, {5, 1, 9,  //
                             2, 3, 4,  //
                             6, 7, 8});
    x[at] = nan;
    return x;
  };
  const auto gradient_only_at = [](std::int64_t at) {
    std::vector<float> g(9, 0.0f);
    g[static_cast<std::size_t>(at)] = 5.0f;
    return g;
  };
  SECTION("NaN first in the scan, at (0,0)") {
    const TensorF x = window_with_nan_at(0);
    CHECK(std::isnan(cpu::maxpool2d_forward(x, params)[0]));
    CHECK(cpu::maxpool2d_backward(x, grad_y, params).values() == gradient_only_at(0));
  }
  SECTION("NaN in the middle, at (1,1), after the 9") {
    const TensorF x = window_with_nan_at(4);
    CHECK(std::isnan(cpu::maxpool2d_forward(x, params)[0]));
    CHECK(cpu::maxpool2d_backward(x, grad_y, params).values() == gradient_only_at(4));
  }
  SECTION("NaN last in the scan, at (2,2)") {
    const TensorF x = window_with_nan_at(8);
    CHECK(std::isnan(cpu::maxpool2d_forward(x, params)[0]));
    CHECK(cpu::maxpool2d_backward(x, grad_y, params).values() == gradient_only_at(8));
  }
  SECTION("two NaNs, at (1,0) and (2,1): the first in the scan takes the gradient") {
    TensorF x = window_with_nan_at(3);
    x[7] = nan;
    CHECK(std::isnan(cpu::maxpool2d_forward(x, params)[0]));
    CHECK(cpu::maxpool2d_backward(x, grad_y, params).values() == gradient_only_at(3));
  }
  SECTION("overlapping windows: a NaN poisons only the windows that hold it") {
    // The hand-computed 5×5 map above with a NaN at (1,1): only window (0,0) covers it.
    TensorF x({1, 1, 5, 5}, {1, 3, 2, 0, 4,  //
                             5, 0, 9, 1, 2,  //
                             2, 8, 1, 7, 3,  //
                             0, 6, 4, 2, 5,  //
                             3, 1, 2, 8, 0});
    x[1 * 5 + 1] = nan;
    const TensorF y = cpu::maxpool2d_forward(x, params);
    CHECK(std::isnan(y[0]));
    CHECK(std::vector<float>{y[1], y[2], y[3]} == std::vector<float>{9, 8, 8});
    // Window (0,0) now sends its 1 to the NaN, not to the 9 at (1,2), which keeps window (0,1)'s 2.
    CHECK(cpu::maxpool2d_backward(x, TensorF({1, 1, 2, 2}, {1, 2, 3, 4}), params).values() ==
          std::vector<float>{0, 0, 0, 0, 0,  //
                             0, 1, 2, 0, 0,  //
                             0, 3, 0, 0, 0,  //
                             0, 0, 0, 0, 0,  //
                             0, 0, 0, 4, 0});
  }
}

TEST_CASE("maxpool backward matches central differences in double", "[maxpool][gradient]") {
  // Distinct values 1/294 apart (a permutation of 0..293, since 37 and 294 are coprime):
  // no ties, and h = 1e-6 never changes which element of a window is the largest.
  TensorD x({2, 3, 7, 7});
  for (std::int64_t i = 0; i < x.size(); ++i) x[i] = static_cast<double>(i * 37 % x.size()) / x.size() - 0.5;
  const Pool2dParams params{3, 2};  // 7×7 -> 3×3, windows overlapping on rows/columns 2 and 4
  const TensorD g = random_tensor({2, 3, 3, 3}, 3);
  const TensorD numerical = numerical_gradient([&] { return cpu::maxpool2d_forward(x, params); }, x, g);
  CHECK_TENSORS_CLOSE("maxpool grad_x", numerical, cpu::maxpool2d_backward(x, g, params), gradient_tolerance());
}

TEST_CASE("POOL1 from the layer table: 3x3 stride 2 takes 96@55x55 to 96@27x27", "[maxpool][shapes]") {
  const Pool2dParams params = pool2d_params(find_layer(alexnet_two_tower(), "pool1"));
  CHECK(params.kernel == 3);
  CHECK(params.stride == 2);
  CHECK(maxpool2d_output_shape("test", {2, 96, 55, 55}, params) == Shape{2, 96, 27, 27});  // (55 − 3)/2 + 1
  CHECK(maxpool2d_output_shape("test", {2, 256, 27, 27}, params) == Shape{2, 256, 13, 13});  // POOL2
  CHECK(maxpool2d_output_shape("test", {2, 256, 13, 13}, params) == Shape{2, 256, 6, 6});    // POOL5
  CHECK_THROWS_WITH(pool2d_params(find_layer(alexnet_two_tower(), "conv1")),
                    "pool2d_params: expected a maxpool layer, got conv1 (conv)");
}

TEST_CASE("maxpool refuses inputs it cannot pool", "[maxpool]") {
  CHECK_THROWS_WITH(cpu::maxpool2d_forward(TensorF({1, 1, 2, 5}), Pool2dParams{3, 2}),
                    "maxpool2d_forward: expected x [N, C, H, W] with H, W >= kernel 3, got [1, 1, 2, 5]");
  CHECK_THROWS_WITH(cpu::maxpool2d_forward(TensorF({1, 1, 5, 5}), Pool2dParams{3, 0}),
                    "maxpool2d_forward: expected kernel >= 1 and stride >= 1, got kernel 3, stride 0");
  CHECK_THROWS_WITH(cpu::maxpool2d_backward(TensorF({1, 1, 5, 5}), TensorF({1, 1, 3, 3}), Pool2dParams{3, 2}),
                    "maxpool2d_backward: expected grad_y of shape [1, 1, 2, 2], got [1, 1, 3, 3]");
}
