// Chapter 16: the implicit-GEMM convolution against the CPU reference — every convolution of the paper's network at
// its real shapes, forward and backward (∂x, ∂W, ∂b), grouped where the layer is; CONV1's strided ∂x on a smaller
// image; odd cases (one image, three groups, extents past every tile, a weight gradient cut in many pieces);
// adding into ∂x or leaving it out; a workspace too small refused.
#include <catch2/catch.hpp>

#include <string>

#include "cuda/conv2d_implicit.cuh"
#include "network/plan.hpp"
#include "tests/support/conv2d_gpu_checks.hpp"

using namespace alexnet;
using namespace alexnet::testing;

namespace {

// The implicit-GEMM convolution on random data of the given shapes against the CPU: the forward, the weight and
// bias gradients and, `with_input_gradient`, ∂x.
void check_conv2d_implicit(const Shape& x_shape, const Shape& weight_shape, Conv2dParams params,
                           bool with_input_gradient = true) {
  INFO("x " << to_string(x_shape) << ", weight " << to_string(weight_shape) << ", stride " << params.stride
            << ", pad " << params.pad << ", groups " << params.groups);
  const ConvCase c = conv_case(x_shape, weight_shape, params);
  const cuda::Context context{};
  const DeviceTensorF x(c.x), weight(c.weight), bias(c.bias), grad_y(c.grad_y);
  DeviceTensorF workspace = nan_tensor({cuda::conv2d_implicit_workspace_floats(x_shape, weight_shape, params)});
  DeviceTensorF y = nan_tensor(c.y.shape());
  cuda::conv2d_forward_implicit(context, x, weight, bias, params, y);
  DeviceTensorF grad_x = nan_tensor(c.x.shape()), grad_weight = nan_tensor(c.weight.shape());
  DeviceTensorF grad_bias = nan_tensor(c.bias.shape());
  cuda::conv2d_backward_implicit(context, x, weight, grad_y, params, with_input_gradient ? &grad_x : nullptr,
                                 grad_weight, grad_bias, workspace);
  cuda::synchronize(context);
  CHECK_TENSORS_CLOSE("forward", c.y, y.to_host(), sum_tolerance(c.output_terms));
  if (with_input_gradient) {
    CHECK_TENSORS_CLOSE("grad input", c.expected.input, grad_x.to_host(), sum_tolerance(c.input_terms));
  }
  CHECK_TENSORS_CLOSE("grad weight", c.expected.weight, grad_weight.to_host(), sum_tolerance(c.positions));
  CHECK_TENSORS_CLOSE("grad bias", c.expected.bias, grad_bias.to_host(), sum_tolerance(c.positions));
}

// The shapes of convolution `layer` of the two-tower table with `batch` images.
struct LayerShapes {
  Shape x, weight;
  Conv2dParams params;
};

LayerShapes layer_shapes(const std::string& layer, std::int64_t batch) {
  const LayerSummary summary = summarize_layer(alexnet_two_tower(), layer);
  return {{batch, summary.input[0], summary.input[1], summary.input[2]}, weight_shape(summary.spec, summary.input),
          conv2d_params(summary.spec)};
}

}  // namespace

TEST_CASE("the implicit-GEMM convolution equals the CPU at every convolution's real shapes, batch 2",
          "[gpu][implicit_gemm][conv2d][slow]") {  // the sanitizers run the smaller cases below
  for (const char* layer : {"conv1", "conv2", "conv3", "conv4", "conv5"}) {
    INFO(layer);
    const LayerShapes s = layer_shapes(layer, 2);
    // CONV1's ∂x is never needed (nothing learns the image) and has 3 rows for a tile of 128: see the next test.
    check_conv2d_implicit(s.x, s.weight, s.params, std::string(layer) != "conv1");
  }
}

TEST_CASE("the implicit-GEMM convolution's ∂x through CONV1's stride of 4", "[gpu][implicit_gemm][conv2d]") {
  // CONV1's 96 filters of 3 × 11 × 11, stride 4, on 2 images of 43 × 43 (9 × 9 outputs): most (input, tap) pairs
  // fall between two windows and must gather nothing.
  const LayerShapes s = layer_shapes("conv1", 2);
  check_conv2d_implicit({2, 3, 43, 43}, s.weight, s.params);
}

TEST_CASE("the implicit-GEMM convolution on odd cases: one image, groups, extents past every tile",
          "[gpu][implicit_gemm][conv2d]") {
  check_conv2d_implicit({5, 3, 9, 8}, {4, 3, 3, 3}, {2, 1, 1});    // stride 2, padding 1, 5 images
  check_conv2d_implicit({1, 96, 27, 27}, {256, 48, 5, 5}, {1, 2, 2});  // CONV2's groups, one image
  check_conv2d_implicit({3, 6, 7, 7}, {9, 2, 3, 3}, {1, 0, 3});    // three groups
  // 130 filters and 131 window terms: one past a tile in both; 30 images of 10 × 10 outputs: 3,000 positions,
  // cut into pieces of the weight gradient's reduction.
  check_conv2d_implicit({30, 131, 10, 10}, {130, 131, 1, 1}, {1, 0, 1});
}

TEST_CASE("the implicit-GEMM convolution's backward adds into ∂x, or leaves it out, and needs its workspace",
          "[gpu][implicit_gemm][conv2d][accumulate]") {
  const Shape x_shape{3, 4, 10, 10}, weight_shape{6, 2, 3, 3};
  const Conv2dParams params{1, 1, 2};
  const ConvCase c = conv_case(x_shape, weight_shape, params);
  const cuda::Context context{};
  const DeviceTensorF x(c.x), weight(c.weight), grad_y(c.grad_y);
  const std::int64_t floats = cuda::conv2d_implicit_workspace_floats(x_shape, weight_shape, params);
  DeviceTensorF workspace = nan_tensor({floats});
  check_backward_accumulates(
      c,
      [&](DeviceTensorF* grad_x, DeviceTensorF& grad_weight, DeviceTensorF& grad_bias, cuda::GradientMode mode) {
        cuda::conv2d_backward_implicit(context, x, weight, grad_y, params, grad_x, grad_weight, grad_bias, workspace,
                                       mode);
      },
      true);
  DeviceTensorF grad_weight = nan_tensor(c.weight.shape()), grad_bias = nan_tensor(c.bias.shape());
  DeviceTensorF too_small({floats - 1});
  CHECK_THROWS_WITH(cuda::conv2d_backward_implicit(context, x, weight, grad_y, params, nullptr, grad_weight, grad_bias,
                                                   too_small),
                    Catch::Contains("cuda::conv2d_backward_implicit: the workspace holds " +
                                    std::to_string(floats - 1) + " floats"));
}
