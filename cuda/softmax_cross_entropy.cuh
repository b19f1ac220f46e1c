/// @file softmax_cross_entropy.cuh
/// @brief Softmax and the cross-entropy loss on the GPU, forward and fused backward;
/// checked against reference_cpu/softmax_cross_entropy.hpp.
#pragma once

#include <cstdint>
#include <vector>

#include "cuda/context.cuh"
#include "cuda/device_tensor.cuh"

namespace alexnet::cuda {

/// @brief Labels checked on the host (one per row, each in [0, classes)), uploaded as a [N] tensor on context.device.
DeviceTensor<std::int64_t> upload_labels(const Context& context, const std::vector<std::int64_t>& labels,
                                         std::int64_t classes);

/// @brief probabilities [N, K] = softmax of each row of logits [N, K] (max subtracted; one block per row).
void softmax_forward(const Context& context, const DeviceTensorF& logits, DeviceTensorF& probabilities);

/// @brief Softmax of the logits and the mean cross-entropy loss[0] = (1/N) Σ_n −log p[n, label_n]; loss has shape [1].
///
/// The rows add their losses with atomicAdd, in no fixed order: the last bits of
/// the loss may differ between runs (the gradient does not depend on it). A label
/// outside [0, K) — possible only when the labels did not come from upload_labels —
/// makes the loss NaN rather than reading out of bounds.
void softmax_cross_entropy_forward(const Context& context, const DeviceTensorF& logits,
                                   const DeviceTensor<std::int64_t>& labels, DeviceTensorF& probabilities,
                                   DeviceTensorF& loss);

/// @brief grad_logits = (probabilities − one_hot(labels)) / N, from the probabilities of the forward pass
/// (as alexnet::cpu::softmax_cross_entropy_backward).
void softmax_cross_entropy_backward(const Context& context, const DeviceTensorF& probabilities,
                                    const DeviceTensor<std::int64_t>& labels, DeviceTensorF& grad_logits);

}  // namespace alexnet::cuda
