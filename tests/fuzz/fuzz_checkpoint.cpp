// libFuzzer target: a run's small text files (training/checkpoint.cpp, training/training_log.cpp): the input is
// read as a checkpoint's manifest.txt, as the run's `latest`, as its log.csv and as its steps.csv.
#include <filesystem>

#include "fuzz_input.hpp"
#include "training/checkpoint.hpp"
#include "training/training_log.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const bool folders = [] {
    std::filesystem::create_directories(alexnet::fuzz::scratch_folder() + "/checkpoint-epoch-1");
    return true;
  }();
  (void)folders;
  const std::string& run = alexnet::fuzz::scratch_folder();
  alexnet::fuzz::write_input(data, size, "checkpoint-epoch-1/manifest.txt");
  alexnet::fuzz::expect_named_errors_only([&] { alexnet::checkpoint_settings(run + "/checkpoint-epoch-1"); });
  alexnet::fuzz::write_input(data, size, "latest");
  alexnet::fuzz::expect_named_errors_only([&] { alexnet::latest_checkpoint(run); });
  const std::string log = alexnet::fuzz::write_input(data, size, "log.csv");
  alexnet::fuzz::expect_named_errors_only([&] { alexnet::read_log_csv(log); });
  const std::string steps = alexnet::fuzz::write_input(data, size, "steps.csv");
  alexnet::fuzz::expect_named_errors_only([&] { alexnet::read_steps_csv(steps); });
  return 0;
}
