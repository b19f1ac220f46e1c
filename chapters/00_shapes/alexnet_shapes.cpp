// alexnet_shapes: prints the layer table of AlexNet — every shape, parameter
// count and multiply-add derived from the layer-table data, never typed in.
//
//   alexnet_shapes                       the paper's two-tower network
//   alexnet_shapes --variant one-tower   the same layers without groups
//   alexnet_shapes --variant torchvision torchvision's AlexNet
//   alexnet_shapes --input-size 224      the same network on a 224×224 input
#include <CLI/CLI.hpp>

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

}  // namespace

// "224" -> 224; anything but a positive integer is refused with a message.
std::string positive_integer(std::string& value) {
  std::size_t used = 0;
  int number = 0;
  try {
    number = std::stoi(value, &used);
  } catch (const std::logic_error&) {
    used = 0;
  }
  if (used == 0 || used != value.size() || number <= 0) return "expected a positive integer, got '" + value + "'";
  return {};
}

int main(int argc, char* argv[]) {
  CLI::App app{"Prints AlexNet's layer table: every shape, parameter count and multiply-add, derived from the table"};
  std::string variant = "two-tower";
  int input_size = 0;  // 0: the variant's own input side
  app.add_option("--variant", variant, "two-tower (the paper's), one-tower (no groups) or torchvision")
      ->check(CLI::IsMember({"two-tower", "one-tower", "torchvision"}))
      ->capture_default_str();
  app.add_option("--input-size", input_size, "side of the square input image (default: the variant's, 227 or 224)")
      ->check(CLI::Validator(positive_integer, "POSITIVE"));
  CLI11_PARSE(app, argc, argv);

  NetworkSpec network = variant == "one-tower" ? alexnet_one_tower()
                        : variant == "torchvision" ? alexnet_torchvision()
                                                   : alexnet_two_tower();
  if (input_size > 0) {
    network.input.at(1) = input_size;
    network.input.at(2) = input_size;
  }
  // Walk the table first, so that an input too small for some layer stops with that
  // layer's name before anything is printed.
  Shape shape = network.input;
  for (const LayerSpec& layer : network.layers) {
    try {
      shape = layer_output_shape(layer, shape);
    } catch (const std::invalid_argument& error) {
      std::cerr << "alexnet_shapes: input " << maps(network.input) << " is too small: layer " << layer.name
                << " gets " << maps(shape) << ": " << error.what() << "\n";
      return 1;
    }
  }
  print_table(network);
  return 0;
}
