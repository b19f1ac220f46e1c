// Dropout on the CPU: mask statistics and reproducibility, the backward pass, and
// why inverted dropout is the paper's "multiply by 0.5 at test time" in disguise.
#include <catch2/catch.hpp>

#include <cmath>

#include "reference_cpu/dropout.hpp"
#include "reference_cpu/linear.hpp"
#include "tests/support/gradient_check.hpp"

using namespace alexnet;
using namespace alexnet::testing;

namespace {

std::int64_t count_zeros(const TensorF& t) {
  std::int64_t zeros = 0;
  for (float v : t.values()) zeros += v == 0.0f ? 1 : 0;
  return zeros;
}

// The paper's dropout: the same mask, no scaling while training, ×(1 − p) at test time.
TensorD paper_dropout(const TensorD& x, const DropoutParams& params) {
  TensorD y(x.shape());
  for (std::int64_t i = 0; i < x.size(); ++i) {
    if (!params.training) y[i] = x[i] * (1.0 - params.p);
    else y[i] = dropout_keeps(params, static_cast<std::uint64_t>(i)) ? x[i] : 0.0;
  }
  return y;
}

}  // namespace

TEST_CASE("dropout drops about p of the units and doubles the rest", "[dropout]") {
  const TensorF ones({100000}, 1.0f);
  for (double p : {0.5, 0.2}) {
    const TensorF y = cpu::dropout_forward(ones, {p, 42, 0, true});
    const double dropped = static_cast<double>(count_zeros(y)) / static_cast<double>(y.size());
    // Binomial: the standard deviation of the fraction is √(p(1 − p)/n) ≤ 0.0016; 0.01 is over 6 of them.
    CHECK(dropped == Approx(p).margin(0.01));
    // Every kept unit is scaled by 1/(1 − p): 2 for p = 0.5, 1.25 for p = 0.2.
    std::int64_t wrongly_scaled = 0;
    for (float v : y.values()) wrongly_scaled += v != 0.0f && v != static_cast<float>(1.0 / (1.0 - p)) ? 1 : 0;
    CHECK(wrongly_scaled == 0);
  }
}

TEST_CASE("dropout masks are reproducible from (seed, step) and new at every step", "[dropout]") {
  const TensorF x = random_tensor_float({4, 4096}, 3);
  const DropoutParams params{0.5, 42, 7, true};
  CHECK(cpu::dropout_forward(x, params).values() == cpu::dropout_forward(x, params).values());
  for (DropoutParams other : {DropoutParams{0.5, 42, 8, true}, DropoutParams{0.5, 43, 7, true}}) {
    // Two independent masks agree on a unit with probability 1/2.
    const TensorF a = cpu::dropout_forward(x, params), b = cpu::dropout_forward(x, other);
    std::int64_t same = 0;
    for (std::int64_t i = 0; i < x.size(); ++i) same += (a[i] == 0.0f) == (b[i] == 0.0f) ? 1 : 0;
    CHECK(static_cast<double>(same) / static_cast<double>(x.size()) == Approx(0.5).margin(0.03));
  }
}

TEST_CASE("at test time dropout is the identity", "[dropout]") {
  const TensorF x = random_tensor_float({4, 4096}, 3);
  CHECK(cpu::dropout_forward(x, {0.5, 42, 7, false}).values() == x.values());
  CHECK(cpu::dropout_backward(x, {0.5, 42, 7, false}).values() == x.values());
}

TEST_CASE("dropout backward sends the gradient through the forward's mask", "[dropout][gradient]") {
  const DropoutParams params{0.5, 9, 3, true};
  TensorD x = random_tensor({3, 50}, 1);
  const TensorD grad_y = random_tensor(x.shape(), 2);
  const TensorD numerical = numerical_gradient([&] { return cpu::dropout_forward(x, params); }, x, grad_y);
  CHECK_TENSORS_CLOSE("dropout grad_x", numerical, cpu::dropout_backward(grad_y, params), gradient_tolerance());
}

TEST_CASE("inverted dropout and the paper's x0.5 at test time are the same network", "[dropout][paper]") {
  const TensorD x = random_tensor({1, 256}, 4, 0.5, 1.5);
  const double p = 0.5;

  // 1. In expectation over the masks, each scheme's training output is its test output:
  //    inverted: E[m·x/(1 − p)] = x; paper: E[m·x] = (1 − p)·x.
  const int steps = 4000;
  TensorD inverted_mean(x.shape()), paper_mean(x.shape());
  for (int step = 0; step < steps; ++step) {
    const DropoutParams params{p, 11, static_cast<std::uint64_t>(step), true};
    const TensorD inverted = cpu::dropout_forward(x, params), paper = paper_dropout(x, params);
    for (std::int64_t i = 0; i < x.size(); ++i) {
      inverted_mean[i] += inverted[i] / steps;
      paper_mean[i] += paper[i] / steps;
    }
  }
  // Each mean averages 4000 coin flips: relative standard deviation 1/√4000 ≈ 0.016; allow 6 of them.
  const Tolerance sampling{0, 0.1};
  CHECK_TENSORS_CLOSE("inverted: mean training output vs test output", cpu::dropout_forward(x, {p, 11, 0, false}),
                      inverted_mean, sampling);
  CHECK_TENSORS_CLOSE("paper: mean training output vs test output", paper_dropout(x, {p, 11, 0, false}), paper_mean,
                      sampling);

  // 2. Exactly, for every mask and at test time: the next layer with weights W after
  //    the paper's dropout computes what it computes with (1 − p)·W after ours.
  const TensorD weight = random_tensor({3, 256}, 5), bias = random_tensor({3}, 6);
  TensorD scaled_weight = weight;
  for (std::int64_t i = 0; i < weight.size(); ++i) scaled_weight[i] *= 1.0 - p;
  for (bool training : {true, false}) {
    const DropoutParams params{p, 11, 5, training};
    CHECK_TENSORS_CLOSE(training ? "next layer, training" : "next layer, test time",
                        cpu::linear_forward(paper_dropout(x, params), weight, bias),
                        cpu::linear_forward(cpu::dropout_forward(x, params), scaled_weight, bias),
                        (Tolerance{1e-12, 1e-12}));  // double rounding of the same sums
  }
}

TEST_CASE("dropout refuses p outside [0, 1)", "[dropout]") {
  CHECK_THROWS_WITH(cpu::dropout_forward(TensorF({4}), {1.0, 0, 0, true}),
                    "dropout_forward: expected a drop probability 0 <= p < 1, got 1.000000");
  CHECK_THROWS_WITH(cpu::dropout_backward(TensorF({4}), {-0.5, 0, 0, true}),
                    "dropout_backward: expected a drop probability 0 <= p < 1, got -0.500000");
}
