/// @file maxpool2d.cuh
/// @brief Max-pooling on the GPU, forward and backward; checked against reference_cpu/maxpool2d.hpp.
///
/// Both kernels find a window's arg-max with the CPU's rules (reference_cpu/maxpool2d.hpp):
/// the first NaN in row-major order if the window holds one, else the first maximum
/// (strict `>`), so CPU and GPU output the same NaNs and route the gradient of a tie
/// or a NaN to the same element. The backward is a *gather*: one thread per input element sums
/// the gradients of the few windows whose arg-max it is. No two threads write the
/// same address, so no atomics are needed and the result is deterministic (it adds
/// in the CPU loop's order and matches it bit for bit). A *scatter* (one thread
/// per window, atomicAdd into grad_x) would add overlapping windows' gradients in
/// a run-dependent order.
#pragma once

#include "cuda/context.cuh"
#include "cuda/device_tensor.cuh"
#include "reference_cpu/maxpool2d.hpp"

namespace alexnet::cuda {

/// @brief y = max over each K×K window of x (one thread per output); y must be [N, C, H_out, W_out].
void maxpool2d_forward(const Context& context, const DeviceTensorF& x, Pool2dParams params, DeviceTensorF& y);

/// @brief grad_x[e] = Σ grad_y over the windows whose arg-max is e (one thread per input element, gather).
void maxpool2d_backward(const Context& context, const DeviceTensorF& x, const DeviceTensorF& grad_y,
                        Pool2dParams params, DeviceTensorF& grad_x);

}  // namespace alexnet::cuda
