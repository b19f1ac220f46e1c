/// @file plan.hpp
/// @brief The one place where the layer table becomes ops: a NetworkSpec turned into a
/// plan of steps (convolution, ReLU, LRN, max-pooling, flatten, linear, dropout, batch and group
/// normalization), each
/// with its op parameters and per-image output shape, and the network's parameters
/// allocated, initialised, counted, saved and loaded.
///
/// A step is a variant of per-kind structs. A backend runs a step by visiting it with one
/// overload per kind: a backend that lacks a kind does not compile.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "reference_cpu/batchnorm2d.hpp"
#include "reference_cpu/conv2d.hpp"
#include "reference_cpu/dropout.hpp"
#include "reference_cpu/groupnorm.hpp"
#include "reference_cpu/layer_table.hpp"
#include "reference_cpu/lrn.hpp"
#include "reference_cpu/maxpool2d.hpp"
#include "reference_cpu/tensor.hpp"

namespace alexnet {

/// @brief y = conv2d(x, weight) + bias with the parameters of layer `parameters`.
struct ConvolutionStep {
  Conv2dParams params;  ///< stride, padding, groups
  int parameters;       ///< index into the network's parameters
};
/// @brief y = max(0, x).
struct ReluStep {};
/// @brief Local response normalization across channels.
struct LrnStep {
  LrnParams params;  ///< size, k, α, β, towers
};
/// @brief Overlapping max-pooling.
struct MaxPoolStep {
  Pool2dParams params;  ///< window and stride
};
/// @brief [N, C, H, W] → [N, C·H·W] before the first fully connected layer.
struct FlattenStep {};
/// @brief y = x·Wᵀ + b with the parameters of layer `parameters`.
struct LinearStep {
  int parameters;  ///< index into the network's parameters
};
/// @brief Inverted dropout while training; the identity at test time.
struct DropoutStep {
  double p;                   ///< probability of dropping a unit
  std::uint32_t layer_tag;    ///< from the layer's name (dropout_layer_tag): the high half of its Philox streams
};

/// @brief Batch normalization with γ, β (weight, bias) and the running statistics of layer `parameters`:
/// the batch's statistics while training, the running ones at test time.
struct BatchNormStep {
  BatchNormParams params;  ///< ε, momentum
  int parameters;          ///< index into the network's parameters
};
/// @brief Group normalization with γ, β (weight, bias) of layer `parameters`; the same in training and at test time.
struct GroupNormStep {
  GroupNormParams params;  ///< groups, ε
  int parameters;          ///< index into the network's parameters
};

/// @brief What one step computes.
using StepOp = std::variant<ConvolutionStep, ReluStep, LrnStep, MaxPoolStep, FlattenStep, LinearStep, DropoutStep,
                            BatchNormStep, GroupNormStep>;

/// @brief A step of the plan: its op, a name for dumps and timings, its per-image output shape.
struct Step {
  std::string name;  ///< "conv1", "relu1", "lrn1", "pool1", ..., "flatten", "fc6", "relu6", "drop6", ..., "fc8"
  StepOp op;         ///< what it computes
  Shape output;      ///< per-image output shape ([C, H, W] or [F])
};

/// @brief The index into the network's parameters of what `step` learns (a convolution, a linear layer, a
/// normalization's γ and β), or −1 for a step that learns nothing.
int step_parameters(const Step& step);

/// @brief The learned tensors of one layer, under the names PyTorch's state_dict gives them.
template <typename T>
struct LayerTensors {
  std::string name;  ///< the layer: "conv1", ..., "fc8" (files conv1.weight.npy, conv1.bias.npy)
  Tensor<T> weight;  ///< [C_out, C_in/groups, K, K], [out, in] or a normalization's γ [C]
  Tensor<T> bias;    ///< [C_out], [out] or β [C]
  // A batch normalization's running statistics (buffers, not parameters: no gradient, no SGD, not counted);
  // empty for every other kind. They travel with the weights, as in PyTorch's state_dict.
  Tensor<T> running_mean{};  ///< a batch normalization's running mean [C] (files bn1.running_mean.npy, ...)
  Tensor<T> running_var{};   ///< its running (unbiased) variance [C]
};

/// @brief Every learned tensor of a network, in plan order.
template <typename T>
using Parameters = std::vector<LayerTensors<T>>;

/// @brief A network as steps: built from a NetworkSpec by make_plan.
struct Plan {
  NetworkSpec spec;                  ///< the layer table it came from
  std::vector<Step> steps;           ///< in order, input to logits
  std::vector<LayerSummary> layers;  ///< the rows with their shapes (parameters[i] belongs to a row)
  std::vector<int> parameter_rows;   ///< parameters[i] belongs to layers[parameter_rows[i]]
};

/// @brief Turns every row of `spec` into steps: a convolution and its ReLU, an LRN, a pool,
/// flatten before a fully connected layer whose input is maps, a linear layer, its ReLU and dropout.
Plan make_plan(const NetworkSpec& spec);

/// @brief The row `layer` of `network` and the rows without parameters that follow it (LRN, pooling), as a
/// network of their own whose input is that row's: one block of the paper, e.g. conv1 → lrn1 → pool1, or fc7.
/// Its plan runs the block alone: `make_plan(layer_block(alexnet_two_tower(), "conv2"))`.
NetworkSpec layer_block(const NetworkSpec& network, const std::string& layer);

/// @brief The stride, padding and groups of a convolution row; throws std::invalid_argument for another kind.
Conv2dParams conv2d_params(const LayerSpec& layer);

/// @brief The size, k, α, β and towers of an LRN row; throws std::invalid_argument for another kind.
LrnParams lrn_params(const LayerSpec& layer);

/// @brief The window and stride of a max-pooling row; throws std::invalid_argument for another kind.
Pool2dParams pool2d_params(const LayerSpec& layer);

/// @brief The high 32 bits of name_stream(name): the dropout after layer `name` draws from streams
/// tag·2³² + training step. make_plan() refuses a network whose dropout layers' tags coincide.
std::uint32_t dropout_layer_tag(const std::string& name);

/// @brief The dropout of step `step` at training step `training_step` of the run with seed `seed`:
/// key purpose_seed(seed, Dropout), stream layer_tag·2³² + training_step. FC6 and FC7 never share a
/// mask, each step draws a new one, and no mask shares a key with the initial weights (or with
/// augmentation or shuffling). `first_unit`: the whole batch's index of the tensor's unit 0 (a data-parallel
/// share's, chapter 17). Throws std::invalid_argument once training_step reaches 2³².
DropoutParams dropout_params(const DropoutStep& step, std::uint64_t seed, std::uint64_t training_step, bool training,
                             std::uint64_t first_unit = 0);

/// @brief Every layer's weight and bias, allocated and zero, and each batch normalization's running statistics
/// as PyTorch starts them (mean 0, variance 1): the shapes the plan needs.
Parameters<float> allocate_parameters(const Plan& plan);

/// @brief The initialisation of every layer: weights drawn under key purpose_seed(seed, Initialisation) from
/// stream name_stream(layer name) — so a layer's initial weights depend on its name and shape, not on its row —, drawn as
/// the spec's weight_init says (the paper's N(0, 0.01²), or He's fan-in scaling for the mini network), biases the
/// row's initial_bias (1 in CONV2, CONV4, CONV5, FC6, FC7, else 0); normalizations γ = 1, β = 0, running mean 0
/// and variance 1.
Parameters<float> initial_parameters(const Plan& plan, std::uint64_t seed);

/// @brief The parameters converted to another scalar type (e.g. double for gradient checks).
template <typename To, typename From>
Parameters<To> convert_parameters(const Parameters<From>& parameters);

/// @brief Number of learned values (weights and biases of every layer; running statistics are not counted).
template <typename T>
std::int64_t count_parameters(const Parameters<T>& parameters);

/// @brief Writes `<dir>/<layer>.weight.npy` and `<layer>.bias.npy` for every layer, and `<layer>.running_mean.npy`,
/// `<layer>.running_var.npy` for a batch normalization (dir must exist); each file is written under a temporary
/// name and renamed.
void save_parameters(const std::string& dir, const Parameters<float>& parameters);

/// @brief Reads the files save_parameters writes (the running statistics of the plan's batch normalizations
/// too); throws naming the file when one is missing, unreadable or of the wrong shape for `plan`.
Parameters<float> load_parameters(const std::string& dir, const Plan& plan);

}  // namespace alexnet
