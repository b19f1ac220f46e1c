#include "network/summary.hpp"

#include <algorithm>
#include <cstdio>
#include <stdexcept>

#include "reference_cpu/format.hpp"

namespace alexnet {
namespace {

// "48 + 48" when the outputs are divided between the towers.
std::string per_tower(const NetworkSpec& network, const LayerSummary& row) {
  const std::int64_t outputs = row.output.at(0);
  if (network.towers == 1 || !row.spec.split_in_towers) return std::to_string(outputs);
  const std::string share = std::to_string(outputs / network.towers);
  std::string text = share;
  for (int t = 1; t < network.towers; ++t) text += " + " + share;
  return text;
}

// "11x11": a square window.
std::string square(int side) { return std::to_string(side) + "x" + std::to_string(side); }

// "conv 11x11 S4 P0", "conv 5x5 S1 P2 g2", "lrn n=5 in towers", "maxpool 3x3 S2", "fc", "batchnorm",
// "groupnorm G=8"; then "+relu", "+drop".
std::string operation(const LayerSpec& layer) {
  std::string text = std::visit(
      Overloaded{
          [](const ConvolutionSpec& c) {
            const Conv2dParams& p = c.params;
            return "conv " + square(c.kernel) + " S" + std::to_string(p.stride) + " P" + std::to_string(p.pad) +
                   (p.groups > 1 ? " g" + std::to_string(p.groups) : "");
          },
          [](const LrnSpec& l) {
            return "lrn n=" + std::to_string(l.params.size) + (l.params.towers > 1 ? " in towers" : "");
          },
          [](const MaxPoolSpec& m) {
            return "maxpool " + square(m.params.kernel) + " S" + std::to_string(m.params.stride);
          },
          [](const FullyConnectedSpec&) { return std::string("fc"); },
          [](const BatchNormSpec&) { return std::string("batchnorm"); },
          [](const GroupNormSpec& g) { return "groupnorm G=" + std::to_string(g.params.groups); },
      },
      layer.op);
  if (layer.relu) text += " +relu";
  if (layer.dropout) text += " +drop";
  return text;
}

}  // namespace

std::string maps_text(const Shape& shape) {
  if (shape.size() != 3) return std::to_string(shape.at(0));
  return std::to_string(shape[0]) + "@" + std::to_string(shape[1]) + "x" + std::to_string(shape[2]);
}

std::vector<std::string> variant_names() {
  return {"paper", "one-tower", "torchvision", "tiny", "mini", "mini-batchnorm", "mini-groupnorm", "mini-none"};
}

NetworkSpec network_variant(const std::string& name) {
  if (name == "paper" || name == "two-tower") return alexnet_two_tower();
  if (name == "one-tower") return alexnet_one_tower();
  if (name == "torchvision") return alexnet_torchvision();
  if (name == "tiny") return alexnet_tiny();
  if (name == "mini") return alexnet_mini(Normalization::Lrn);
  if (name == "mini-batchnorm") return alexnet_mini(Normalization::BatchNorm);
  if (name == "mini-groupnorm") return alexnet_mini(Normalization::GroupNorm);
  if (name == "mini-none") return alexnet_mini(Normalization::None);
  std::string known;
  for (const std::string& variant : variant_names()) known += (known.empty() ? "" : ", ") + variant;
  throw std::invalid_argument("unknown variant '" + name + "' (expected one of " + known + ")");
}

std::string layer_table_text(const NetworkSpec& network) {
  std::string text = network.name + "\ninput " + maps_text(network.input) + " per image\n\n";
  text += format("%-6s %-26s %-11s %10s %-10s %10s %12s %14s\n", "layer", "operation", "per tower", "in/kernel",
                 "output", "neurons", "parameters", "multiply-adds");
  for (const LayerSummary& row : summarize(network)) {
    const std::int64_t fan_in = inputs_per_kernel(row.spec, row.input);
    text += format("%-6s %-26s %-11s %10s %-10s %10s %12s %14s\n", row.spec.name.c_str(),
                   operation(row.spec).c_str(), per_tower(network, row).c_str(),
                   fan_in ? with_commas(fan_in).c_str() : "", maps_text(row.output).c_str(),
                   with_commas(element_count(row.output)).c_str(), with_commas(row.parameters).c_str(),
                   with_commas(row.multiply_adds).c_str());
  }
  text += format("\ntotal: %s parameters, %s multiply-adds per image (%.2f GFLOP forward)\n",
                 with_commas(total_parameters(network)).c_str(), with_commas(total_multiply_adds(network)).c_str(),
                 2.0 * static_cast<double>(total_multiply_adds(network)) / 1e9);
  text += network.weight_init == WeightInit::Paper
              ? "initial weights: N(0, 0.01^2), the paper's\n"
              : "initial weights: N(0, 2/fan_in), He's fan-in scaling (fan_in = in/kernel above)\n";
  const auto normalized = [](const LayerSpec& layer) { return is_normalization(layer); };
  if (std::any_of(network.layers.begin(), network.layers.end(), normalized)) {
    text += "normalizations: gamma 1, beta 0 (parameters); batch norm's running mean 0, variance 1 (buffers)\n";
  }
  if (network.input_scale != 1.0f) {
    text += format("input: (pixel - training mean) / %g, so that it is of order 1 as that initialisation assumes\n",
                   1.0 / network.input_scale);
  }
  return text;
}

}  // namespace alexnet
