#include "training_commands.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <map>
#include <stdexcept>
#include <thread>

#include "cpu_fast/threads.hpp"
#include "cpu_fast/workspace.hpp"
#include "flag_checks.hpp"
#include "network/summary.hpp"
#include "reference_cpu/atomic_file.hpp"
#include "reference_cpu/format.hpp"
#include "reference_cpu/untrusted_file.hpp"
#include "training/mpi_workers.hpp"
#include "training/plot_script.hpp"
#include "training/trainer.hpp"
#if ALEXNET_WITH_CUDA
#include "cuda/gpu.cuh"
#endif

namespace alexnet {
namespace {

namespace fs = std::filesystem;

// Ctrl-C during training: the flag the loop polls after every step.
volatile std::sig_atomic_t g_interrupted = 0;

void on_interrupt(int) {
  g_interrupted = 1;
  const char message[] = "\nCtrl-C: finishing this step, then writing a checkpoint (Ctrl-C again to quit at once)\n";
  (void)!::write(STDERR_FILENO, message, sizeof message - 1);
  std::signal(SIGINT, SIG_DFL);
}

// The side images are stored and resized to: the network's own (the mini network: 32, no crop), else the
// paper's ratio (chapter 11: 256 for 227 crops).
int stored_side_for(const NetworkSpec& spec) {
  return spec.image_side > 0 ? spec.image_side : static_cast<int>(std::lround(spec.input.at(1) * 256.0 / 227.0));
}

// "auto": the GPU when there is one, else the fast CPU backend.
std::string chosen_device(const std::string& device) {
  if (device != "auto") return device;
#if ALEXNET_WITH_CUDA
  if (gpu_available()) return "cuda";
#endif
  return "cpu";
}

// The network of a variant, without its dropout layers when asked (the chapter's experiment).
Plan plan_of(const std::string& variant, bool dropout) {
  NetworkSpec spec = network_variant(variant);
  if (!dropout) {
    for (LayerSpec& layer : spec.layers) layer.dropout = false;
    spec.name += ", without dropout";
  }
  return make_plan(spec);
}

// "72.94,72.94,72.94": the training set's mean, exactly, as a checkpoint records it.
std::string mean_text(const std::array<float, 3>& mean) {
  return format("%.9g,%.9g,%.9g", mean[0], mean[1], mean[2]);
}

// "R,G,B" as a checkpoint records it: three pixel values 0..255.
std::array<float, 3> parse_mean(const std::string& text, const std::string& where) {
  std::array<float, 3> mean{};
  std::size_t start = 0;
  for (std::size_t c = 0; c < 3; ++c) {
    const std::size_t comma = c < 2 ? text.find(',', start) : text.size();
    if (comma == std::string::npos) {
      throw std::runtime_error(where + ": mean: expected R,G,B, got '" + quoted_for_message(text) + "'");
    }
    mean[c] = static_cast<float>(parse_real_field(text.substr(start, comma - start), 0, 255, where + ": mean"));
    start = comma + 1;
  }
  return mean;
}

void print_evaluation(const std::string& what, const Evaluation& e) {
  std::printf("%s: top-1 %.2f%%, top-5 %.2f%%, loss %.4f (%s images)\n", what.c_str(), 100.0 * e.top1, 100.0 * e.top5,
              e.loss, with_commas(e.images).c_str());
}

// Runs gnuplot (no shell) on `script` with its standard output, the PNG, written to the new file `png`.
void run_gnuplot(const std::string& script, const std::string& png) {
  const int output = ::open(png.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (output < 0) throw std::runtime_error(png + ": cannot create (" + std::strerror(errno) + ")");
  int script_pipe[2];
  if (::pipe(script_pipe) != 0) {
    ::close(output);
    throw std::runtime_error("cannot start gnuplot: no pipe");
  }
  const pid_t child = ::fork();
  if (child == 0) {
    ::dup2(script_pipe[0], STDIN_FILENO);
    ::dup2(output, STDOUT_FILENO);
    ::close(script_pipe[0]);
    ::close(script_pipe[1]);
    char* const arguments[] = {const_cast<char*>("gnuplot"), nullptr};
    ::execvp("gnuplot", arguments);
    ::_exit(127);
  }
  ::close(output);
  ::close(script_pipe[0]);
  const auto old_sigpipe = std::signal(SIGPIPE, SIG_IGN);  // gnuplot may exit before reading it all
  const bool written = child > 0 && ::write(script_pipe[1], script.data(), script.size()) ==
                                        static_cast<ssize_t>(script.size());
  ::close(script_pipe[1]);
  int status = 0;
  const bool waited = child > 0 && ::waitpid(child, &status, 0) == child;
  std::signal(SIGPIPE, old_sigpipe);
  if (waited && WIFEXITED(status) && WEXITSTATUS(status) == 127) {
    throw std::runtime_error("gnuplot not found: install Debian's gnuplot-nox (scripts/setup does)");
  }
  if (!written || !waited || !WIFEXITED(status) || WEXITSTATUS(status) != 0 || fs::file_size(png) == 0) {
    throw std::runtime_error(png + ": gnuplot failed to draw the figure (its message is above)");
  }
}

void set_threads(int threads) {
  fast::set_threads(threads > 0 ? threads : fast::available_cores());
  fast::keep_large_blocks_in_heap();
}

}  // namespace

TrainingCommands::TrainingCommands(CLI::App& app) {
  const auto add_common = [&](CLI::App* command) {
    command->add_option("--dataset", dataset_, "fashion-mnist (Debian's package) or csv:PATH (a manifest path,label)")
        ->capture_default_str();
    command->add_option("--classes", classes_, "with csv:PATH, a classes CSV (index,name)")->check(CLI::ExistingFile);
    command->add_flag("--skip-bad", skip_bad_, "with csv:PATH, skip (and list) bad rows instead of stopping");
    command->add_option("--device", device_, "auto (the GPU when there is one, else cpu), reference, cpu or cuda")
        ->check(CLI::IsMember([] {
          std::vector<std::string> names = training_device_names();
          names.insert(names.begin(), "auto");
          return names;
        }()))
        ->capture_default_str();
    command->add_option("--gpus", gpus_, "with --device cuda: the device of each tower, e.g. 0,1")
        ->delimiter(',')
        ->check(integer_in(0, kMaxGpuIndex));
    command->add_option("--kernels", kernels_, "with --device cuda: fast (im2col + cuBLAS, chapter 15), course "
                                               "(implicit GEMM and the SGEMM ladder, chapter 16) or chapters (the "
                                               "kernels of chapters 01-09)")
        ->check(CLI::IsMember({"fast", "course", "chapters"}))
        ->capture_default_str();
    command->add_option("--precision", precision_, "with --device cuda and fast kernels: fp32 or tf32 (tensor cores)")
        ->check(CLI::IsMember({"fp32", "tf32"}))
        ->capture_default_str();
    command->add_option("--threads", threads_, "threads of the fast CPU backend (default: the cores available)")
        ->check(integer_in(1, 1024));
    command->add_option("--batch", batch_, "images per batch")->check(integer_in(1, kMaxBatch))->capture_default_str();
    command->add_option("--limit", limit_, "use only the first N images of the dataset")
        ->check(integer_in(1, kMaxImageCount));
    command->add_option("--max-pixels", max_pixels_, "with csv:PATH, refuse images whose header declares more pixels")
        ->check(integer_in(1, kMaxImageCount))
        ->capture_default_str();
  };

  train_command_ = app.add_subcommand("train", "train a network with the paper's SGD; a checkpoint per epoch");
  add_common(train_command_);
  train_command_->add_option("--variant", variant_, "which network")
      ->check(CLI::IsMember(variant_names()))
      ->capture_default_str();
  train_command_->add_option("--epochs", epochs_, "train until this many epochs are done (default: the variant's "
                                                  "recipe: 7 for the mini variants, 10 for the others)")
      ->check(integer_in(1, kMaxEpochs));
  train_command_->add_option("--lr", learning_rate_, "initial learning rate epsilon (default: the variant's recipe: "
                                                     "0.04 for the mini variants, the paper's 0.01 for the others)")
      ->check(finite_above(0, kMaxLearningRate));
  train_command_->add_option("--patience", patience_, "divide epsilon by 10 after this many epochs without a new best "
                                                      "validation error")
      ->check(integer_in(1, kMaxEpochs))
      ->capture_default_str();
  train_command_->add_option("--lr-steps", lr_steps_, "instead: divide epsilon by 10 after these epochs, e.g. 8,11 "
                                                      "(default for the mini variants, without --patience: 6)")
      ->delimiter(',')
      ->check(integer_in(1, kMaxEpochs));
  train_command_->add_option("--seed", seed_, "seed of the weights, shuffles, augmentation and dropout")
      ->check(integer_in(0, kMaxSeed))
      ->capture_default_str();
  train_command_->add_option("--validation", validation_,
                             "images held out of the training set for validation (default: 1 in 12, 5,000 of "
                             "Fashion-MNIST's 60,000)")
      ->check(integer_in(1, kMaxImageCount));
  train_command_->add_flag("--no-dropout", no_dropout_, "train without the dropout layers (an experiment)");
  train_command_->add_option("--out", out_, "folder for checkpoints, log.csv and steps.csv")->required();
  train_command_->add_flag("--resume", resume_, "continue the run in --out from its last checkpoint");
  train_command_->add_flag("--data-parallel", data_parallel_,
                           "share every batch between the processes of an mpirun (chapter 17): mpirun -np P alexnet "
                           "train ... --data-parallel");
  train_command_->add_option("--bucket-mb", bucket_mb_,
                             "with --data-parallel: megabytes of gradients summed per MPI call (0: one call per layer)")
      ->check(integer_in(0, kMaxBucketMegabytes))
      ->capture_default_str();

  eval_command_ = app.add_subcommand("eval", "top-1 and top-5 of a trained network on a test set");
  add_common(eval_command_);
  eval_command_->add_option("--weights", weights_, "a training run's folder (its latest checkpoint) or a checkpoint")
      ->required()
      ->check(CLI::ExistingDirectory);
  eval_command_->add_flag("--ten-crop", ten_crop_, "average the softmax of the paper's ten crops per image");

  plot_command_ = app.add_subcommand("plot", "draw loss and accuracy curves of training logs with gnuplot");
  plot_command_->add_option("logs", logs_, "log.csv files written by alexnet train (and the steps.csv beside each)")
      ->required()
      ->check(CLI::ExistingFile);
  plot_command_->add_option("--labels", labels_, "a name per log, e.g. dropout,no-dropout")->delimiter(',');
  plot_command_->add_option("--out", out_, "the PNG to write")->required();
}

// Images of a dataset as stored bytes: fashion-mnist's training or test split, or csv:PATH (a manifest); labels
// beyond the network's classes are refused here, at load time, naming the manifest's line.
StoredImages TrainingCommands::load_images(bool test_split, const Plan& plan, int side, std::int64_t limit) const {
  const std::int64_t classes = plan.steps.back().output.at(0);
  if (dataset_ == "fashion-mnist") {
    StoredImages data = load_fashion_mnist_stored(
        kFashionMnistDirectory, test_split ? FashionMnistSplit::Test : FashionMnistSplit::Train, limit);
    if (static_cast<std::int64_t>(data.class_names.size()) > classes) {
      throw std::runtime_error(format("--dataset fashion-mnist: its %zu classes do not fit %s's %lld outputs",
                                      data.class_names.size(), plan.spec.name.c_str(), static_cast<long long>(classes)));
    }
    return data;
  }
  if (dataset_.rfind("csv:", 0) == 0) {
    ImageFolderOptions options;
    options.classes_path = classes_;
    options.skip_bad = skip_bad_;
    options.side = side;
    options.max_pixels = max_pixels_;
    options.class_count = classes;
    StoredImageFolder folder = load_image_folder_stored(dataset_.substr(4), options);
    std::cout << describe_skipped(folder.skipped);
    if (limit >= 0 && limit < folder.data.count) {
      std::vector<std::int64_t> first(static_cast<std::size_t>(limit));
      for (std::int64_t i = 0; i < limit; ++i) first[static_cast<std::size_t>(i)] = i;
      return select_images(folder.data, first);
    }
    return std::move(folder.data);
  }
  throw std::invalid_argument("--dataset: expected fashion-mnist or csv:PATH, got '" + dataset_ + "'");
}

bool TrainingCommands::run() {
  if (*train_command_) train();
  else if (*eval_command_) evaluate();
  else if (*plot_command_) plot();
  else return false;
  return true;
}

// A variant's defaults are its recorded recipe: the mini variants' is chapter 12's run (ε 0.04, divided by 10
// after epoch 6, 7 epochs); the others keep the paper's ε 0.01 and the plateau rule. Flags given win.
void TrainingCommands::apply_recipe_defaults() {
  if (variant_.rfind("mini", 0) != 0) return;
  if (train_command_->count("--lr") == 0) learning_rate_ = 0.04;
  if (train_command_->count("--epochs") == 0) epochs_ = 7;
  if (train_command_->count("--lr-steps") == 0 && train_command_->count("--patience") == 0) lr_steps_ = {6};
}

// With --data-parallel, the processes of an mpirun share the run. An error they all found together is reported by
// process 0 alone and they stop cleanly, none before the report is out: mpirun ends the whole job as soon as one
// process exits with an error, which could cut process 0 off before it printed. Any other error is reported by the
// process that met it (after process 0, given a second to report it first, has not stopped everyone), and
// MPI_Abort stops them all: none waits forever for a process that is gone.
void TrainingCommands::train() {
  if (!data_parallel_) return train_with(this_process_alone());
  if (!started_by_mpirun()) {
    throw std::invalid_argument("--data-parallel: start the processes with mpirun, e.g. mpirun -np 2 alexnet train "
                                "... --data-parallel (this process was started on its own)");
  }
  MpiWorkers workers(static_cast<std::size_t>(bucket_mb_) * 1000000);
  try {
    train_with(workers);
  } catch (const CollectiveError& error) {
    if (workers.leads()) std::fprintf(stderr, "alexnet: %s\n", error.what());  // as main() prints an error
    workers.barrier();
    workers.finalize();
    std::exit(1);
  } catch (const std::exception& error) {
    if (!workers.leads()) std::this_thread::sleep_for(std::chrono::seconds(1));
    std::fprintf(stderr, "alexnet: process %d of %d: %s\n", workers.rank(), workers.size(), error.what());
    workers.abort(1);
  }
}

void TrainingCommands::train_with(Workers& workers) {
  apply_recipe_defaults();
  const Plan plan = plan_of(variant_, !no_dropout_);
  const int crop_side = static_cast<int>(plan.spec.input.at(1));
  const int stored_side = stored_side_for(plan.spec);
  const StoredImages all = load_images(false, plan, stored_side, limit_);
  const std::int64_t validation_count = validation_ > 0 ? validation_ : std::max<std::int64_t>(1, all.count / 12);
  const TrainValidationSplit split = hold_out_validation(all, validation_count, seed_);

  TrainingConfig config;
  config.device = chosen_device(device_);
  config.gpus = gpus_;
  config.gpu_options = gpu_options(kernels_, precision_);
  config.epochs = epochs_;
  config.batch = batch_;
  config.seed = seed_;
  config.schedule.initial_learning_rate = learning_rate_;
  config.schedule.patience = patience_;
  config.schedule.step_epochs = lr_steps_;
  config.recipe.image_side = stored_side;
  config.recipe.crop_side = crop_side;
  config.recipe.augment.seed = seed_;
  config.recipe.augment.pca = stored_colour_pca(split.train);
  config.recipe.mean = stored_channel_mean(split.train);
  config.recipe.scale = plan.spec.input_scale;
  config.out = out_;
  config.resume = resume_;
  config.settings = {{"variant", variant_},
                     {"dropout", no_dropout_ ? "off" : "on"},
                     {"dataset", dataset_},
                     {"limit", std::to_string(limit_)},
                     {"validation", std::to_string(validation_count)},
                     {"batch", std::to_string(batch_)},
                     {"seed", std::to_string(seed_)},
                     {"lr", format("%.17g", learning_rate_)},
                     {"schedule", describe(config.schedule)},
                     {"mean", mean_text(config.recipe.mean)}};
  config.stop_requested = [] { return g_interrupted != 0; };
  if (config.device == "cpu") set_threads(threads_);

  config.workers = &workers;
  if (workers.leads()) {  // the other processes of a data-parallel run print nothing
    std::cout << layer_table_text(plan.spec) << "\n";
    std::printf("data: %s, %s images of %dx%dx%d stored as bytes (%s MB); %s held out for validation (seed %llu)\n",
                dataset_.c_str(), with_commas(all.count).c_str(), all.channels, all.height, all.width,
                with_commas(static_cast<std::int64_t>(all.pixels.size()) / 1000000).c_str(),
                with_commas(validation_count).c_str(), static_cast<unsigned long long>(seed_));
    const std::string crop =
        stored_side == crop_side ? "taken whole" : format("a random %dx%d crop", crop_side, crop_side);
    const std::string scale = config.recipe.scale == 1.0f ? "" : format(", times %g", config.recipe.scale);
    std::printf("batches: each image resized to %dx%d RGB, %s, reflections, PCA colour noise (sigma 0.1), mean "
                "(%.1f, %.1f, %.1f) subtracted%s\n",
                stored_side, stored_side, crop.c_str(), config.recipe.mean[0], config.recipe.mean[1],
                config.recipe.mean[2], scale.c_str());
    std::printf("SGD: batch %lld, momentum 0.9, weight decay 0.0005, learning rate %g %s; %d epochs\n",
                static_cast<long long>(batch_), learning_rate_, describe(config.schedule).c_str(), epochs_);
  }

  std::signal(SIGINT, on_interrupt);
  // Under mpirun a process's stdout is a pseudo-terminal, whatever mpirun's own is: plain lines then.
  ProgressBar progress(workers.leads() ? stdout : nullptr, !data_parallel_);
  const TrainingResult result = alexnet::train(plan, config, split.train, split.validation, progress);
  std::signal(SIGINT, SIG_DFL);
  if (result.interrupted) {  // a non-zero exit, so that a script running this knows the run is not finished
    throw CollectiveError("interrupted (Ctrl-C): the checkpoint " + result.checkpoint +
                          " holds the run; continue it with the same command and --resume");
  }
  if (workers.leads()) {
    std::cout << "log: " << (fs::path(out_) / "log.csv").string() << "; weights: " << result.checkpoint << "\n";
  }
  if (dataset_ == "fashion-mnist") {
    const StoredImages test = load_images(true, plan, stored_side, -1);
    const Evaluation tested = alexnet::evaluate(*result.backend, test, config.recipe, batch_, false, workers);
    if (workers.leads()) print_evaluation("test (Fashion-MNIST's 10,000 test images, centre crop)", tested);
  } else if (workers.leads()) {
    std::cout << "evaluate it on your test images with: alexnet eval --weights " << out_ << " --dataset csv:TEST.csv\n";
  }
}

void TrainingCommands::evaluate() {
  const bool run_folder = fs::exists(fs::path(weights_) / "latest");
  const std::string checkpoint = run_folder ? latest_checkpoint(weights_) : weights_;
  if (!fs::exists(fs::path(checkpoint) / "manifest.txt")) {
    throw std::runtime_error(weights_ + ": expected the folder of an alexnet train run (with a latest file) or one of "
                             "its checkpoints (with manifest.txt), got neither");
  }
  std::map<std::string, std::string> settings = checkpoint_settings(checkpoint);
  const Plan plan = plan_of(settings["variant"], true);
  const int crop_side = static_cast<int>(plan.spec.input.at(1));
  BatchRecipe recipe;
  recipe.image_side = stored_side_for(plan.spec);
  recipe.crop_side = crop_side;
  recipe.train = false;
  recipe.mean = parse_mean(settings["mean"], checkpoint + "/manifest.txt");
  recipe.scale = plan.spec.input_scale;
  const StoredImages test = load_images(true, plan, recipe.image_side, limit_);
  const std::string device = chosen_device(device_);
  if (device == "cpu") set_threads(threads_);
  const std::unique_ptr<TrainingBackend> backend =
      make_training_backend(device, plan, load_parameters(checkpoint, plan), allocate_parameters(plan), gpus_,
                            gpu_options(kernels_, precision_));
  std::cout << plan.spec.name << ", weights of " << checkpoint << ", on " << backend->description() << "\n";
  const std::string what = (dataset_ == "fashion-mnist" ? std::string("Fashion-MNIST's test images") : dataset_) +
                           (ten_crop_ ? ", ten crops averaged" : ", centre crop");
  print_evaluation("test (" + what + ")", alexnet::evaluate(*backend, test, recipe, batch_, ten_crop_));
}

void TrainingCommands::plot() {
  if (!labels_.empty() && labels_.size() != logs_.size()) {
    throw std::invalid_argument(format("--labels: expected one per log (%zu), got %zu", logs_.size(), labels_.size()));
  }
  std::vector<TrainingCurves> runs;
  for (std::size_t i = 0; i < logs_.size(); ++i) {
    TrainingCurves run;
    run.log = read_log_csv(logs_[i]);  // a malformed log is refused by name, before gnuplot runs
    const fs::path steps = fs::path(logs_[i]).parent_path() / "steps.csv";
    if (fs::exists(fs::symlink_status(steps))) run.steps = read_steps_csv(steps.string());
    // A log's --labels entry, or its run's folder when several logs share the plot.
    if (!labels_.empty()) run.name = labels_[i];
    else if (logs_.size() > 1) run.name = fs::path(logs_[i]).parent_path().filename().string();
    runs.push_back(std::move(run));
  }
  draw_png(training_curves_script(runs), out_);
}

void draw_png(const std::string& script, const std::string& png) {
  const std::string temporary = png + ".tmp-" + std::to_string(::getpid());
  try {
    run_gnuplot(script, temporary);
  } catch (...) {
    fs::remove(temporary);
    throw;
  }
  fs::rename(temporary, png);
  std::cout << "wrote " << png << "\n";
}

}  // namespace alexnet
