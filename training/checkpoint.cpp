#include "training/checkpoint.hpp"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "reference_cpu/atomic_file.hpp"

namespace alexnet {
namespace {

namespace fs = std::filesystem;

constexpr const char* kFormat = "alexnet-checkpoint-1";

// A double written so that reading it back gives the same double ("%.17g" round-trips).
std::string exact(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.17g", value);
  return text;
}

std::map<std::string, std::string> manifest_of(const Checkpoint& c) {
  std::map<std::string, std::string> m = c.settings;
  const TrainingProgress& p = c.progress;
  m["epoch"] = std::to_string(p.epoch);
  m["batch_in_epoch"] = std::to_string(p.batch);
  m["step"] = std::to_string(p.step);
  m["learning_rate"] = exact(p.schedule.learning_rate);
  m["best_validation_error"] = exact(p.schedule.best_validation_error);
  m["epochs_without_improvement"] = std::to_string(p.schedule.epochs_without_improvement);
  m["reductions"] = std::to_string(p.schedule.reductions);
  m["train_loss_sum"] = exact(p.train_loss_sum);
  m["train_correct"] = std::to_string(p.train_correct);
  m["train_seen"] = std::to_string(p.train_seen);
  return m;
}

// The manifest's "key value" lines.
std::map<std::string, std::string> read_manifest(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path + ": cannot open the checkpoint's manifest");
  std::map<std::string, std::string> m;
  std::string line;
  if (!std::getline(in, line) || line != std::string("format ") + kFormat) {
    throw std::runtime_error(path + ":1: expected 'format " + kFormat + "', got '" + line + "'");
  }
  for (int number = 2; std::getline(in, line); ++number) {
    const std::size_t space = line.find(' ');
    if (space == std::string::npos || space == 0) {
      throw std::runtime_error(path + ":" + std::to_string(number) + ": expected 'key value', got '" + line + "'");
    }
    m[line.substr(0, space)] = line.substr(space + 1);
  }
  return m;
}

// Takes `key` out of the manifest `m` read from `path` and parses it with `parse`; throws naming both.
template <typename Parse>
auto take(std::map<std::string, std::string>& m, const std::string& path, const std::string& key, Parse parse) {
  const auto found = m.find(key);
  if (found == m.end()) throw std::runtime_error(path + ": the manifest has no '" + key + "'");
  try {
    std::size_t used = 0;
    auto value = parse(found->second, &used);
    if (used != found->second.size()) throw std::invalid_argument("trailing characters");
    m.erase(found);
    return value;
  } catch (const std::exception&) {
    throw std::runtime_error(path + ": '" + key + "' is not a number: '" + found->second + "'");
  }
}

TrainingProgress take_progress(std::map<std::string, std::string>& m, const std::string& path) {
  const auto integer = [](const std::string& s, std::size_t* used) { return std::stoll(s, used); };
  const auto real = [](const std::string& s, std::size_t* used) { return std::stod(s, used); };
  TrainingProgress p;
  p.epoch = static_cast<int>(take(m, path, "epoch", integer));
  p.batch = take(m, path, "batch_in_epoch", integer);
  p.step = static_cast<std::uint64_t>(take(m, path, "step", integer));
  p.schedule.learning_rate = take(m, path, "learning_rate", real);
  p.schedule.best_validation_error = take(m, path, "best_validation_error", real);
  p.schedule.epochs_without_improvement = static_cast<int>(take(m, path, "epochs_without_improvement", integer));
  p.schedule.reductions = static_cast<int>(take(m, path, "reductions", integer));
  p.train_loss_sum = take(m, path, "train_loss_sum", real);
  p.train_correct = take(m, path, "train_correct", integer);
  p.train_seen = take(m, path, "train_seen", integer);
  return p;
}

std::string folder_name(const TrainingProgress& p) {
  std::string name = "checkpoint-epoch-" + std::to_string(p.epoch);
  if (p.batch > 0) name += "-batch-" + std::to_string(p.batch);  // an epoch interrupted by Ctrl-C
  return name;
}

}  // namespace

std::string save_checkpoint(const std::string& out, const Checkpoint& checkpoint) {
  const std::string name = folder_name(checkpoint.progress);
  const fs::path folder = fs::path(out) / name;
  const fs::path temporary = fs::path(out) / ("." + name + ".tmp-" + std::to_string(::getpid()));
  fs::remove_all(temporary);
  fs::create_directories(temporary / "velocity");
  save_parameters(temporary.string(), checkpoint.parameters);  // each file flushed and renamed
  save_parameters((temporary / "velocity").string(), checkpoint.velocity);
  write_file_atomically((temporary / "manifest.txt").string(), [&](std::ostream& file) {
    file << "format " << kFormat << '\n';
    for (const auto& [key, value] : manifest_of(checkpoint)) file << key << ' ' << value << '\n';
  });
  const fs::path latest = fs::path(out) / "latest";
  std::string previous;
  if (fs::exists(latest)) previous = latest_checkpoint(out);
  fs::remove_all(folder);  // a checkpoint of the same name from a run that stopped before naming it latest
  fs::rename(temporary, folder);
  write_file_atomically(latest.string(), [&](std::ostream& file) { file << name << '\n'; });
  if (!previous.empty() && fs::path(previous) != folder) fs::remove_all(previous);
  return folder.string();
}

std::string latest_checkpoint(const std::string& out) {
  const std::string path = (fs::path(out) / "latest").string();
  std::ifstream in(path);
  std::string name;
  if (!in || !std::getline(in, name) || name.empty()) {
    throw std::runtime_error(out + ": no checkpoint to resume from (" + path + " is missing or empty)");
  }
  return (fs::path(out) / name).string();
}

std::map<std::string, std::string> checkpoint_settings(const std::string& folder) {
  std::map<std::string, std::string> m = read_manifest(folder + "/manifest.txt");
  take_progress(m, folder + "/manifest.txt");
  return m;
}

Checkpoint load_checkpoint(const std::string& out, const Plan& plan) {
  const std::string folder = latest_checkpoint(out);
  const std::string manifest = folder + "/manifest.txt";
  std::map<std::string, std::string> m = read_manifest(manifest);
  Checkpoint checkpoint;
  checkpoint.progress = take_progress(m, manifest);
  checkpoint.settings = std::move(m);  // what is left: the run's settings
  checkpoint.parameters = load_parameters(folder, plan);
  checkpoint.velocity = load_parameters(folder + "/velocity", plan);
  return checkpoint;
}

}  // namespace alexnet
