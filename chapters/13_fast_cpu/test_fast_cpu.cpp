// Chapter 13: the fast CPU backend against the reference. Every step of the paper's network at
// its real shape (batch 2), forward and backward; the whole network; the same thread count gives
// the same bits.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>

#include "cpu_fast/conv2d.hpp"
#include "cpu_fast/dropout.hpp"
#include "cpu_fast/linear.hpp"
#include "cpu_fast/lrn.hpp"
#include "cpu_fast/maxpool2d.hpp"
#include "cpu_fast/relu.hpp"
#include "cpu_fast/threads.hpp"
#include "network/cpu_network.hpp"
#include "network/fast_network.hpp"
#include "network/step_cost.hpp"
#include "reference_cpu/conv2d.hpp"
#include "reference_cpu/dropout.hpp"
#include "reference_cpu/linear.hpp"
#include "reference_cpu/lrn.hpp"
#include "reference_cpu/maxpool2d.hpp"
#include "reference_cpu/relu.hpp"
#include "tests/support/gradient_check.hpp"
#include "tests/support/tolerance.hpp"

using namespace alexnet;
using namespace alexnet::testing;

namespace {

constexpr std::int64_t kBatch = 2;

// [batch] + a per-image shape.
Shape batched(Shape per_image, std::int64_t batch = kBatch) {
  per_image.insert(per_image.begin(), batch);
  return per_image;
}

// LRN and the element-wise ops compute the same formula in the same order up to a few
// roundings (pow and the window sum): a few ulps of values of size ~1.
const Tolerance kElementwise{1e-5, 1e-5};

void check_convolution(const std::string& name, const Shape& input, const TensorF& weight_like, Conv2dParams p,
                       std::int64_t batch = kBatch) {
  const TensorF x = random_tensor_float(batched(input, batch), 1);
  const TensorF w = random_tensor_float(weight_like.shape(), 2), b = random_tensor_float({weight_like.dim(0)}, 3);
  const TensorF y = cpu::conv2d_forward(x, w, b, p);
  const TensorF grad_y = random_tensor_float(y.shape(), 4);
  // Terms per sum: an output adds C_in/g·K·K products and the bias; an input lies in at most
  // ceil(K/S)² windows of each of C_out/g channels; a weight or a bias sees N·H_out·W_out outputs.
  const std::int64_t k = w.dim(2), windows = (k + p.stride - 1) / p.stride;
  const std::int64_t positions = y.dim(0) * y.dim(2) * y.dim(3);
  CHECK_TENSORS_CLOSE(name + " forward", y, fast::conv2d_forward(x, w, b, p), sum_tolerance(w.dim(1) * k * k + 1));
  const cpu::Conv2dGradients<float> expected = cpu::conv2d_backward(x, w, grad_y, p);
  const cpu::Conv2dGradients<float> actual = fast::conv2d_backward(x, w, grad_y, p);
  CHECK_TENSORS_CLOSE(name + " grad input", expected.input, actual.input,
                      sum_tolerance(w.dim(0) / p.groups * windows * windows));
  CHECK_TENSORS_CLOSE(name + " grad weight", expected.weight, actual.weight, sum_tolerance(positions));
  CHECK_TENSORS_CLOSE(name + " grad bias", expected.bias, actual.bias, sum_tolerance(positions));
}

void check_linear(const std::string& name, const Shape& input, const TensorF& weight_like) {
  const TensorF x = random_tensor_float(batched(input), 5);
  const TensorF w = random_tensor_float(weight_like.shape(), 6), b = random_tensor_float({w.dim(0)}, 7);
  const TensorF grad_y = random_tensor_float({kBatch, w.dim(0)}, 8);
  CHECK_TENSORS_CLOSE(name + " forward", cpu::linear_forward(x, w, b), fast::linear_forward(x, w, b),
                      sum_tolerance(w.dim(1) + 1));
  const cpu::LinearGradients<float> expected = cpu::linear_backward(x, w, grad_y);
  const cpu::LinearGradients<float> actual = fast::linear_backward(x, w, grad_y);
  CHECK_TENSORS_CLOSE(name + " grad input", expected.input, actual.input, sum_tolerance(w.dim(0)));
  CHECK_TENSORS_CLOSE(name + " grad weight", expected.weight, actual.weight, sum_tolerance(kBatch));
  CHECK_TENSORS_CLOSE(name + " grad bias", expected.bias, actual.bias, sum_tolerance(kBatch));
}

// Forward and backward of an op without parameters, fast vs reference, on U[−1, 1) data.
template <typename Forward, typename Backward, typename FastForward, typename FastBackward>
void check_elementwise(const std::string& name, const Shape& input, Forward forward, Backward backward,
                       FastForward fast_forward, FastBackward fast_backward) {
  const TensorF x = random_tensor_float(batched(input), 9);
  const TensorF y = forward(x);
  const TensorF grad_y = random_tensor_float(y.shape(), 10);
  CHECK_TENSORS_CLOSE(name + " forward", y, fast_forward(x), kElementwise);
  CHECK_TENSORS_CLOSE(name + " backward", backward(x, grad_y), fast_backward(x, grad_y), kElementwise);
}

}  // namespace

TEST_CASE("every step of the paper's network: fast equals reference at batch 2", "[fast_cpu][ops]") {
  const Plan plan = make_plan(alexnet_two_tower());
  const Parameters<float> shapes = allocate_parameters(plan);
  Shape input = plan.spec.input;
  for (const Step& step : plan.steps) {
    std::visit(
        Overloaded{
            [&](const ConvolutionStep& s) {
              check_convolution(step.name, input, shapes[static_cast<std::size_t>(s.parameters)].weight, s.params);
            },
            [&](const LinearStep& s) {
              check_linear(step.name, input, shapes[static_cast<std::size_t>(s.parameters)].weight);
            },
            [&](const ReluStep&) {
              check_elementwise(step.name, input, cpu::relu_forward<float>, cpu::relu_backward<float>,
                                fast::relu_forward, fast::relu_backward);
            },
            [&](const LrnStep& s) {
              check_elementwise(
                  step.name, input, [&](const TensorF& x) { return cpu::lrn_forward(x, s.params); },
                  [&](const TensorF& x, const TensorF& g) { return cpu::lrn_backward(x, g, s.params); },
                  [&](const TensorF& x) { return fast::lrn_forward(x, s.params); },
                  [&](const TensorF& x, const TensorF& g) { return fast::lrn_backward(x, g, s.params); });
            },
            [&](const MaxPoolStep& s) {
              check_elementwise(
                  step.name, input, [&](const TensorF& x) { return cpu::maxpool2d_forward(x, s.params); },
                  [&](const TensorF& x, const TensorF& g) { return cpu::maxpool2d_backward(x, g, s.params); },
                  [&](const TensorF& x) { return fast::maxpool2d_forward(x, s.params); },
                  [&](const TensorF& x, const TensorF& g) { return fast::maxpool2d_backward(x, g, s.params); });
            },
            [&](const DropoutStep& s) {
              const DropoutParams p = dropout_params(s, 7, 3, true);
              check_elementwise(
                  step.name, input, [&](const TensorF& x) { return cpu::dropout_forward(x, p); },
                  [&](const TensorF&, const TensorF& g) { return cpu::dropout_backward(g, p); },
                  [&](const TensorF& x) { return fast::dropout_forward(x, p); },
                  [&](const TensorF&, const TensorF& g) { return fast::dropout_backward(g, p); });
            },
            [&](const FlattenStep&) {},  // moves no values: the network test covers it
            [&](const BatchNormStep&) {},  // not in the paper's network: chapter 14 checks the normalizations
            [&](const GroupNormStep&) {},
        },
        step.op);
    input = step.output;
  }
}

TEST_CASE("many small images: each thread convolves its own images (the mini network at batch 9)",
          "[fast_cpu][ops]") {
  // With at least two images per thread the fast conv gives every thread whole images and runs each
  // GEMM on one thread; each thread sums its own images' ∂W, and the sums are added in thread order.
  // Small planes are lowered several images side by side into one GEMM: at batch 9 on 2 threads, conv1's
  // 32 × 32 planes one at a time, those of conv2–5 (15 × 15, 7 × 7) five and then four.
  fast::set_threads(2);
  const Plan plan = make_plan(alexnet_mini());
  for (const Step& step : plan.steps) {
    const auto* conv = std::get_if<ConvolutionStep>(&step.op);
    if (!conv) continue;
    const LayerSummary& layer = plan.layers[static_cast<std::size_t>(plan.parameter_rows[conv->parameters])];
    check_convolution(step.name, layer.input, TensorF(weight_shape(layer.spec, layer.input)), conv->params, 9);
  }
  fast::set_threads(fast::available_cores());
}

TEST_CASE("the convolution's edges: strides, padding wider than the kernel's reach, images smaller than it",
          "[fast_cpu][ops]") {
  // im2col and col2im work out once per row which windows reach inside the image; these shapes put every
  // window, or none, of a row in the padding. The last three keep the image's size (stride 1, padding (K − 1)/2),
  // which im2col copies a tap at a time as one shifted run: with kernels wider and taller than the image.
  struct Case {
    Shape input, weight;
    Conv2dParams params;
  };
  const Case cases[] = {{{3, 1, 1}, {4, 3, 3, 3}, {2, 1, 1}},   // one pixel, stride 2: one window, mostly padding
                        {{2, 5, 4}, {3, 2, 3, 3}, {2, 1, 1}},   // stride 2 over an odd and an even side
                        {{2, 7, 7}, {2, 2, 5, 5}, {3, 2, 1}},   // stride 3, padding 2
                        {{1, 3, 3}, {1, 1, 3, 3}, {1, 2, 1}},   // padding 2: the outer windows see one pixel
                        {{4, 6, 5}, {6, 2, 2, 2}, {4, 3, 2}},   // stride 4, padding 3, two groups
                        {{2, 1, 1}, {3, 2, 5, 5}, {1, 2, 1}},   // one pixel: every tap but the centre in padding
                        {{4, 2, 3}, {4, 2, 5, 5}, {1, 2, 2}},   // 5 × 5 over 2 × 3, two groups
                        {{3, 7, 1}, {2, 3, 3, 3}, {1, 1, 1}}};  // one column
  fast::set_threads(2);
  for (const Case& c : cases) {
    for (const std::int64_t batch : {kBatch, std::int64_t{9}}) {  // one image at a time; several side by side
      INFO("input " << to_string(c.input) << ", weight " << to_string(c.weight) << ", batch " << batch);
      check_convolution("edges", c.input, TensorF(c.weight), c.params, batch);
    }
  }
  fast::set_threads(fast::available_cores());
}

TEST_CASE("LRN across the towers too (Caffe's window)", "[fast_cpu][ops]") {
  LrnParams across;  // towers = 1: the window crosses channel 47/48
  check_elementwise(
      "lrn across", {96, 13, 13}, [&](const TensorF& x) { return cpu::lrn_forward(x, across); },
      [&](const TensorF& x, const TensorF& g) { return cpu::lrn_backward(x, g, across); },
      [&](const TensorF& x) { return fast::lrn_forward(x, across); },
      [&](const TensorF& x, const TensorF& g) { return fast::lrn_backward(x, g, across); });
}

TEST_CASE("LRN with windows of 1 to 9 channels, in towers and across them", "[fast_cpu][ops]") {
  // The fast LRN computes each channel's rows once per chunk, when the first window that holds the channel asks
  // for them: every window size must find the rows it reads already made, also where a tower's edge clips it.
  for (const int size : {1, 3, 7, 9}) {
    for (const int towers : {1, 2}) {
      LrnParams params;
      params.size = size;
      params.towers = towers;
      INFO("size " << size << ", towers " << towers);
      check_elementwise(
          "lrn", {20, 5, 7}, [&](const TensorF& x) { return cpu::lrn_forward(x, params); },
          [&](const TensorF& x, const TensorF& g) { return cpu::lrn_backward(x, g, params); },
          [&](const TensorF& x) { return fast::lrn_forward(x, params); },
          [&](const TensorF& x, const TensorF& g) { return fast::lrn_backward(x, g, params); });
    }
  }
}

TEST_CASE("the fast dropout draws the reference's masks bit for bit", "[fast_cpu][ops]") {
  // The fast code draws 64 Philox blocks, 256 units, at a time (written out with AVX-512 where the CPU has it):
  // lengths around and between those runs, seeds and steps past 32 bits (the counters' high words), units numbered
  // from offsets 1 and 2 words into a block (a data-parallel process's share), p = 0 (every unit kept) and a p
  // whose threshold is not a round number.
  for (const std::int64_t units : {1, 3, 255, 256, 257, 1000, 4099}) {
    for (const DropoutParams params : {DropoutParams{0.5, 7, 3, true, 0}, DropoutParams{0.0, 7, 3, true, 0},
                                       DropoutParams{0.3, 1ull << 40, 5ull << 33, true, 12345},
                                       DropoutParams{0.9, 2012, 0, true, (1ull << 32) - 10}}) {
      INFO(units << " units, p " << params.p << ", seed " << params.seed << ", step " << params.step);
      const TensorF x = random_tensor_float({units}, 51);
      CHECK(fast::dropout_forward(x, params).values() == cpu::dropout_forward(x, params).values());
      CHECK(fast::dropout_backward(x, params).values() == cpu::dropout_backward(x, params).values());
    }
  }
}

TEST_CASE("the fast LRN's denominators that are not positive normal floats take the exact path", "[fast_cpu][ops]") {
  // The fast d^−0.75 (a guess from the bits, Newton steps) holds for a positive normal d only. k = 0 gives d = 0
  // (the reference's 0/0: NaN) and subnormal d; values near 1e21 overflow a² (d = ∞: the value goes to 0); a NaN
  // spreads through its window. Each kind in a few positions of a plane whose other positions are usual.
  LrnParams params;
  params.k = 0.0;
  TensorF x = random_tensor_float({2, 10, 9, 9}, 41);
  for (std::int64_t i = 0; i < x.size(); ++i) {
    const std::int64_t position = i % 81;
    if (position == 3) x[i] = 0.0f;
    if (position == 20) x[i] = 1e-22f;
    if (position == 40) x[i] = i % 2 == 0 ? 3e21f : -2e21f;
    if (i == 555) x[i] = std::nanf("");
  }
  const TensorF g = random_tensor_float(x.shape(), 42);
  // With k = 0 the backward's two terms, g·d^−β and 2αβ·a·Σt, are of one size and often cancel: the reference's
  // and the fast sums, in different orders, then part in the fourth digit wherever d is usual too.
  const struct {
    const char* pass;
    TensorF theirs, ours;
    float tolerance;
  } passes[] = {{"forward", cpu::lrn_forward(x, params), fast::lrn_forward(x, params), 1e-5f},
                {"backward", cpu::lrn_backward(x, g, params), fast::lrn_backward(x, g, params), 1e-3f}};
  for (const auto& [pass, theirs, ours, tolerance] : passes) {
    for (std::int64_t i = 0; i < x.size(); ++i) {
      INFO(pass << ", value " << i << ": reference " << theirs[i] << ", fast " << ours[i]);
      if (std::isnan(theirs[i]) || std::isinf(theirs[i])) {
        CHECK((std::isnan(theirs[i]) ? std::isnan(ours[i]) : ours[i] == theirs[i]));
      } else {
        CHECK(std::abs(ours[i] - theirs[i]) <= tolerance * std::max(1.0f, std::abs(theirs[i])));
      }
    }
  }
}

TEST_CASE("the fast max-pooling routes ties and NaNs as the reference does", "[fast_cpu][ops]") {
  // Values from {0, 1, 2}: most windows hold their maximum more than once (the first wins); a few NaNs (the
  // first NaN of a window wins, and the window's value is NaN). Then the backward must equal the reference's,
  // bit for bit: every gradient goes to the same element, and the sums add in the same order. The paper's
  // pooling and other windows and strides, on planes whose width is odd, even and one window wide; 5 channels
  // and 1. The fast one finds the windows of consecutive planes at once, across images: all 15 planes of 15 × 17
  // together, those of 30 × 33 two at a time (the last one alone).
  for (const Pool2dParams params : {Pool2dParams{3, 2}, Pool2dParams{2, 2}, Pool2dParams{3, 1}, Pool2dParams{3, 3},
                                    Pool2dParams{5, 2}, Pool2dParams{1, 1}}) {
    for (const Shape& plane : {Shape{15, 17}, Shape{16, 14}, Shape{5, 5}, Shape{7, 12}, Shape{30, 33}}) {
      for (const std::int64_t channels : {5, 1}) {
        INFO("kernel " << params.kernel << ", stride " << params.stride << ", plane " << to_string(plane) << ", "
                       << channels << " channels");
        TensorF x = random_tensor_float({3, channels, plane[0], plane[1]}, 31, 0.0, 3.0);
        for (std::int64_t i = 0; i < x.size(); ++i) x[i] = i % 97 == 0 ? std::nanf("") : std::floor(x[i]);
        const TensorF g = random_tensor_float(maxpool2d_output_shape("test", x.shape(), params), 32);
        CHECK(fast::maxpool2d_backward(x, g, params).values() == cpu::maxpool2d_backward(x, g, params).values());
        const TensorF ours = fast::maxpool2d_forward(x, params), theirs = cpu::maxpool2d_forward(x, params);
        REQUIRE(ours.shape() == theirs.shape());
        for (std::int64_t i = 0; i < ours.size(); ++i) {
          INFO("output " << i);
          CHECK((std::isnan(ours[i]) ? std::isnan(theirs[i]) : ours[i] == theirs[i]));
        }
      }
    }
  }
}

TEST_CASE("the whole network: fast equals reference, logits and every gradient", "[fast_cpu][network]") {
  const Plan plan = make_plan(alexnet_two_tower());
  const Parameters<float> parameters = initial_parameters(plan, 2012);
  const TensorF x = random_tensor_float({kBatch, 3, 227, 227}, 11, -100.0, 100.0);
  const RunOptions options{true, 42, 3};
  const TensorF grad_logits = random_tensor_float({kBatch, 1000}, 12);
  const Activations<float> expected = reference_forward(plan, parameters, x, options);
  const Activations<float> actual = fast_forward(plan, parameters, x, options);
  CHECK_TENSORS_CLOSE("logits", expected.logits(), actual.logits(), whole_network_tolerance(expected.logits()));
  // Both backward passes start from the reference's activations: the forwards' sums differ in
  // their last bits, enough to flip a max-pool window's arg-max or a ReLU near 0 somewhere in
  // 2·10⁶ values, and such a flip moves a gradient whole — a real difference between two
  // correct implementations, not an error to test for.
  const Gradients<float> e = reference_backward(plan, parameters, expected, grad_logits, options);
  const Gradients<float> a = fast_backward(plan, parameters, expected, grad_logits, options);
  CHECK_TENSORS_CLOSE("grad input", e.input, a.input, whole_network_tolerance(e.input));
  for (std::size_t i = 0; i < e.parameters.size(); ++i) {
    CHECK_TENSORS_CLOSE(e.parameters[i].name + ".weight grad", e.parameters[i].weight, a.parameters[i].weight,
                        whole_network_tolerance(e.parameters[i].weight));
    CHECK_TENSORS_CLOSE(e.parameters[i].name + ".bias grad", e.parameters[i].bias, a.parameters[i].bias,
                        whole_network_tolerance(e.parameters[i].bias));
  }
}

TEST_CASE("the same thread count gives the same bits", "[fast_cpu][determinism]") {
  const Plan plan = make_plan(alexnet_tiny());
  const Parameters<float> parameters = initial_parameters(plan, 3);
  const TensorF x = random_tensor_float({4, 3, 31, 31}, 13);
  const RunOptions options{true, 1, 0};
  fast::set_threads(2);
  const Activations<float> first = fast_forward(plan, parameters, x, options);
  const Gradients<float> first_grads = fast_backward(plan, parameters, first, first.logits(), options);
  const Activations<float> second = fast_forward(plan, parameters, x, options);
  const Gradients<float> second_grads = fast_backward(plan, parameters, second, second.logits(), options);
  CHECK(first.logits().values() == second.logits().values());
  for (std::size_t i = 0; i < first_grads.parameters.size(); ++i) {
    CHECK(first_grads.parameters[i].weight.values() == second_grads.parameters[i].weight.values());
  }
  fast::set_threads(fast::available_cores());
}

// Training turns ∂L/∂images off (RunOptions::input_gradient): the first convolution then skips its ∂col GEMM and
// col2im, and every parameter gradient must come out as before, bit for bit.
TEST_CASE("a backward without the input's gradient gives the same parameter gradients", "[fast_cpu][network]") {
  const Plan plan = make_plan(alexnet_tiny());
  const Parameters<float> parameters = initial_parameters(plan, 4);
  const TensorF x = random_tensor_float({4, 3, 31, 31}, 14);
  RunOptions options{true, 1, 0};
  const Activations<float> forward = fast_forward(plan, parameters, x, options);
  const Gradients<float> all = fast_backward(plan, parameters, forward, forward.logits(), options);
  options.input_gradient = false;
  const Gradients<float> weights_only = fast_backward(plan, parameters, forward, forward.logits(), options);
  CHECK(all.input.shape() == x.shape());
  CHECK(weights_only.input.size() == 0);
  for (std::size_t i = 0; i < all.parameters.size(); ++i) {
    CHECK(all.parameters[i].weight.values() == weights_only.parameters[i].weight.values());
    CHECK(all.parameters[i].bias.values() == weights_only.parameters[i].bias.values());
  }
}

TEST_CASE("a thread count below 1 is refused", "[fast_cpu][threads]") {
  CHECK_THROWS_WITH(fast::set_threads(0), "--threads: expected at least 1, got 0");
  CHECK(fast::threads() >= 1);
}

// The roofline's coordinates (network/step_cost.hpp), worked out by hand for the paper's first block at batch 2.
TEST_CASE("step costs: FLOPs and least bytes of the paper's steps", "[fast_cpu][roofline]") {
  const Plan plan = make_plan(alexnet_two_tower());
  const double image = 3 * 227 * 227, conv1_out = 96 * 55 * 55, pool1_out = 96 * 27 * 27;
  const double conv1_parameters = 34'944, conv1_multiply_adds = 105'415'200;
  REQUIRE(plan.steps[0].name == "conv1");
  const StepCost conv1 = forward_cost(plan, 0, kBatch);
  CHECK(conv1.flops == 2 * kBatch * conv1_multiply_adds);
  CHECK(conv1.bytes == 4 * (kBatch * image + conv1_parameters + kBatch * conv1_out));
  // Backward: ∂y, x, W read; ∂x, ∂W written — and without ∂x, one product and one tensor fewer.
  CHECK(backward_cost(plan, 0, kBatch).flops == 2 * conv1.flops);
  CHECK(backward_cost(plan, 0, kBatch).bytes == 4 * (kBatch * (conv1_out + 2 * image) + 2 * conv1_parameters));
  CHECK(backward_cost(plan, 0, kBatch, false).flops == conv1.flops);
  CHECK(backward_cost(plan, 0, kBatch, false).bytes == 4 * (kBatch * (conv1_out + image) + 2 * conv1_parameters));

  REQUIRE(plan.steps[1].name == "relu1");
  CHECK(forward_cost(plan, 1, kBatch).bytes == 4 * 2 * kBatch * conv1_out);
  CHECK(backward_cost(plan, 1, kBatch).bytes == 4 * 3 * kBatch * conv1_out);
  REQUIRE(plan.steps[3].name == "pool1");  // 9 comparisons per output, in both passes
  CHECK(forward_cost(plan, 3, kBatch).flops == 9 * kBatch * pool1_out);
  CHECK(forward_cost(plan, 3, kBatch).bytes == 4 * kBatch * (conv1_out + pool1_out));

  const std::size_t flatten = 15;
  REQUIRE(plan.steps[flatten].name == "flatten");
  CHECK(forward_cost(plan, flatten, kBatch).bytes == 0);
  CHECK(forward_cost(plan, flatten, kBatch).intensity() == 0);
  REQUIRE(plan.steps[flatten + 3].name == "drop6");  // the backward regenerates the mask: ∂y in, ∂x out
  CHECK(backward_cost(plan, flatten + 3, kBatch).bytes == 4 * 2 * kBatch * 4096);

  // SGD: w, v, ∂w read; w, v written: 20 bytes per weight.
  CHECK(sgd_update_cost(plan).bytes == 20.0 * 60'965'224);
  // The roof: the slanted part left of the ridge point, flat right of it.
  CHECK(roof_gflops(0.5, 100, 20) == 10);
  CHECK(roof_gflops(50, 100, 20) == 100);
}

TEST_CASE("the lowering timed alone counts CONV2's input and col matrices", "[fast_cpu][roofline]") {
  // CONV2 at batch 2: x [2, 96, 27, 27]; per image and tower a col matrix of 48·5·5 = 1,200 rows by 27·27 = 729.
  const fast::LoweringTimes t = fast::time_lowering({2, 96, 27, 27}, {256, 48, 5, 5}, Conv2dParams{1, 2, 2}, 1);
  CHECK(t.x_bytes == 4 * 2 * 96 * 27 * 27);
  CHECK(t.col_bytes == 4 * 2 * 2 * 1200 * 729);
  CHECK(t.im2col_ms > 0);
  CHECK(t.col2im_ms > 0);
}
