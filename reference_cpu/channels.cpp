#include "reference_cpu/channels.hpp"

#include <algorithm>
#include <stdexcept>

namespace alexnet::cpu {
namespace {

// Channels are dimension 1: [N, C, H, W] maps or [N, F] features.
void require_channels(const char* op, const Shape& shape) {
  if (shape.size() < 2) {
    throw std::invalid_argument(std::string(op) + ": expected [N, C, ...], got shape " + to_string(shape));
  }
}

// Elements per channel per image: H·W for maps, 1 for features.
std::int64_t per_channel(const Shape& shape) { return element_count(Shape(shape.begin() + 2, shape.end())); }

}  // namespace

template <typename T>
Tensor<T> slice_channels(const Tensor<T>& x, std::int64_t begin, std::int64_t count) {
  // x: [N, C, H, W]; each image's channels are contiguous blocks of H·W values.
  require_channels("slice_channels", x.shape());
  const std::int64_t n = x.dim(0), c = x.dim(1), plane = per_channel(x.shape());
  if (begin < 0 || count < 0 || begin + count > c) {
    throw std::invalid_argument("slice_channels: channels [" + std::to_string(begin) + ", " +
                                std::to_string(begin + count) + ") outside the " + std::to_string(c) +
                                " of " + to_string(x.shape()));
  }
  Shape shape = x.shape();
  shape[1] = count;
  Tensor<T> y(shape);
  for (std::int64_t i = 0; i < n; ++i) {
    const T* from = x.data() + (i * c + begin) * plane;
    std::copy(from, from + count * plane, y.data() + i * count * plane);
  }
  return y;
}

template <typename T>
Tensor<T> concat_channels(const std::vector<Tensor<T>>& parts) {
  if (parts.empty()) throw std::invalid_argument("concat_channels: nothing to concatenate");
  Shape shape = parts.front().shape();
  require_channels("concat_channels", shape);
  shape[1] = 0;
  for (const Tensor<T>& part : parts) {
    Shape expected = shape;
    expected[1] = part.rank() < 2 ? 0 : part.dim(1);
    require_shape("concat_channels", "every part (same N, H, W)", expected, part.shape());
    shape[1] += part.dim(1);
  }
  const std::int64_t n = shape[0], channels = shape[1], plane = per_channel(shape);
  Tensor<T> y(shape);
  for (std::int64_t i = 0; i < n; ++i) {
    T* to = y.data() + i * channels * plane;
    for (const Tensor<T>& part : parts) {
      const std::int64_t block = part.dim(1) * plane;
      to = std::copy(part.data() + i * block, part.data() + (i + 1) * block, to);
    }
  }
  return y;
}

template <typename T>
Tensor<T> slice_rows(const Tensor<T>& x, std::int64_t begin, std::int64_t count) {
  if (x.rank() == 0 || begin < 0 || count < 0 || begin + count > x.dim(0)) {
    throw std::invalid_argument("slice_rows: rows [" + std::to_string(begin) + ", " + std::to_string(begin + count) +
                                ") outside " + to_string(x.shape()));
  }
  Shape shape = x.shape();
  shape[0] = count;
  const std::int64_t row = element_count(Shape(shape.begin() + 1, shape.end()));  // elements per row
  Tensor<T> y = Tensor<T>::uninitialized(shape);
  std::copy(x.data() + begin * row, x.data() + (begin + count) * row, y.data());
  return y;
}

template <typename T>
Tensor<T> concat_rows(const std::vector<Tensor<T>>& parts) {
  if (parts.empty()) throw std::invalid_argument("concat_rows: nothing to concatenate");
  Shape shape = parts.front().shape();
  shape.at(0) = 0;
  for (const Tensor<T>& part : parts) {
    Shape expected = shape;
    expected[0] = part.shape().empty() ? 0 : part.dim(0);
    require_shape("concat_rows", "every part (same trailing extents)", expected, part.shape());
    shape[0] += part.dim(0);
  }
  Tensor<T> y = Tensor<T>::uninitialized(shape);
  T* out = y.data();
  for (const Tensor<T>& part : parts) out = std::copy(part.data(), part.data() + part.size(), out);
  return y;
}

template <typename T>
Tensor<T> tower_slice(const Tensor<T>& x, int tower, int towers) {
  require_channels("tower_slice", x.shape());
  if (towers <= 0 || tower < 0 || tower >= towers || x.dim(1) % towers != 0) {
    throw std::invalid_argument("tower_slice: tower " + std::to_string(tower) + " of " + std::to_string(towers) +
                                " for " + std::to_string(x.dim(1)) + " channels");
  }
  const std::int64_t width = x.dim(1) / towers;
  return slice_channels(x, tower * width, width);
}

template Tensor<float> slice_channels(const Tensor<float>&, std::int64_t, std::int64_t);
template Tensor<double> slice_channels(const Tensor<double>&, std::int64_t, std::int64_t);
template Tensor<float> concat_channels(const std::vector<Tensor<float>>&);
template Tensor<double> concat_channels(const std::vector<Tensor<double>>&);
template Tensor<float> slice_rows(const Tensor<float>&, std::int64_t, std::int64_t);
template Tensor<double> slice_rows(const Tensor<double>&, std::int64_t, std::int64_t);
template Tensor<float> concat_rows(const std::vector<Tensor<float>>&);
template Tensor<double> concat_rows(const std::vector<Tensor<double>>&);
template Tensor<float> tower_slice(const Tensor<float>&, int, int);
template Tensor<double> tower_slice(const Tensor<double>&, int, int);

}  // namespace alexnet::cpu
