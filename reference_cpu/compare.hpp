/// @file compare.hpp
/// @brief Element-wise comparison of two tensors with a readable report
/// (max abs/rel error and the first mismatches), for CPU-vs-GPU checks.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tensor.hpp"

namespace alexnet {

/// @brief Tolerances: an element passes when |actual − expected| ≤ abs + rel·|expected|.
struct Tolerance {
  double abs = 0.0;  ///< absolute part
  double rel = 0.0;  ///< part relative to |expected|
};

/// @brief One element that failed its tolerance.
struct Mismatch {
  std::int64_t flat_index;  ///< index into the flat storage
  Shape index;              ///< the same index as one per dimension
  double expected;          ///< the reference value
  double actual;            ///< the value checked
};

/// @brief What compare() found.
struct Comparison {
  double max_abs_error = 0.0;         ///< max |actual − expected|
  double max_rel_error = 0.0;         ///< max |actual − expected| / max(|expected|, 1e-30)
  std::int64_t mismatch_count = 0;    ///< elements outside the tolerance (NaN counts)
  std::vector<Mismatch> first;        ///< up to 5 of them, lowest index first
  std::int64_t compared = 0;          ///< elements compared
  /// @brief True when every element is within tolerance.
  bool ok() const { return mismatch_count == 0; }
  /// @brief "max abs 1.2e-06, max rel 3.4e-05, 0 of 580800 outside tolerance" plus the first mismatches.
  std::string report(const std::string& what) const;
};

/// @brief Compares `actual` with `expected` element by element (shapes must match, else throws).
Comparison compare(const Tensor<float>& expected, const Tensor<float>& actual, Tolerance tolerance);

/// @brief compare() for double tensors (gradient checks).
Comparison compare(const Tensor<double>& expected, const Tensor<double>& actual, Tolerance tolerance);

}  // namespace alexnet
