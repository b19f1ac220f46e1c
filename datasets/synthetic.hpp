/// @file synthetic.hpp
/// @brief Small synthetic labelled images for tests, the same for the same seed on every machine.
#pragma once

#include <cstdint>

#include "datasets/labeled_images.hpp"

namespace alexnet {

/// @brief `count` RGB images [count, 3, side, side] of `classes` classes, deterministic by `seed`.
///
/// Labels are drawn uniformly from RandomStream(seed, 0). Image n of class k is
/// the class's colour plus uniform noise of ±30 from stream n + 1, so values stay
/// in 10..245 and a class is visible at a glance. Class names are "class 0", ...
LabeledImages synthetic_images(std::int64_t count, int side, int classes, std::uint64_t seed);

}  // namespace alexnet
