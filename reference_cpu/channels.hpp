/// @file channels.hpp
/// @brief Splitting a batch of feature maps (or feature vectors) into towers and joining them again.
///
/// In the two-GPU network tower t holds channels [t·C/2, (t+1)·C/2) of every
/// layer. Where the towers meet (CONV3, FC6) each one needs the other's maps:
/// the join is a concatenation along the channel axis.
#pragma once

#include <vector>

#include "reference_cpu/tensor.hpp"

namespace alexnet::cpu {

/// @brief Channels [begin, begin + count) of x: [N, C, H, W] -> [N, count, H, W] (or [N, F] -> [N, count]).
template <typename T>
Tensor<T> slice_channels(const Tensor<T>& x, std::int64_t begin, std::int64_t count);

/// @brief Concatenates along dimension 1: [N, C_0, H, W], [N, C_1, H, W], ... -> [N, ΣC_i, H, W] (also [N, F_i]).
template <typename T>
Tensor<T> concat_channels(const std::vector<Tensor<T>>& parts);

/// @brief Rows [begin, begin + count) along the first dimension of any tensor (e.g. output channels of a weight).
template <typename T>
Tensor<T> slice_rows(const Tensor<T>& x, std::int64_t begin, std::int64_t count);

/// @brief Concatenates along the first dimension: [R_0, ...], [R_1, ...] -> [R_0 + R_1, ...].
template <typename T>
Tensor<T> concat_rows(const std::vector<Tensor<T>>& parts);

/// @brief Tower t of `towers` equal channel groups: slice_channels(x, t·C/towers, C/towers).
template <typename T>
Tensor<T> tower_slice(const Tensor<T>& x, int tower, int towers);

}  // namespace alexnet::cpu
