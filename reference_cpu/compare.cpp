#include "compare.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace alexnet {
namespace {

Shape unflatten(std::int64_t flat, const Shape& shape) {
  Shape index(shape.size());
  for (std::size_t d = shape.size(); d-- > 0;) {
    index[d] = flat % shape[d];
    flat /= shape[d];
  }
  return index;
}

template <typename T>
Comparison compare_values(const Tensor<T>& expected, const Tensor<T>& actual, Tolerance tolerance) {
  require_shape("compare", "the checked tensor", expected.shape(), actual.shape());
  Comparison result;
  result.compared = expected.size();
  for (std::int64_t i = 0; i < expected.size(); ++i) {
    const double want = static_cast<double>(expected[i]);
    const double got = static_cast<double>(actual[i]);
    const double error = std::fabs(got - want);
    const double relative = error / std::max(std::fabs(want), 1e-30);
    // NaN compares false everywhere: count it as a mismatch explicitly.
    const bool within = error <= tolerance.abs + tolerance.rel * std::fabs(want);
    if (!std::isnan(error)) {
      result.max_abs_error = std::max(result.max_abs_error, error);
      result.max_rel_error = std::max(result.max_rel_error, relative);
    }
    if (!within) {
      ++result.mismatch_count;
      if (result.first.size() < 5) result.first.push_back({i, unflatten(i, expected.shape()), want, got});
    }
  }
  return result;
}

}  // namespace

std::string Comparison::report(const std::string& what) const {
  std::ostringstream text;
  text.precision(3);
  text << what << ": max abs error " << std::scientific << max_abs_error << ", max rel error " << max_rel_error
       << ", " << mismatch_count << " of " << compared << " outside tolerance";
  text.precision(8);
  for (const Mismatch& m : first) {
    text << "\n  at " << to_string(m.index) << " (flat " << m.flat_index << "): expected " << m.expected
         << ", got " << m.actual;
  }
  return text.str();
}

Comparison compare(const Tensor<float>& expected, const Tensor<float>& actual, Tolerance tolerance) {
  return compare_values(expected, actual, tolerance);
}

Comparison compare(const Tensor<double>& expected, const Tensor<double>& actual, Tolerance tolerance) {
  return compare_values(expected, actual, tolerance);
}

}  // namespace alexnet
