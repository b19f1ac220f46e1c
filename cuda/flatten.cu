#include "cuda/flatten.cuh"

#include "reference_cpu/flatten.hpp"

namespace alexnet::cuda {

// Flattening [N, C, H, W] in C·H·W order keeps every value where it is in memory
// (alexnet::cpu::flatten_forward spells out the index arithmetic), so no kernel is needed.
void flatten_forward(const Context& context, const DeviceTensorF& x, DeviceTensorF& y) {
  const ScopedDevice device = use_device(context, "cuda::flatten_forward", {{"x", x}, {"y", y}});
  require_shape("cuda::flatten_forward", "y", cpu::flattened_shape("cuda::flatten_forward", x.shape()), y.shape());
  if (x.bytes() == 0) return;
  CUDA_CHECK(cudaMemcpyAsync(y.data(), x.data(), x.bytes(), cudaMemcpyDeviceToDevice, context.stream));
}

void flatten_backward(const Context& context, const DeviceTensorF& grad_y, DeviceTensorF& grad_x) {
  const ScopedDevice device = use_device(context, "cuda::flatten_backward", {{"grad_y", grad_y}, {"grad_x", grad_x}});
  require_shape("cuda::flatten_backward", "grad_y", cpu::flattened_shape("cuda::flatten_backward", grad_x.shape()),
                grad_y.shape());
  if (grad_y.bytes() == 0) return;
  CUDA_CHECK(cudaMemcpyAsync(grad_x.data(), grad_y.data(), grad_y.bytes(), cudaMemcpyDeviceToDevice, context.stream));
}

}  // namespace alexnet::cuda
