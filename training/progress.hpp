/// @file progress.hpp
/// @brief What a training run prints while it trains: on a terminal, one progress bar per epoch
/// redrawn in place (images/s, loss, accuracy, time left); otherwise (a log file, CI) a plain
/// line every quarter of an epoch.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace alexnet {

/// @brief One line of the log: an epoch's numbers.
struct EpochRecord {
  int epoch = 0;                  ///< 1, 2, ...
  double learning_rate = 0;       ///< ε during the epoch
  double train_loss = 0;          ///< mean loss of the epoch's batches (dropout and augmentation on)
  double train_top1 = 0;          ///< fraction of training images classified right while training
  double subset_loss = 0;         ///< mean loss on a fixed subset of the training images at the epoch's end, in
                                  ///< test mode like the validation (centre crop, dropout off); NaN: not measured
  double subset_top1 = 0;         ///< top-1 accuracy on that subset (NaN: not measured)
  double validation_loss = 0;     ///< mean loss on the validation images (centre crop, dropout off)
  double validation_top1 = 0;     ///< top-1 accuracy on them
  double validation_top5 = 0;     ///< top-5 accuracy on them
  double seconds = 0;             ///< wall time of the epoch, validation included
};

/// @brief Prints an epoch's progress to a stream, as a bar on a terminal or as plain lines.
class ProgressBar {
 public:
  /// @brief Writes to `stream`; draws a bar when `stream` is a terminal and `bar` allows it; writes nothing when
  /// `stream` is null (the other processes of a data-parallel run, chapter 17).
  explicit ProgressBar(std::FILE* stream, bool bar = true);
  /// @brief The run starts on `backend` (in words) at epoch `first_epoch`, batch `first_batch` (> 0: resumed mid-epoch).
  void start_run(const std::string& backend, int first_epoch, long long first_batch);
  /// @brief A new epoch of `images` images (of which `done` were trained before an interruption).
  void start_epoch(int epoch, int epochs, std::int64_t images, std::int64_t done);
  /// @brief `done` images of the epoch trained so far, with their mean loss and top-1 accuracy.
  void update(std::int64_t done, double loss, double accuracy);
  /// @brief Ends the bar's line when the epoch's training stops early (Ctrl-C).
  void finish_epoch();
  /// @brief Ends the bar and prints the epoch's summary: its training and validation numbers.
  void end_epoch(const EpochRecord& record);

 private:
  std::FILE* stream_;
  bool terminal_;
  int epoch_ = 0, epochs_ = 0;
  std::int64_t images_ = 0, first_ = 0;
  int quarters_printed_ = 0;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace alexnet
