// Chapter 12: the paper's SGD by hand and against PyTorch's form, the schedule, a training step
// that every CPU backend takes alike, a tiny network that memorises a handful of images, and
// checkpoints: a resumed run is bit for bit the run that was never interrupted.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <string>

#include "cpu_fast/sgd.hpp"
#include "datasets/synthetic.hpp"
#include "network/summary.hpp"
#include "reference_cpu/sgd.hpp"
#include "reference_cpu/softmax_cross_entropy.hpp"
#include "tests/support/check.hpp"
#include "tests/support/gradient_check.hpp"
#include "tests/support/tolerance.hpp"
#include "training/trainer.hpp"

using namespace alexnet;
using namespace alexnet::testing;
namespace fs = std::filesystem;

namespace {

// A fresh, empty folder under the build's temporary folder for one test's run.
std::string empty_folder(const std::string& name) {
  const fs::path folder = fs::temp_directory_path() / ("alexnet_test_training_" + name);
  fs::remove_all(folder);
  fs::create_directories(folder);
  return folder.string();
}

// The mini network's batches from 36×36 images: random 32×32 crops, reflections, no colour noise.
BatchRecipe mini_recipe(std::uint64_t seed, const StoredImages& train) {
  BatchRecipe recipe;
  recipe.image_side = 36;
  recipe.crop_side = 32;
  recipe.augment.seed = seed;
  recipe.augment.colour_stddev = 0.0;
  recipe.mean = stored_channel_mean(train);
  recipe.scale = alexnet_mini().input_scale;
  return recipe;
}

// 48 synthetic training and 16 validation images of 4 classes, 36×36.
TrainValidationSplit small_dataset() {
  return hold_out_validation(to_stored_images(synthetic_images(64, 36, 4, 11)), 16, 3);
}

TrainingConfig small_run(const std::string& out, int epochs, const TrainValidationSplit& data) {
  TrainingConfig config;
  config.device = "cpu";
  config.epochs = epochs;
  config.batch = 16;
  config.seed = 5;
  config.recipe = mini_recipe(config.seed, data.train);
  config.out = out;
  config.settings = {{"variant", "mini"}, {"batch", "16"}};
  return config;
}

// Every weight and bias of `a` equals `b`'s, bit for bit.
void check_identical(const Parameters<float>& a, const Parameters<float>& b) {
  REQUIRE(a.size() == b.size());
  for (std::size_t k = 0; k < a.size(); ++k) {
    INFO(a[k].name);
    CHECK(a[k].weight.values() == b[k].weight.values());
    CHECK(a[k].bias.values() == b[k].bias.values());
  }
}

}  // namespace

TEST_CASE("one SGD step follows the paper's formula, worked by hand", "[sgd]") {
  // ε = 0.1, momentum 0.9, λ = 0.0005, so λ·ε = 0.00005:
  //   v0 = 0.9·0.5 − 0.00005·1    − 0.1·0.1 = 0.45 − 0.00005 − 0.01 = 0.43995;  w0 = 1 + 0.43995 = 1.43995
  //   v1 = 0.9·0   − 0.00005·(−2) − 0.1·0.3 = 0.0001 − 0.03         = −0.0299;  w1 = −2 − 0.0299 = −2.0299
  TensorD weight({2}, std::vector<double>{1.0, -2.0});
  TensorD velocity({2}, std::vector<double>{0.5, 0.0});
  const TensorD grad({2}, std::vector<double>{0.1, 0.3});
  cpu::sgd_update(grad, 0.1, SgdParams{}, weight, velocity);
  CHECK(velocity[0] == Approx(0.43995).epsilon(1e-12));
  CHECK(weight[0] == Approx(1.43995).epsilon(1e-12));
  CHECK(velocity[1] == Approx(-0.0299).epsilon(1e-12));
  CHECK(weight[1] == Approx(-2.0299).epsilon(1e-12));
}

TEST_CASE("with a constant learning rate the paper's rule and PyTorch's SGD give the same weights", "[sgd]") {
  // PyTorch: b ← 0.9·b + (g + λ·w); w ← w − ε·b. Ours: v ← 0.9·v − λ·ε·w − ε·g; w ← w + v.
  // By induction v = −ε·b: the same steps. Here the gradient depends on w (g = 3·w + noise), as it does in training.
  const double epsilon = 0.05;
  TensorD ours({5}), ours_velocity({5}), theirs({5}), buffer({5});
  fill_uniform(ours, 1, 0, -1.0, 1.0);
  theirs = ours;
  for (int step = 0; step < 20; ++step) {
    TensorD noise({5});
    fill_uniform(noise, 2, static_cast<std::uint64_t>(step), -1.0, 1.0);
    TensorD grad({5});
    for (std::int64_t i = 0; i < 5; ++i) grad[i] = 3.0 * ours[i] + noise[i];
    cpu::sgd_update(grad, epsilon, SgdParams{}, ours, ours_velocity);
    for (std::int64_t i = 0; i < 5; ++i) {
      const double g = 3.0 * theirs[i] + noise[i];
      buffer[i] = 0.9 * buffer[i] + (g + 0.0005 * theirs[i]);
      theirs[i] -= epsilon * buffer[i];
    }
  }
  for (std::int64_t i = 0; i < 5; ++i) CHECK(ours[i] == Approx(theirs[i]).epsilon(1e-12));
}

TEST_CASE("the fast SGD update gives the reference's floats", "[sgd][fast]") {
  const TensorF grad = random_tensor_float({4096, 100}, 1);
  TensorF weight = random_tensor_float({4096, 100}, 2), velocity = random_tensor_float({4096, 100}, 3);
  TensorF fast_weight = weight, fast_velocity = velocity;
  cpu::sgd_update(grad, 0.01, SgdParams{}, weight, velocity);
  fast::sgd_update(grad, 0.01, SgdParams{}, fast_weight, fast_velocity);
  CHECK(fast_weight.values() == weight.values());
  CHECK(fast_velocity.values() == velocity.values());
  TensorF wrong({4096, 99});
  CHECK_THROWS_WITH(fast::sgd_update(grad, 0.01, SgdParams{}, wrong, velocity),
                    Catch::Contains("fast::sgd_update") && Catch::Contains("weight"));
}

TEST_CASE("the learning rate is divided by 10 on a plateau, or after the listed epochs", "[schedule]") {
  ScheduleConfig plateau;  // ε = 0.01, patience 2
  ScheduleState state = start_schedule(plateau);
  CHECK_FALSE(end_epoch(plateau, 1, 0.30, state));  // best 0.30
  CHECK_FALSE(end_epoch(plateau, 2, 0.25, state));  // best 0.25
  CHECK_FALSE(end_epoch(plateau, 3, 0.26, state));  // 1 epoch without improvement
  CHECK(end_epoch(plateau, 4, 0.25, state));        // 2: divide (equal is not better)
  CHECK(state.learning_rate == Approx(0.001));
  CHECK_FALSE(end_epoch(plateau, 5, 0.27, state));  // the new ε gets its own 2 epochs
  CHECK(end_epoch(plateau, 6, 0.26, state));
  CHECK(state.learning_rate == Approx(0.0001));
  CHECK(state.reductions == 2);

  ScheduleConfig steps;
  steps.step_epochs = {2, 3};
  ScheduleState stepped = start_schedule(steps);
  CHECK_FALSE(end_epoch(steps, 1, 0.5, stepped));
  CHECK(end_epoch(steps, 2, 0.4, stepped));
  CHECK(end_epoch(steps, 3, 0.3, stepped));
  CHECK_FALSE(end_epoch(steps, 4, 0.9, stepped));  // no plateau rule with steps
  CHECK(stepped.learning_rate == Approx(0.0001));
}

TEST_CASE("the mini network: the paper's layers at 32x32, He's initialisation", "[mini]") {
  const NetworkSpec mini = alexnet_mini();
  CHECK(mini.towers == 2);
  CHECK(mini.input == Shape{3, 32, 32});
  CHECK(mini.weight_init == WeightInit::HeFanIn);
  const Plan plan = make_plan(mini);
  const Parameters<float> parameters = initial_parameters(plan, 1);
  CHECK(count_parameters(parameters) == total_parameters(mini));
  // He: the weights' standard deviation is √(2 / fan_in), e.g. CONV1: fan_in = 3·5·5 = 75, σ = 0.163.
  for (std::size_t k = 0; k < parameters.size(); ++k) {
    const LayerSummary& layer = plan.layers[static_cast<std::size_t>(plan.parameter_rows[k])];
    const double expected = std::sqrt(2.0 / static_cast<double>(inputs_per_kernel(layer.spec, layer.input)));
    double squares = 0;
    for (const float w : parameters[k].weight.values()) squares += static_cast<double>(w) * w;
    const double measured = std::sqrt(squares / static_cast<double>(parameters[k].weight.size()));
    INFO(layer.spec.name << ": " << measured << " vs " << expected);
    CHECK(measured == Approx(expected).epsilon(0.1));  // ≥ 1,000 draws per layer: within a few %
  }
  CHECK_THAT(layer_table_text(mini), Catch::Contains("He's fan-in"));
}

TEST_CASE("a training step on the reference and on the fast backend gives the same weights", "[backends]") {
  const Plan plan = make_plan(alexnet_mini());
  const Parameters<float> start = initial_parameters(plan, 3);
  const TensorF x = random_tensor_float({4, 3, 32, 32}, 4, -0.5, 0.5);
  const std::vector<std::int64_t> labels{1, 7, 3, 0};
  const RunOptions options{true, 9, 0};
  Parameters<float> after[2];
  const char* devices[2] = {"reference", "cpu"};
  for (int b = 0; b < 2; ++b) {
    auto backend = make_training_backend(devices[b], plan, start, allocate_parameters(plan));
    const TensorF logits = backend->forward(x, options);
    backend->backward(cpu::softmax_cross_entropy_backward(cpu::softmax_forward(logits), labels), options);
    backend->sgd_step(0.01, SgdParams{});
    after[b] = backend->parameters();
  }
  for (std::size_t k = 0; k < start.size(); ++k) {
    // The update moved every layer; both backends moved it alike (their gradients agree to the
    // whole-network tolerance, and ε = 0.01 scales the difference down further).
    CHECK(after[0][k].weight.values() != start[k].weight.values());
    CHECK_TENSORS_CLOSE(start[k].name + ".weight", after[0][k].weight, after[1][k].weight,
                        whole_network_tolerance(after[0][k].weight));
    CHECK_TENSORS_CLOSE(start[k].name + ".bias", after[0][k].bias, after[1][k].bias,
                        whole_network_tolerance(after[0][k].bias));
  }
}

TEST_CASE("the mini network memorises 8 images with random labels", "[overfit]") {
  // The classic sanity check: with nothing to generalise from (labels drawn at random), the
  // loss still falls to ~0 and every image is classified as labelled — dropout on while training.
  // 300 steps: OpenBLAS picks its kernels by CPU, so the path differs from machine to machine in
  // the last bits; after 150 steps one machine's test-mode loss was 0.0998, another's below 0.05.
  const Plan plan = make_plan(alexnet_mini());
  TensorF x = random_tensor_float({8, 3, 32, 32}, 21, -0.5, 0.5);  // pixels minus their mean, times 1/255
  const std::vector<std::int64_t> labels{3, 8, 0, 5, 5, 1, 9, 2};
  auto backend = make_training_backend("cpu", plan, initial_parameters(plan, 22), allocate_parameters(plan));
  double first_loss = 0, loss = 0;
  for (std::uint64_t step = 0; step < 300; ++step) {
    const RunOptions options{true, 23, step};
    const TensorF logits = backend->forward(x, options);
    loss = cpu::softmax_cross_entropy_forward(logits, labels);
    if (step == 0) first_loss = loss;
    backend->backward(cpu::softmax_cross_entropy_backward(cpu::softmax_forward(logits), labels), options);
    backend->sgd_step(0.01, SgdParams{});
  }
  const TensorF test_logits = backend->forward(x, RunOptions{});
  INFO("loss " << first_loss << " -> " << loss);
  CHECK(first_loss > 1.5);  // ≈ ln 10 = 2.3 at the start
  CHECK(cpu::softmax_cross_entropy_forward(test_logits, labels) < 0.05);
  CHECK(cpu::top_k_accuracy(test_logits, labels, 1) == 1.0);
}

TEST_CASE("a resumed run is bit for bit the run that was not interrupted", "[checkpoint]") {
  const TrainValidationSplit data = small_dataset();
  ProgressBar quiet(std::tmpfile());
  const std::string straight_out = empty_folder("straight");
  const TrainingResult straight =
      train(make_plan(alexnet_mini()), small_run(straight_out, 2, data), data.train, data.validation, quiet);

  SECTION("stopped after epoch 1") {
    const std::string out = empty_folder("after_epoch");
    train(make_plan(alexnet_mini()), small_run(out, 1, data), data.train, data.validation, quiet);
    fs::remove(out + "/steps.csv");  // lost: the resumed run's steps.csv starts at its own first step
    TrainingConfig resumed = small_run(out, 2, data);
    resumed.resume = true;
    const TrainingResult result = train(make_plan(alexnet_mini()), resumed, data.train, data.validation, quiet);
    check_identical(straight.backend->parameters(), result.backend->parameters());
    check_identical(straight.backend->velocity(), result.backend->velocity());
    REQUIRE(result.log.size() == 2);
    CHECK(result.log[1].validation_loss == straight.log[1].validation_loss);
    const std::vector<StepRecord> steps = read_steps_csv(out + "/steps.csv");
    REQUIRE(steps.size() == 3);  // epoch 2's
    CHECK(steps.front().step == 4);
  }
  SECTION("stopped in the middle of epoch 2 (Ctrl-C), after its second step") {
    const std::string out = empty_folder("mid_epoch");
    TrainingConfig interrupted = small_run(out, 2, data);
    int steps = 0;
    // Polled after every step and after every epoch, 3 steps per epoch: the 6th poll follows epoch 2's second step.
    interrupted.stop_requested = [&] { return ++steps == 6; };
    const TrainingResult stopped = train(make_plan(alexnet_mini()), interrupted, data.train, data.validation, quiet);
    CHECK(stopped.interrupted);
    CHECK(fs::path(stopped.checkpoint).filename() == "checkpoint-epoch-1-batch-2");
    TrainingConfig resumed = small_run(out, 2, data);
    resumed.resume = true;
    const TrainingResult result = train(make_plan(alexnet_mini()), resumed, data.train, data.validation, quiet);
    check_identical(straight.backend->parameters(), result.backend->parameters());
    CHECK(result.log.back().train_loss == straight.log.back().train_loss);
    const std::vector<StepRecord> all = read_steps_csv(straight_out + "/steps.csv");
    const std::vector<StepRecord> joined = read_steps_csv(out + "/steps.csv");  // 3 + 2 steps before the stop, 1 after
    REQUIRE(all.size() == 6);
    REQUIRE(joined.size() == 6);
    for (std::size_t i = 0; i < all.size(); ++i) {
      CHECK(joined[i].loss == all[i].loss);
      CHECK(joined[i].epoch == all[i].epoch);
    }
    CHECK_FALSE(fs::exists(stopped.checkpoint));  // the newer checkpoint replaced it
  }
}

TEST_CASE("checkpoints: written whole, refused when they do not match", "[checkpoint]") {
  const TrainValidationSplit data = small_dataset();
  ProgressBar quiet(std::tmpfile());
  const std::string out = empty_folder("refusals");
  const TrainingResult run = train(make_plan(alexnet_mini()), small_run(out, 1, data), data.train, data.validation, quiet);
  CHECK(latest_checkpoint(out) == run.checkpoint);
  CHECK(fs::exists(fs::path(run.checkpoint) / "velocity" / "fc8.weight.npy"));
  CHECK(checkpoint_settings(run.checkpoint).at("variant") == "mini");
  const std::vector<EpochRecord> log = read_log_csv(out + "/log.csv");
  REQUIRE(log.size() == 1);
  CHECK(log[0].validation_top1 == Approx(run.log[0].validation_top1).margin(1e-6));
  // The training subset: the first training images, as many as are held out, in test mode like the validation.
  std::vector<std::int64_t> first(static_cast<std::size_t>(data.validation.count));
  for (std::size_t i = 0; i < first.size(); ++i) first[i] = static_cast<std::int64_t>(i);
  const TrainingConfig config = small_run(out, 1, data);
  const Evaluation subset =
      evaluate(*run.backend, select_images(data.train, first), config.recipe, config.batch, false);
  CHECK(log[0].subset_loss == Approx(subset.loss).margin(1e-6));
  CHECK(log[0].subset_top1 == Approx(subset.top1).margin(1e-6));

  CHECK_THROWS_WITH(train(make_plan(alexnet_mini()), small_run(out, 2, data), data.train, data.validation, quiet),
                    Catch::Contains("already holds a training run") && Catch::Contains("--resume"));
  TrainingConfig other_batch = small_run(out, 2, data);
  other_batch.resume = true;
  other_batch.settings["batch"] = "32";
  CHECK_THROWS_WITH(train(make_plan(alexnet_mini()), other_batch, data.train, data.validation, quiet),
                    Catch::Contains("was trained with batch 16; this run asks for batch 32"));
  CHECK_THROWS_WITH(load_checkpoint(out, make_plan(alexnet_tiny())),
                    Catch::Contains("conv1.weight") && Catch::Contains("expected"));
}

TEST_CASE("a loss that becomes NaN or infinite stops training and names the step", "[checkpoint]") {
  const TrainValidationSplit data = small_dataset();
  ProgressBar quiet(std::tmpfile());
  const std::string out = empty_folder("diverges");
  train(make_plan(alexnet_mini()), small_run(out, 1, data), data.train, data.validation, quiet);
  TrainingConfig explode = small_run(out, 3, data);
  explode.resume = true;
  explode.schedule.initial_learning_rate = 1e6;  // ignored on resume: the checkpoint holds ε ...
  Checkpoint saved = load_checkpoint(out, make_plan(alexnet_mini()));
  saved.progress.schedule.learning_rate = 1e6;   // ... so set it there
  save_checkpoint(out, saved);
  std::string message;
  try {
    train(make_plan(alexnet_mini()), explode, data.train, data.validation, quiet);
  } catch (const std::runtime_error& error) {
    message = error.what();
  }
  INFO(message);
  // A loss that is not a number stops the step; weights that overflowed stop the epoch before its checkpoint.
  CHECK_THAT(message, (Catch::Contains("at step") || Catch::Contains("no longer finite")) &&
                          Catch::Contains("training stopped"));
  // The checkpoint it names is the last one written, before the weights went bad: complete, and finite.
  CHECK_THAT(message, Catch::EndsWith("the last good checkpoint is " + latest_checkpoint(out)));
  const Checkpoint kept = load_checkpoint(out, make_plan(alexnet_mini()));
  for (const LayerTensors<float>& layer : kept.parameters) {
    for (const float w : layer.weight.values()) REQUIRE(std::isfinite(w));
  }
}

TEST_CASE("evaluation: ten crops average ten softmaxes per image", "[eval]") {
  const TrainValidationSplit data = small_dataset();
  const Plan plan = make_plan(alexnet_mini());
  auto backend = make_training_backend("cpu", plan, initial_parameters(plan, 1), allocate_parameters(plan));
  const BatchRecipe recipe = mini_recipe(1, data.train);
  const Evaluation centre = evaluate(*backend, data.validation, recipe, 8, false);
  const Evaluation ten = evaluate(*backend, data.validation, recipe, 80, true);
  CHECK(centre.images == 16);
  CHECK(ten.images == 16);
  CHECK(centre.top5 >= centre.top1);
  CHECK(ten.loss != centre.loss);  // other crops, another average
  CHECK(ten.loss > 0);
}
