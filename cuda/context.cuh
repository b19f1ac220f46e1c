/// @file context.cuh
/// @brief Where a CUDA op runs (Context: a device and a stream on it), the check that its tensors
/// live there, and whether a backward overwrites or adds into the gradient it is given.
///
/// Every op in cuda/ takes `const Context& context` first, then inputs, then parameters,
/// then outputs. An op checks that every tensor it touches lives on context.device, makes
/// that device current while it queues its work on context.stream (restoring the current
/// device before it returns), and returns without waiting for the work to finish.
#pragma once

#include <cuda_runtime.h>

#include <initializer_list>
#include <stdexcept>
#include <string>

#include "cuda/device_tensor.cuh"

namespace alexnet::cuda {

/// @brief Where a CUDA op runs: a device and a stream on it (nullptr = that device's default stream).
///
/// DeviceTensor's constructors and copies use the device's default stream. A stream made
/// with cudaStreamCreate waits for that work; one made with cudaStreamNonBlocking does not,
/// so synchronize before handing it freshly uploaded tensors.
struct Context {
  int device = 0;                 ///< the CUDA device the op runs on
  cudaStream_t stream = nullptr;  ///< a stream of `device`; nullptr = the device's default stream
};

/// @brief Whether a backward writes the input gradient it is given or adds into it.
enum class GradientMode {
  Overwrite,   ///< grad_x = ∂L/∂x
  Accumulate,  ///< grad_x += ∂L/∂x: where x feeds several consumers (the towers' joins), their parts add up
};

/// @brief A tensor an op touches, by the name its error messages use, and the device it lives on.
struct TensorOnDevice {
  /// @brief `tensor` under `tensor_name` ("x", "grad_y", ...).
  template <typename T>
  TensorOnDevice(const char* tensor_name, const DeviceTensor<T>& tensor)  // NOLINT: implicit, for {"x", x}
      : name(tensor_name), device(tensor.device()) {}
  const char* name;  ///< the argument's name
  int device;        ///< the device whose memory holds it
};

/// @brief Throws std::invalid_argument "op: x lives on device 1, but the op runs on device 0" for the
/// first tensor that is not on context.device.
inline void require_on_device(const Context& context, const std::string& op,
                              std::initializer_list<TensorOnDevice> tensors) {
  for (const TensorOnDevice& tensor : tensors) {
    if (tensor.device == context.device) continue;
    throw std::invalid_argument(op + ": " + tensor.name + " lives on device " + std::to_string(tensor.device) +
                                ", but the op runs on device " + std::to_string(context.device));
  }
}

/// @brief Checks that every tensor lives on context.device, then makes that device current until the
/// returned scope ends: `const ScopedDevice device = use_device(context, op, {{"x", x}, {"y", y}});`
inline ScopedDevice use_device(const Context& context, const std::string& op,
                               std::initializer_list<TensorOnDevice> tensors) {
  require_on_device(context, op, tensors);
  return ScopedDevice(context.device);
}

/// @brief Blocks until the work queued so far on context.stream has finished, throwing on a kernel error.
inline void synchronize(const Context& context) {
  const ScopedDevice device(context.device);
  CUDA_CHECK(cudaStreamSynchronize(context.stream));
}

}  // namespace alexnet::cuda
