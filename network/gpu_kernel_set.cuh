/// @file gpu_kernel_set.cuh
/// @brief The kernel sets of the CUDA executor (chapter 15): which implementation runs a tower's convolutions,
/// fully connected layers and LRN — the fast path on cuBLAS (chapter 15), the course's own implicit-GEMM
/// convolution and SGEMM (chapter 16), or the first kernels of chapters 01–09 — chosen once per run. Each set
/// owns what it needs on its tower's device (a cuBLAS handle, a workspace) and allocates it
/// the first time a batch size needs it, never again for that size. Included by cuda_network.cu only.
#pragma once

#include <memory>

#include "cuda/context.cuh"
#include "cuda/device_tensor.cuh"
#include "network/cuda_network.cuh"
#include "reference_cpu/conv2d.hpp"
#include "reference_cpu/lrn.hpp"

namespace alexnet {

/// @brief `tensor` made a tensor of `shape` on `device`: kept as it is when it already is one (its values stay),
/// else allocated — so that only the first step of a batch size allocates.
void keep_or_allocate(DeviceTensorF& tensor, const Shape& shape, int device);

/// @brief One tower's convolutions, fully connected layers and LRN, with the signatures of the ops in cuda/.
class TowerKernels {
 public:
  virtual ~TowerKernels() = default;
  /// @brief y = conv2d(x, weight) + bias.
  virtual void conv2d_forward(const cuda::Context& context, const DeviceTensorF& x, const DeviceTensorF& weight,
                              const DeviceTensorF& bias, Conv2dParams params, DeviceTensorF& y) = 0;
  /// @brief The convolution's gradients; grad_x nullptr when nobody needs ∂L/∂x (the first layer).
  virtual void conv2d_backward(const cuda::Context& context, const DeviceTensorF& x, const DeviceTensorF& weight,
                               const DeviceTensorF& grad_y, Conv2dParams params, DeviceTensorF* grad_x,
                               DeviceTensorF& grad_weight, DeviceTensorF& grad_bias, cuda::GradientMode mode) = 0;
  /// @brief y = x·Wᵀ + b.
  virtual void linear_forward(const cuda::Context& context, const DeviceTensorF& x, const DeviceTensorF& weight,
                              const DeviceTensorF& bias, DeviceTensorF& y) = 0;
  /// @brief The fully connected layer's gradients.
  virtual void linear_backward(const cuda::Context& context, const DeviceTensorF& x, const DeviceTensorF& weight,
                               const DeviceTensorF& grad_y, DeviceTensorF& grad_x, DeviceTensorF& grad_weight,
                               DeviceTensorF& grad_bias, cuda::GradientMode mode) = 0;
  /// @brief y = x / (k + α·Σ_window x²)^β.
  virtual void lrn_forward(const cuda::Context& context, const DeviceTensorF& x, LrnParams params,
                           DeviceTensorF& y) = 0;
  /// @brief LRN's ∂x.
  virtual void lrn_backward(const cuda::Context& context, const DeviceTensorF& x, const DeviceTensorF& grad_y,
                            LrnParams params, DeviceTensorF& grad_x) = 0;
};

/// @brief The kernel set `options` names, for a tower on `device`.
std::unique_ptr<TowerKernels> make_tower_kernels(const GpuOptions& options, int device);

}  // namespace alexnet
