/// @file window.hpp
/// @brief How many windows of a convolution or a pooling fit along one side of its input.
#pragma once

namespace alexnet {

/// @brief Output side of a convolution or pooling window: floor((W − K + 2P) / S) + 1.
int window_output_size(int input, int kernel, int stride, int pad);

/// @brief True when (W − K + 2P) is a multiple of S, so the windows tile the input exactly.
bool windows_fit_exactly(int input, int kernel, int stride, int pad);

}  // namespace alexnet
