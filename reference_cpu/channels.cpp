#include "reference_cpu/channels.hpp"

#include <algorithm>
#include <stdexcept>

namespace alexnet::cpu {
namespace {

void require_rank(const char* op, const Shape& shape, std::size_t rank) {
  if (shape.size() != rank) {
    throw std::invalid_argument(std::string(op) + ": expected a rank-" + std::to_string(rank) +
                                " tensor, got shape " + to_string(shape));
  }
}

}  // namespace

template <typename T>
Tensor<T> slice_channels(const Tensor<T>& x, std::int64_t begin, std::int64_t count) {
  // x: [N, C, H, W]; each image's channels are contiguous blocks of H·W values.
  require_rank("slice_channels", x.shape(), 4);
  const std::int64_t n = x.dim(0), c = x.dim(1), plane = x.dim(2) * x.dim(3);
  if (begin < 0 || count < 0 || begin + count > c) {
    throw std::invalid_argument("slice_channels: channels [" + std::to_string(begin) + ", " +
                                std::to_string(begin + count) + ") outside the " + std::to_string(c) +
                                " of " + to_string(x.shape()));
  }
  Tensor<T> y({n, count, x.dim(2), x.dim(3)});
  for (std::int64_t i = 0; i < n; ++i) {
    const T* from = x.data() + (i * c + begin) * plane;
    std::copy(from, from + count * plane, y.data() + i * count * plane);
  }
  return y;
}

template <typename T>
Tensor<T> concat_channels(const std::vector<Tensor<T>>& parts) {
  if (parts.empty()) throw std::invalid_argument("concat_channels: nothing to concatenate");
  const Shape& first = parts.front().shape();
  require_rank("concat_channels", first, 4);
  std::int64_t channels = 0;
  for (const Tensor<T>& part : parts) {
    require_rank("concat_channels", part.shape(), 4);
    const Shape expected{first[0], part.dim(1), first[2], first[3]};
    require_shape("concat_channels", "every part (same N, H, W)", expected, part.shape());
    channels += part.dim(1);
  }
  const std::int64_t n = first[0], plane = first[2] * first[3];
  Tensor<T> y({n, channels, first[2], first[3]});
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
  return Tensor<T>(shape, std::vector<T>(x.data() + begin * row, x.data() + (begin + count) * row));
}

template <typename T>
Tensor<T> concat_rows(const std::vector<Tensor<T>>& parts) {
  if (parts.empty()) throw std::invalid_argument("concat_rows: nothing to concatenate");
  Shape shape = parts.front().shape();
  shape.at(0) = 0;
  std::vector<T> values;
  for (const Tensor<T>& part : parts) {
    Shape expected = shape;
    expected[0] = part.shape().empty() ? 0 : part.dim(0);
    require_shape("concat_rows", "every part (same trailing extents)", expected, part.shape());
    shape[0] += part.dim(0);
    values.insert(values.end(), part.values().begin(), part.values().end());
  }
  return Tensor<T>(shape, std::move(values));
}

template <typename T>
Tensor<T> tower_slice(const Tensor<T>& x, int tower, int towers) {
  require_rank("tower_slice", x.shape(), 4);
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
