// Chapter 14's experiment on the CPU: batch and group normalization as rows of the layer table and steps of
// the plan. The mini network's four variants and their parameter counts; finite-difference checks of whole
// small networks with either normalization (training mode, through the batch statistics); the fast backend
// against the reference; test mode on the running statistics; the running statistics in weight files.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>

#include "chapters/14_normalization/normalization_checks.hpp"
#include "network/cpu_network.hpp"
#include "network/fast_network.hpp"
#include "network/plan.hpp"
#include "network/summary.hpp"
#include "reference_cpu/format.hpp"
#include "reference_cpu/npy.hpp"
#include "reference_cpu/random.hpp"
#include "training/backend.hpp"

using namespace alexnet;
using namespace alexnet::testing;

namespace {

std::string names_of(const Plan& plan) {
  std::string names;
  for (const Step& step : plan.steps) names += (names.empty() ? "" : " ") + step.name;
  return names;
}

// A small two-tower network with the mini variant's pattern, conv → normalization → ReLU, small enough for a
// finite-difference check of every value: 3@8×8 → conv1 (k3, p1) 4@8×8 → norm1 → pool1 4@3×3
// → conv2 (k3, p1, g2) 4@3×3 → norm2 → fc3 6 (ReLU, dropout) → fc4 5. GroupNorm: 2 groups, one per tower.
NetworkSpec tiny_normalized(Normalization normalization) {
  const bool batch = normalization == Normalization::BatchNorm;
  const auto norm = [&](const std::string& number) {
    LayerSpec row = batch ? batch_norm("bn" + number) : group_norm("gn" + number, 2);
    row.relu = true;
    return row;
  };
  NetworkSpec spec{batch ? "tiny batch-norm network" : "tiny group-norm network", 2, {3, 8, 8}, {},
                   WeightInit::HeFanIn};
  spec.layers = {conv("conv1", 4, 3, 1, 1, 1, 0), norm("1"), pool("pool1"), conv("conv2", 4, 3, 1, 1, 2, 0),
                 norm("2"), fully_connected("fc3", 6, true), fully_connected("fc4", 5, false)};
  spec.layers[0].relu = spec.layers[3].relu = false;  // the ReLU follows the normalization
  return spec;
}

// The steps of one kind.
template <class Kind>
std::vector<const Kind*> steps_of(const Plan& plan) {
  std::vector<const Kind*> steps;
  for (const Step& step : plan.steps) {
    if (const auto* kind = std::get_if<Kind>(&step.op)) steps.push_back(kind);
  }
  return steps;
}

std::string output_dir(const std::string& name) {
  const std::string dir = std::string(ALEXNET_TEST_OUTPUT_DIR) + "/" + name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace

TEST_CASE("the mini network's four normalizations, and their parameters counted by hand", "[network][parameters]") {
  // mini (LRN), per layer (K·K·C_in/groups + 1)·C_out and (in + 1)·out:
  //   conv1 (3·3·3 + 1)·24 = 672       conv2 (3·3·12 + 1)·48 = 5,232    conv3 (3·3·48 + 1)·48 = 20,784
  //   conv4 (3·3·24 + 1)·48 = 10,416   conv5 (3·3·24 + 1)·32 = 6,944    fc6 (288 + 1)·256 = 73,984
  //   fc7 (256 + 1)·256 = 65,792       fc8 (256 + 1)·10 = 2,570         total 186,394; LRN learns nothing.
  // mini-batchnorm = mini − 0 (the LRN rows) + 2·(24 + 48 + 48 + 48 + 32) (γ and β of bn1..bn5) = 186,394 + 400
  //   = 186,794; the running statistics (another 400 values) are buffers, not parameters, as PyTorch counts.
  // mini-groupnorm: the same γ and β, 186,794. mini-none: 186,394.
  const std::vector<std::pair<std::string, std::int64_t>> expected{
      {"mini", 186394}, {"mini-batchnorm", 186794}, {"mini-groupnorm", 186794}, {"mini-none", 186394}};
  for (const auto& [variant, parameters] : expected) {
    INFO(variant);
    const NetworkSpec spec = network_variant(variant);
    CHECK(total_parameters(spec) == parameters);
    CHECK(count_parameters(allocate_parameters(make_plan(spec))) == parameters);
    CHECK(layer_table_text(spec).find("total: " + with_commas(parameters) + " parameters") != std::string::npos);
    // A normalization adds no multiply-adds: the four do the same convolutions and products.
    CHECK(total_multiply_adds(spec) == total_multiply_adds(alexnet_mini()));
  }
  CHECK(names_of(make_plan(alexnet_mini())) ==
        "conv1 relu1 lrn1 pool1 conv2 relu2 lrn2 pool2 conv3 relu3 conv4 relu4 conv5 relu5 pool5 "
        "flatten fc6 relu6 drop6 fc7 relu7 drop7 fc8");
  // Ioffe & Szegedy's place: after the convolution, before its ReLU.
  CHECK(names_of(make_plan(alexnet_mini(Normalization::BatchNorm))) ==
        "conv1 bn1 relu1 pool1 conv2 bn2 relu2 pool2 conv3 bn3 relu3 conv4 bn4 relu4 conv5 bn5 relu5 pool5 "
        "flatten fc6 relu6 drop6 fc7 relu7 drop7 fc8");
  CHECK(names_of(make_plan(alexnet_mini(Normalization::GroupNorm))).find("conv5 gn5 relu5 pool5") !=
        std::string::npos);
  CHECK(names_of(make_plan(alexnet_mini(Normalization::None))) ==
        "conv1 relu1 pool1 conv2 relu2 pool2 conv3 relu3 conv4 relu4 conv5 relu5 pool5 "
        "flatten fc6 relu6 drop6 fc7 relu7 drop7 fc8");

  const std::string table = layer_table_text(alexnet_mini(Normalization::GroupNorm));
  INFO(table);
  CHECK(table.find("gn1    groupnorm G=8 +relu") != std::string::npos);
  CHECK(table.find("16 + 16") != std::string::npos);  // each tower normalizes its own 16 maps, 4 groups
  CHECK(layer_table_text(alexnet_mini(Normalization::BatchNorm)).find("bn3    batchnorm +relu") != std::string::npos);
  CHECK(summarize_layer(alexnet_mini(Normalization::BatchNorm), "bn3").parameters == 2 * 48);
  CHECK(weight_shape(find_layer(alexnet_mini(Normalization::BatchNorm), "bn3"), {48, 7, 7}) == Shape{48});
}

TEST_CASE("a normalization starts as PyTorch's: gamma 1, beta 0, running mean 0 and variance 1", "[network][init]") {
  const Plan plan = make_plan(alexnet_mini(Normalization::BatchNorm));
  const Parameters<float> parameters = initial_parameters(plan, 12);
  const LayerTensors<float>& bn2 = parameters[3];  // conv1, bn1, conv2, bn2
  REQUIRE(bn2.name == "bn2");
  CHECK(bn2.weight.values() == std::vector<float>(48, 1.0f));
  CHECK(bn2.bias.values() == std::vector<float>(48, 0.0f));
  CHECK(bn2.running_mean.values() == std::vector<float>(48, 0.0f));
  CHECK(bn2.running_var.values() == std::vector<float>(48, 1.0f));
  CHECK(parameters[2].running_mean.size() == 0);  // conv2 has no running statistics
  const Parameters<float> groups = initial_parameters(make_plan(alexnet_mini(Normalization::GroupNorm)), 12);
  CHECK(groups[1].name == "gn1");
  CHECK(groups[1].weight.values() == std::vector<float>(24, 1.0f));
  CHECK(groups[1].running_mean.size() == 0);  // group normalization keeps no statistics
  // And the rows of the table check their input.
  CHECK_THROWS_WITH(summarize(NetworkSpec{"bad", 1, {6, 4, 4}, {group_norm("gn1", 4)}}),
                    Catch::Contains("gn1: channels 6 do not divide into 4 groups"));
}

TEST_CASE("whole-network backward with batch or group normalization matches finite differences",
          "[network][gradient]") {
  for (const Normalization normalization : {Normalization::BatchNorm, Normalization::GroupNorm}) {
    const Plan plan = make_plan(tiny_normalized(normalization));
    INFO(plan.spec.name);
    Parameters<double> parameters = convert_parameters<double>(initial_parameters(plan, 5));
    randomize_parameters(plan, parameters, 7);
    TensorD x = random_tensor({3, 3, 8, 8}, 1);  // 3 images: a channel's batch statistics over 3·8·8 values
    const RunOptions options{true, 11, 4};       // training: batch statistics, dropout on
    const TensorD grad_logits = random_tensor({3, 5}, 2);
    const auto logits = [&] { return reference_forward(plan, parameters, x, options).logits(); };
    const Activations<double> forward = reference_forward(plan, parameters, x, options);
    const Gradients<double> analytic = reference_backward(plan, parameters, forward, grad_logits, options);
    for (std::size_t i = 0; i < parameters.size(); ++i) {  // incl. γ (weight) and β (bias) of norm1 and norm2
      CHECK_TENSORS_CLOSE(parameters[i].name + ".weight", numerical_gradient(logits, parameters[i].weight, grad_logits),
                          analytic.parameters[i].weight, gradient_tolerance());
      CHECK_TENSORS_CLOSE(parameters[i].name + ".bias", numerical_gradient(logits, parameters[i].bias, grad_logits),
                          analytic.parameters[i].bias, gradient_tolerance());
    }
    CHECK_TENSORS_CLOSE("input", numerical_gradient(logits, x, grad_logits), analytic.input, gradient_tolerance());
    // Batch normalization subtracts each channel's mean, the convolution's bias with it: that bias's gradient is
    // 0 (so the convolution before it could drop its bias). Group normalization subtracts a group's mean: a
    // channel's own bias still counts.
    for (const std::size_t conv : {0, 2}) {
      const bool cancelled = normalization == Normalization::BatchNorm;
      double largest = 0;
      for (const double g : analytic.parameters[conv].bias.values()) largest = std::max(largest, std::fabs(g));
      INFO(parameters[conv].name << ".bias gradient up to " << largest);
      CHECK((largest < 1e-12) == cancelled);
    }
  }
}

TEST_CASE("fast equals reference on mini-batchnorm and mini-groupnorm, running statistics too",
          "[network][fast_cpu]") {
  for (const Normalization normalization : {Normalization::BatchNorm, Normalization::GroupNorm}) {
    const Plan plan = make_plan(alexnet_mini(normalization));
    INFO(plan.spec.name);
    Parameters<float> parameters = initial_parameters(plan, 2012);
    randomize_parameters(plan, parameters, 7);
    const TensorF x = random_tensor_float({8, 3, 32, 32}, 11, -0.5, 0.5);  // pixels − mean, scaled by 1/255
    const RunOptions options{true, 42, 3};
    const TensorF grad_logits = random_tensor_float({8, 10}, 12);
    const Activations<float> expected = reference_forward(plan, parameters, x, options);
    const Activations<float> actual = fast_forward(plan, parameters, x, options);
    CHECK_TENSORS_CLOSE("logits", expected.logits(), actual.logits(), whole_network_tolerance(expected.logits()));
    // Both backwards from the reference's activations, as chapter 13's whole-network test explains.
    check_network_gradients(plan, reference_backward(plan, parameters, expected, grad_logits, options),
                            fast_backward(plan, parameters, expected, grad_logits, options));
    // One set of batch statistics per batch normalization, none for group normalization.
    const std::size_t batch_norms = steps_of<BatchNormStep>(plan).size();
    CHECK(batch_norms == (normalization == Normalization::BatchNorm ? 5u : 0u));
    REQUIRE(expected.batch_statistics.size() == batch_norms);
    REQUIRE(actual.batch_statistics.size() == batch_norms);
    Parameters<float> updated_reference = parameters, updated_fast = parameters;
    update_running_statistics(plan, expected, updated_reference);
    update_running_statistics(plan, actual, updated_fast);
    for (std::size_t i = 0; i < parameters.size(); ++i) {
      const LayerTensors<float>& r = updated_reference[i];
      if (r.running_mean.size() == 0) continue;
      // The statistics of activations that the two forwards computed with their own roundings: the whole
      // network's tolerance.
      CHECK_TENSORS_CLOSE(r.name + ".running_mean", r.running_mean, updated_fast[i].running_mean,
                          whole_network_tolerance(r.running_mean));
      CHECK_TENSORS_CLOSE(r.name + ".running_var", r.running_var, updated_fast[i].running_var,
                          whole_network_tolerance(r.running_var));
      CHECK(r.running_var.values() != parameters[i].running_var.values());  // they moved
    }
  }
}

TEST_CASE("the running statistics follow PyTorch's update from the batch's", "[network][batchnorm]") {
  const Plan plan = make_plan(alexnet_mini(Normalization::BatchNorm));
  Parameters<double> parameters = convert_parameters<double>(initial_parameters(plan, 3));
  const TensorD x = random_tensor({4, 3, 32, 32}, 5, -0.5, 0.5);
  const Activations<double> forward = reference_forward(plan, parameters, x, RunOptions{true, 1, 0});
  // bn1 sees conv1's output [4, 24, 32, 32]: m = 4·32·32 = 4096 values per channel. From fresh statistics
  // (0, 1): mean ← 0.9·0 + 0.1·μ, var ← 0.9·1 + 0.1·σ²·m/(m − 1).
  const BatchStatistics<double>& bn1 = forward.batch_statistics.at(0);
  CHECK(plan.steps[bn1.step].name == "bn1");
  CHECK(bn1.count_per_channel == 4096);
  update_running_statistics(plan, forward, parameters);
  for (int c = 0; c < 24; ++c) {
    CHECK(parameters[1].running_mean[c] == Approx(0.1 * bn1.mean[c]));
    CHECK(parameters[1].running_var[c] == Approx(0.9 + 0.1 * bn1.variance[c] * 4096.0 / 4095.0));
  }
  // The batch's mean is of conv1's output itself: recompute channel 5's from the step before bn1.
  const TensorD& conv1 = forward.outputs[0];
  double sum = 0;
  for (std::int64_t n = 0; n < 4; ++n) {
    for (std::int64_t j = 0; j < 32 * 32; ++j) sum += conv1[(n * 24 + 5) * 1024 + j];
  }
  CHECK(bn1.mean[5] == Approx(sum / 4096));
}

TEST_CASE("test mode normalizes with the running statistics, training mode with the batch's", "[network][batchnorm]") {
  const Plan plan = make_plan(alexnet_mini(Normalization::BatchNorm));
  Parameters<float> parameters = initial_parameters(plan, 4);
  const TensorF x = random_tensor_float({4, 3, 32, 32}, 6, -0.5, 0.5);
  const RunOptions test_mode{false, 1, 0}, training{true, 1, 0};
  const TensorF test_before = reference_forward(plan, parameters, x, test_mode).logits();
  const TensorF training_before = reference_forward(plan, parameters, x, training).logits();
  CHECK(reference_forward(plan, parameters, x, test_mode).batch_statistics.empty());

  parameters[1].running_mean.fill(0.5f);  // bn1: other running statistics
  parameters[1].running_var.fill(3.0f);
  CHECK(reference_forward(plan, parameters, x, test_mode).logits().values() != test_before.values());
  CHECK(reference_forward(plan, parameters, x, training).logits().values() == training_before.values());

  // In test mode an image's logits do not depend on the rest of the batch; in training mode they do.
  const TensorF first_image = TensorF({1, 3, 32, 32}, std::vector<float>(x.data(), x.data() + 3 * 32 * 32));
  const auto first_row = [](const TensorF& logits) {
    return std::vector<float>(logits.data(), logits.data() + logits.dim(1));
  };
  CHECK(first_row(reference_forward(plan, parameters, first_image, test_mode).logits()) ==
        first_row(reference_forward(plan, parameters, x, test_mode).logits()));
  const TensorF two_images = TensorF({2, 3, 32, 32}, std::vector<float>(x.data(), x.data() + 2 * 3 * 32 * 32));
  CHECK(first_row(reference_forward(plan, parameters, two_images, training).logits()) !=
        first_row(reference_forward(plan, parameters, x, training).logits()));

  // The backward goes through the batch statistics: there is none after a test-mode forward.
  const Activations<float> evaluated = reference_forward(plan, parameters, x, test_mode);
  CHECK_THROWS_WITH(reference_backward(plan, parameters, evaluated, evaluated.logits(), test_mode),
                    Catch::Contains("bn5: the backward of batch normalization runs after a training-mode forward"));
}

TEST_CASE("a training backend moves its running statistics on every training forward, not at test time",
          "[network][batchnorm][training]") {
  const Plan plan = make_plan(alexnet_mini(Normalization::BatchNorm));
  const Parameters<float> initial = initial_parameters(plan, 8);
  const TensorF x = random_tensor_float({4, 3, 32, 32}, 9, -0.5, 0.5);
  for (const std::string device : {"reference", "cpu"}) {
    INFO(device);
    const auto backend = make_training_backend(device, plan, initial, allocate_parameters(plan));
    backend->forward(x, RunOptions{false, 1, 0});
    CHECK(backend->parameters()[1].running_mean.values() == initial[1].running_mean.values());
    backend->forward(x, RunOptions{true, 1, 0});
    Parameters<float> expected = initial;
    update_running_statistics(plan, reference_forward(plan, initial, x, RunOptions{true, 1, 0}), expected);
    for (const std::size_t i : {1, 3, 5, 7, 9}) {  // bn1 … bn5
      CHECK_TENSORS_CLOSE(expected[i].name + ".running_mean", expected[i].running_mean,
                          backend->parameters()[i].running_mean, whole_network_tolerance(expected[i].running_mean));
      CHECK_TENSORS_CLOSE(expected[i].name + ".running_var", expected[i].running_var,
                          backend->parameters()[i].running_var, whole_network_tolerance(expected[i].running_var));
    }
  }
}

TEST_CASE("running statistics are saved and loaded under PyTorch's state_dict names", "[network][files]") {
  const Plan plan = make_plan(alexnet_mini(Normalization::BatchNorm));
  Parameters<float> parameters = initial_parameters(plan, 3);
  const Activations<float> forward =
      reference_forward(plan, parameters, random_tensor_float({2, 3, 32, 32}, 1, -0.5, 0.5), RunOptions{true, 1, 0});
  update_running_statistics(plan, forward, parameters);  // values other than 0 and 1
  const std::string dir = output_dir("mini_batchnorm_weights");
  save_parameters(dir, parameters);
  CHECK(std::filesystem::exists(dir + "/bn1.running_mean.npy"));
  CHECK(std::filesystem::exists(dir + "/bn1.running_var.npy"));
  CHECK(std::filesystem::exists(dir + "/bn1.weight.npy"));  // γ, as PyTorch names it
  CHECK_FALSE(std::filesystem::exists(dir + "/conv1.running_mean.npy"));
  const Parameters<float> loaded = load_parameters(dir, plan);
  REQUIRE(loaded.size() == parameters.size());
  for (std::size_t i = 0; i < loaded.size(); ++i) {
    CHECK(loaded[i].name == parameters[i].name);
    CHECK(loaded[i].weight.values() == parameters[i].weight.values());
    CHECK(loaded[i].bias.values() == parameters[i].bias.values());
    CHECK(loaded[i].running_mean.values() == parameters[i].running_mean.values());
    CHECK(loaded[i].running_var.values() == parameters[i].running_var.values());
  }
  save_npy(dir + "/bn4.running_var.npy", TensorF({47}));
  CHECK_THROWS_WITH(load_parameters(dir, plan),
                    Catch::Contains("bn4.running_var.npy: expected bn4.running_var of shape [48], got [47]"));
  std::filesystem::remove(dir + "/bn4.running_var.npy");
  CHECK_THROWS_WITH(load_parameters(dir, plan), Catch::Contains("bn4.running_var.npy"));

  const std::string groups = output_dir("mini_groupnorm_weights");  // group normalization: γ and β only
  save_parameters(groups, initial_parameters(make_plan(alexnet_mini(Normalization::GroupNorm)), 3));
  CHECK(std::filesystem::exists(groups + "/gn1.weight.npy"));
  CHECK_FALSE(std::filesystem::exists(groups + "/gn1.running_mean.npy"));
}
