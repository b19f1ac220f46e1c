/// @file random.cuh
/// @brief The counter-based generator of reference_cpu/random.hpp, filling device tensors.
#pragma once

#include <cstdint>

#include "cuda/context.cuh"
#include "cuda/device_tensor.cuh"

namespace alexnet::cuda {

/// @brief Element i gets low + (high − low)·random_uniform(seed, stream, i): the CPU's numbers, bit for bit.
///
/// `stream` numbers a sequence of the generator (as in alexnet::fill_uniform), not a CUDA stream:
/// the work is queued on context.stream. The tensor comes first, as in the CPU's fill_uniform.
void fill_uniform(const Context& context, DeviceTensorF& t, std::uint64_t seed, std::uint64_t stream, float low,
                  float high);

/// @brief Element i gets mean + stddev·random_normal(seed, stream, i) (to within an ulp of the CPU's libm).
void fill_normal(const Context& context, DeviceTensorF& t, std::uint64_t seed, std::uint64_t stream, float mean,
                 float stddev);

}  // namespace alexnet::cuda
