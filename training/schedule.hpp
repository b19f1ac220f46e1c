/// @file schedule.hpp
/// @brief The learning rate over a run: the paper's "divide by 10 when the validation error stops
/// improving" (a plateau rule with a stated patience), or a fixed step schedule.
#pragma once

#include <string>
#include <vector>

namespace alexnet {

/// @brief ε is divided by this at every reduction (§5: "divide the learning rate by 10").
constexpr double kLearningRateDivisor = 10.0;

/// @brief How ε changes from epoch to epoch.
struct ScheduleConfig {
  double initial_learning_rate = 0.01;  ///< ε at the start (§5: "initialized at 0.01")
  /// Plateau rule: reduce ε after this many epochs in a row without a new best validation error.
  int patience = 2;
  /// Step schedule: reduce ε after each of these epochs (1-based); when not empty, the plateau rule is off.
  std::vector<int> step_epochs;
};

/// @brief Where a run is in its schedule: saved in every checkpoint.
struct ScheduleState {
  double learning_rate = 0;             ///< ε for the next epoch
  double best_validation_error = 1.0;   ///< lowest top-1 validation error so far (1: none yet)
  int epochs_without_improvement = 0;   ///< epochs since the best one
  int reductions = 0;                   ///< times ε has been reduced
};

/// @brief The state before the first epoch: ε = the initial learning rate.
ScheduleState start_schedule(const ScheduleConfig& config);

/// @brief Updates `state` after epoch `epoch` (1-based) ended with `validation_error` (top-1, 0..1);
/// returns true when ε was reduced for the next epoch.
bool end_epoch(const ScheduleConfig& config, int epoch, double validation_error, ScheduleState& state);

/// @brief "divided by 10 when ... for 2 epochs" or "divided by 10 after epochs 8, 11": the schedule in words.
std::string describe(const ScheduleConfig& config);

}  // namespace alexnet
