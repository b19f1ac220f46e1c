#include "layer_table.hpp"

#include <cmath>
#include <stdexcept>

#include "reference_cpu/random.hpp"

namespace alexnet {

LayerSpec conv(std::string name, int out_channels, int kernel, int stride, int pad, int groups,
               float initial_bias) {
  LayerSpec layer{std::move(name), ConvolutionSpec{out_channels, kernel, Conv2dParams{stride, pad, groups}}};
  layer.relu = true;  // every convolution of AlexNet is followed by a ReLU
  layer.initial_bias = initial_bias;
  return layer;
}

LayerSpec lrn(std::string name, int towers) {
  // §3.3: "k = 2, n = 5, α = 10⁻⁴, and β = 0.75"
  return LayerSpec{std::move(name), LrnSpec{LrnParams{5, kPaperLrnK, kPaperLrnAlpha, kPaperLrnBeta, towers}}};
}

LayerSpec pool(std::string name) {
  return LayerSpec{std::move(name), MaxPoolSpec{Pool2dParams{3, 2}}};  // overlapping: 3×3 windows, stride 2
}

LayerSpec fully_connected(std::string name, int outputs, bool hidden) {
  LayerSpec layer{std::move(name), FullyConnectedSpec{outputs}};
  layer.relu = hidden;
  layer.dropout = hidden;
  layer.split_in_towers = hidden;  // FC8 is one 1000-way layer
  layer.initial_bias = hidden ? 1.0f : 0.0f;
  return layer;
}

LayerSpec batch_norm(std::string name) { return LayerSpec{std::move(name), BatchNormSpec{BatchNormParams{}}}; }

LayerSpec group_norm(std::string name, int groups) {
  return LayerSpec{std::move(name), GroupNormSpec{GroupNormParams{groups, 1e-5}}};
}

bool is_normalization(const LayerSpec& layer) {
  return std::holds_alternative<BatchNormSpec>(layer.op) || std::holds_alternative<GroupNormSpec>(layer.op);
}

namespace {

void require(bool condition, const LayerSpec& layer, const std::string& message) {
  if (!condition) throw std::invalid_argument(layer.name + ": " + message);
}

// The grouped layers read all channels instead: CONV2/4/5's kernels see every map, LRN's window crosses the towers.
void remove_groups(LayerSpec& layer) {
  if (auto* convolution = std::get_if<ConvolutionSpec>(&layer.op)) convolution->params.groups = 1;
  if (auto* normalization = std::get_if<LrnSpec>(&layer.op)) normalization->params.towers = 1;
}

Shape convolution_output_shape(const LayerSpec& layer, const ConvolutionSpec& c, const Shape& input) {
  const std::int64_t channels = input[0];
  const int groups = c.params.groups;
  require(channels % groups == 0 && c.out_channels % groups == 0, layer,
          "channels " + std::to_string(channels) + " -> " + std::to_string(c.out_channels) +
              " do not divide into " + std::to_string(groups) + " groups");
  return {c.out_channels, window_output_size(static_cast<int>(input[1]), c.kernel, c.params.stride, c.params.pad),
          window_output_size(static_cast<int>(input[2]), c.kernel, c.params.stride, c.params.pad)};
}

// The normalization row that follows convolution `conv` in a mini variant ("conv3" → "bn3" or "gn3"), with its ReLU.
LayerSpec normalization_after(const LayerSpec& conv, Normalization normalization) {
  const std::string number = conv.name.substr(std::string("conv").size());
  LayerSpec row = normalization == Normalization::BatchNorm ? batch_norm("bn" + number)
                                                            : group_norm("gn" + number, kMiniGroups);
  row.relu = conv.relu;
  return row;
}

std::string mini_normalization_text(Normalization normalization) {
  switch (normalization) {
    case Normalization::Lrn: return "with local response normalization";
    case Normalization::BatchNorm: return "with batch normalization";
    case Normalization::GroupNorm: return "with group normalization (G = " + std::to_string(kMiniGroups) + ")";
    case Normalization::None: break;
  }
  return "without normalization";
}

Shape pool_output_shape(const MaxPoolSpec& p, const Shape& input) {
  return {input[0], window_output_size(static_cast<int>(input[1]), p.params.kernel, p.params.stride, 0),
          window_output_size(static_cast<int>(input[2]), p.params.kernel, p.params.stride, 0)};
}

}  // namespace

std::string kind_name(const LayerSpec& layer) {
  return std::visit(Overloaded{
                        [](const ConvolutionSpec&) { return "conv"; },
                        [](const LrnSpec&) { return "lrn"; },
                        [](const MaxPoolSpec&) { return "maxpool"; },
                        [](const FullyConnectedSpec&) { return "fc"; },
                        [](const BatchNormSpec&) { return "batchnorm"; },
                        [](const GroupNormSpec&) { return "groupnorm"; },
                    },
                    layer.op);
}

NetworkSpec alexnet_two_tower() {
  // groups = 2: a kernel sees only its own tower's maps (CONV2, CONV4, CONV5)
  // and LRN's window stays inside its tower. groups = 1 at the joins.
  // Biases start at 1 in CONV2, CONV4, CONV5 (and FC6, FC7): "this initialization
  // accelerates the early stages of learning by providing the ReLUs with positive inputs".
  return NetworkSpec{"AlexNet, two towers (Krizhevsky, Sutskever & Hinton 2012)",
                     2,
                     {3, 227, 227},
                     {conv("conv1", 96, 11, 4, 0, 1, 0), lrn("lrn1", 2), pool("pool1"),
                      conv("conv2", 256, 5, 1, 2, 2, 1), lrn("lrn2", 2), pool("pool2"),
                      conv("conv3", 384, 3, 1, 1, 1, 0),
                      conv("conv4", 384, 3, 1, 1, 2, 1),
                      conv("conv5", 256, 3, 1, 1, 2, 1), pool("pool5"),
                      fully_connected("fc6", 4096, true),
                      fully_connected("fc7", 4096, true),
                      fully_connected("fc8", 1000, false)}};
}

NetworkSpec alexnet_one_tower() {
  NetworkSpec network = alexnet_two_tower();
  network.name = "AlexNet, one tower without groups";
  network.towers = 1;
  for (LayerSpec& layer : network.layers) remove_groups(layer);
  return network;
}

NetworkSpec alexnet_torchvision() {
  return NetworkSpec{"torchvision.models.alexnet",
                     1,
                     {3, 224, 224},
                     {conv("conv1", 64, 11, 4, 2, 1, 0), pool("pool1"),
                      conv("conv2", 192, 5, 1, 2, 1, 0), pool("pool2"),
                      conv("conv3", 384, 3, 1, 1, 1, 0),
                      conv("conv4", 256, 3, 1, 1, 1, 0),
                      conv("conv5", 256, 3, 1, 1, 1, 0), pool("pool5"),
                      fully_connected("fc6", 4096, true),
                      fully_connected("fc7", 4096, true),
                      fully_connected("fc8", 1000, false)}};
}

NetworkSpec alexnet_tiny() {
  // 3@31×31 → conv1 (k3, s2) 4@15×15 → pool 4@7×7 → conv2 4@7×7 → pool 4@3×3
  // → conv3, conv4, conv5 4@3×3 → pool 4@1×1 → fc6 8 → fc7 8 → fc8 5.
  return NetworkSpec{"tiny AlexNet (the paper's layer kinds, order and joins, for gradient checks)",
                     2,
                     {3, 31, 31},
                     {conv("conv1", 4, 3, 2, 0, 1, 0), lrn("lrn1", 2), pool("pool1"),
                      conv("conv2", 4, 3, 1, 1, 2, 1), lrn("lrn2", 2), pool("pool2"),
                      conv("conv3", 4, 3, 1, 1, 1, 0),
                      conv("conv4", 4, 3, 1, 1, 2, 1),
                      conv("conv5", 4, 3, 1, 1, 2, 1), pool("pool5"),
                      fully_connected("fc6", 8, true),
                      fully_connected("fc7", 8, true),
                      fully_connected("fc8", 5, false)}};
}

NetworkSpec alexnet_mini(Normalization normalization) {
  // 3@32×32 → conv1 (k3, p1) 24@32×32 → pool 24@15×15 → conv2 (k3, p1, g2) 48@15×15 → pool 48@7×7
  // → conv3 48, conv4 48 (g2), conv5 32 (g2) @7×7 → pool 32@3×3 → fc6 256 → fc7 256 → fc8 10.
  NetworkSpec mini{"mini AlexNet (the paper's layers, towers and joins at 32x32, for Fashion-MNIST on a CPU)",
                   2,
                   {3, 32, 32},
                   {conv("conv1", 24, 3, 1, 1, 1, 0), lrn("lrn1", 2), pool("pool1"),
                    conv("conv2", 48, 3, 1, 1, 2, 0), lrn("lrn2", 2), pool("pool2"),
                    conv("conv3", 48, 3, 1, 1, 1, 0),
                    conv("conv4", 48, 3, 1, 1, 2, 0),
                    conv("conv5", 32, 3, 1, 1, 2, 0), pool("pool5"),
                    fully_connected("fc6", 256, true),
                    fully_connected("fc7", 256, true),
                    fully_connected("fc8", 10, false)},
                   WeightInit::HeFanIn,
                   1.0f / 255.0f,
                   32};  // Fashion-MNIST's objects are centred: in a ten-minute budget crops cost more than they add
  for (LayerSpec& layer : mini.layers) layer.initial_bias = 0.0f;  // He's initialisation starts every bias at 0
  if (normalization == Normalization::Lrn) return mini;

  // The experiment's variants of the same rows: the LRN rows go; with BatchNorm or GroupNorm a normalization
  // row follows every convolution and takes over its ReLU (conv → norm → ReLU, Ioffe & Szegedy's place).
  // The convolutions keep their biases (simplest: the rows stay those of the LRN network), although batch
  // normalization's mean subtraction cancels a convolution's bias exactly, β doing its work; a conv bias before
  // a batch norm is redundant, and its gradient is 0. Group normalization cancels only a group's common part.
  mini.name = "mini AlexNet " + mini_normalization_text(normalization) + " (chapter 14)";
  std::vector<LayerSpec> rows;
  for (const LayerSpec& layer : mini.layers) {
    if (std::holds_alternative<LrnSpec>(layer.op)) continue;
    rows.push_back(layer);
    if (std::holds_alternative<ConvolutionSpec>(layer.op) && normalization != Normalization::None) {
      rows.push_back(normalization_after(layer, normalization));
      rows[rows.size() - 2].relu = false;  // the ReLU moves behind the normalization
    }
  }
  mini.layers = std::move(rows);
  return mini;
}

Shape layer_output_shape(const LayerSpec& layer, const Shape& input) {
  const auto require_maps = [&] {
    require(input.size() == 3, layer, "expected a [C, H, W] input, got " + to_string(input));
  };
  return std::visit(Overloaded{
                        [&](const ConvolutionSpec& c) {
                          require_maps();
                          return convolution_output_shape(layer, c, input);
                        },
                        [&](const LrnSpec& l) {
                          require_maps();
                          require(input[0] % l.params.towers == 0, layer, "channels do not divide into groups");
                          return input;
                        },
                        [&](const BatchNormSpec&) {
                          require_maps();
                          return input;
                        },
                        [&](const GroupNormSpec& g) {
                          require_maps();
                          require(g.params.groups > 0 && input[0] % g.params.groups == 0, layer,
                                  "channels " + std::to_string(input[0]) + " do not divide into " +
                                      std::to_string(g.params.groups) + " groups");
                          return input;
                        },
                        [&](const MaxPoolSpec& p) {
                          require_maps();
                          return pool_output_shape(p, input);
                        },
                        [](const FullyConnectedSpec& fc) { return Shape{fc.outputs}; },  // any input: it is flattened
                    },
                    layer.op);
}

std::int64_t inputs_per_kernel(const LayerSpec& layer, const Shape& input) {
  if (is_normalization(layer)) return 0;  // γ scales one value: no sum of products
  const Shape weights = weight_shape(layer, input);  // [C_out, C_in/groups, K, K] or [out, in]: one row per kernel
  return weights.empty() ? 0 : element_count(Shape(weights.begin() + 1, weights.end()));
}

Shape weight_shape(const LayerSpec& layer, const Shape& input) {
  return std::visit(Overloaded{
                        [&](const ConvolutionSpec& c) {
                          return Shape{c.out_channels, input.at(0) / c.params.groups, c.kernel, c.kernel};
                        },
                        [&](const FullyConnectedSpec& fc) { return Shape{fc.outputs, element_count(input)}; },
                        [&](const BatchNormSpec&) { return Shape{input.at(0)}; },  // γ: one per channel
                        [&](const GroupNormSpec&) { return Shape{input.at(0)}; },
                        [](const auto&) { return Shape{}; },  // LRN and pooling learn nothing
                    },
                    layer.op);
}

double initial_weight_stddev(const LayerSpec& layer, const Shape& input, WeightInit init) {
  if (is_normalization(layer)) return 0.0;  // γ starts at 1, not drawn
  if (init == WeightInit::Paper) return kInitialWeightStddev;
  // He: Var(w) = 2 / fan_in keeps E[y²] from one ReLU layer to the next (half the inputs are zero).
  return std::sqrt(2.0 / static_cast<double>(inputs_per_kernel(layer, input)));
}

LayerParameters initial_parameters(const LayerSpec& layer, const Shape& input, std::uint64_t seed,
                                   std::uint64_t stream, WeightInit init) {
  const Shape shape = weight_shape(layer, input);
  if (shape.empty()) throw std::invalid_argument(layer.name + ": a " + kind_name(layer) + " layer has no parameters");
  LayerParameters parameters{TensorF(shape), TensorF({shape[0]}, layer.initial_bias)};  // a bias per weight row
  if (is_normalization(layer)) {  // γ = 1, β = 0: the layer starts as the plain normalization (PyTorch's reset)
    parameters.weight.fill(1.0f);
    parameters.bias.fill(0.0f);
    return parameters;
  }
  fill_normal(parameters.weight, seed, stream, 0.0, initial_weight_stddev(layer, input, init));
  return parameters;
}

std::int64_t layer_parameters(const LayerSpec& layer, const Shape& input) {
  // (weights per output + 1 bias) · outputs = (K·K·C_in/groups + 1)·C_out; γ [C] + β [C] = 2·C
  const Shape weights = weight_shape(layer, input);
  return weights.empty() ? 0 : element_count(weights) + weights[0];
}

std::int64_t layer_multiply_adds(const LayerSpec& layer, const Shape& input) {
  // One multiply-add per weight per output position: output elements × inputs per kernel (0 without weights).
  return element_count(layer_output_shape(layer, input)) * inputs_per_kernel(layer, input);
}

std::vector<LayerSummary> summarize(const NetworkSpec& network) {
  std::vector<LayerSummary> rows;
  Shape shape = network.input;
  for (const LayerSpec& layer : network.layers) {
    LayerSummary row{layer, shape, layer_output_shape(layer, shape), layer_parameters(layer, shape),
                     layer_multiply_adds(layer, shape)};
    shape = row.output;
    rows.push_back(std::move(row));
  }
  return rows;
}

std::int64_t total_parameters(const NetworkSpec& network) {
  std::int64_t total = 0;
  for (const LayerSummary& row : summarize(network)) total += row.parameters;
  return total;
}

std::int64_t total_multiply_adds(const NetworkSpec& network) {
  std::int64_t total = 0;
  for (const LayerSummary& row : summarize(network)) total += row.multiply_adds;
  return total;
}

const LayerSpec& find_layer(const NetworkSpec& network, const std::string& name) {
  for (const LayerSpec& layer : network.layers) {
    if (layer.name == name) return layer;
  }
  throw std::invalid_argument(network.name + ": no layer named '" + name + "'");
}

LayerSummary summarize_layer(const NetworkSpec& network, const std::string& name) {
  for (LayerSummary& row : summarize(network)) {
    if (row.spec.name == name) return row;
  }
  throw std::invalid_argument(network.name + ": no layer named '" + name + "'");
}

}  // namespace alexnet
