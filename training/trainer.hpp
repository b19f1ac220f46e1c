/// @file trainer.hpp
/// @brief The training loop (chapter 12): epochs of shuffled, augmented batches through a backend,
/// the paper's SGD, a validation pass and a checkpoint after every epoch, a CSV log, and the
/// evaluation of a trained network (one centre crop, or the paper's ten crops).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "datasets/stored_images.hpp"
#include "datasets/training_batches.hpp"
#include "network/gpu_options.hpp"
#include "network/plan.hpp"
#include "reference_cpu/sgd.hpp"
#include "training/backend.hpp"
#include "training/checkpoint.hpp"
#include "training/progress.hpp"
#include "training/schedule.hpp"
#include "training/training_log.hpp"
#include "training/workers.hpp"

namespace alexnet {

/// @brief Everything a run is told.
struct TrainingConfig {
  std::string device = "cpu";   ///< reference, cpu or cuda
  std::vector<int> gpus;        ///< with cuda: the device of each tower (empty: chosen)
  GpuOptions gpu_options;       ///< with cuda: the kernels and their precision
  int epochs = 1;               ///< train until this many epochs are finished
  std::int64_t batch = 128;     ///< images per SGD step (§5: 128)
  std::uint64_t seed = 1;       ///< initial weights, shuffles, augmentation, dropout
  ScheduleConfig schedule;      ///< ε and when it is divided by 10
  SgdParams sgd;                ///< momentum 0.9, weight decay 0.0005
  BatchRecipe recipe;           ///< how a training batch is made; validation uses it with train = false
  std::string out;              ///< folder for the checkpoints, log.csv and steps.csv (created)
  bool resume = false;          ///< continue from out/latest instead of starting afresh
  std::map<std::string, std::string> settings;  ///< recorded in every checkpoint; a resumed run must match them
  std::function<bool()> stop_requested;         ///< polled after every step (Ctrl-C): checkpoint and return
  Workers* workers = nullptr;  ///< the processes sharing every batch (chapter 17); null: this process alone
};

/// @brief What a run leaves.
struct TrainingResult {
  std::vector<EpochRecord> log;              ///< every epoch so far (a resumed run's earlier ones too)
  std::string checkpoint;                    ///< the last checkpoint's folder
  bool interrupted = false;                  ///< stopped by stop_requested before the last epoch ended
  std::unique_ptr<TrainingBackend> backend;  ///< the trained network, ready for evaluate()
};

/// @brief Mean loss and top-1 / top-5 accuracy over a set of images.
struct Evaluation {
  double loss = 0;          ///< mean cross-entropy
  double top1 = 0;          ///< fraction right
  double top5 = 0;          ///< fraction with the label among the 5 largest scores
  std::int64_t images = 0;  ///< images evaluated
};

/// @brief Trains `plan` on `train_set`, validating on `validation` after every epoch and evaluating as many of the
/// first training images in the same test mode; writes out/log.csv, out/steps.csv (every step's loss) and a
/// checkpoint per epoch. Throws std::runtime_error naming the step when the loss becomes NaN or infinite
/// (the last checkpoint stays as it was).
///
/// With config.workers, P processes share each batch: process r trains on its share of the batch the one-process
/// run draws (the same images, augmentation and dropout masks), the gradients are summed before every SGD
/// step, and process 0 alone writes the files; they stop together with a CollectiveError when their settings or
/// weights differ.
TrainingResult train(const Plan& plan, const TrainingConfig& config, const StoredImages& train_set,
                     const StoredImages& validation, ProgressBar& progress);

/// @brief Test-mode pass over `data` in batches: the centre crop of the recipe, or with `ten_crop` the paper's
/// ten crops per image with their softmax averaged. With several `workers`, each process evaluates its share
/// of the images and all of them return the whole set's numbers.
Evaluation evaluate(TrainingBackend& backend, const StoredImages& data, const BatchRecipe& recipe,
                    std::int64_t batch, bool ten_crop, Workers& workers = this_process_alone());

}  // namespace alexnet
