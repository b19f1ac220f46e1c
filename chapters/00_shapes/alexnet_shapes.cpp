// alexnet_shapes: prints the layer table of AlexNet — every shape, parameter
// count and multiply-add derived from the layer-table data, never typed in.
//
//   alexnet_shapes                       the paper's two-tower network
//   alexnet_shapes --variant one-tower   the same layers without groups
//   alexnet_shapes --variant torchvision torchvision's AlexNet
#include <cstdio>
#include <iostream>
#include <string>

#include "reference_cpu/format.hpp"
#include "reference_cpu/layer_table.hpp"

using namespace alexnet;

namespace {

// [96, 55, 55] -> "96@55x55", [4096] -> "4096"
std::string maps(const Shape& shape) {
  if (shape.size() != 3) return std::to_string(shape.at(0));
  return std::to_string(shape[0]) + "@" + std::to_string(shape[1]) + "x" + std::to_string(shape[2]);
}

// "48 + 48" when the outputs are divided between the towers.
std::string per_tower(const NetworkSpec& network, const LayerSummary& row) {
  const std::int64_t outputs = row.output.at(0);
  if (network.towers == 1 || !row.spec.split_in_towers) return std::to_string(outputs);
  const std::string share = std::to_string(outputs / network.towers);
  std::string text = share;
  for (int t = 1; t < network.towers; ++t) text += " + " + share;
  return text;
}

std::string operation(const LayerSpec& layer) {
  const std::string k = std::to_string(layer.kernel);
  std::string text;
  switch (layer.kind) {
    case LayerKind::Convolution:
      text = "conv " + k + "x" + k + " S" + std::to_string(layer.stride) + " P" + std::to_string(layer.pad);
      if (layer.groups > 1) text += " g" + std::to_string(layer.groups);
      break;
    case LayerKind::LocalResponseNorm:
      text = "lrn n=" + k + (layer.groups > 1 ? " in towers" : "");
      break;
    case LayerKind::MaxPool: text = "maxpool " + k + "x" + k + " S" + std::to_string(layer.stride); break;
    case LayerKind::FullyConnected: text = "fc"; break;
  }
  if (layer.relu) text += " +relu";
  if (layer.dropout) text += " +drop";
  return text;
}

void print_table(const NetworkSpec& network) {
  std::printf("%s\ninput %s per image\n\n", network.name.c_str(), maps(network.input).c_str());
  std::printf("%-6s %-26s %-11s %10s %-10s %10s %12s %14s\n", "layer", "operation", "per tower", "in/kernel",
              "output", "neurons", "parameters", "multiply-adds");
  for (const LayerSummary& row : summarize(network)) {
    const std::int64_t fan_in = inputs_per_kernel(row.spec, row.input);
    std::printf("%-6s %-26s %-11s %10s %-10s %10s %12s %14s\n", row.spec.name.c_str(),
                operation(row.spec).c_str(), per_tower(network, row).c_str(),
                fan_in ? with_commas(fan_in).c_str() : "", maps(row.output).c_str(),
                with_commas(element_count(row.output)).c_str(), with_commas(row.parameters).c_str(),
                with_commas(row.multiply_adds).c_str());
  }
  std::printf("\ntotal: %s parameters, %s multiply-adds per image (%.2f GFLOP forward)\n",
              with_commas(total_parameters(network)).c_str(), with_commas(total_multiply_adds(network)).c_str(),
              2.0 * static_cast<double>(total_multiply_adds(network)) / 1e9);
}

int usage(const std::string& problem) {
  std::cerr << "alexnet_shapes: " << problem << "\n"
            << "usage: alexnet_shapes [--variant two-tower|one-tower|torchvision]\n";
  return 2;
}

}  // namespace

int main(int argc, char* argv[]) {
  std::string variant = "two-tower";
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      usage("prints AlexNet's layer table");
      return 0;
    }
    if (arg != "--variant") return usage("unknown argument '" + arg + "'");
    if (i + 1 == argc) return usage("--variant needs a value");
    variant = argv[++i];
  }
  if (variant == "two-tower") print_table(alexnet_two_tower());
  else if (variant == "one-tower") print_table(alexnet_one_tower());
  else if (variant == "torchvision") print_table(alexnet_torchvision());
  else return usage("unknown variant '" + variant + "' (expected two-tower, one-tower or torchvision)");
  return 0;
}
