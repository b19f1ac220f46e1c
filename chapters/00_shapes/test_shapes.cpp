// Chapter 00: every number of the layer table (the tables of this chapter's README),
// derived from the layer-table data and checked against the paper's arithmetic.
#include <catch2/catch.hpp>

#include "reference_cpu/layer_table.hpp"

using namespace alexnet;

TEST_CASE("output size formula (W − K + 2P)/S + 1", "[shapes]") {
  CHECK(window_output_size(227, 11, 4, 0) == 55);  // (227 − 11)/4 + 1 = 216/4 + 1
  CHECK(windows_fit_exactly(227, 11, 4, 0));
  // 224 does not tile: (224 − 11)/4 = 53.25; the floor gives 54, not 55.
  CHECK_FALSE(windows_fit_exactly(224, 11, 4, 0));
  CHECK(window_output_size(224, 11, 4, 0) == 54);
  CHECK(window_output_size(55, 3, 2, 0) == 27);  // overlapping pool: (55 − 3)/2 + 1
  CHECK(window_output_size(27, 5, 1, 2) == 27);  // "same" convolution: (27 − 5 + 4)/1 + 1
  CHECK(window_output_size(13, 3, 2, 0) == 6);   // pool5: (13 − 3)/2 + 1
  CHECK_THROWS_WITH(window_output_size(5, 11, 4, 0), Catch::Contains("does not fit"));
}

TEST_CASE("the paper's two-tower network, layer by layer", "[shapes]") {
  const NetworkSpec net = alexnet_two_tower();
  struct Expected {
    const char* name;
    Shape output;
    std::int64_t parameters;
    std::int64_t inputs_per_kernel;
  };
  // (K·K·C_in/groups + 1)·C_out for convolutions, (in + 1)·out for FC layers.
  const Expected table[] = {
      {"conv1", {96, 55, 55}, 34944, 11 * 11 * 3},     // (11·11·3 + 1)·96
      {"lrn1", {96, 55, 55}, 0, 0},
      {"pool1", {96, 27, 27}, 0, 0},
      {"conv2", {256, 27, 27}, 307456, 5 * 5 * 48},    // (5·5·48 + 1)·256: own tower's 48 maps
      {"lrn2", {256, 27, 27}, 0, 0},
      {"pool2", {256, 13, 13}, 0, 0},
      {"conv3", {384, 13, 13}, 885120, 3 * 3 * 256},   // (3·3·256 + 1)·384: both towers
      {"conv4", {384, 13, 13}, 663936, 3 * 3 * 192},   // (3·3·192 + 1)·384
      {"conv5", {256, 13, 13}, 442624, 3 * 3 * 192},   // (3·3·192 + 1)·256
      {"pool5", {256, 6, 6}, 0, 0},
      {"fc6", {4096}, 37752832, 9216},                 // (9216 + 1)·4096
      {"fc7", {4096}, 16781312, 4096},                 // (4096 + 1)·4096
      {"fc8", {1000}, 4097000, 4096},                  // (4096 + 1)·1000
  };
  const std::vector<LayerSummary> rows = summarize(net);
  REQUIRE(rows.size() == std::size(table));
  for (std::size_t i = 0; i < rows.size(); ++i) {
    INFO("layer " << table[i].name);
    CHECK(rows[i].spec.name == table[i].name);
    CHECK(rows[i].output == table[i].output);
    CHECK(rows[i].parameters == table[i].parameters);
    CHECK(inputs_per_kernel(rows[i].spec, rows[i].input) == table[i].inputs_per_kernel);
  }
}

TEST_CASE("totals: 60,965,224 parameters and 724,406,816 multiply-adds per image", "[shapes]") {
  const NetworkSpec net = alexnet_two_tower();
  CHECK(total_parameters(net) == 60965224);
  CHECK(total_multiply_adds(net) == 724406816);
  // Per layer: output elements × inputs per kernel.
  CHECK(summarize_layer(net, "conv1").multiply_adds == 96LL * 55 * 55 * 363);  // 105,415,200
  CHECK(summarize_layer(net, "conv2").multiply_adds == 256LL * 27 * 27 * 1200);
  CHECK(summarize_layer(net, "fc6").multiply_adds == 4096LL * 9216);
  CHECK(summarize_layer(net, "lrn1").multiply_adds == 0);
}

TEST_CASE("the built tensors hold the parameters the table counts, initialised as in the paper", "[shapes]") {
  const NetworkSpec net = alexnet_two_tower();
  std::int64_t built = 0;
  std::uint64_t stream = 0;
  for (const LayerSummary& row : summarize(net)) {
    if (row.parameters == 0) continue;
    const LayerParameters p = initial_parameters(row.spec, row.input, 2012, stream++);
    INFO("layer " << row.spec.name);
    CHECK(p.weight.size() + p.bias.size() == row.parameters);
    built += p.weight.size() + p.bias.size();
    // Biases: 1 in CONV2, CONV4, CONV5, FC6, FC7; 0 in CONV1, CONV3, FC8.
    const bool one = row.spec.name == "conv2" || row.spec.name == "conv4" || row.spec.name == "conv5" ||
                     row.spec.name == "fc6" || row.spec.name == "fc7";
    CHECK(p.bias[0] == (one ? 1.0f : 0.0f));
  }
  CHECK(built == 60965224);
  const LayerParameters conv1 = initial_parameters(find_layer(net, "conv1"), net.input, 2012, 0);
  CHECK(conv1.weight.shape() == Shape{96, 3, 11, 11});
  const LayerSummary conv2 = summarize_layer(net, "conv2");
  CHECK(initial_parameters(conv2.spec, conv2.input, 2012, 1).weight.shape() == Shape{256, 48, 5, 5});
}

TEST_CASE("FC6 holds 62% of the parameters", "[shapes]") {
  const NetworkSpec net = alexnet_two_tower();
  const double share = double(summarize_layer(net, "fc6").parameters) / double(total_parameters(net));
  CHECK(share == Approx(0.6193).margin(1e-4));
}

TEST_CASE("the paper's neuron counts: its CONV1 figure is not 96·55·55", "[shapes]") {
  // Paper: 253,440–186,624–64,896–64,896–43,264–4096–4096–1000.
  const NetworkSpec net = alexnet_two_tower();
  auto neurons = [&](const char* name) { return element_count(summarize_layer(net, name).output); };
  CHECK(neurons("conv1") == 290400);  // not 253,440
  CHECK(neurons("conv2") == 186624);
  CHECK(neurons("conv3") == 64896);
  CHECK(neurons("conv4") == 64896);
  CHECK(neurons("conv5") == 43264);
  CHECK(neurons("fc6") == 4096);
  CHECK(neurons("fc8") == 1000);
}

TEST_CASE("variants from the same machinery", "[shapes]") {
  // One tower without groups: CONV2, CONV4, CONV5 kernels see all channels.
  CHECK(total_parameters(alexnet_one_tower()) == 62378344);
  // The difference is exactly the cross-tower weights of the three grouped layers.
  CHECK(62378344 - 60965224 == 5 * 5 * 48 * 256 + 3 * 3 * 192 * 384 + 3 * 3 * 192 * 256);
  // torchvision: 64-192-384-256-256, CONV1 pad 2, 224 input.
  const NetworkSpec tv = alexnet_torchvision();
  CHECK(total_parameters(tv) == 61100840);
  CHECK(summarize_layer(tv, "conv1").output == Shape{64, 55, 55});
  CHECK(summarize_layer(tv, "pool5").output == Shape{256, 6, 6});
}

TEST_CASE("a layer that does not fit its input says which and why", "[shapes]") {
  const LayerSpec bad = conv("conv_bad", 96, 3, 1, 0, 2, 0);  // 2 groups of a 3-channel input
  CHECK_THROWS_WITH(layer_output_shape(bad, {3, 27, 27}), Catch::Contains("conv_bad: channels 3 -> 96"));
  CHECK_THROWS_WITH(find_layer(alexnet_two_tower(), "conv9"), Catch::Contains("no layer named 'conv9'"));
}
