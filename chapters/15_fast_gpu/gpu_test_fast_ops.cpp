// Chapter 15 on the GPU: the fast path's ops against the CPU reference — the convolution as im2col + cuBLAS
// SGEMM at every convolution's real shapes, forward and backward; odd cases (a batch of 1, chunks that do not
// divide the batch, the first layer's ∂x left out, adding into ∂x); the fully connected layer on cuBLAS at FC6's
// shape; both in TF32 within TF32's own tolerance; and LRN walking its columns at LRN1's shape and odd windows.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>

#include "cuda/blas.cuh"
#include "cuda/conv2d_gemm.cuh"
#include "cuda/linear_gemm.cuh"
#include "cuda/lrn.cuh"
#include "chapters/02_lrn/lrn_tolerances.hpp"
#include "network/plan.hpp"
#include "reference_cpu/linear.hpp"
#include "reference_cpu/lrn.hpp"
#include "tests/support/conv2d_gpu_checks.hpp"
#include "tests/support/linear_gpu_checks.hpp"

using namespace alexnet;
using namespace alexnet::testing;

namespace {

// The tolerance of a sum of `terms` products of U[−1, 1) values whose factors a TF32 tensor core rounds to a
// 10-bit mantissa first: each factor moves by up to 2⁻¹¹ of itself, a product by up to 2⁻¹⁰ ≈ 1e-3 of itself
// (|product| ≤ 1), and the terms' errors, independent, add like a random walk: √terms·2⁻¹⁰/√3 is one standard
// deviation; allow 4·√terms·2⁻¹⁰ (7 of them), plus fp32's own rule. 0.075 for CONV1's 364 terms, where outputs
// are about √364/3 ≈ 6 and a wrong index is off by that much.
Tolerance tf32_tolerance(std::int64_t terms) {
  return Tolerance{4.0 * std::sqrt(static_cast<double>(terms)) / 1024.0 + sum_tolerance(terms).abs, 0.0};
}

Tolerance tolerance(cuda::Precision precision, std::int64_t terms) {
  return precision == cuda::Precision::Tf32 ? tf32_tolerance(terms) : sum_tolerance(terms);
}

const char* name(cuda::Precision precision) { return precision == cuda::Precision::Tf32 ? "TF32" : "fp32"; }

// The fast convolution on random data of the given shapes against the CPU, in chunks of `chunk` images.
void check_conv2d_gemm(const Shape& x_shape, const Shape& weight_shape, Conv2dParams params, std::int64_t chunk,
                       cuda::Precision precision) {
  INFO(name(precision) << ", x " << to_string(x_shape) << ", weight " << to_string(weight_shape) << ", chunks of "
                       << chunk);
  const ConvCase c = conv_case(x_shape, weight_shape, params);
  const cuda::Context context{};
  const cuda::Blas blas(0, precision);
  const DeviceTensorF x(c.x), weight(c.weight), bias(c.bias), grad_y(c.grad_y);
  DeviceTensorF workspace = nan_tensor({chunk * cuda::conv2d_gemm_workspace_floats(x_shape, weight_shape, params)});
  DeviceTensorF y = nan_tensor(c.y.shape());
  cuda::conv2d_forward_gemm(context, blas, x, weight, bias, params, y, workspace);
  DeviceTensorF grad_x = nan_tensor(c.x.shape()), grad_weight = nan_tensor(c.weight.shape());
  DeviceTensorF grad_bias = nan_tensor(c.bias.shape());
  cuda::conv2d_backward_gemm(context, blas, x, weight, grad_y, params, &grad_x, grad_weight, grad_bias, workspace);
  cuda::synchronize(context);
  CHECK_TENSORS_CLOSE("forward", c.y, y.to_host(), tolerance(precision, c.output_terms));
  CHECK_TENSORS_CLOSE("grad input", c.expected.input, grad_x.to_host(), tolerance(precision, c.input_terms));
  CHECK_TENSORS_CLOSE("grad weight", c.expected.weight, grad_weight.to_host(), tolerance(precision, c.positions));
  CHECK_TENSORS_CLOSE("grad bias", c.expected.bias, grad_bias.to_host(), tolerance(precision, c.positions));
}

// The convolution `layer` of the two-tower table at its real shapes, `batch` images, the whole batch in one chunk.
void check_table_conv2d_gemm(const std::string& layer, std::int64_t batch, cuda::Precision precision) {
  const LayerSummary summary = summarize_layer(alexnet_two_tower(), layer);
  check_conv2d_gemm({batch, summary.input[0], summary.input[1], summary.input[2]},
                    weight_shape(summary.spec, summary.input), conv2d_params(summary.spec), batch, precision);
}

}  // namespace

TEST_CASE("the fast convolution equals the CPU at every convolution's real shapes, batch 2", "[gpu][fast][conv2d]") {
  for (const char* layer : {"conv1", "conv2", "conv3", "conv4", "conv5"}) {
    INFO(layer);
    check_table_conv2d_gemm(layer, 2, cuda::Precision::Fp32);
  }
}

TEST_CASE("the fast convolution in TF32 stays within TF32's tolerance", "[gpu][fast][conv2d][tf32]") {
  for (const char* layer : {"conv1", "conv2"}) {
    INFO(layer);
    check_table_conv2d_gemm(layer, 2, cuda::Precision::Tf32);
  }
}

TEST_CASE("the fast convolution on odd cases: one image, chunks that do not divide the batch, groups",
          "[gpu][fast][conv2d]") {
  // 5×3@9×8 images, 4 maps of 3×3 (stride 2, padding 1): 3 chunks of 2, 2 and 1 images.
  check_conv2d_gemm({5, 3, 9, 8}, {4, 3, 3, 3}, {2, 1, 1}, 2, cuda::Precision::Fp32);
  // One image of CONV2's grouped shape: 96 maps in two groups of 48.
  check_conv2d_gemm({1, 96, 27, 27}, {256, 48, 5, 5}, {1, 2, 2}, 1, cuda::Precision::Fp32);
  // Three groups, a chunk of one image at a time.
  check_conv2d_gemm({3, 6, 7, 7}, {9, 2, 3, 3}, {1, 0, 3}, 1, cuda::Precision::Fp32);
}

TEST_CASE("the fast convolution's backward adds into ∂x, or leaves it out", "[gpu][fast][conv2d][accumulate]") {
  const Shape x_shape{3, 4, 10, 10}, weight_shape{6, 2, 3, 3};
  const Conv2dParams params{1, 1, 2};
  const ConvCase c = conv_case(x_shape, weight_shape, params);
  const cuda::Context context{};
  const cuda::Blas blas(0, cuda::Precision::Fp32);
  const DeviceTensorF x(c.x), weight(c.weight), bias(c.bias);
  DeviceTensorF grad_y(c.grad_y);
  DeviceTensorF workspace = nan_tensor({2 * cuda::conv2d_gemm_workspace_floats(x_shape, weight_shape, params)});
  check_backward_accumulates(
      c,
      [&](DeviceTensorF* grad_x, DeviceTensorF& grad_weight, DeviceTensorF& grad_bias, cuda::GradientMode mode) {
        cuda::conv2d_backward_gemm(context, blas, x, weight, grad_y, params, grad_x, grad_weight, grad_bias, workspace,
                                   mode);
      },
      true);
  DeviceTensorF too_small({cuda::conv2d_gemm_workspace_floats(x_shape, weight_shape, params) - 1});
  CHECK_THROWS_WITH(cuda::conv2d_forward_gemm(context, blas, x, weight, bias, params, grad_y, too_small),
                    Catch::Contains("cuda::conv2d_forward_gemm: the workspace holds"));
}

TEST_CASE("the fully connected layer on cuBLAS equals the CPU at FC6's shape, fp32 and TF32", "[gpu][fast][linear]") {
  const LayerSummary fc6 = summarize_layer(alexnet_two_tower(), "fc6");
  const std::int64_t batch = 4, inputs = element_count(fc6.input), outputs = fc6.output[0];
  const LinearCase c = linear_case(batch, inputs, outputs);
  const TensorF expected = cpu::linear_forward(c.x, c.weight, c.bias);
  const cpu::LinearGradients<float> grad = cpu::linear_backward(c.x, c.weight, c.grad_y);
  const cuda::Context context{};
  for (const cuda::Precision precision : {cuda::Precision::Fp32, cuda::Precision::Tf32}) {
    INFO(name(precision));
    const cuda::Blas blas(0, precision);
    const DeviceTensorF x(c.x), weight(c.weight), bias(c.bias), grad_y(c.grad_y);
    DeviceTensorF y = nan_tensor({batch, outputs}), grad_x = nan_tensor(c.x.shape());
    DeviceTensorF grad_weight = nan_tensor(c.weight.shape()), grad_bias = nan_tensor(c.bias.shape());
    DeviceTensorF workspace = nan_tensor({batch});
    cuda::linear_forward_gemm(context, blas, x, weight, bias, y);
    cuda::linear_backward_gemm(context, blas, x, weight, grad_y, grad_x, grad_weight, grad_bias, workspace);
    cuda::synchronize(context);
    CHECK_TENSORS_CLOSE("forward", expected, y.to_host(), tolerance(precision, inputs + 1));
    CHECK_TENSORS_CLOSE("grad input", grad.input, grad_x.to_host(), tolerance(precision, outputs));
    CHECK_TENSORS_CLOSE("grad weight", grad.weight, grad_weight.to_host(), tolerance(precision, batch));
    CHECK_TENSORS_CLOSE("grad bias", grad.bias, grad_bias.to_host(), tolerance(precision, batch));
  }
}

TEST_CASE("LRN walking its columns equals the CPU: LRN1's shape, windows wider than a tower, one channel",
          "[gpu][fast][lrn]") {
  const LrnParams paper = lrn_params(find_layer(alexnet_two_tower(), "lrn1"));
  struct Case {
    Shape x;
    LrnParams params;
  };
  std::vector<Case> cases = {{{2, 96, 55, 55}, paper}};
  LrnParams across = paper, wide = paper, three = paper, single = paper;
  across.towers = 1;         // Caffe's: one window over all 96 channels
  wide.size = 11;            // wider than the 4-channel towers below, and the backward's largest
  three.size = 3;
  single.size = 1;
  cases.push_back({{2, 96, 55, 55}, across});
  cases.push_back({{3, 8, 5, 7}, wide});
  cases.push_back({{3, 8, 5, 7}, three});
  cases.push_back({{3, 8, 300, 1}, single});  // a plane of more than one block of threads
  for (const Case& c : cases) {
    INFO("x " << to_string(c.x) << ", size " << c.params.size << ", towers " << c.params.towers);
    // As in chapter 02: activations in [0, 100), so that α·Σa² is comparable to k.
    const TensorF x = random_tensor_float(c.x, 43, 0.0, 100.0), grad_y = random_tensor_float(c.x, 44);
    DeviceTensorF x_dev(x), grad_y_dev(grad_y), y_dev = nan_tensor(c.x), grad_x_dev = nan_tensor(c.x);
    cuda::lrn_forward_by_column(cuda::Context{}, x_dev, c.params, y_dev);
    cuda::lrn_backward_by_column(cuda::Context{}, x_dev, grad_y_dev, c.params, grad_x_dev);
    CHECK_TENSORS_CLOSE("lrn forward", cpu::lrn_forward(x, c.params), y_dev.to_host(), lrn_forward_tolerance());
    CHECK_TENSORS_CLOSE("lrn backward", cpu::lrn_backward(x, grad_y, c.params), grad_x_dev.to_host(),
                        lrn_backward_tolerance());
  }
  LrnParams too_wide = paper;
  too_wide.size = 13;
  const DeviceTensorF x({1, 16, 2, 2});
  DeviceTensorF grad_x({1, 16, 2, 2});
  CHECK_THROWS_WITH(cuda::lrn_backward_by_column(cuda::Context{}, x, x, too_wide, grad_x),
                    Catch::Contains("expected a window of at most 12 channels") && Catch::Contains("got size 13"));
}
