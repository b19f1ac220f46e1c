/// @file device_tensor.cuh
/// @brief DeviceTensor: GPU memory with a shape, freed automatically, copied to and from Tensor.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <utility>

#include "cuda/cuda_check.cuh"
#include "reference_cpu/tensor.hpp"

namespace alexnet {

/// @brief A tensor in GPU global memory: same shape and layout as Tensor, owned (RAII).
template <typename T>
class DeviceTensor {
 public:
  /// @brief An empty tensor that owns no memory.
  DeviceTensor() = default;
  /// @brief Allocates a tensor of `shape` on the current device, filled with zero bytes.
  explicit DeviceTensor(Shape shape) : shape_(std::move(shape)) {
    allocate();
    if (bytes() > 0) CUDA_CHECK(cudaMemset(data_, 0, bytes()));
  }
  /// @brief Allocates and uploads a copy of `host`.
  explicit DeviceTensor(const Tensor<T>& host) : shape_(host.shape()) {
    allocate();
    copy_from(host);
  }
  DeviceTensor(const DeviceTensor&) = delete;
  DeviceTensor& operator=(const DeviceTensor&) = delete;
  /// @brief Takes over `other`'s memory.
  DeviceTensor(DeviceTensor&& other) noexcept
      : shape_(std::move(other.shape_)), data_(std::exchange(other.data_, nullptr)) {}
  /// @brief Frees the memory held and takes over `other`'s.
  DeviceTensor& operator=(DeviceTensor&& other) noexcept {
    if (this != &other) {
      release();
      shape_ = std::move(other.shape_);
      data_ = std::exchange(other.data_, nullptr);
    }
    return *this;
  }
  /// @brief Frees the GPU memory.
  ~DeviceTensor() { release(); }

  /// @brief The extents, outermost first.
  const Shape& shape() const { return shape_; }
  /// @brief Number of elements.
  std::int64_t size() const { return element_count(shape_); }
  /// @brief Bytes of GPU memory.
  std::size_t bytes() const { return static_cast<std::size_t>(size()) * sizeof(T); }
  /// @brief Device pointer to the first element.
  T* data() { return data_; }
  /// @brief Device pointer to the first element.
  const T* data() const { return data_; }

  /// @brief Uploads `host`, whose shape must equal this tensor's.
  void copy_from(const Tensor<T>& host) {
    require_shape("DeviceTensor::copy_from", "host tensor", shape_, host.shape());
    if (bytes() > 0) CUDA_CHECK(cudaMemcpy(data_, host.data(), bytes(), cudaMemcpyHostToDevice));
  }
  /// @brief Downloads a copy into a new host Tensor (waits for the device).
  Tensor<T> to_host() const {
    Tensor<T> host(shape_);
    if (bytes() > 0) CUDA_CHECK(cudaMemcpy(host.data(), data_, bytes(), cudaMemcpyDeviceToHost));
    return host;
  }

 private:
  void allocate() {
    if (bytes() > 0) CUDA_CHECK(cudaMalloc(reinterpret_cast<void**>(&data_), bytes()));
  }
  void release() noexcept {
    if (data_ != nullptr) cudaFree(data_);  // no throwing from a destructor
    data_ = nullptr;
  }

  Shape shape_{0};
  T* data_ = nullptr;
};

/// @brief Single-precision device tensor.
using DeviceTensorF = DeviceTensor<float>;

}  // namespace alexnet
