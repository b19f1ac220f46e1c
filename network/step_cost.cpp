#include "network/step_cost.hpp"

#include <algorithm>
#include <variant>

namespace alexnet {
namespace {

constexpr double kFloat = 4;  // bytes of an fp32 value

// Per-image sizes of a step's input and output, and of the parameters it owns (0 for none).
struct StepSizes {
  double input = 0, output = 0, parameters = 0, multiply_adds = 0;
};

StepSizes step_sizes(const Plan& plan, std::size_t step) {
  StepSizes sizes;
  sizes.input = static_cast<double>(element_count(step == 0 ? plan.spec.input : plan.steps[step - 1].output));
  sizes.output = static_cast<double>(element_count(plan.steps[step].output));
  const int* owner = std::visit(
      Overloaded{[](const ConvolutionStep& s) { return &s.parameters; },
                 [](const LinearStep& s) { return &s.parameters; },
                 [](const BatchNormStep& s) { return &s.parameters; },
                 [](const GroupNormStep& s) { return &s.parameters; },
                 [](const auto&) -> const int* { return nullptr; }},
      plan.steps[step].op);
  if (owner) {
    const int row = plan.parameter_rows[static_cast<std::size_t>(*owner)];
    const LayerSummary& layer = plan.layers[static_cast<std::size_t>(row)];
    sizes.parameters = static_cast<double>(layer.parameters);
    sizes.multiply_adds = static_cast<double>(layer.multiply_adds);
  }
  return sizes;
}

// Arithmetic per value of the steps that are not matrix products, roughly as the loops do it (forward,
// backward). LRN: a square, the window's add and subtract, k + α·s, d^-β by two square roots and a product,
// one division ≈ 10; its backward twice that. Normalizations: the statistics (3), normalize and scale (4);
// the backward about twice.
constexpr double kLrnFlops[2] = {10, 20};
constexpr double kNormFlops[2] = {7, 14};

StepCost cost(const Plan& plan, std::size_t step, std::int64_t batch, bool backward, bool input_gradient) {
  const StepSizes s = step_sizes(plan, step);
  const double n = static_cast<double>(batch);
  const double values = n * s.output;  // the step's output values, the unit of the elementwise ops
  const int pass = backward ? 1 : 0;
  // A matrix product: 2 FLOPs per multiply-add; the backward's ∂W and ∂x are one product each.
  const double product_flops = 2 * n * s.multiply_adds * (backward ? (input_gradient ? 2 : 1) : 1);
  // Bytes: forward x, parameters, y; backward ∂y, x, parameters, ∂x (when computed), ∂parameters.
  const double forward_bytes = kFloat * (n * s.input + s.parameters + n * s.output);
  const double backward_bytes =
      kFloat * (n * s.output + n * s.input + 2 * s.parameters + (input_gradient ? n * s.input : 0));
  const double bytes = backward ? backward_bytes : forward_bytes;
  return std::visit(
      Overloaded{
          [&](const ConvolutionStep&) { return StepCost{product_flops, bytes}; },
          [&](const LinearStep&) { return StepCost{product_flops, bytes}; },
          [&](const ReluStep&) { return StepCost{values, bytes}; },  // a comparison per value
          [&](const LrnStep&) { return StepCost{kLrnFlops[pass] * values, bytes}; },
          // k² comparisons per output in both passes (the backward scans the window for its maximum).
          [&](const MaxPoolStep& p) { return StepCost{values * p.params.kernel * p.params.kernel, bytes}; },
          [&](const FlattenStep&) { return StepCost{}; },  // a view: nothing computed, nothing moved
          // A product per value; the backward reads ∂y and writes ∂x only.
          [&](const DropoutStep&) { return StepCost{values, backward ? 2 * kFloat * values : bytes}; },
          [&](const BatchNormStep&) { return StepCost{kNormFlops[pass] * values, bytes}; },
          [&](const GroupNormStep&) { return StepCost{kNormFlops[pass] * values, bytes}; },
      },
      plan.steps[step].op);
}

}  // namespace

StepCost forward_cost(const Plan& plan, std::size_t step, std::int64_t batch) {
  return cost(plan, step, batch, false, true);
}

StepCost backward_cost(const Plan& plan, std::size_t step, std::int64_t batch, bool input_gradient) {
  return cost(plan, step, batch, true, input_gradient);
}

StepCost sgd_update_cost(const Plan& plan) {
  double weights = 0;
  for (const int row : plan.parameter_rows) {
    weights += static_cast<double>(plan.layers[static_cast<std::size_t>(row)].parameters);
  }
  return StepCost{6 * weights, 5 * kFloat * weights};
}

double roof_gflops(double intensity, double peak_gflops, double bandwidth_gbps) {
  return std::min(peak_gflops, intensity * bandwidth_gbps);
}

}  // namespace alexnet
