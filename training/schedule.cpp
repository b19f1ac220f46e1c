#include "training/schedule.hpp"

#include <algorithm>

namespace alexnet {

ScheduleState start_schedule(const ScheduleConfig& config) {
  ScheduleState state;
  state.learning_rate = config.initial_learning_rate;
  return state;
}

bool end_epoch(const ScheduleConfig& config, int epoch, double validation_error, ScheduleState& state) {
  bool reduce = false;
  if (validation_error < state.best_validation_error) {
    state.best_validation_error = validation_error;
    state.epochs_without_improvement = 0;
  } else {
    ++state.epochs_without_improvement;
  }
  if (!config.step_epochs.empty()) {
    reduce = std::find(config.step_epochs.begin(), config.step_epochs.end(), epoch) != config.step_epochs.end();
  } else if (state.epochs_without_improvement >= config.patience) {
    reduce = true;
    state.epochs_without_improvement = 0;  // the new ε gets `patience` epochs of its own
  }
  if (reduce) {
    state.learning_rate /= kLearningRateDivisor;
    ++state.reductions;
  }
  return reduce;
}

std::string describe(const ScheduleConfig& config) {
  if (config.step_epochs.empty()) {
    return "divided by 10 when the validation error has not improved for " + std::to_string(config.patience) +
           " epochs";
  }
  std::string epochs;
  for (const int epoch : config.step_epochs) epochs += (epochs.empty() ? "" : ", ") + std::to_string(epoch);
  return "divided by 10 after epochs " + epochs;
}

}  // namespace alexnet
