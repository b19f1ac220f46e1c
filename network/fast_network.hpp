/// @file fast_network.hpp
/// @brief The whole network on the fast CPU backend (chapter 13): the same steps as
/// reference_forward / reference_backward, on alexnet::fast's ops (im2col + SGEMM, OpenMP).
/// A library of its own (alexnet_fast_network), so that only what uses it links OpenBLAS.
#pragma once

#include "network/cpu_network.hpp"

namespace alexnet {

/// @brief The same forward on the fast CPU backend (alexnet::fast: im2col + SGEMM, OpenMP), in float.
Activations<float> fast_forward(const Plan& plan, const Parameters<float>& parameters, TensorF x,
                                const RunOptions& options);

/// @brief The same backward on the fast CPU backend.
Gradients<float> fast_backward(const Plan& plan, const Parameters<float>& parameters, const Activations<float>& forward,
                               const TensorF& grad_logits, const RunOptions& options,
                               const GradientsReady<float>& ready = {});

}  // namespace alexnet
