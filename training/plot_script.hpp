/// @file plot_script.hpp
/// @brief The gnuplot program `alexnet plot` runs: training logs passed as inline data blocks of numbers,
/// names as gnuplot strings escaped by one function, so no file name or label can steer gnuplot.
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

}  // namespace alexnet
