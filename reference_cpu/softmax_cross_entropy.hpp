/// @file softmax_cross_entropy.hpp
/// @brief Softmax over FC8's 1000 outputs, the cross-entropy loss with its fused backward,
/// and top-1 / top-5 accuracy: the CPU reference.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "reference_cpu/tensor.hpp"

namespace alexnet::cpu {

/// @brief p[n, k] = exp(z[n, k] − m_n) / Σ_j exp(z[n, j] − m_n) with m_n = max_j z[n, j], for logits z [N, K].
///
/// Subtracting the row's maximum changes nothing mathematically (it cancels in
/// the ratio) but keeps every exponent ≤ 0, so exp never overflows.
template <typename T>
Tensor<T> softmax_forward(const Tensor<T>& logits);

/// @brief Mean over the batch of −log softmax(z)[n, label_n], computed as log Σ_j exp(z_nj − m_n) − (z_n,label − m_n).
template <typename T>
T softmax_cross_entropy_forward(const Tensor<T>& logits, const std::vector<std::int64_t>& labels);

/// @brief The fused gradient of the mean loss with respect to the logits, (p − one_hot(label)) / N, from the
/// probabilities p = softmax_forward(logits) [N, K] of the forward pass (as alexnet::cuda's).
///
/// Taking p rather than the logits spares the backward a second softmax: the forward
/// pass has computed it already.
template <typename T>
Tensor<T> softmax_cross_entropy_backward(const Tensor<T>& probabilities, const std::vector<std::int64_t>& labels);

/// @brief Fraction of rows whose label is among the k largest logits (ties count for the label).
///
/// The label is in the top k when fewer than k classes have a strictly larger
/// logit. top_k_accuracy(z, labels, 1) is top-1, with k = 5 the paper's top-5.
template <typename T>
double top_k_accuracy(const Tensor<T>& logits, const std::vector<std::int64_t>& labels, int k);

/// @brief Throws std::invalid_argument naming `op` unless there is one label per row and each lies in [0, K).
void check_labels(const std::string& op, const std::vector<std::int64_t>& labels, std::int64_t rows,
                  std::int64_t classes);

}  // namespace alexnet::cpu
