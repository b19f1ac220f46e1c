/// @file cuda_network.cuh
/// @brief The two-tower executor: the paper's network on CUDA, tower t on device gpus[t],
/// each tower on a stream of its own, exchanging activations where the towers join
/// (CONV3, FC6, FC7, FC8) and gradients back, as Krizhevsky's two GPUs did.
///
/// Each tower holds its half of every split layer (output rows t·out/2 … (t+1)·out/2 − 1 of
/// the weights) and computes its half of the outputs. A step that reads both towers' maps
/// (a convolution with groups = 1, a fully connected layer, dropout over the whole layer)
/// first **joins** its input: every tower gathers the other towers' channels with peer
/// copies, ordered after their producer by an event. FC8 (not split) runs on tower 0 only.
/// Backward, the gradient a tower computes for a joined input holds a part for every
/// tower's channels: each tower gathers its own channels' parts from every tower and adds
/// them (∂L/∂x is the sum over the consumers). The same code runs with both towers on one
/// device: a peer copy to the same device is a device-to-device copy.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "network/cpu_network.hpp"
#include "network/gpu_options.hpp"
#include "network/plan.hpp"
#include "reference_cpu/sgd.hpp"

namespace alexnet {

/// @brief The devices of the towers: `gpus` when given, else one device per tower when there are enough GPUs,
/// else every tower on device 0; throws std::runtime_error when no GPU is usable.
std::vector<int> tower_devices(const Plan& plan, std::vector<int> gpus);

/// @brief The whole network on one or more CUDA devices, one tower per entry of `gpus`.
class CudaNetwork {
 public:
  /// @brief Uploads each tower's share of `parameters` to gpus[t]: one device per tower of the plan
  /// ({0, 1}: the paper's two GPUs; {0, 0}: both towers on device 0), or a single device ({0}) for
  /// the one-device form, where the towers are the groups of grouped convolutions. `options` chooses the kernels.
  CudaNetwork(const Plan& plan, const Parameters<float>& parameters, std::vector<int> gpus,
              GpuOptions options = {});
  ~CudaNetwork();
  CudaNetwork(const CudaNetwork&) = delete;
  CudaNetwork& operator=(const CudaNetwork&) = delete;

  /// @brief Runs every step on a batch x [N, ...] of the plan's input; returns the last step's output
  /// (the logits; waits for the GPUs). In training mode each batch normalization also updates its running
  /// statistics on the GPUs (PyTorch's update), which parameters() then returns.
  TensorF forward(const TensorF& x, const RunOptions& options);

  /// @brief Backward from ∂L/∂logits after forward(): ∂L/∂x and every parameter's gradient, kept on the GPUs.
  void backward(const TensorF& grad_logits, const RunOptions& options);

  /// @brief The last backward's ∂L/∂x (zeros after set_input_gradient(false)) and parameter gradients, downloaded
  /// in whole-layer layout.
  Gradients<float> gradients() const;

  /// @brief The paper's update of every tower's share with the last backward's gradients, on the GPUs.
  void sgd_step(double learning_rate, SgdParams params);

  /// @brief The weights and biases, and the batch normalizations' running statistics, downloaded in whole-layer
  /// layout (e.g. for a checkpoint).
  Parameters<float> parameters() const;

  /// @brief SGD's velocity of every weight and bias, downloaded in whole-layer layout (zero before the first step);
  /// a batch normalization's running statistics have none and come as allocate_parameters makes them.
  Parameters<float> velocity() const;

  /// @brief Uploads a velocity saved by velocity() (resuming a run).
  void set_velocity(const Parameters<float>& velocity);

  /// @brief Uploads every batch normalization's running statistics from `parameters` (the data-parallel processes'
  /// average, chapter 17); the weights stay.
  void set_running_statistics(const Parameters<float>& parameters);

  /// @brief Calls `visit(values, count)` with every tower's weight and bias gradients of the last backward, in
  /// device memory and final (backward waited for the GPUs): a data-parallel run sums them over its processes
  /// before sgd_step reads them (chapter 17). The same order on every process that runs the same plan on as many
  /// towers.
  void for_each_gradient(const std::function<void(float* values, std::size_t count)>& visit);

  /// @brief Step i's output of the last forward, both towers joined: the layout of the CPU's outputs[i].
  TensorF step_output(std::size_t i) const;

  /// @brief Bytes that crossed from one tower to another in the last forward (peer copies), per image.
  std::int64_t forward_bytes_crossed_per_image() const;

  /// @brief Whether backward() computes ∂L/∂x of the input batch (on by default; training turns it off: nothing
  /// uses the gradient of the images, and for the first layer it is the most expensive gradient of all).
  void set_input_gradient(bool on);

  /// @brief With timing on, forward() and backward() wait for the GPUs after every step and record its wall time.
  void set_step_timing(bool on);

  /// @brief Milliseconds each step of the last timed forward took (empty when timing is off).
  const std::vector<double>& step_ms() const;

  /// @brief Milliseconds each step's backward took in the last timed backward (zeros when timing is off).
  const std::vector<double>& backward_step_ms() const;

  /// @brief One step's work on one tower's stream, as CUDA events saw it: from when the stream reached the step
  /// (its joins' waits and copies included) to when the step's last kernel ended, in milliseconds since the
  /// stream started the pass.
  struct TimelineSpan {
    std::string step;  ///< "conv1", ...
    bool backward;     ///< false: the forward
    int tower;         ///< 0 or 1
    double start_ms;   ///< when the stream reached the step
    double end_ms;     ///< when the step's last work on the stream ended
  };

  /// @brief With the timeline on, forward() and backward() record a CUDA event on each tower's stream before and
  /// after every step, without waiting in between, so the towers overlap as they do untimed; timeline() then holds
  /// the last forward's and backward's spans. Towers on different devices are timed from their own start events.
  void set_timeline(bool on);

  /// @brief The spans of the last forward and backward with the timeline on, forward first, in step order.
  const std::vector<TimelineSpan>& timeline() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace alexnet
