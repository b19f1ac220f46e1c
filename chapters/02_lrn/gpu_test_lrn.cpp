// LRN on the GPU against the CPU reference at LRN1's real shape [2, 96, 55, 55],
// per tower (the paper's network) and across the towers (Caffe's bvlc_alexnet).
#include <catch2/catch.hpp>

#include "chapters/02_lrn/lrn_tolerances.hpp"
#include "cuda/lrn.cuh"
#include "network/plan.hpp"
#include "reference_cpu/lrn.hpp"
#include "tests/support/gradient_check.hpp"

using namespace alexnet;
using namespace alexnet::testing;

TEST_CASE("cuda lrn equals the CPU at LRN1's shape [2, 96, 55, 55]", "[gpu][lrn]") {
  const LrnParams per_tower = lrn_params(find_layer(alexnet_two_tower(), "lrn1"));
  LrnParams across = per_tower;
  across.towers = 1;
  // Activations in [0, 100): non-negative as after a ReLU, and large enough that
  // alpha·Σa² is comparable to k, so the normalization and its gradient matter.
  const TensorF x = random_tensor_float({2, 96, 55, 55}, 41, 0.0, 100.0);
  const TensorF grad_y = random_tensor_float(x.shape(), 42);
  for (const LrnParams& params : {per_tower, across}) {
    INFO("towers = " << params.towers);
    DeviceTensorF x_dev(x), grad_y_dev(grad_y), y_dev(x.shape()), grad_x_dev(x.shape());
    cuda::lrn_forward(cuda::Context{}, x_dev, params, y_dev);
    cuda::lrn_backward(cuda::Context{}, x_dev, grad_y_dev, params, grad_x_dev);
    CHECK_TENSORS_CLOSE("lrn forward", cpu::lrn_forward(x, params), y_dev.to_host(), lrn_forward_tolerance());
    CHECK_TENSORS_CLOSE("lrn backward", cpu::lrn_backward(x, grad_y, params), grad_x_dev.to_host(),
                        lrn_backward_tolerance());
  }
}
