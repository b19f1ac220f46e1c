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

/// @brief A gnuplot program drawing loss and top-1 curves of `logs` (one name per log, "" for none) as PNG on its
/// standard output; the only text in it that does not come from this function is passed through gnuplot_string().
std::string training_curves_script(const std::vector<std::vector<EpochRecord>>& logs,
                                   const std::vector<std::string>& names);

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
