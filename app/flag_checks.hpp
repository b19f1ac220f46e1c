/// @file flag_checks.hpp
/// @brief CLI11 validators for numeric flags: NaN, infinities, signs and overflowing values are refused
/// by name, with the allowed range in a short message (`--lr: expected a finite number above 0 and at most 10000, got 'nan'`).
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>

namespace alexnet {

/// @brief Accepts a decimal integer in [min, max]; anything else (a sign where none fits, digits past 64 bits) is refused.
CLI::Validator integer_in(std::int64_t min, std::int64_t max);

/// @brief Accepts a finite number in (min, max]: NaN and infinities are refused.
CLI::Validator finite_above(double min, double max);

/// @brief The largest seed accepted: 2^63 − 1 (a negative seed is refused instead of wrapping).
constexpr std::int64_t kMaxSeed = INT64_MAX;

/// @brief The largest batch accepted: 65,536 images.
constexpr std::int64_t kMaxBatch = 65536;

/// @brief The most epochs (and the longest patience or step epoch) accepted: 100,000.
constexpr std::int64_t kMaxEpochs = 100000;

/// @brief The largest initial learning rate accepted: 10,000 (the paper's is 0.01; chapter 12 diverges on purpose at 1000).
constexpr double kMaxLearningRate = 10000;

/// @brief The largest --bucket-mb accepted: 100,000 MB (the paper's gradients are 244 MB; a bucket above that is one
/// all-reduce after the backward).
constexpr std::int64_t kMaxBucketMegabytes = 100000;

/// @brief The largest CUDA device index accepted by --gpus.
constexpr std::int64_t kMaxGpuIndex = 63;

/// @brief The largest image count accepted for --limit and --validation: 2^40.
constexpr std::int64_t kMaxImageCount = std::int64_t{1} << 40;

}  // namespace alexnet
