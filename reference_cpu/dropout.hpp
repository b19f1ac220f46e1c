/// @file dropout.hpp
/// @brief Dropout (p = 0.5 after FC6 and FC7): inverted dropout with masks from the
/// counter-based generator, so the CPU and the GPU drop the same units.
///
/// **Which dropout.** The paper zeroes each hidden unit with probability 0.5 while
/// training and multiplies the outputs by 0.5 at test time. This code does
/// *inverted* dropout: kept units are multiplied by 1/(1 − p) while training and
/// the layer is the identity at test time. In both schemes the expected training
/// output equals the test output (x in ours, 0.5·x in the paper's), and for the
/// same mask our output is the paper's divided by (1 − p) — a network trained one
/// way is the other with the next layer's weights scaled by 1/(1 − p).
///
/// **Which mask.** Unit i (flat index into the tensor) is kept when word i mod 4 of
/// the Philox block `random_block(seed, step, ⌊i/4⌋)`, as a uniform float, is ≥ p: one
/// block of four 32-bit words serves four units (as cuRAND's `curand_uniform4` does).
/// The seed names the run, the training step is the Philox stream, so every step draws
/// a fresh mask and any step's mask can be recomputed — by the backward pass, or by the
/// GPU, bit for bit.
#pragma once

#include <cstdint>

#include "reference_cpu/host_device.hpp"
#include "reference_cpu/random.hpp"
#include "reference_cpu/tensor.hpp"

namespace alexnet {

/// @brief What one dropout layer does at one step.
struct DropoutParams {
  double p = 0.5;           ///< probability of dropping a unit, 0 ≤ p < 1 (the paper's 0.5)
  std::uint64_t seed = 0;   ///< the run's seed (give FC6 and FC7 different seeds)
  std::uint64_t step = 0;   ///< training step: the Philox stream, so each step draws a new mask
  bool training = true;     ///< false: the identity (test time)
  std::uint64_t first_unit = 0;  ///< the whole batch's index of this tensor's unit 0: a data-parallel process
                                 ///< holding images r·n… draws units r·n·(units per image)… (chapter 17)
};

/// @brief Whether a unit whose word of its Philox block is `bits` survives: the word, mapped to [0, 1) by
/// bits_to_unit_float, is ≥ p.
ALEXNET_HD bool dropout_keeps_word(const DropoutParams& params, std::uint32_t bits) {
  return static_cast<double>(bits_to_unit_float(bits)) >= params.p;
}

/// @brief True when unit `index` survives (CPU and GPU alike): with u = first_unit + index, its word is word
/// u mod 4 of random_block(seed, step, ⌊u/4⌋).
ALEXNET_HD bool dropout_keeps(const DropoutParams& params, std::uint64_t index) {
  const std::uint64_t unit = params.first_unit + index;
  return dropout_keeps_word(params, random_block(params.seed, params.step, unit / 4).word[unit % 4]);
}

/// @brief The factor 1/(1 − p) applied to kept units while training (2 for p = 0.5).
ALEXNET_HD float dropout_scale(const DropoutParams& params) { return static_cast<float>(1.0 / (1.0 - params.p)); }

/// @brief Throws std::invalid_argument naming `op` unless 0 ≤ p < 1.
void check_dropout_params(const std::string& op, const DropoutParams& params);

}  // namespace alexnet

namespace alexnet::cpu {

/// @brief Training: y[i] = x[i]·1/(1 − p) if unit i is kept, else 0; test time: y = x. Any shape.
template <typename T>
Tensor<T> dropout_forward(const Tensor<T>& x, const DropoutParams& params);

/// @brief grad_x = grad_y masked and scaled by the same mask (recomputed from seed and step); identity at test time.
template <typename T>
Tensor<T> dropout_backward(const Tensor<T>& grad_y, const DropoutParams& params);

}  // namespace alexnet::cpu
