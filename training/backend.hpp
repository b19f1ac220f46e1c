/// @file backend.hpp
/// @brief Where a training run computes: one interface over the three backends — the naive
/// CPU loops (reference), the fast CPU backend (cpu) and the two-tower CUDA executor (cuda) —
/// so the training loop is written once. Each holds the weights and SGD's velocity.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "network/cpu_network.hpp"
#include "network/gpu_options.hpp"
#include "network/plan.hpp"
#include "reference_cpu/sgd.hpp"
#include "training/workers.hpp"

namespace alexnet {

/// @brief A network being trained on one backend: forward, backward, the SGD step, and its state.
class TrainingBackend {
 public:
  virtual ~TrainingBackend() = default;
  /// @brief The logits [N, classes] of a batch x [N, C, H, W]; training or test mode as `options` says.
  virtual TensorF forward(const TensorF& x, const RunOptions& options) = 0;
  /// @brief ∂L/∂(every parameter) of the last forward from ∂L/∂logits, kept for sgd_step.
  virtual void backward(const TensorF& grad_logits, const RunOptions& options) = 0;
  /// @brief From now on backward() leaves every gradient summed over `workers`' processes (a data-parallel run,
  /// chapter 17): the CPU backends hand each layer's to Workers::summed_gradients as soon as it is final, the CUDA
  /// backend sums all of them on its GPU with Workers::device_sum (NCCL) once its backward is done.
  virtual void share_gradients(Workers& workers) = 0;
  /// @brief Replaces every batch normalization's running statistics by those in `from` (the data-parallel
  /// processes' average, chapter 17); the weights stay.
  virtual void set_running_statistics(const Parameters<float>& from) = 0;
  /// @brief The paper's update of every weight and bias with the last backward's gradients.
  virtual void sgd_step(double learning_rate, SgdParams params) = 0;
  /// @brief The weights and biases now (whole-layer layout, as `alexnet init` writes them).
  virtual Parameters<float> parameters() const = 0;
  /// @brief SGD's velocity of every weight and bias now.
  virtual Parameters<float> velocity() const = 0;
  /// @brief The backend in words: "fast CPU (2 threads, OpenBLAS ...)".
  virtual std::string description() const = 0;
  /// @brief How many batches a background thread prepares ahead while this backend computes (BatchQueue's depth):
  /// 2 for the GPUs; 0 for the CPU backends, whose threads take every core — the batch is then prepared between
  /// steps (3.5 ms for the mini network's 128 images, against 2.5 times slower steps with a thread competing).
  virtual std::size_t batches_ahead() const = 0;
};

/// @brief The backends a run may name: "reference", "cpu" and, when built with CUDA, "cuda".
std::vector<std::string> training_device_names();

/// @brief A backend holding `parameters` and `velocity` (zero tensors for a new run); `gpus` places the towers
/// and `gpu_options` chooses their kernels (device "cuda" only; gpus empty: both towers on device 0, or on 0 and
/// 1 when there are two GPUs).
std::unique_ptr<TrainingBackend> make_training_backend(const std::string& device, const Plan& plan,
                                                       Parameters<float> parameters, Parameters<float> velocity,
                                                       std::vector<int> gpus = {}, GpuOptions gpu_options = {});

}  // namespace alexnet
