/// @file step_cost.hpp
/// @brief What one step of a plan must compute and move, for a whole batch: the two coordinates of the
/// roofline (chapter 13) — arithmetic intensity (FLOPs per byte) and, against a measured time, the rate.
///
/// Bytes are the least any implementation moves: each tensor the step reads or writes, once, in fp32 —
/// forward: its input, its parameters and its output; backward: ∂L/∂y, the forward's input (what the
/// gradient depends on), the parameters, and ∂L/∂x and the parameters' gradients it writes. Dropout's
/// backward reads no input (its mask is drawn again from its counter-based stream), and flatten is a view.
/// FLOPs are 2 per multiply-add for the convolutions and fully connected layers; for the other steps an
/// estimate of the arithmetic per value, given beside each case in step_cost.cpp — those steps sit so far
/// left of the ridge point that only their bytes decide their roof.
#pragma once

#include <cstddef>
#include <cstdint>

#include "network/plan.hpp"

namespace alexnet {

/// @brief FLOPs and bytes of one pass of one step.
struct StepCost {
  double flops = 0;  ///< floating-point operations
  double bytes = 0;  ///< bytes read and written at least, counted once each
  /// @brief FLOPs per byte; 0 for a step that moves nothing.
  double intensity() const { return bytes > 0 ? flops / bytes : 0; }
};

/// @brief Step `step` of `plan` forward over `batch` images.
StepCost forward_cost(const Plan& plan, std::size_t step, std::int64_t batch);

/// @brief Step `step` of `plan` backward over `batch` images; `input_gradient` false for a first step that
/// computes no ∂L/∂x (as in training on the GPU).
StepCost backward_cost(const Plan& plan, std::size_t step, std::int64_t batch, bool input_gradient = true);

/// @brief The SGD update of every parameter: reads w, v and ∂L/∂w, writes w and v; 6 FLOPs a weight.
StepCost sgd_update_cost(const Plan& plan);

/// @brief The rate the roofline allows at `intensity`: min(peak, intensity × bandwidth), in GFLOP/s.
double roof_gflops(double intensity, double peak_gflops, double bandwidth_gbps);

}  // namespace alexnet
