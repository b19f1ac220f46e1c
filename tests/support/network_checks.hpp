/// @file network_checks.hpp
/// @brief Comparing two backends' runs of a whole network like with like: each step's output against the
/// reference step run on the *same* input, within a tolerance derived from that step's sums; the decisions
/// (ReLU signs, max-pool arg-maxes) on which the two forwards differ, counted; and the gradients of a
/// reference backward run on the other backend's own activations.
///
/// Why: a GPU fuses multiply-adds and uses its own powf/expf, so its sums round differently from the CPU
/// loops in the 7th digit. That alone is harmless, but where two values of a max-pooling window are
/// nearly tied, or a ReLU's input is nearly 0, the last bit decides which element a gradient goes to:
/// compared with the CPU's own forward, a weight gradient then differs by a whole term (chapter 10's lesson,
/// "Why a GPU's answer differs"). Comparing like with like removes that, and leaves only rounding to bound.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <sstream>
#include <string>
#include <variant>

#include "network/cpu_network.hpp"
#include "network/plan.hpp"
#include "reference_cpu/compare.hpp"
#include "reference_cpu/maxpool2d.hpp"
#include "tests/support/check.hpp"
#include "tests/support/tolerance.hpp"

namespace alexnet::testing {

/// @brief Float's unit roundoff, 2⁻²⁴: one rounding moves a value by at most this much of itself.
constexpr double kUnitRoundoff = 1.0 / 16777216.0;

/// @brief Largest |value| of a tensor (0 for an empty one).
inline double largest_magnitude(const TensorF& t) {
  double largest = 0.0;
  for (const float v : t.values()) largest = std::max(largest, static_cast<double>(std::fabs(v)));
  return largest;
}

/// @brief Largest ‖row‖₁ of a weight tensor whose first dimension is its outputs: Σ|w| over what one output reads.
inline double largest_row_l1(const TensorF& weight) {
  const std::int64_t rows = weight.dim(0), per_row = weight.size() / rows;
  double largest = 0.0;
  for (std::int64_t r = 0; r < rows; ++r) {
    double sum = 0.0;
    for (std::int64_t j = 0; j < per_row; ++j) sum += std::fabs(weight[r * per_row + j]);
    largest = std::max(largest, sum);
  }
  return largest;
}

/// @brief The tolerance of a dot product of `terms` products plus a bias, summed in two orders, one of them
/// perhaps with fused multiply-adds. `magnitude` bounds Σ|wᵢ·xᵢ| + |b| for every output.
///
/// The argument: each addition rounds by at most u = 2⁻²⁴ of the partial sum, and every partial sum is at most
/// the magnitude M, so one order is off the exact sum by at most terms·u·M (attained only if every rounding errs
/// the same way). The roundings of a long sum are independent, so they add like a random walk, √terms·u·M;
/// allow 16 times that for each of the two orders (tails over a million outputs): 32·√terms·u·M. A fused
/// multiply-add rounds once instead of twice, which only removes roundings. A wrong index changes an output by
/// its own size, about M/√terms for random signs: 40 (FC6) to 300 (CONV1) times this tolerance.
inline Tolerance dot_product_tolerance(std::int64_t terms, double magnitude) {
  return Tolerance{32.0 * std::sqrt(static_cast<double>(terms)) * kUnitRoundoff * magnitude, 0.0};
}

/// @brief Sets of values a normalization computes one mean and one variance over.
struct NormalizedSets {
  std::int64_t count = 0;        ///< sets (BatchNorm: C; GroupNorm: N·G)
  std::int64_t per_set = 0;      ///< m: values per set
  double smallest_sigma = 0.0;   ///< min over the sets of √(σ² + ε), σ² the biased variance
};

/// @brief The sets of x [N, C, H, W] for a batch normalization (`groups` = 0: channel c across the batch) or a
/// group normalization (`groups` = G: each image's G groups), their m and the smallest √(σ² + ε), in double.
inline NormalizedSets normalized_sets(const TensorF& x, int groups, double epsilon) {
  const std::int64_t n = x.dim(0), c = x.dim(1), plane = x.dim(2) * x.dim(3);
  NormalizedSets sets;
  sets.count = groups == 0 ? c : n * groups;
  sets.per_set = x.size() / sets.count;
  const auto set_of = [&](std::int64_t i) {
    return groups == 0 ? i / plane % c : i / (c / groups * plane);  // a group's values are contiguous
  };
  std::vector<double> sum(static_cast<std::size_t>(sets.count)), squares(sum.size());
  for (std::int64_t i = 0; i < x.size(); ++i) sum[static_cast<std::size_t>(set_of(i))] += x[i];
  for (std::int64_t i = 0; i < x.size(); ++i) {
    const auto s = static_cast<std::size_t>(set_of(i));
    const double deviation = x[i] - sum[s] / static_cast<double>(sets.per_set);
    squares[s] += deviation * deviation;
  }
  sets.smallest_sigma = std::numeric_limits<double>::infinity();
  for (const double q : squares) {
    sets.smallest_sigma = std::min(sets.smallest_sigma, std::sqrt(q / static_cast<double>(sets.per_set) + epsilon));
  }
  return sets;
}

/// @brief The tolerance of y = γ·(x − μ)/√(σ² + ε) + β with μ and σ² computed from the batch by two backends.
///
/// The argument: μ and σ² are sums of m values (two passes, as both backends compute them), so by the dot-product
/// argument μ is off by at most 32·√m·u·max|x| and σ² by 32·√m·u of itself. x̂ = (x − μ)/σ then moves by
/// δμ/σ + |x̂|·δσ²/(2σ²), with |x̂| ≤ 2·max|x|/σ; γ scales that, and the few roundings of the affine map add
/// 8·u·max|y|. Treating a wrong channel or image as the set moves y by O(1), far above it.
inline Tolerance normalization_tolerance(const TensorF& x, const LayerTensors<float>& p, int groups,
                                         double epsilon) {
  const NormalizedSets sets = normalized_sets(x, groups, epsilon);
  const double statistics = 32.0 * std::sqrt(static_cast<double>(sets.per_set)) * kUnitRoundoff;
  const double ratio = largest_magnitude(x) / sets.smallest_sigma;  // bounds |x|/σ, and |x̂|/2
  const double gamma = largest_magnitude(p.weight);
  const double largest_y = gamma * 2.0 * ratio + largest_magnitude(p.bias);
  return Tolerance{gamma * statistics * (ratio + ratio) + 8.0 * kUnitRoundoff * largest_y, 0.0};
}

/// @brief The tolerance of step `index` of `plan` computed by two backends from the same input x.
///
/// - convolution, linear: dot_product_tolerance, with M ≤ max|x|·max‖W_row‖₁ + max|b|;
/// - ReLU, max-pooling, flatten, dropout: exact: max, copies and multiplying by a power of 2 (dropout's
///   1/(1 − 0.5) = 2) do not round, so the same input gives the same bits;
/// - LRN: b = a/(k + α/n·Σa²)^β rounds a sum of n squares (n·u), a power (CUDA's powf: 4 ulp documented, up
///   to 9 measured in older releases; glibc's < 1), and a division: at most (β·n + 12)·u of b; allow 64·u;
/// - batch and group normalization in training: normalization_tolerance; BatchNorm at test time: a fixed
///   affine map per channel, a few roundings: 8·u of the largest term.
inline Tolerance step_rounding_tolerance(const Plan& plan, std::size_t index, const TensorF& x,
                                         const Parameters<float>& parameters, const RunOptions& options) {
  const auto layer = [&](int i) -> const LayerTensors<float>& { return parameters.at(static_cast<std::size_t>(i)); };
  const auto weighted_sum = [&](const LayerTensors<float>& p) {
    const std::int64_t terms = p.weight.size() / p.weight.dim(0) + 1;
    return dot_product_tolerance(terms, largest_magnitude(x) * largest_row_l1(p.weight) + largest_magnitude(p.bias));
  };
  return std::visit(
      Overloaded{
          [&](const ConvolutionStep& s) { return weighted_sum(layer(s.parameters)); },
          [&](const LinearStep& s) { return weighted_sum(layer(s.parameters)); },
          [&](const LrnStep&) { return Tolerance{0.0, 64.0 * kUnitRoundoff}; },
          [&](const BatchNormStep& s) {
            const LayerTensors<float>& p = layer(s.parameters);
            if (options.training) return normalization_tolerance(x, p, 0, s.params.epsilon);
            double smallest_sigma = std::numeric_limits<double>::infinity();
            for (const float v : p.running_var.values()) smallest_sigma = std::min(smallest_sigma, std::sqrt(v + s.params.epsilon));
            const double term = largest_magnitude(p.weight) * (largest_magnitude(x) + largest_magnitude(p.running_mean)) /
                                smallest_sigma;
            return Tolerance{8.0 * kUnitRoundoff * (term + largest_magnitude(p.bias)), 0.0};
          },
          [&](const GroupNormStep& s) {
            return normalization_tolerance(x, layer(s.parameters), s.params.groups, s.params.epsilon);
          },
          [&](const auto&) { return Tolerance{0.0, 0.0}; },  // ReLU, max-pooling, flatten, dropout
      },
      plan.steps.at(index).op);
}

/// @brief How many of a forward's decisions another forward of the same network took differently.
struct DecisionCount {
  std::int64_t relu_differ = 0, relu_total = 0;  ///< ReLU inputs on the other side of 0
  std::int64_t pool_differ = 0, pool_total = 0;  ///< max-pooling windows whose arg-max is another element
  /// @brief The fraction of all decisions that differ.
  double fraction() const {
    const std::int64_t total = relu_total + pool_total;
    return total == 0 ? 0.0 : static_cast<double>(relu_differ + pool_differ) / static_cast<double>(total);
  }
  /// @brief "ReLU 3 of 1306800 signs, max-pooling 5 of 244832 arg-maxes".
  std::string report() const {
    std::ostringstream text;
    text << "decisions that differ: ReLU " << relu_differ << " of " << relu_total << " signs, max-pooling "
         << pool_differ << " of " << pool_total << " arg-maxes";
    return text.str();
  }
};

/// @brief Adds to `count` the windows of max-pooling `params` whose arg-max differs between inputs a and b.
inline void count_pool_decisions(const TensorF& a, const TensorF& b, Pool2dParams params, DecisionCount& count) {
  const Shape y = maxpool2d_output_shape("count_pool_decisions", a.shape(), params);
  const std::int64_t planes = y[0] * y[1], height = a.dim(2), width = a.dim(3);
  for (std::int64_t p = 0; p < planes; ++p) {
    for (std::int64_t i = 0; i < y[2]; ++i) {
      for (std::int64_t j = 0; j < y[3]; ++j) {
        const auto argmax = [&](const TensorF& x) {
          return cpu::window_argmax(x.data() + p * height * width, width, i * params.stride, j * params.stride,
                                    params.kernel);
        };
        count.pool_differ += argmax(a) != argmax(b) ? 1 : 0;
        ++count.pool_total;
      }
    }
  }
}

/// @brief The ReLU signs and max-pooling arg-maxes on which two forwards of `plan` differ.
inline DecisionCount count_decisions(const Plan& plan, const Activations<float>& a, const Activations<float>& b) {
  DecisionCount count;
  for (std::size_t i = 0; i < plan.steps.size(); ++i) {
    const TensorF& x_a = i == 0 ? a.input : a.outputs[i - 1];
    const TensorF& x_b = i == 0 ? b.input : b.outputs[i - 1];
    if (std::holds_alternative<ReluStep>(plan.steps[i].op)) {
      for (std::int64_t k = 0; k < x_a.size(); ++k) count.relu_differ += (x_a[k] > 0.0f) != (x_b[k] > 0.0f) ? 1 : 0;
      count.relu_total += x_a.size();
    } else if (const auto* pool = std::get_if<MaxPoolStep>(&plan.steps[i].op)) {
      count_pool_decisions(x_a, x_b, pool->params, count);
    }
  }
  return count;
}

/// @brief The largest fraction of decisions two correct forwards may take differently: 1e-3.
///
/// A decision differs only where its candidates lie closer together than the two forwards' rounding
/// difference: a ReLU input within ~1e-5 of its layer's scale of 0, or two values of a pooling window within
/// that of each other. For values spread over their range that is about 1e-5 of the ReLUs and 1e-5·(9 choose
/// 2) ≈ 4e-4 of the windows at most; the H200 run of chapter 10 (batch 2) showed a handful in 1.5 million. A
/// wrong kernel — a shifted window, a lost image — changes about half of them.
constexpr double kMostDecisionsThatDiffer = 1e-3;

/// @brief Every step of `actual` (another backend's forward) against the reference step run on the same input,
/// within step_rounding_tolerance.
inline void check_steps_like_with_like(const Plan& plan, const Parameters<float>& parameters,
                                       const Activations<float>& actual, const RunOptions& options) {
  for (std::size_t i = 0; i < plan.steps.size(); ++i) {
    const TensorF& x = i == 0 ? actual.input : actual.outputs[i - 1];
    const TensorF expected = reference_step_forward(plan, i, x, parameters, options);
    CHECK_TENSORS_CLOSE(plan.steps[i].name + " on the same input", expected, actual.outputs[i],
                        step_rounding_tolerance(plan, i, x, parameters, options));
  }
}

/// @brief Whether layer k of the parameters is followed by a batch normalization, which subtracts each channel's
/// batch mean, the layer's bias included: that bias changes nothing and its gradient is exactly 0.
inline bool bias_cancelled_by_batch_norm(const Plan& plan, std::size_t k) {
  const auto row = static_cast<std::size_t>(plan.parameter_rows[k]);
  return row + 1 < plan.layers.size() && std::holds_alternative<BatchNormSpec>(plan.layers[row + 1].spec.op);
}

/// @brief Compares two backends' gradients of a whole network with whole_network_tolerance: ∂L/∂x and every
/// weight (γ) and bias (β). A bias that a batch normalization cancels has the true gradient 0, and each backend
/// returns its own rounding noise (a sum of m terms that cancel); it is checked against the scale of the
/// layer's weight gradient instead: 1e-3 of it (measured: noise below 1e-5 of it).
inline void check_network_gradients(const Plan& plan, const Gradients<float>& expected,
                                    const Gradients<float>& actual) {
  CHECK_TENSORS_CLOSE("grad input", expected.input, actual.input, whole_network_tolerance(expected.input));
  REQUIRE(actual.parameters.size() == expected.parameters.size());
  for (std::size_t i = 0; i < expected.parameters.size(); ++i) {
    const LayerTensors<float>& e = expected.parameters[i];
    const LayerTensors<float>& a = actual.parameters[i];
    CHECK_TENSORS_CLOSE(e.name + ".weight grad", e.weight, a.weight, whole_network_tolerance(e.weight));
    CHECK_TENSORS_CLOSE(e.name + ".bias grad", e.bias, a.bias,
                        whole_network_tolerance(bias_cancelled_by_batch_norm(plan, i) ? e.weight : e.bias));
  }
}

}  // namespace alexnet::testing
