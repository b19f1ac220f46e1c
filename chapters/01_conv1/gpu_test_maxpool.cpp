// Max-pooling on the GPU against the CPU reference at POOL1's real shape,
// [2, 96, 55, 55] -> [2, 96, 27, 27], on random data, on exact ties and with NaNs.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "cuda/maxpool2d.cuh"
#include "network/plan.hpp"
#include "reference_cpu/maxpool2d.hpp"
#include "tests/support/gradient_check.hpp"

using namespace alexnet;
using namespace alexnet::testing;

namespace {

// Runs forward and backward on both sides and requires identical results: the
// forward copies one input value per window, and the gather backward adds the
// same float values in the CPU loop's order, so not even rounding may differ.
void check_gpu_equals_cpu(const TensorF& x, const TensorF& grad_y, Pool2dParams params) {
  DeviceTensorF x_dev(x), grad_y_dev(grad_y), y_dev(grad_y.shape()), grad_x_dev(x.shape());
  const cuda::Context context{};
  cuda::maxpool2d_forward(context, x_dev, params, y_dev);
  cuda::maxpool2d_backward(context, x_dev, grad_y_dev, params, grad_x_dev);
  CHECK_TENSORS_CLOSE("maxpool forward", cpu::maxpool2d_forward(x, params), y_dev.to_host(), (Tolerance{0, 0}));
  CHECK_TENSORS_CLOSE("maxpool backward", cpu::maxpool2d_backward(x, grad_y, params), grad_x_dev.to_host(),
                      (Tolerance{0, 0}));
}

// Requires `actual` to hold NaN exactly where `expected` does and the same value
// everywhere else (compare() counts every NaN as a mismatch, so it cannot say this).
// Returns the number of NaNs, so a test can require that it exercised some.
std::int64_t check_same_values_and_nans(const std::string& what, const TensorF& expected, const TensorF& actual) {
  REQUIRE(expected.shape() == actual.shape());
  std::int64_t nans = 0, wrong = 0, first_wrong = -1;
  for (std::int64_t i = 0; i < expected.size(); ++i) {
    const bool nan_expected = std::isnan(expected[i]);
    nans += nan_expected ? 1 : 0;
    if (nan_expected ? !std::isnan(actual[i]) : !(actual[i] == expected[i])) {
      if (wrong++ == 0) first_wrong = i;
    }
  }
  INFO(what << ": " << wrong << " of " << expected.size() << " differ (NaN counted as a value), first at flat "
            << first_wrong << "; " << nans << " NaNs expected");
  CHECK(wrong == 0);
  return nans;
}

}  // namespace

TEST_CASE("cuda maxpool equals the CPU at POOL1's shape [2, 96, 55, 55]", "[gpu][maxpool]") {
  const Pool2dParams params = pool2d_params(find_layer(alexnet_two_tower(), "pool1"));
  const TensorF x = random_tensor_float({2, 96, 55, 55}, 21);
  check_gpu_equals_cpu(x, random_tensor_float({2, 96, 27, 27}, 22), params);
}

TEST_CASE("cuda maxpool routes exact ties to the same element as the CPU", "[gpu][maxpool][ties]") {
  const Pool2dParams params = pool2d_params(find_layer(alexnet_two_tower(), "pool1"));
  SECTION("all inputs equal: every window's top-left corner") {
    check_gpu_equals_cpu(TensorF({2, 96, 55, 55}, 0.5f), random_tensor_float({2, 96, 27, 27}, 23), params);
  }
  SECTION("ReLU-like values on a coarse grid (negatives to 0, the rest truncated to 0, 1, 2): ties in most windows") {
    TensorF x = random_tensor_float({2, 96, 55, 55}, 24, -2.0, 3.0);
    for (std::int64_t i = 0; i < x.size(); ++i) x[i] = x[i] > 0 ? static_cast<float>(static_cast<int>(x[i])) : 0.0f;
    check_gpu_equals_cpu(x, random_tensor_float({2, 96, 27, 27}, 25), params);
  }
}

TEST_CASE("cuda maxpool propagates NaNs to the same outputs and arg-maxes as the CPU", "[gpu][maxpool][nan]") {
  // A NaN wins its window wherever it sits (the first NaN in scan order if several), and
  // the backward sends the window's gradient to it. POOL1's shape, random data with a NaN
  // at every 97th input and pairs of NaNs side by side every 1009 inputs: 14,493 of the
  // 139,968 windows hold a NaN, 894 of them more than one, and the first NaN of a window
  // sits at each of the 9 positions of a window somewhere.
  const Pool2dParams params = pool2d_params(find_layer(alexnet_two_tower(), "pool1"));
  const float nan = std::numeric_limits<float>::quiet_NaN();
  TensorF x = random_tensor_float({2, 96, 55, 55}, 26);
  for (std::int64_t i = 0; i < x.size(); i += 97) x[i] = nan;
  for (std::int64_t i = 50; i + 1 < x.size(); i += 1009) x[i] = x[i + 1] = nan;
  const TensorF grad_y = random_tensor_float({2, 96, 27, 27}, 27);

  DeviceTensorF x_dev(x), grad_y_dev(grad_y), y_dev(grad_y.shape()), grad_x_dev(x.shape());
  const cuda::Context context{};
  cuda::maxpool2d_forward(context, x_dev, params, y_dev);
  cuda::maxpool2d_backward(context, x_dev, grad_y_dev, params, grad_x_dev);
  const std::int64_t nan_outputs =
      check_same_values_and_nans("maxpool forward", cpu::maxpool2d_forward(x, params), y_dev.to_host());
  CHECK(nan_outputs == 14493);
  // The gradient holds no NaN: it lands on the NaN inputs, with grad_y's finite values.
  CHECK_TENSORS_CLOSE("maxpool backward", cpu::maxpool2d_backward(x, grad_y, params), grad_x_dev.to_host(),
                      (Tolerance{0, 0}));
}
