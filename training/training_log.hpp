/// @file training_log.hpp
/// @brief A run's two CSV logs, written by the trainer and read back by `--resume` and `alexnet plot`
/// through the validation layer (every field range-checked): log.csv, one row per epoch, and
/// steps.csv, the loss of every SGD step.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "training/progress.hpp"

namespace alexnet {

/// @brief One row of steps.csv: one SGD step.
struct StepRecord {
  std::int64_t step = 0;     ///< 1, 2, ... counted over the whole run
  double epoch = 0;          ///< where the step ends, in epochs: epoch − 1 + batches done / batches per epoch
  double learning_rate = 0;  ///< ε of the step
  double loss = 0;           ///< the batch's mean loss (dropout and augmentation on)
};

/// @brief log.csv's text: a header, then one row per epoch.
std::string log_csv(const std::vector<EpochRecord>& log);

/// @brief The rows of a log written by log_csv (throws naming the file, the line and the field when one is malformed).
std::vector<EpochRecord> read_log_csv(const std::string& path);

/// @brief steps.csv's text: a header, then one row per step.
std::string steps_csv(const std::vector<StepRecord>& steps);

/// @brief The rows of a file written by steps_csv (throws naming the file, the line and the field when one is
/// malformed, and when a step does not follow the one before: a run resumed without the file starts it later).
std::vector<StepRecord> read_steps_csv(const std::string& path);

}  // namespace alexnet
