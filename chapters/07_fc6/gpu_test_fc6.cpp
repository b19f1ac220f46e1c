// FC6's ops on the GPU against the CPU reference at the real shapes (batch 4):
// flatten 256@6x6 -> 9216, linear 9216 -> 4096 (both kernels, forward and
// backward), and dropout with the CPU's mask bit for bit.
#include <catch2/catch.hpp>

#include "tests/support/linear_gpu_checks.hpp"
#include "cuda/dropout.cuh"
#include "cuda/flatten.cuh"
#include "reference_cpu/layer_table.hpp"
#include "reference_cpu/dropout.hpp"
#include "reference_cpu/flatten.hpp"

using namespace alexnet;
using namespace alexnet::testing;

TEST_CASE("cuda flatten equals the CPU at pool5's shape [4, 256, 6, 6]", "[gpu][flatten]") {
  const TensorF x = random_tensor_float({4, 256, 6, 6}, 1);
  DeviceTensorF x_dev(x), y_dev({4, 9216}), grad_x_dev(x.shape());
  const cuda::Context context{};
  cuda::flatten_forward(context, x_dev, y_dev);
  const TensorF y = cpu::flatten_forward(x);
  CHECK_TENSORS_CLOSE("flatten forward", y, y_dev.to_host(), (Tolerance{0, 0}));  // a copy: exact
  cuda::flatten_backward(context, y_dev, grad_x_dev);
  CHECK_TENSORS_CLOSE("flatten backward", cpu::flatten_backward(y, x.shape()), grad_x_dev.to_host(), (Tolerance{0, 0}));
}

TEST_CASE("cuda linear equals the CPU at FC6's shape: batch 4, 9216 -> 4096", "[gpu][linear][fc6]") {
  const LayerSummary fc6 = summarize_layer(alexnet_two_tower(), "fc6");
  check_linear_against_cpu(4, element_count(fc6.input), fc6.output[0]);
}

TEST_CASE("cuda linear handles extents that are not multiples of the 64x64x16 tile", "[gpu][linear]") {
  check_linear_against_cpu(67, 45, 70);
  check_linear_against_cpu(1, 1, 1);
}

TEST_CASE("cuda linear_backward adds into grad_x with GradientMode::Accumulate", "[gpu][linear][accumulate]") {
  // Ragged extents, so the accumulating stores of the edge tiles are exercised too.
  check_linear_backward_accumulates(67, 45, 70);
}

TEST_CASE("cuda dropout draws the CPU's mask, bit for bit, at FC6's output [4, 4096]", "[gpu][dropout]") {
  const TensorF x = random_tensor_float({4, 4096}, 2), grad_y = random_tensor_float(x.shape(), 3);
  DeviceTensorF x_dev(x), grad_y_dev(grad_y), y_dev(x.shape()), grad_x_dev(x.shape());
  const cuda::Context context{};
  // The last: units numbered from 4099, 3 words into a Philox block (a data-parallel process's share).
  for (const DropoutParams& params : {DropoutParams{0.5, 42, 7, true}, DropoutParams{0.5, 42, 8, true},
                                      DropoutParams{0.2, 1, 0, true}, DropoutParams{0.5, 42, 7, false},
                                      DropoutParams{0.5, 42, 7, true, 4099}}) {
    cuda::dropout_forward(context, x_dev, params, y_dev);
    cuda::dropout_backward(context, grad_y_dev, params, grad_x_dev);
    CHECK_TENSORS_CLOSE("dropout forward", cpu::dropout_forward(x, params), y_dev.to_host(), (Tolerance{0, 0}));
    CHECK_TENSORS_CLOSE("dropout backward", cpu::dropout_backward(grad_y, params), grad_x_dev.to_host(),
                        (Tolerance{0, 0}));
  }
}

TEST_CASE("cuda linear and dropout refuse outputs of the wrong shape", "[gpu][linear][dropout]") {
  DeviceTensorF x({4, 9216}), weight({4096, 9216}), bias({4096}), y({4, 4095});
  const cuda::Context context{};
  CHECK_THROWS_WITH(cuda::linear_forward(context, x, weight, bias, y),
                    "cuda::linear_forward: expected y of shape [4, 4096], got [4, 4095]");
  CHECK_THROWS_WITH(cuda::dropout_forward(context, bias, DropoutParams{}, y),
                    "cuda::dropout_forward: expected output of shape [4096], got [4, 4095]");
}
