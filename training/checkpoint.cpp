#include "training/checkpoint.hpp"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <vector>

#include "reference_cpu/atomic_file.hpp"
#include "reference_cpu/untrusted_file.hpp"

namespace alexnet {
namespace {

namespace fs = std::filesystem;

constexpr const char* kFormat = "alexnet-checkpoint-1";
constexpr std::uintmax_t kMaxManifestBytes = 64 << 10;  // a manifest is about 1 KB
constexpr std::uintmax_t kMaxLatestBytes = 4096;        // `latest` holds one short name

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

// The manifest's "key value" lines; a key given twice is an error naming both lines.
std::map<std::string, std::string> read_manifest(const std::string& path) {
  const std::vector<std::string> lines = read_text_lines(path, "a checkpoint manifest", kMaxManifestBytes);
  const std::string first = lines.empty() ? "" : lines[0];
  if (first != std::string("format ") + kFormat) {
    throw std::runtime_error(path + ":1: expected 'format " + kFormat + "', got '" + quoted_for_message(first) + "'");
  }
  std::map<std::string, std::string> m;
  std::map<std::string, std::size_t> line_of;
  for (std::size_t number = 2; number <= lines.size(); ++number) {
    const std::string& line = lines[number - 1];
    const std::string here = path + ":" + std::to_string(number);
    const std::size_t space = line.find(' ');
    if (space == std::string::npos || space == 0) {
      throw std::runtime_error(here + ": expected 'key value', got '" + quoted_for_message(line) + "'");
    }
    const std::string key = line.substr(0, space);
    if (!line_of.emplace(key, number).second) {
      throw std::runtime_error(here + ": '" + quoted_for_message(key) + "' is already given on line " +
                               std::to_string(line_of[key]));
    }
    m[key] = line.substr(space + 1);
  }
  return m;
}

// The text of `key` in the manifest `m` read from `path`, taken out of it; throws naming both when it is missing.
std::string take_text(std::map<std::string, std::string>& m, const std::string& path, const std::string& key) {
  const auto found = m.find(key);
  if (found == m.end()) throw std::runtime_error(path + ": the manifest has no '" + key + "'");
  std::string text = found->second;
  m.erase(found);
  return text;
}

std::int64_t take_integer(std::map<std::string, std::string>& m, const std::string& path, const std::string& key,
                          std::int64_t min, std::int64_t max) {
  return parse_integer_field(take_text(m, path, key), min, max, path + ": " + key);
}

double take_real(std::map<std::string, std::string>& m, const std::string& path, const std::string& key, double min,
                 double max) {
  return parse_real_field(take_text(m, path, key), min, max, path + ": " + key);
}

// Throws "<path>: <key> is <value>, expected at most <limit> (<why>)" when value > limit.
void require_at_most(const std::string& path, const std::string& key, std::int64_t value, std::int64_t limit,
                     const std::string& why) {
  if (value > limit) {
    throw std::runtime_error(path + ": " + key + " is " + std::to_string(value) + ", expected at most " +
                             std::to_string(limit) + " (" + why + ")");
  }
}

TrainingProgress take_progress(std::map<std::string, std::string>& m, const std::string& path) {
  TrainingProgress p;
  p.epoch = static_cast<int>(take_integer(m, path, "epoch", 0, kMaxCheckpointEpoch));
  p.batch = take_integer(m, path, "batch_in_epoch", 0, kMaxCheckpointCount);
  p.step = static_cast<std::uint64_t>(take_integer(m, path, "step", 0, kMaxCheckpointCount));
  p.schedule.learning_rate = take_real(m, path, "learning_rate", 0, kMaxCheckpointLearningRate);
  if (!(p.schedule.learning_rate > 0)) {
    throw std::runtime_error(path + ": learning_rate: expected a number above 0, got 0");
  }
  p.schedule.best_validation_error = take_real(m, path, "best_validation_error", 0, 1);
  p.schedule.epochs_without_improvement =
      static_cast<int>(take_integer(m, path, "epochs_without_improvement", 0, kMaxCheckpointEpoch));
  p.schedule.reductions = static_cast<int>(take_integer(m, path, "reductions", 0, kMaxCheckpointEpoch));
  p.train_loss_sum = take_real(m, path, "train_loss_sum", 0, 1e300);
  p.train_correct = take_integer(m, path, "train_correct", 0, kMaxCheckpointCount);
  p.train_seen = take_integer(m, path, "train_seen", 0, kMaxCheckpointCount);
  require_at_most(path, "train_correct", p.train_correct, p.train_seen, "train_seen");
  require_at_most(path, "epochs_without_improvement", p.schedule.epochs_without_improvement, p.epoch, "epoch");
  require_at_most(path, "reductions", p.schedule.reductions, p.epoch, "epoch");
  return p;
}

std::string folder_name(const TrainingProgress& p) {
  std::string name = "checkpoint-epoch-" + std::to_string(p.epoch);
  if (p.batch > 0) name += "-batch-" + std::to_string(p.batch);  // an epoch interrupted by Ctrl-C
  return name;
}

// Whether text[from, to) is 1 to `most` decimal digits.
bool digits_only(const std::string& text, std::size_t from, std::size_t to, std::size_t most) {
  if (from >= to || to - from > most) return false;
  for (std::size_t i = from; i < to; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
  }
  return true;
}

// "checkpoint-epoch-N" or "checkpoint-epoch-N-batch-M": the only names `latest` may hold, so that it
// can only name a folder directly inside the run's folder (no '/', no '..').
bool is_checkpoint_name(const std::string& name) {
  const std::string prefix = "checkpoint-epoch-", batch = "-batch-";
  if (name.compare(0, prefix.size(), prefix) != 0) return false;
  const std::size_t at_batch = name.find(batch, prefix.size());
  if (at_batch == std::string::npos) return digits_only(name, prefix.size(), name.size(), 9);
  return digits_only(name, prefix.size(), at_batch, 9) && digits_only(name, at_batch + batch.size(), name.size(), 18);
}

// "<name>.tmp-<pid>": what write_file_atomically() and save_checkpoint() write before renaming; the pid.
std::optional<long> temporary_owner(const std::string& name) {
  const std::string marker = ".tmp-";
  const std::size_t at = name.rfind(marker);
  if (at == std::string::npos || at == 0 || !digits_only(name, at + marker.size(), name.size(), 9)) return std::nullopt;
  return std::stol(name.substr(at + marker.size()));
}

bool process_is_running(long pid) { return pid > 0 && (::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM); }

// The checkpoint `out/latest` names, or "" when there is no `latest`.
std::string named_checkpoint(const std::string& out) {
  const fs::path latest = fs::path(out) / "latest";
  if (!fs::exists(fs::symlink_status(latest))) return "";
  std::string name = read_regular_file(latest.string(), "a checkpoint's name", kMaxLatestBytes);
  if (!name.empty() && name.back() == '\n') name.pop_back();
  if (!is_checkpoint_name(name)) {
    throw std::runtime_error(latest.string() + ": expected the name of a checkpoint folder directly inside " + out +
                             " (checkpoint-epoch-N or checkpoint-epoch-N-batch-M), got '" + quoted_for_message(name) +
                             "'");
  }
  const fs::path folder = fs::path(out) / name;
  if (!fs::is_directory(fs::symlink_status(folder))) {
    throw std::runtime_error(latest.string() + ": names " + name + ", but " + folder.string() +
                             " is not a folder (a symbolic link is not followed)");
  }
  return folder.string();
}

// "the intact checkpoint is out/checkpoint-epoch-2" or "no checkpoint had been saved yet".
std::string intact_checkpoint_note(const std::string& previous) {
  return previous.empty() ? "no checkpoint had been saved yet" : "the intact checkpoint is " + previous;
}

// Writes the checkpoint's files into the folder `temporary`.
void write_checkpoint_files(const fs::path& temporary, const Checkpoint& checkpoint) {
  fs::create_directories(temporary / "velocity");
  save_parameters(temporary.string(), checkpoint.parameters);  // each file flushed and renamed
  save_parameters((temporary / "velocity").string(), checkpoint.velocity);
  write_file_atomically((temporary / "manifest.txt").string(), [&](std::ostream& file) {
    file << "format " << kFormat << '\n';
    for (const auto& [key, value] : manifest_of(checkpoint)) file << key << ' ' << value << '\n';
  });
}

}  // namespace

std::string save_checkpoint(const std::string& out, const Checkpoint& checkpoint) {
  const std::string name = folder_name(checkpoint.progress);
  const fs::path folder = fs::path(out) / name;
  const fs::path temporary = fs::path(out) / ("." + name + ".tmp-" + std::to_string(::getpid()));
  const std::string previous = named_checkpoint(out);
  try {
    fs::remove_all(temporary);
    write_checkpoint_files(temporary, checkpoint);
    fs::remove_all(folder);  // a checkpoint of the same name from a run that stopped before naming it latest
    fs::rename(temporary, folder);
  } catch (const std::exception& error) {
    std::error_code ignored;
    fs::remove_all(temporary, ignored);  // a partial folder must not keep the disk full
    throw std::runtime_error(out + ": cannot save " + name + " (" + error.what() + "); " +
                             intact_checkpoint_note(previous));
  }
  try {
    write_file_atomically((fs::path(out) / "latest").string(), [&](std::ostream& file) { file << name << '\n'; });
  } catch (const std::exception& error) {
    throw std::runtime_error(out + ": saved " + folder.string() + " but cannot name it in latest (" + error.what() +
                             "); " + intact_checkpoint_note(previous) + ", and --resume finds the new one");
  }
  if (!previous.empty() && fs::path(previous) != folder) fs::remove_all(previous);
  return folder.string();
}

std::string latest_checkpoint(const std::string& out) {
  const std::string folder = named_checkpoint(out);
  if (folder.empty()) {
    throw std::runtime_error(out + ": no checkpoint to resume from (" + (fs::path(out) / "latest").string() +
                             " is missing)");
  }
  return folder;
}

std::vector<std::string> remove_stale_temporaries(const std::string& out) {
  std::vector<std::string> removed;
  std::error_code error;
  std::vector<fs::path> folders{fs::path(out)};
  for (std::size_t i = 0; i < folders.size(); ++i) {
    for (const fs::directory_entry& entry : fs::directory_iterator(folders[i], error)) {
      const std::string name = entry.path().filename().string();
      const std::optional<long> owner = temporary_owner(name);
      if (owner && !process_is_running(*owner)) {
        fs::remove_all(entry.path());
        removed.push_back(entry.path().string());
      } else if (!owner && entry.is_directory(error) && !entry.is_symlink(error) &&
                 (is_checkpoint_name(name) || (i > 0 && name == "velocity"))) {
        folders.push_back(entry.path());  // a checkpoint's own folders; nothing else is looked into
      }
    }
  }
  return removed;
}

std::string complete_checkpoint_without_latest(const std::string& out) {
  std::string best;
  std::pair<std::int64_t, std::int64_t> best_order{-1, -1};
  std::error_code error;
  for (const fs::directory_entry& entry : fs::directory_iterator(out, error)) {
    const std::string name = entry.path().filename().string();
    if (!is_checkpoint_name(name) || entry.is_symlink(error) || !entry.is_directory(error)) continue;
    try {
      std::map<std::string, std::string> m = read_manifest((entry.path() / "manifest.txt").string());
      const TrainingProgress p = take_progress(m, (entry.path() / "manifest.txt").string());
      if (std::pair<std::int64_t, std::int64_t>(p.epoch, p.batch) > best_order) {
        best_order = {p.epoch, p.batch};
        best = entry.path().string();
      }
    } catch (const std::runtime_error&) {
      continue;  // not complete: a folder renamed into place always holds a valid manifest
    }
  }
  return best;
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
