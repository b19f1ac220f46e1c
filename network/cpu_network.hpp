/// @file cpu_network.hpp
/// @brief The whole network forward and backward on the CPU, one step after another
/// (llm.c's gpt2_forward / gpt2_backward): the plan's steps run on a backend's ops.
///
/// The CPU runs the one-device form of the network: the towers are the groups of the
/// grouped convolutions and LRN windows, which compute exactly what two GPUs compute
/// (chapter 03 shows why). Two backends run the same steps: the reference (alexnet::cpu's
/// naive loops, in float or in double for gradient checks) and the fast one (alexnet::fast:
/// im2col + SGEMM and OpenMP, chapter 13), which the tests check against the reference.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "network/plan.hpp"
#include "reference_cpu/tensor.hpp"

namespace alexnet {

/// @brief What a pass needs besides data and parameters.
struct RunOptions {
  bool training = false;       ///< dropout on and batch statistics (training), or the identity and running ones (test)
  std::uint64_t seed = 0;      ///< the run's seed: dropout masks
  std::uint64_t step = 0;      ///< the training step: a fresh dropout mask per step
  std::uint64_t first_image = 0;  ///< where this batch starts in the step's whole batch: a data-parallel process's
                                  ///< share (chapter 17) draws the dropout masks its images draw in one process
  bool input_gradient = true;  ///< whether the backward computes ∂L/∂(the batch); training turns it off: nothing
                               ///< uses the gradient of the images, and a first convolution's costs a GEMM and col2im
};

/// @brief Step `step`'s dropout on a tensor of `shape` [N, ...] in a pass with `options`: its images start at
/// options.first_image of the step's whole batch, so its units start at first_image · (units per image).
DropoutParams dropout_params(const DropoutStep& step, const RunOptions& options, const Shape& shape);

/// @brief The statistics a batch normalization step computed on a training-mode forward's batch.
template <typename T>
struct BatchStatistics {
  std::size_t step = 0;                ///< the plan's step (a BatchNormStep)
  Tensor<T> mean;                      ///< [C], μ_c over (N, H, W)
  Tensor<T> variance;                  ///< [C], the biased σ_c² the step normalized with
  std::int64_t count_per_channel = 0;  ///< m = N·H·W values per channel
};

/// @brief The forward pass's values: the input and every step's output (the backward needs them).
template <typename T>
struct Activations {
  Tensor<T> input;                ///< [N, C, H, W] ([N, F] for a plan that starts at a fully connected layer)
  std::vector<Tensor<T>> outputs;  ///< outputs[i]: step i's output; the last is the logits [N, classes]
  std::vector<double> step_ms;     ///< step_ms[i]: wall-clock milliseconds step i took
  /// One entry per batch normalization step of a training-mode forward, in step order (none at test time):
  /// the forward only reads the parameters; update_running_statistics applies these to them.
  std::vector<BatchStatistics<T>> batch_statistics{};
  /// @brief The logits, the last step's output.
  const Tensor<T>& logits() const { return outputs.back(); }
};

/// @brief The backward pass's results: ∂L/∂input and ∂L/∂ every parameter.
template <typename T>
struct Gradients {
  Tensor<T> input;           ///< ∂L/∂x, the shape of the input; empty when RunOptions::input_gradient is off
  Parameters<T> parameters;  ///< ∂L/∂W and ∂L/∂b of every layer, the shapes of the parameters
  std::vector<double> step_ms;  ///< step_ms[i]: wall-clock milliseconds of step i's backward
};

/// @brief Runs every step of `plan` on the CPU reference ops; x: [N, ...] of the plan's per-image input shape.
template <typename T>
Activations<T> reference_forward(const Plan& plan, const Parameters<T>& parameters, Tensor<T> x,
                                 const RunOptions& options);

/// @brief Step `index` of `plan` alone on the CPU reference ops: its output for the input x, as reference_forward
/// computes it (e.g. on another backend's input to that step, to compare the two like with like).
template <typename T>
Tensor<T> reference_step_forward(const Plan& plan, std::size_t index, const Tensor<T>& x,
                                 const Parameters<T>& parameters, const RunOptions& options);

/// @brief Called by a backward pass with one layer's gradients as soon as they are final, the last layer first: where
/// a data-parallel run starts averaging them over its processes while the earlier layers' backward runs (chapter
/// 17). It may change them in place; the pass returns them as they are after its last call.
template <typename T>
using GradientsReady = std::function<void(LayerTensors<T>& layer)>;

/// @brief Runs the steps backward from grad_logits = ∂L/∂logits, reusing the forward's activations; `ready` (if
/// given) is called with each layer's gradients as they become final.
template <typename T>
Gradients<T> reference_backward(const Plan& plan, const Parameters<T>& parameters, const Activations<T>& forward,
                                const Tensor<T>& grad_logits, const RunOptions& options,
                                const GradientsReady<T>& ready = {});

/// @brief Moves every batch normalization's running statistics in `parameters` towards the batch statistics a
/// training-mode forward recorded (PyTorch's update: momentum 0.1, the unbiased variance); a test-mode forward
/// recorded none, and nothing changes.
template <typename T>
void update_running_statistics(const Plan& plan, const Activations<T>& forward, Parameters<T>& parameters);

/// @brief Throws std::invalid_argument naming what was expected unless x is [N, ...] of the plan's per-image input.
void require_network_input(const Plan& plan, const Shape& x);

}  // namespace alexnet
