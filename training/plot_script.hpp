/// @file plot_script.hpp
/// @brief The gnuplot programs the alexnet command runs — `alexnet plot`'s training curves and `alexnet bench
/// --roofline`'s roofline: numbers passed as inline data blocks, names as gnuplot strings escaped by one function,
/// so no file name or label can steer gnuplot.
#pragma once

#include <string>
#include <vector>

#include "training/trainer.hpp"

namespace alexnet {

/// @brief `text` as a single-quoted gnuplot string: every ' doubled, every control character (a newline
/// would end the command) replaced by a space. gnuplot expands neither backquotes nor macros inside it.
std::string gnuplot_string(const std::string& text);

/// @brief One run's curves: the rows of its log.csv and of its steps.csv, and its name in the key.
struct TrainingCurves {
  std::vector<EpochRecord> log;   ///< one row per epoch
  std::vector<StepRecord> steps;  ///< one row per step (empty: the per-step loss is left out)
  std::string name;               ///< "" when the plot holds one run
};

/// @brief A gnuplot program drawing the loss (every step's, and per epoch the training subset's and the validation
/// set's) and top-1 accuracy (per epoch: while training, on the training subset, on the validation set) of `runs` as
/// PNG on its standard output; the only text in it that does not come from this function is passed through
/// gnuplot_string().
std::string training_curves_script(const std::vector<TrainingCurves>& runs);

/// @brief One pass of one step on the roofline: where it sits (FLOPs per byte) and what it reached.
struct RooflinePoint {
  std::string name;        ///< the step, e.g. "conv2"
  bool backward = false;   ///< the backward pass (drawn hollow) or the forward (filled)
  double intensity = 0;    ///< FLOPs per byte moved
  double gflops = 0;       ///< the rate measured
};

/// @brief A gnuplot program drawing the roofline — min(`peak_gflops`, intensity × `bandwidth_gbps`) on log-log axes —
/// with every forward point labelled by its step (a step's backward point lies near it), as PNG on its standard
/// output; names and `title` through gnuplot_string().
std::string roofline_script(const std::vector<RooflinePoint>& points, double peak_gflops, double bandwidth_gbps,
                            const std::string& title);

}  // namespace alexnet
