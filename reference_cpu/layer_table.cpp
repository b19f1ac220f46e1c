#include "layer_table.hpp"

#include <stdexcept>

#include "reference_cpu/random.hpp"

namespace alexnet {

LayerSpec conv(std::string name, int out_channels, int kernel, int stride, int pad, int groups,
               float initial_bias) {
  LayerSpec layer{std::move(name), LayerKind::Convolution};
  layer.out_channels = out_channels;
  layer.kernel = kernel;
  layer.stride = stride;
  layer.pad = pad;
  layer.groups = groups;
  layer.relu = true;  // every convolution of AlexNet is followed by a ReLU
  layer.initial_bias = initial_bias;
  return layer;
}

LayerSpec lrn(std::string name, int groups) {
  LayerSpec layer{std::move(name), LayerKind::LocalResponseNorm};
  layer.kernel = 5;  // n = 5 adjacent channels
  layer.groups = groups;
  return layer;
}

LayerSpec pool(std::string name) {
  LayerSpec layer{std::move(name), LayerKind::MaxPool};
  layer.kernel = 3;  // overlapping: 3×3 windows, stride 2
  layer.stride = 2;
  return layer;
}

LayerSpec fully_connected(std::string name, int outputs, bool hidden) {
  LayerSpec layer{std::move(name), LayerKind::FullyConnected};
  layer.out_channels = outputs;
  layer.relu = hidden;
  layer.dropout = hidden;
  layer.split_in_towers = hidden;  // FC8 is one 1000-way layer
  layer.initial_bias = hidden ? 1.0f : 0.0f;
  return layer;
}

namespace {

void require(bool condition, const LayerSpec& layer, const std::string& message) {
  if (!condition) throw std::invalid_argument(layer.name + ": " + message);
}

}  // namespace

std::string to_string(LayerKind kind) {
  switch (kind) {
    case LayerKind::Convolution: return "conv";
    case LayerKind::LocalResponseNorm: return "lrn";
    case LayerKind::MaxPool: return "maxpool";
    case LayerKind::FullyConnected: return "fc";
  }
  return "?";
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
  for (LayerSpec& layer : network.layers) layer.groups = 1;
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

int window_output_size(int input, int kernel, int stride, int pad) {
  if (kernel <= 0 || stride <= 0 || pad < 0) {
    throw std::invalid_argument("window_output_size: expected kernel > 0, stride > 0, pad >= 0, got kernel " +
                                std::to_string(kernel) + ", stride " + std::to_string(stride) + ", pad " +
                                std::to_string(pad));
  }
  const int span = input + 2 * pad - kernel;
  if (span < 0) {
    throw std::invalid_argument("window_output_size: a " + std::to_string(kernel) + "-wide window does not fit in " +
                                std::to_string(input) + " + 2·" + std::to_string(pad) + " padding");
  }
  return span / stride + 1;
}

bool windows_fit_exactly(int input, int kernel, int stride, int pad) {
  return (input + 2 * pad - kernel) % stride == 0;
}

Shape layer_output_shape(const LayerSpec& layer, const Shape& input) {
  if (layer.kind == LayerKind::FullyConnected) return {layer.out_channels};
  require(input.size() == 3, layer, "expected a [C, H, W] input, got " + to_string(input));
  const std::int64_t channels = input[0];
  const int height = static_cast<int>(input[1]), width = static_cast<int>(input[2]);
  switch (layer.kind) {
    case LayerKind::Convolution:
      require(channels % layer.groups == 0 && layer.out_channels % layer.groups == 0, layer,
              "channels " + std::to_string(channels) + " -> " + std::to_string(layer.out_channels) +
                  " do not divide into " + std::to_string(layer.groups) + " groups");
      return {layer.out_channels, window_output_size(height, layer.kernel, layer.stride, layer.pad),
              window_output_size(width, layer.kernel, layer.stride, layer.pad)};
    case LayerKind::MaxPool:
      return {channels, window_output_size(height, layer.kernel, layer.stride, 0),
              window_output_size(width, layer.kernel, layer.stride, 0)};
    case LayerKind::LocalResponseNorm:
      require(channels % layer.groups == 0, layer, "channels do not divide into groups");
      return input;
    case LayerKind::FullyConnected: break;
  }
  return input;
}

std::int64_t inputs_per_kernel(const LayerSpec& layer, const Shape& input) {
  switch (layer.kind) {
    case LayerKind::Convolution: return input.at(0) / layer.groups * layer.kernel * layer.kernel;
    case LayerKind::FullyConnected: return element_count(input);  // flattened C·H·W
    default: return 0;
  }
}

Shape weight_shape(const LayerSpec& layer, const Shape& input) {
  switch (layer.kind) {
    case LayerKind::Convolution: return {layer.out_channels, input.at(0) / layer.groups, layer.kernel, layer.kernel};
    case LayerKind::FullyConnected: return {layer.out_channels, element_count(input)};
    default: return {};
  }
}

LayerParameters initial_parameters(const LayerSpec& layer, const Shape& input, std::uint64_t seed,
                                   std::uint64_t stream) {
  const Shape shape = weight_shape(layer, input);
  if (shape.empty()) throw std::invalid_argument(layer.name + ": a " + to_string(layer.kind) + " layer has no parameters");
  LayerParameters parameters{TensorF(shape), TensorF({layer.out_channels}, layer.initial_bias)};
  fill_normal(parameters.weight, seed, stream, 0.0, kInitialWeightStddev);
  return parameters;
}

std::int64_t layer_parameters(const LayerSpec& layer, const Shape& input) {
  // (weights per output + 1 bias) · outputs = (K·K·C_in/groups + 1)·C_out
  const Shape weights = weight_shape(layer, input);
  return weights.empty() ? 0 : element_count(weights) + layer.out_channels;
}

std::int64_t layer_multiply_adds(const LayerSpec& layer, const Shape& input) {
  // One multiply-add per weight per output position.
  const Shape output = layer_output_shape(layer, input);
  switch (layer.kind) {
    case LayerKind::Convolution:
    case LayerKind::FullyConnected: return element_count(output) * inputs_per_kernel(layer, input);
    default: return 0;
  }
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
