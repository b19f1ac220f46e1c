/// @file training_log.hpp
/// @brief A run's log.csv: one row of numbers per epoch, written by the trainer and read back by
/// `--resume` and `alexnet plot` through the validation layer (every field range-checked).
#pragma once

#include <string>
#include <vector>

#include "training/progress.hpp"

namespace alexnet {

/// @brief The log's CSV text: a header, then one row per epoch.
std::string log_csv(const std::vector<EpochRecord>& log);

/// @brief The rows of a log written by log_csv (throws naming the file, the line and the field when one is malformed).
std::vector<EpochRecord> read_log_csv(const std::string& path);

}  // namespace alexnet
