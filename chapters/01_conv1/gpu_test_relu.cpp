// ReLU on the GPU against the CPU reference at CONV1's real output shape.
#include <catch2/catch.hpp>

#include "cuda/relu.cuh"
#include "reference_cpu/relu.hpp"
#include "tests/support/gradient_check.hpp"

using namespace alexnet;
using namespace alexnet::testing;

TEST_CASE("cuda relu equals the CPU at CONV1's output shape [2, 96, 55, 55]", "[gpu][relu]") {
  const TensorF x = random_tensor_float({2, 96, 55, 55}, 11);
  const TensorF grad_y = random_tensor_float(x.shape(), 12);
  DeviceTensorF x_dev(x), grad_y_dev(grad_y), y_dev(x.shape()), grad_x_dev(x.shape());
  const cuda::Context context{};
  cuda::relu_forward(context, x_dev, y_dev);
  cuda::relu_backward(context, x_dev, grad_y_dev, grad_x_dev);
  // A comparison and a copy: the results must be identical, bit for bit.
  CHECK_TENSORS_CLOSE("relu forward", cpu::relu_forward(x), y_dev.to_host(), (Tolerance{0, 0}));
  CHECK_TENSORS_CLOSE("relu backward", cpu::relu_backward(x, grad_y), grad_x_dev.to_host(), (Tolerance{0, 0}));
}
