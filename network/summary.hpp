/// @file summary.hpp
/// @brief The layer table as the programs print it, and the named variants of the network.
#pragma once

#include <string>
#include <vector>

#include "reference_cpu/layer_table.hpp"

namespace alexnet {

/// @brief A per-image shape as the tables write it: [96, 55, 55] -> "96@55x55", [4096] -> "4096".
std::string maps_text(const Shape& shape);

/// @brief The names network_variant knows: "paper", "one-tower", "torchvision", "tiny", "mini", and the mini network
/// with its LRN replaced: "mini-batchnorm", "mini-groupnorm", "mini-none" (chapter 14).
std::vector<std::string> variant_names();

/// @brief The network a variant name stands for ("two-tower" is "paper"); throws std::invalid_argument
/// "unknown variant 'x' (expected one of paper, one-tower, ...)".
NetworkSpec network_variant(const std::string& name);

/// @brief Every row with its operation, per-tower split, fan-in, output, neurons, parameters and
/// multiply-adds, then the totals: the table chapter 00 teaches.
std::string layer_table_text(const NetworkSpec& network);

}  // namespace alexnet
