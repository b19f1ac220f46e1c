/// @file tensor.hpp
/// @brief Host tensors: a shape and contiguous row-major (NCHW) storage.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <type_traits>
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

/// @brief std::allocator, except that a vector grown without a value leaves its new elements default-initialised
/// (for a float: not written at all) instead of zero. Tensor::uninitialized uses it: an op that writes every
/// element of its output then makes one pass over that memory, not two.
template <typename T>
struct DefaultInitAllocator : std::allocator<T> {
  /// @brief The same allocator for another type (std::allocator_traits asks for it).
  template <typename U>
  struct rebind {
    using other = DefaultInitAllocator<U>;  ///< the allocator for U
  };
  /// @brief An allocator (it holds nothing).
  DefaultInitAllocator() = default;
  /// @brief Converts from the allocator of another type (it holds nothing).
  template <typename U>
  DefaultInitAllocator(const DefaultInitAllocator<U>&) noexcept {}  // NOLINT: implicit, as std::allocator's
  /// @brief Constructs an element with no value: default-initialised.
  template <typename U>
  void construct(U* p) noexcept(std::is_nothrow_default_constructible_v<U>) {
    ::new (static_cast<void*>(p)) U;
  }
  /// @brief Constructs an element from `args`.
  template <typename U, typename... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
};

/// @brief A tensor's flat storage.
template <typename T>
using TensorStorage = std::vector<T, DefaultInitAllocator<T>>;

/// @brief Whether a tensor's storage holds the same values as `values`, in the same order.
template <typename T>
bool operator==(const TensorStorage<T>& storage, const std::vector<T>& values) {
  return std::equal(storage.begin(), storage.end(), values.begin(), values.end());
}
/// @brief As above, the other way round.
template <typename T>
bool operator==(const std::vector<T>& values, const TensorStorage<T>& storage) {
  return storage == values;
}
/// @brief Whether a tensor's storage and `values` differ.
template <typename T>
bool operator!=(const TensorStorage<T>& storage, const std::vector<T>& values) {
  return !(storage == values);
}
/// @brief As above, the other way round.
template <typename T>
bool operator!=(const std::vector<T>& values, const TensorStorage<T>& storage) {
  return !(storage == values);
}

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
  Tensor(Shape shape, const std::vector<T>& values)
      : Tensor(std::move(shape), TensorStorage<T>(values.begin(), values.end()), Counted{}) {}

  /// @brief A tensor of the given shape whose elements are not written (their values are whatever the memory
  /// held): for an op's output that the op then writes in full, so that no pass writes zeros first.
  static Tensor uninitialized(Shape shape) {
    Tensor t;
    t.data_ = TensorStorage<T>(static_cast<std::size_t>(checked_count(shape)));
    t.shape_ = std::move(shape);
    return t;
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
  const TensorStorage<T>& values() const { return data_; }

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
  Tensor reshaped(Shape shape) const { return Tensor(std::move(shape), data_, Counted{}); }

  /// @brief A copy with every element converted to scalar type `U`.
  template <typename U>
  Tensor<U> cast() const {
    Tensor<U> out = Tensor<U>::uninitialized(shape_);
    std::copy(data_.begin(), data_.end(), out.data());
    return out;
  }

 private:
  struct Counted {};  // the constructor below checks the count
  Tensor(Shape shape, TensorStorage<T> values, Counted) : shape_(std::move(shape)), data_(std::move(values)) {
    if (static_cast<std::int64_t>(data_.size()) != checked_count(shape_)) {
      std::ostringstream message;
      message << "Tensor: shape " << to_string(shape_) << " holds " << element_count(shape_)
              << " elements, got " << data_.size() << " values";
      throw std::invalid_argument(message.str());
    }
  }

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
  TensorStorage<T> data_;
};

/// @brief Single-precision tensor, the type the network runs in.
using TensorF = Tensor<float>;
/// @brief Double-precision tensor, for gradient checks.
using TensorD = Tensor<double>;

}  // namespace alexnet
