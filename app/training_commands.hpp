/// @file training_commands.hpp
/// @brief `alexnet train`, `alexnet eval` and `alexnet plot` (chapter 12): their flags and what they do.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "datasets/image_decoder.hpp"
#include "datasets/stored_images.hpp"
#include "network/plan.hpp"
#include "training/workers.hpp"

namespace alexnet {

/// @brief Runs gnuplot (no shell) on `script`, a program that writes a PNG on its standard output, into `png`:
/// under a temporary name renamed when complete, so a failure leaves no file. Prints "wrote PNG".
void draw_png(const std::string& script, const std::string& png);

/// @brief The training subcommands of the alexnet command and the flags they share.
class TrainingCommands {
 public:
  /// @brief Adds train, eval and plot to `app`.
  explicit TrainingCommands(CLI::App& app);
  /// @brief Runs the subcommand that was given, if it is one of these; returns whether it was.
  bool run();

 private:
  void train();
  void train_with(Workers& workers);
  void apply_recipe_defaults();
  void evaluate();
  void plot();
  StoredImages load_images(bool test_split, const Plan& plan, int side, std::int64_t limit) const;

  CLI::App* train_command_ = nullptr;
  CLI::App* eval_command_ = nullptr;
  CLI::App* plot_command_ = nullptr;
  std::string variant_ = "mini", dataset_ = "fashion-mnist", classes_, device_ = "auto", out_, weights_;
  std::vector<int> gpus_, lr_steps_;
  std::string kernels_ = "fast", precision_ = "fp32";  // with cuda: GpuOptions
  std::vector<std::string> logs_, labels_;
  int epochs_ = 10, threads_ = 0, patience_ = 2;
  std::int64_t batch_ = 128, validation_ = -1, limit_ = -1, max_pixels_ = kDefaultMaxPixels;
  double learning_rate_ = 0.01;
  std::int64_t bucket_mb_ = 25;
  std::uint64_t seed_ = 1;
  bool resume_ = false, skip_bad_ = false, no_dropout_ = false, ten_crop_ = false, data_parallel_ = false;
};

}  // namespace alexnet
