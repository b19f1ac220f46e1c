// Max-pooling on the GPU against the CPU reference at POOL1's real shape,
// [2, 96, 55, 55] -> [2, 96, 27, 27], on random data and on exact ties.
#include <catch2/catch.hpp>

#include "cuda/maxpool2d.cuh"
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
