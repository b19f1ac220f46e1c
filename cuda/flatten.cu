#include "cuda/flatten.cuh"

#include "reference_cpu/flatten.hpp"

namespace alexnet::cuda {

// Flattening [N, C, H, W] in C·H·W order keeps every value where it is in memory
// (alexnet::cpu::flatten_forward spells out the index arithmetic), so no kernel is needed.
void flatten_forward(const DeviceTensorF& x, DeviceTensorF& y) {
  require_shape("cuda::flatten_forward", "y", cpu::flattened_shape("cuda::flatten_forward", x.shape()), y.shape());
  if (x.bytes() > 0) CUDA_CHECK(cudaMemcpyAsync(y.data(), x.data(), x.bytes(), cudaMemcpyDeviceToDevice));
}

void flatten_backward(const DeviceTensorF& grad_y, DeviceTensorF& grad_x) {
  require_shape("cuda::flatten_backward", "grad_y", cpu::flattened_shape("cuda::flatten_backward", grad_x.shape()),
                grad_y.shape());
  if (grad_y.bytes() > 0) {
    CUDA_CHECK(cudaMemcpyAsync(grad_x.data(), grad_y.data(), grad_y.bytes(), cudaMemcpyDeviceToDevice));
  }
}

}  // namespace alexnet::cuda
