/// @file layer_table.hpp
/// @brief The network as data: one row per layer, from which every shape,
/// parameter count and multiply-add count is derived (never typed in).
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "reference_cpu/batchnorm2d.hpp"
#include "reference_cpu/conv2d.hpp"
#include "reference_cpu/groupnorm.hpp"
#include "reference_cpu/lrn.hpp"
#include "reference_cpu/maxpool2d.hpp"
#include "reference_cpu/tensor.hpp"
#include "reference_cpu/window.hpp"

namespace alexnet {

/// @brief A convolution row: `out_channels` kernels of kernel × kernel, weights [out, in/groups, K, K] + bias.
struct ConvolutionSpec {
  int out_channels;     ///< output maps
  int kernel;           ///< window side K
  Conv2dParams params;  ///< stride, padding, groups (2: a kernel sees only its own tower's maps)
};
/// @brief A local response normalization row: its window size, k, α, β and the towers its window stays inside.
struct LrnSpec {
  LrnParams params;  ///< size n, k, α, β, towers
};
/// @brief A max-pooling row.
struct MaxPoolSpec {
  Pool2dParams params;  ///< window side and stride
};
/// @brief A fully connected row: y = W·x + b on the flattened input, W [outputs, in].
struct FullyConnectedSpec {
  int outputs;  ///< output neurons
};
/// @brief A batch normalization row (chapter 14): γ, β per channel (the weight and bias), running mean and
/// variance as buffers; batch statistics while training, the running ones at test time.
struct BatchNormSpec {
  BatchNormParams params;  ///< ε, momentum (PyTorch's defaults)
};
/// @brief A group normalization row (chapter 14): statistics per image and group of C/G channels, γ, β per channel.
struct GroupNormSpec {
  GroupNormParams params;  ///< groups G, ε
};

/// @brief What a row of the layer table computes: one struct per kind, holding that kind's numbers only.
using LayerOp =
    std::variant<ConvolutionSpec, LrnSpec, MaxPoolSpec, FullyConnectedSpec, BatchNormSpec, GroupNormSpec>;

/// @brief One callable per kind for std::visit: `std::visit(Overloaded{[](const LrnSpec&) {...}, ...}, op)`.
template <class... Kinds>
struct Overloaded : Kinds... {
  using Kinds::operator()...;
};
/// @brief Deduces Overloaded's kinds from the lambdas.
template <class... Kinds>
Overloaded(Kinds...) -> Overloaded<Kinds...>;

/// @brief One row of the layer table.
struct LayerSpec {
  std::string name;             ///< "conv1", "lrn1", "pool1", ..., "fc8"
  LayerOp op;                   ///< what the layer computes, with its own numbers
  bool relu = false;            ///< a ReLU follows the layer
  bool dropout = false;         ///< dropout (p = 0.5) follows the layer while training
  bool split_in_towers = true;  ///< outputs are divided between the towers (false: FC8, computed whole)
  float initial_bias = 0.0f;    ///< the paper's bias initialisation: 1 for CONV2, CONV4, CONV5, FC6, FC7
};

/// @brief Short name of a row's kind: "conv", "lrn", "maxpool", "fc", "batchnorm", "groupnorm".
std::string kind_name(const LayerSpec& layer);

/// @brief The paper's initial weights are drawn from N(0, 0.01²): "a zero-mean Gaussian with standard deviation 0.01".
constexpr double kInitialWeightStddev = 0.01;

/// @brief How a network's initial weights are drawn.
enum class WeightInit {
  Paper,    ///< N(0, 0.01²) for every layer (§5): right for the full network, too small for a small one
  HeFanIn,  ///< N(0, 2/fan_in) with fan_in the inputs one kernel or neuron sees (He et al. 2015): keeps the signal's scale
};

/// @brief A network: its input (per image) and its rows, in order.
struct NetworkSpec {
  std::string name;                        ///< human-readable name for printing
  int towers = 1;                          ///< GPUs the paper splits it over (2 for the paper's network)
  Shape input;                             ///< per-image input shape {C, H, W}
  std::vector<LayerSpec> layers;           ///< the rows, input to output
  WeightInit weight_init = WeightInit::Paper;  ///< how initial_parameters() draws the weights
  /// The input is (pixel − training mean) · input_scale: 1 for the paper (§2: values of order ±100), 1/255 for a
  /// He-initialised network, whose initialisation assumes inputs of order 1.
  float input_scale = 1.0f;
  /// Side of the square the training images are resized to before a random input-sized crop is taken; 0: the
  /// paper's ratio, 256 for 227. The mini network takes its 32×32 input whole (32: reflections only, no crops).
  int image_side = 0;
};

/// @brief A convolution row (a ReLU follows): out_channels maps, kernel × kernel, stride, pad, groups.
LayerSpec conv(std::string name, int out_channels, int kernel, int stride, int pad, int groups, float initial_bias);
/// @brief An LRN row with the paper's n = 5, k = 2, α = 1e-4, β = 0.75, its window inside each of `towers` towers.
LayerSpec lrn(std::string name, int towers);
/// @brief An overlapping max-pooling row: 3×3 windows, stride 2.
LayerSpec pool(std::string name);
/// @brief A fully connected row; `hidden` adds ReLU and dropout, splits it over the towers and sets the bias to 1.
LayerSpec fully_connected(std::string name, int outputs, bool hidden);
/// @brief A batch normalization row with PyTorch's ε = 1e-5 and momentum 0.1 (no ReLU: set `relu` to add one).
LayerSpec batch_norm(std::string name);
/// @brief A group normalization row of `groups` groups, ε = 1e-5 (no ReLU: set `relu` to add one).
LayerSpec group_norm(std::string name, int groups);

/// @brief True for the normalizations with parameters, batch and group normalization (not LRN).
bool is_normalization(const LayerSpec& layer);

/// @brief The paper's network: two towers, 60,965,224 parameters.
NetworkSpec alexnet_two_tower();
/// @brief The same layers on one device without groups (CONV2/4/5 see all channels).
NetworkSpec alexnet_one_tower();
/// @brief torchvision's AlexNet: 64-192-384-256-256 maps, CONV1 pad 2, 224×224 input, no LRN.
NetworkSpec alexnet_torchvision();

/// @brief The paper's layer kinds, order and joins at a size a gradient check can afford (3@31×31, 4 maps).
NetworkSpec alexnet_tiny();

/// @brief The normalization of the mini network's convolutions (chapter 14's experiment).
enum class Normalization {
  Lrn,        ///< the paper's: LRN after CONV1 and CONV2 (after their ReLU)
  BatchNorm,  ///< no LRN; batch normalization after every convolution, before its ReLU (Ioffe & Szegedy)
  GroupNorm,  ///< the same places, group normalization with G = kMiniGroups
  None,       ///< no LRN and nothing in its place
};

/// @brief G of the mini network's group normalizations: 8 groups of 4 to 12 channels, 4 in each tower,
/// so that no group crosses the boundary between the two towers.
constexpr int kMiniGroups = 8;

/// @brief The paper's layer kinds, order, towers and joins at a size a CPU trains in minutes:
/// 3@32×32 input (Fashion-MNIST's 28×28), fewer maps, He's fan-in initialisation, inputs scaled by 1/255
/// (chapter 12); `normalization` replaces its LRN rows (chapter 14).
NetworkSpec alexnet_mini(Normalization normalization = Normalization::Lrn);

/// @brief Per-image output shape of a layer given its per-image input shape; throws on a mismatch.
Shape layer_output_shape(const LayerSpec& layer, const Shape& input);

/// @brief Number of learned parameters (weights + biases; γ + β = 2·C for a normalization, whose running
/// statistics are buffers, not parameters, as PyTorch counts them) of a layer.
std::int64_t layer_parameters(const LayerSpec& layer, const Shape& input);

/// @brief Multiply-adds of one image's forward pass through a layer (0 for LRN, pooling and normalizations).
std::int64_t layer_multiply_adds(const LayerSpec& layer, const Shape& input);

/// @brief Inputs one kernel or neuron sees: C_in/groups·K·K for a convolution, the flattened input for FC; else 0.
std::int64_t inputs_per_kernel(const LayerSpec& layer, const Shape& input);

/// @brief A layer with its derived numbers.
struct LayerSummary {
  LayerSpec spec;                  ///< the row itself
  Shape input;                     ///< per-image input shape
  Shape output;                    ///< per-image output shape
  std::int64_t parameters = 0;     ///< weights + biases
  std::int64_t multiply_adds = 0;  ///< forward multiply-adds per image
};

/// @brief Derives every layer's shapes, parameters and multiply-adds, in order.
std::vector<LayerSummary> summarize(const NetworkSpec& network);

/// @brief Sum of layer_parameters over the network.
std::int64_t total_parameters(const NetworkSpec& network);

/// @brief Sum of layer_multiply_adds over the network (one image, forward).
std::int64_t total_multiply_adds(const NetworkSpec& network);

/// @brief Weight shape of a convolution [C_out, C_in/groups, K, K], an FC layer [out, in] or a batch or group
/// normalization [C] (γ); {} for the others.
Shape weight_shape(const LayerSpec& layer, const Shape& input);

/// @brief Learned tensors of one layer.
struct LayerParameters {
  TensorF weight;  ///< [C_out, C_in/groups, K, K], [out, in] or γ [C]
  TensorF bias;    ///< [C_out], [out] or β [C]
};

/// @brief Standard deviation of a layer's initial weights: 0.01 (the paper) or √(2 / fan_in) (He); 0 for a
/// normalization, whose γ starts at 1.
double initial_weight_stddev(const LayerSpec& layer, const Shape& input, WeightInit init);

/// @brief The initialisation of a layer: weights N(0, σ²) from Philox stream `stream` with σ = initial_weight_stddev
/// (the paper's 0.01 by default), biases `initial_bias`; a normalization's γ = 1 and β = 0 (PyTorch's).
LayerParameters initial_parameters(const LayerSpec& layer, const Shape& input, std::uint64_t seed,
                                   std::uint64_t stream, WeightInit init = WeightInit::Paper);

/// @brief The row named `name`; throws std::invalid_argument if there is none.
const LayerSpec& find_layer(const NetworkSpec& network, const std::string& name);

/// @brief Summary of the layer named `name`; throws std::invalid_argument if there is none.
LayerSummary summarize_layer(const NetworkSpec& network, const std::string& name);

}  // namespace alexnet
