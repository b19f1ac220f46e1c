/// @file tensor.hpp
/// @brief Host tensors: a shape and contiguous row-major (NCHW) storage.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

/// @brief The course: tensors, the layer table, random numbers, files, and the CPU and CUDA ops.
namespace alexnet {

/// @brief The CPU reference: one naive, obviously-correct loop per op, forward and backward.
namespace cpu {}

/// @brief The CUDA kernels, each checked against its twin in alexnet::cpu.
namespace cuda {}

/// @brief A tensor's extents, outermost first: `{N, C, H, W}` for images.
using Shape = std::vector<std::int64_t>;

/// @brief Number of elements a shape holds (1 for the empty shape of a scalar).
std::int64_t element_count(const Shape& shape);

/// @brief A shape written the way the lessons write it: `[2, 96, 55, 55]`.
std::string to_string(const Shape& shape);

/// @brief Throws std::invalid_argument "<op>: expected <what> [..], got [..]" unless the shapes match.
void require_shape(const std::string& op, const std::string& what, const Shape& expected,
                   const Shape& actual);

/// @brief A dense tensor of scalars in row-major order (NCHW for images).
///
/// The CPU reference ops are templates on the scalar type so that the same loop
/// runs in float (to compare with CUDA) and in double (for gradient checks).
/// `at()` checks indices in debug builds; `operator[]` indexes the flat storage.
template <typename T>
class Tensor {
 public:
  /// @brief An empty tensor with shape [0].
  Tensor() : shape_{0} {}
  /// @brief A tensor of the given shape filled with `value`.
  explicit Tensor(Shape shape, T value = T(0))
      : shape_(std::move(shape)), data_(checked_count(shape_), value) {}
  /// @brief A tensor of the given shape holding `values` (their count must match).
  Tensor(Shape shape, std::vector<T> values) : shape_(std::move(shape)), data_(std::move(values)) {
    if (static_cast<std::int64_t>(data_.size()) != checked_count(shape_)) {
      std::ostringstream message;
      message << "Tensor: shape " << to_string(shape_) << " holds " << element_count(shape_)
              << " elements, got " << data_.size() << " values";
      throw std::invalid_argument(message.str());
    }
  }

  /// @brief The extents, outermost first.
  const Shape& shape() const { return shape_; }
  /// @brief Number of dimensions.
  int rank() const { return static_cast<int>(shape_.size()); }
  /// @brief Extent of dimension `d` (negative counts from the end).
  std::int64_t dim(int d) const {
    const int index = d < 0 ? d + rank() : d;
    if (index < 0 || index >= rank()) {
      throw std::out_of_range("Tensor::dim: dimension " + std::to_string(d) + " of a rank-" +
                              std::to_string(rank()) + " tensor");
    }
    return shape_[index];
  }
  /// @brief Number of elements.
  std::int64_t size() const { return static_cast<std::int64_t>(data_.size()); }
  /// @brief Bytes of storage.
  std::size_t bytes() const { return data_.size() * sizeof(T); }

  /// @brief Pointer to the first element.
  T* data() { return data_.data(); }
  /// @brief Pointer to the first element.
  const T* data() const { return data_.data(); }
  /// @brief The flat storage.
  const std::vector<T>& values() const { return data_; }

  /// @brief Element `i` of the flat storage.
  T& operator[](std::int64_t i) { return data_[static_cast<std::size_t>(i)]; }
  /// @brief Element `i` of the flat storage.
  const T& operator[](std::int64_t i) const { return data_[static_cast<std::size_t>(i)]; }

  /// @brief Element at a multi-index, e.g. `x.at(n, c, h, w)`; checked in debug builds.
  template <typename... Index>
  T& at(Index... index) {
    return data_[offset({static_cast<std::int64_t>(index)...})];
  }
  /// @brief Element at a multi-index, e.g. `x.at(n, c, h, w)`; checked in debug builds.
  template <typename... Index>
  const T& at(Index... index) const {
    return data_[offset({static_cast<std::int64_t>(index)...})];
  }

  /// @brief Sets every element to `value`.
  void fill(T value) { data_.assign(data_.size(), value); }

  /// @brief The same values under another shape with the same element count.
  Tensor reshaped(Shape shape) const { return Tensor(std::move(shape), data_); }

  /// @brief A copy with every element converted to scalar type `U`.
  template <typename U>
  Tensor<U> cast() const {
    return Tensor<U>(shape_, std::vector<U>(data_.begin(), data_.end()));
  }

 private:
  static std::int64_t checked_count(const Shape& shape) {
    for (std::int64_t extent : shape) {
      if (extent < 0) throw std::invalid_argument("Tensor: negative extent in " + to_string(shape));
    }
    return element_count(shape);
  }

  std::size_t offset(std::initializer_list<std::int64_t> index) const {
#ifndef NDEBUG
    if (static_cast<int>(index.size()) != rank()) {
      throw std::out_of_range("Tensor::at: " + std::to_string(index.size()) +
                              " indices for a tensor of shape " + to_string(shape_));
    }
#endif
    std::int64_t flat = 0;
    std::size_t d = 0;
    for (std::int64_t i : index) {
#ifndef NDEBUG
      if (i < 0 || i >= shape_[d]) {
        throw std::out_of_range("Tensor::at: index " + std::to_string(i) + " in dimension " +
                                std::to_string(d) + " of shape " + to_string(shape_));
      }
#endif
      flat = flat * shape_[d] + i;
      ++d;
    }
    return static_cast<std::size_t>(flat);
  }

  Shape shape_;
  std::vector<T> data_;
};

/// @brief Single-precision tensor, the type the network runs in.
using TensorF = Tensor<float>;
/// @brief Double-precision tensor, for gradient checks.
using TensorD = Tensor<double>;

}  // namespace alexnet
