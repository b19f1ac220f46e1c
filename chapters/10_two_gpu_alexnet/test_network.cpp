// Chapter 10: the whole network as one plan of steps on the CPU reference. The parameter
// counts come from the tensors actually allocated; the backward of the whole network is
// checked by finite differences on a tiny AlexNet with the paper's layer kinds and joins.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>
#include <string>

#include "network/cpu_network.hpp"
#include "network/plan.hpp"
#include "reference_cpu/channels.hpp"
#include "reference_cpu/npy.hpp"
#include "reference_cpu/random.hpp"
#include "reference_cpu/softmax_cross_entropy.hpp"
#include "tests/support/gradient_check.hpp"

using namespace alexnet;
using namespace alexnet::testing;

namespace {

std::map<std::string, std::int64_t> parameters_per_layer(const Parameters<float>& parameters) {
  std::map<std::string, std::int64_t> counts;
  for (const LayerTensors<float>& layer : parameters) counts[layer.name] = layer.weight.size() + layer.bias.size();
  return counts;
}

// The paper's network and its initial parameters, made once (61 M normal draws take seconds).
const Plan& paper_plan() {
  static const Plan plan = make_plan(alexnet_two_tower());
  return plan;
}
const Parameters<float>& paper_parameters() {
  static const Parameters<float> parameters = initial_parameters(paper_plan(), 2012);
  return parameters;
}

std::string names_of(const Plan& plan) {
  std::string names;
  for (const Step& step : plan.steps) names += (names.empty() ? "" : " ") + step.name;
  return names;
}

}  // namespace

TEST_CASE("the paper's network allocates 60,965,224 parameters", "[network][parameters]") {
  const Parameters<float>& parameters = paper_parameters();
  CHECK(count_parameters(parameters) == 60965224);
  // Per layer, as the lesson's table gives them: (K·K·C_in/groups + 1)·C_out and (in + 1)·out.
  const std::map<std::string, std::int64_t> expected{
      {"conv1", 34944},    {"conv2", 307456},     {"conv3", 885120},     {"conv4", 663936},
      {"conv5", 442624},   {"fc6", 37752832},     {"fc7", 16781312},     {"fc8", 4097000}};
  CHECK(parameters_per_layer(parameters) == expected);
}

TEST_CASE("per tower: each holds half of every split layer, tower 0 also FC8", "[network][parameters]") {
  const Plan& plan = paper_plan();
  const Parameters<float>& parameters = paper_parameters();
  std::int64_t tower[2] = {0, 0};
  for (std::size_t i = 0; i < parameters.size(); ++i) {
    const LayerTensors<float>& layer = parameters[i];
    const LayerSpec& spec = plan.layers[static_cast<std::size_t>(plan.parameter_rows[i])].spec;
    if (!spec.split_in_towers) {
      tower[0] += layer.weight.size() + layer.bias.size();  // FC8 lives with tower 0, as in cuda-convnet2
      continue;
    }
    for (int t = 0; t < 2; ++t) {  // tower t owns output rows [t·out/2, (t+1)·out/2)
      const std::int64_t rows = layer.weight.dim(0) / 2;
      tower[t] += cpu::slice_rows(layer.weight, t * rows, rows).size() + cpu::slice_rows(layer.bias, t * rows, rows).size();
    }
  }
  CHECK(tower[0] == 32531112);  // 28,434,112 + FC8's 4,097,000
  CHECK(tower[1] == 28434112);
}

TEST_CASE("the variants go through the same machinery", "[network][parameters]") {
  CHECK(count_parameters(allocate_parameters(make_plan(alexnet_one_tower()))) == 62378344);
  CHECK(count_parameters(allocate_parameters(make_plan(alexnet_torchvision()))) == 61100840);
}

TEST_CASE("the plan lists the paper's steps in order", "[network][plan]") {
  CHECK(names_of(make_plan(alexnet_two_tower())) ==
        "conv1 relu1 lrn1 pool1 conv2 relu2 lrn2 pool2 conv3 relu3 conv4 relu4 conv5 relu5 pool5 "
        "flatten fc6 relu6 drop6 fc7 relu7 drop7 fc8");
  const Plan torchvision = make_plan(alexnet_torchvision());
  CHECK(torchvision.steps.back().output == Shape{1000});
  CHECK(names_of(torchvision).find("lrn") == std::string::npos);  // torchvision has no LRN
}

TEST_CASE("a block of the table runs alone and computes what the whole network computes", "[network][plan]") {
  const NetworkSpec tiny = alexnet_tiny();
  const Plan block = make_plan(layer_block(tiny, "conv2"));
  CHECK(names_of(block) == "conv2 relu2 lrn2 pool2");
  CHECK(block.spec.input == summarize_layer(tiny, "conv2").input);
  CHECK(names_of(make_plan(layer_block(tiny, "fc6"))) == "flatten fc6 relu6 drop6");
  CHECK(names_of(make_plan(layer_block(tiny, "fc7"))) == "fc7 relu7 drop7");  // its input is already flat
  CHECK_THROWS_WITH(layer_block(tiny, "conv9"), Catch::Contains("no layer named 'conv9'"));

  // conv2's block on the whole network's pool1 output, with conv2's parameters, gives its pool2 output.
  const Plan whole = make_plan(tiny);
  const Parameters<double> parameters = convert_parameters<double>(initial_parameters(whole, 5));
  const TensorD x = random_tensor({2, 3, 31, 31}, 1);
  const Activations<double> all = reference_forward(whole, parameters, x, RunOptions{});
  const auto output_of = [&](const std::string& name) {
    const auto named = [&](const Step& step) { return step.name == name; };
    const auto step = std::find_if(whole.steps.begin(), whole.steps.end(), named);
    return all.outputs[static_cast<std::size_t>(step - whole.steps.begin())];
  };
  const Activations<double> alone = reference_forward(block, Parameters<double>{parameters[1]}, output_of("pool1"),
                                                      RunOptions{});
  CHECK_TENSORS_CLOSE("conv2 block", output_of("pool2"), alone.logits(), (Tolerance{0, 0}));
}

TEST_CASE("FC6 and FC7 draw their dropout masks from different streams", "[network][dropout]") {
  const Plan plan = make_plan(alexnet_two_tower());
  std::vector<DropoutParams> dropouts;
  for (const Step& step : plan.steps) {
    if (const auto* d = std::get_if<DropoutStep>(&step.op)) dropouts.push_back(dropout_params(*d, 7, 3, true));
  }
  REQUIRE(dropouts.size() == 2);
  CHECK(dropouts[0].step != dropouts[1].step);
  CHECK(dropouts[0].seed == dropouts[1].seed);
  // Same units, different masks: about half of the first 4096 units disagree.
  int differ = 0;
  for (std::uint64_t i = 0; i < 4096; ++i) differ += dropout_keeps(dropouts[0], i) != dropout_keeps(dropouts[1], i);
  CHECK(differ > 1700);
  CHECK(differ < 2400);
}

// The weights of the layer named `name` in `parameters` (every learning layer has one entry).
const LayerTensors<float>& parameters_named(const Parameters<float>& parameters, const std::string& name) {
  const auto named = [&](const LayerTensors<float>& layer) { return layer.name == name; };
  const auto layer = std::find_if(parameters.begin(), parameters.end(), named);
  REQUIRE(layer != parameters.end());
  return *layer;
}

TEST_CASE("a layer's initial weights depend on its name, not on its row", "[network][random]") {
  // The mini network with LRN has rows lrn1 and lrn2; with batch normalization it has bn1..bn5 instead
  // and no LRN: every convolution and FC layer moves to another row, and keeps its initial weights.
  const Parameters<float> with_lrn = initial_parameters(make_plan(alexnet_mini(Normalization::Lrn)), 2012);
  const Parameters<float> with_bn = initial_parameters(make_plan(alexnet_mini(Normalization::BatchNorm)), 2012);
  const Parameters<float> without = initial_parameters(make_plan(alexnet_mini(Normalization::None)), 2012);
  int compared = 0;
  for (const LayerTensors<float>& layer : without) {
    INFO(layer.name);
    CHECK(parameters_named(with_lrn, layer.name).weight.values() == layer.weight.values());
    CHECK(parameters_named(with_bn, layer.name).weight.values() == layer.weight.values());
    ++compared;
  }
  CHECK(compared == 8);  // conv1..conv5, fc6..fc8
  // And a different seed draws different weights.
  const Parameters<float> other_seed = initial_parameters(make_plan(alexnet_mini(Normalization::None)), 2013);
  CHECK(other_seed[0].weight.values() != without[0].weight.values());
}

TEST_CASE("no dropout mask is drawn from an initialisation's stream", "[network][random][dropout]") {
  // A draw is fixed by its key (the seed with the purpose's tag) and its stream: dropout's keys differ
  // from the initialisation's for every seed, and within dropout each (layer, step) has its own stream.
  const Plan plan = make_plan(alexnet_two_tower());
  for (const std::uint64_t seed : {std::uint64_t{0}, std::uint64_t{7}, std::uint64_t{2012}}) {
    const std::uint64_t init_key = purpose_seed(seed, RandomPurpose::Initialisation);
    std::set<std::uint64_t> dropout_streams;
    int masks = 0;
    for (const Step& step : plan.steps) {
      const auto* d = std::get_if<DropoutStep>(&step.op);
      if (d == nullptr) continue;
      for (const std::uint64_t training_step : {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{99999}}) {
        const DropoutParams params = dropout_params(*d, seed, training_step, true);
        CHECK(params.seed != init_key);
        CHECK(params.seed != purpose_seed(seed, RandomPurpose::Augmentation));
        CHECK(params.seed != purpose_seed(seed, RandomPurpose::Shuffling));
        dropout_streams.insert(params.step);
        ++masks;
      }
    }
    CHECK(masks == 6);
    CHECK(dropout_streams.size() == 6);  // FC6 and FC7, three steps each: six different masks
  }
  // Before the streams were tagged, the mask of layer r at step 0 was Philox stream r under the seed:
  // the very numbers that drew layer r's initial weights. Now the first numbers differ.
  const Step& drop6 = *std::find_if(plan.steps.begin(), plan.steps.end(), [](const Step& s) { return s.name == "drop6"; });
  const DropoutParams first_mask = dropout_params(std::get<DropoutStep>(drop6.op), 2012, 0, true);
  const std::uint64_t fc6_stream = name_stream("fc6");
  int same = 0;
  for (std::uint64_t i = 0; i < 1000; ++i) {
    same += random_uniform(first_mask.seed, first_mask.step, i) ==
            random_uniform(purpose_seed(2012, RandomPurpose::Initialisation), fc6_stream, i);
  }
  CHECK(same < 5);
}

TEST_CASE("dropout refuses a training step past its stream's range", "[network][dropout]") {
  const Plan plan = make_plan(alexnet_two_tower());
  const auto d = std::find_if(plan.steps.begin(), plan.steps.end(), [](const Step& s) { return s.name == "drop7"; });
  CHECK_NOTHROW(dropout_params(std::get<DropoutStep>(d->op), 1, (std::uint64_t{1} << 32) - 1, true));
  CHECK_THROWS_WITH(dropout_params(std::get<DropoutStep>(d->op), 1, std::uint64_t{1} << 32, true),
                    Catch::Contains("training step below 2^32"));
}

TEST_CASE("whole-network backward matches finite differences on a tiny AlexNet", "[network][gradient]") {
  // Every kind of step (grouped convolutions, per-tower LRN, overlapping pooling, flatten,
  // linear layers, ReLU, dropout in training mode) and both joins, in double.
  const Plan plan = make_plan(alexnet_tiny());
  Parameters<double> parameters = convert_parameters<double>(initial_parameters(plan, 5));
  for (std::size_t i = 0; i < parameters.size(); ++i) {  // O(1) values, so no ReLU sits on its kink
    parameters[i].weight = random_tensor(parameters[i].weight.shape(), 100 + i, -0.5, 0.5);
    parameters[i].bias = random_tensor(parameters[i].bias.shape(), 200 + i, -0.1, 0.1);
  }
  TensorD x = random_tensor({2, 3, 31, 31}, 1);
  const RunOptions options{true, 11, 4};
  const TensorD grad_logits = random_tensor({2, 5}, 2);
  const Activations<double> forward = reference_forward(plan, parameters, x, options);
  const Gradients<double> analytic = reference_backward(plan, parameters, forward, grad_logits, options);

  for (std::size_t i = 0; i < parameters.size(); ++i) {
    for (TensorD* values : {&parameters[i].weight, &parameters[i].bias}) {
      const bool weight = values == &parameters[i].weight;
      const TensorD numeric = numerical_gradient(
          [&] { return reference_forward(plan, parameters, x, options).logits(); }, *values, grad_logits);
      const TensorD& expected = weight ? analytic.parameters[i].weight : analytic.parameters[i].bias;
      CHECK_TENSORS_CLOSE(parameters[i].name + (weight ? ".weight" : ".bias"), numeric, expected,
                          gradient_tolerance());
    }
  }
  const TensorD numeric_input =
      numerical_gradient([&] { return reference_forward(plan, parameters, x, options).logits(); }, x, grad_logits);
  CHECK_TENSORS_CLOSE("input", numeric_input, analytic.input, gradient_tolerance());
}

TEST_CASE("the paper's network runs forward and backward at 227x227 on the CPU", "[network][paper]") {
  const Plan& plan = paper_plan();
  const Parameters<float>& parameters = paper_parameters();
  const TensorF x = random_tensor_float({1, 3, 227, 227}, 3, -100.0, 100.0);
  const Activations<float> forward = reference_forward(plan, parameters, x, RunOptions{});
  REQUIRE(forward.logits().shape() == Shape{1, 1000});
  const std::map<std::string, Shape> expected{{"conv1", {1, 96, 55, 55}}, {"pool1", {1, 96, 27, 27}},
                                              {"pool2", {1, 256, 13, 13}}, {"pool5", {1, 256, 6, 6}},
                                              {"flatten", {1, 9216}},      {"fc7", {1, 4096}}};
  for (std::size_t i = 0; i < plan.steps.size(); ++i) {
    const auto found = expected.find(plan.steps[i].name);
    if (found != expected.end()) CHECK(forward.outputs[i].shape() == found->second);
    const auto& values = forward.outputs[i].values();
    CHECK(std::all_of(values.begin(), values.end(), [](float v) { return std::isfinite(v); }));
  }
  // At the paper's initialisation the logits are small, not zero (chapter 09): their spread σ
  // sets the starting loss near ln 1000 + σ²/2, give or take the label's own logit.
  double squares = 0;
  for (const float z : forward.logits().values()) squares += static_cast<double>(z) * z;
  const double sigma = std::sqrt(squares / 1000.0);
  const double loss = cpu::softmax_cross_entropy_forward(forward.logits(), {0});
  INFO("logit RMS " << sigma << ", loss " << loss);
  CHECK(sigma > 0.3);
  CHECK(sigma < 2.0);
  CHECK(std::fabs(loss - (std::log(1000.0) + sigma * sigma / 2)) < 3 * sigma);
  const Gradients<float> gradients = reference_backward(plan, parameters, forward, forward.logits(), RunOptions{});
  CHECK(gradients.input.shape() == x.shape());
  CHECK(count_parameters(gradients.parameters) == 60965224);
}

TEST_CASE("an input of the wrong shape is refused with both shapes named", "[network][errors]") {
  CHECK_THROWS_WITH(reference_forward(paper_plan(), paper_parameters(), TensorF({1, 3, 224, 224}), RunOptions{}),
                    Catch::Contains("expected an input of shape [N, 3, 227, 227] with N > 0, got [1, 3, 224, 224]"));
}

TEST_CASE("parameters saved as .npy files load back; a wrong file is named", "[network][files]") {
  const Plan plan = make_plan(alexnet_tiny());
  const Parameters<float> parameters = initial_parameters(plan, 3);
  const std::string dir = std::string(ALEXNET_TEST_OUTPUT_DIR) + "/tiny_weights";
  std::filesystem::create_directories(dir);
  save_parameters(dir, parameters);
  const Parameters<float> loaded = load_parameters(dir, plan);
  REQUIRE(loaded.size() == parameters.size());
  for (std::size_t i = 0; i < loaded.size(); ++i) {
    CHECK(loaded[i].name == parameters[i].name);
    CHECK(loaded[i].weight.values() == parameters[i].weight.values());
    CHECK(loaded[i].bias.values() == parameters[i].bias.values());
  }
  save_npy(dir + "/fc7.weight.npy", TensorF({8, 7}));
  CHECK_THROWS_WITH(load_parameters(dir, plan), Catch::Contains("fc7.weight.npy: expected fc7.weight of shape [8, 8], got [8, 7]"));
  std::filesystem::remove(dir + "/fc7.weight.npy");
  CHECK_THROWS_WITH(load_parameters(dir, plan), Catch::Contains("fc7.weight.npy"));
}
