/// @file augment.cuh
/// @brief Random crops, reflections and colour shifts on the GPU; checked against reference_cpu/augment.hpp.
///
/// The parameters come from alexnet::draw_augment_params() on the host, so the
/// kernel makes exactly the crops, reflections and shifts the CPU loop makes.
#pragma once

#include <vector>

#include "cuda/context.cuh"
#include "cuda/device_tensor.cuh"
#include "reference_cpu/augment.hpp"

namespace alexnet::cuda {

/// @brief out[n] = crop (+ reflection) of images[n] plus its colour shift (one thread per output value).
///
/// Uploads `params` on context.stream and waits for the kernel before freeing them.
// images: [N, 3, S, S]  ->  out: [N, 3, crop_side, crop_side], allocated by the caller
void augment_batch(const Context& context, const DeviceTensorF& images, const std::vector<AugmentParams>& params,
                   int crop_side, DeviceTensorF& out);

}  // namespace alexnet::cuda
