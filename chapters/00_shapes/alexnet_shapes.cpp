// alexnet_shapes: prints the layer table of AlexNet — every shape, parameter
// count and multiply-add derived from the layer-table data, never typed in.
//
//   alexnet_shapes                       the paper's two-tower network
//   alexnet_shapes --variant one-tower   the same layers without groups
//   alexnet_shapes --variant torchvision torchvision's AlexNet
//   alexnet_shapes --input-size 224      the same network on a 224×224 input
#include <CLI/CLI.hpp>

#include <iostream>
#include <stdexcept>
#include <string>

#include "network/summary.hpp"

using namespace alexnet;

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

  NetworkSpec network = network_variant(variant);
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
      std::cerr << "alexnet_shapes: input " << maps_text(network.input) << " is too small: layer " << layer.name
                << " gets " << maps_text(shape) << ": " << error.what() << "\n";
      return 1;
    }
  }
  std::cout << layer_table_text(network);
  return 0;
}
