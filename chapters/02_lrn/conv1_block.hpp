// The CONV1 block's data for the demo and the benchmark: the input of LRN1 for a
// batch of 2, its shape from the layer table, random post-ReLU activations and gradients.
#pragma once

#include "reference_cpu/layer_table.hpp"
#include "reference_cpu/random.hpp"

namespace alexnet {

// Images per batch in the demo and the benchmark.
constexpr std::int64_t kConv1BlockBatch = 2;

// [batch, C, H, W] of LRN1's input (CONV1's output after the ReLU), from the layer table.
inline Shape lrn1_input_shape() {
  Shape shape = summarize_layer(alexnet_two_tower(), "lrn1").input;
  shape.insert(shape.begin(), kConv1BlockBatch);
  return shape;
}

// U[0, 100): non-negative like ReLU outputs, and large enough that alpha·Σa² is
// comparable to k, so LRN visibly normalizes (at a fresh network's RMS of about 8 it is
// nearly a / k^beta; test_activation_scale.cpp measures it).
inline TensorF random_activations(const Shape& shape, std::uint64_t stream) {
  TensorF x(shape);
  fill_uniform(x, 2012, stream, 0.0, 100.0);
  return x;
}

// An upstream gradient U[-1, 1) for the backward passes.
inline TensorF random_gradient(const Shape& shape, std::uint64_t stream) {
  TensorF g(shape);
  fill_uniform(g, 2012, stream, -1.0, 1.0);
  return g;
}

}  // namespace alexnet
