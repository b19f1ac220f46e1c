/// @file checkpoint.hpp
/// @brief A training run saved after every epoch and restored by `--resume`: the weights (as
/// `alexnet init` writes them, so `alexnet eval` and `forward` read a checkpoint directly), SGD's
/// velocity, and a small manifest with the epoch, the schedule and the run's settings.
///
/// Layout of a run's folder OUT:
///
///     OUT/checkpoint-epoch-3/conv1.weight.npy ... fc8.bias.npy     the weights
///     OUT/checkpoint-epoch-3/velocity/conv1.weight.npy ...          SGD's v
///     OUT/checkpoint-epoch-3/manifest.txt                           "key value" lines
///     OUT/latest                                                    "checkpoint-epoch-3"
///
/// A checkpoint is written into a temporary folder, every file flushed to the disk, and the folder
/// renamed into place; only then does `latest` (itself replaced atomically) name it, and the
/// previous checkpoint is deleted. An interrupted save leaves `latest` naming a complete one.
///
/// There is no random generator state to save: every random number of a run (dropout masks,
/// augmentation, the epochs' shuffles) is a counter-based draw from (seed, epoch, image) or
/// (seed, step), so the seed and the counters below restore it exactly.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "network/plan.hpp"
#include "training/schedule.hpp"

namespace alexnet {

/// @brief The largest epoch a checkpoint manifest may record (and bound of its schedule's counters).
constexpr std::int64_t kMaxCheckpointEpoch = 1000000;
/// @brief The largest step, batch or image counter a checkpoint manifest may record: 2^50.
constexpr std::int64_t kMaxCheckpointCount = std::int64_t{1} << 50;
/// @brief The largest learning rate a checkpoint manifest may record.
constexpr double kMaxCheckpointLearningRate = 1e9;

/// @brief Where a run stands: enough, with the seed, to continue it bit for bit.
struct TrainingProgress {
  int epoch = 0;                  ///< epochs finished
  std::int64_t batch = 0;         ///< batches of the next epoch already trained (an interrupted epoch)
  std::uint64_t step = 0;         ///< SGD steps so far: the dropout masks' counter
  ScheduleState schedule;         ///< ε and the plateau rule's memory
  double train_loss_sum = 0;      ///< the interrupted epoch's sum of batch losses × images
  std::int64_t train_correct = 0;  ///< ... its correctly classified images
  std::int64_t train_seen = 0;     ///< ... its images
};

/// @brief Everything a checkpoint holds.
struct Checkpoint {
  std::map<std::string, std::string> settings;  ///< what a resumed run must match: variant, dataset, batch, seed, ...
  TrainingProgress progress;                    ///< the counters and the schedule
  Parameters<float> parameters;                 ///< the weights and biases
  Parameters<float> velocity;                   ///< SGD's v
};

/// @brief Saves `checkpoint` under `out` (which must exist) as above; returns the checkpoint's folder.
///
/// A save that fails removes its partial folder and throws naming the intact checkpoint (the one
/// `latest` still names). Only the folder `latest` named before, directly inside `out`, is ever deleted.
std::string save_checkpoint(const std::string& out, const Checkpoint& checkpoint);

/// @brief The folder `out/latest` names; throws naming `out` when there is none, and naming `latest` when it
/// holds anything but the name of a checkpoint folder directly inside `out` (no '/', no '..').
std::string latest_checkpoint(const std::string& out);

/// @brief Removes what killed saves of earlier runs left in `out` (`.checkpoint-epoch-N.tmp-PID/`,
/// `latest.tmp-PID`, `*.npy.tmp-PID`, ...) unless process PID still runs; returns the paths removed.
std::vector<std::string> remove_stale_temporaries(const std::string& out);

/// @brief The last complete checkpoint folder directly inside `out` (its manifest valid), or "": what a run
/// killed between renaming its checkpoint and writing `latest` left.
std::string complete_checkpoint_without_latest(const std::string& out);

/// @brief The settings a checkpoint folder's manifest records (variant, dataset, mean, ...), without loading its tensors.
std::map<std::string, std::string> checkpoint_settings(const std::string& folder);

/// @brief Reads the checkpoint `out/latest` names, its tensors checked against `plan`'s shapes;
/// throws naming the file and the key when something is missing or malformed.
Checkpoint load_checkpoint(const std::string& out, const Plan& plan);

}  // namespace alexnet
