/// @file device_tensor.cuh
/// @brief DeviceTensor: GPU memory with a shape on one device, freed automatically, copied to and from Tensor;
/// ScopedDevice: a device made current for a scope.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <utility>

#include "cuda/cuda_check.cuh"
#include "reference_cpu/tensor.hpp"

namespace alexnet {

/// @brief The device the calling thread's CUDA calls go to (cudaGetDevice).
inline int current_cuda_device() {
  int device = 0;
  CUDA_CHECK(cudaGetDevice(&device));
  return device;
}

/// @brief Makes `device` current until the end of the scope, then makes the device current before it current again.
class ScopedDevice {
 public:
  /// @brief Makes `device` current (cudaSetDevice), remembering the current one.
  explicit ScopedDevice(int device) : previous_(current_cuda_device()), device_(device) {
    if (device_ != previous_) CUDA_CHECK(cudaSetDevice(device_));
  }
  ScopedDevice(const ScopedDevice&) = delete;
  ScopedDevice& operator=(const ScopedDevice&) = delete;
  /// @brief Makes the previous device current again.
  ~ScopedDevice() {
    if (device_ != previous_) cudaSetDevice(previous_);  // no throwing from a destructor
  }

 private:
  int previous_, device_;
};

/// @brief A tensor in the global memory of one GPU: same shape and layout as Tensor, owned (RAII).
///
/// The memory lives on the device given at construction (by default the current one);
/// copies to and from the host and the release run on that device whatever device is current.
template <typename T>
class DeviceTensor {
 public:
  /// @brief An empty tensor that owns no memory.
  DeviceTensor() = default;
  /// @brief Allocates a tensor of `shape` on the current device, filled with zero bytes.
  explicit DeviceTensor(Shape shape) : DeviceTensor(std::move(shape), current_cuda_device()) {}
  /// @brief Allocates a tensor of `shape` on `device`, filled with zero bytes.
  DeviceTensor(Shape shape, int device) : shape_(std::move(shape)), device_(device) {
    const ScopedDevice on_device(device_);
    allocate();
    if (bytes() > 0) CUDA_CHECK(cudaMemset(data_, 0, bytes()));
  }
  /// @brief Allocates on the current device and uploads a copy of `host`.
  explicit DeviceTensor(const Tensor<T>& host) : DeviceTensor(host, current_cuda_device()) {}
  /// @brief Allocates on `device` and uploads a copy of `host`.
  DeviceTensor(const Tensor<T>& host, int device) : shape_(host.shape()), device_(device) {
    const ScopedDevice on_device(device_);
    allocate();
    copy_from(host);
  }
  DeviceTensor(const DeviceTensor&) = delete;
  DeviceTensor& operator=(const DeviceTensor&) = delete;
  /// @brief Takes over `other`'s memory.
  DeviceTensor(DeviceTensor&& other) noexcept
      : shape_(std::move(other.shape_)), device_(other.device_), data_(std::exchange(other.data_, nullptr)) {}
  /// @brief Frees the memory held and takes over `other`'s.
  DeviceTensor& operator=(DeviceTensor&& other) noexcept {
    if (this != &other) {
      release();
      shape_ = std::move(other.shape_);
      device_ = other.device_;
      data_ = std::exchange(other.data_, nullptr);
    }
    return *this;
  }
  /// @brief Frees the GPU memory.
  ~DeviceTensor() { release(); }

  /// @brief The extents, outermost first.
  const Shape& shape() const { return shape_; }
  /// @brief Extent of dimension i.
  std::int64_t dim(std::size_t i) const { return shape_.at(i); }
  /// @brief Number of elements.
  std::int64_t size() const { return element_count(shape_); }
  /// @brief Bytes of GPU memory.
  std::size_t bytes() const { return static_cast<std::size_t>(size()) * sizeof(T); }
  /// @brief The device whose memory holds the tensor.
  int device() const { return device_; }
  /// @brief Device pointer to the first element.
  T* data() { return data_; }
  /// @brief Device pointer to the first element.
  const T* data() const { return data_; }

  /// @brief Uploads `host`, whose shape must equal this tensor's, through its device's default stream.
  void copy_from(const Tensor<T>& host) {
    require_shape("DeviceTensor::copy_from", "host tensor", shape_, host.shape());
    if (bytes() == 0) return;
    const ScopedDevice on_device(device_);
    CUDA_CHECK(cudaMemcpy(data_, host.data(), bytes(), cudaMemcpyHostToDevice));
  }
  /// @brief Downloads a copy into a new host Tensor (waits for the device's default stream).
  Tensor<T> to_host() const {
    Tensor<T> host = Tensor<T>::uninitialized(shape_);  // the copy writes every element
    if (bytes() == 0) return host;
    const ScopedDevice on_device(device_);
    CUDA_CHECK(cudaMemcpy(host.data(), data_, bytes(), cudaMemcpyDeviceToHost));
    return host;
  }

 private:
  void allocate() {
    if (bytes() > 0) CUDA_CHECK(cudaMalloc(reinterpret_cast<void**>(&data_), bytes()));
  }
  // No throwing from a destructor: errors are ignored here (a failed kernel reports them elsewhere).
  void release() noexcept {
    if (data_ == nullptr) return;
    int previous = device_;
    cudaGetDevice(&previous);
    if (previous != device_) cudaSetDevice(device_);
    cudaFree(data_);
    if (previous != device_) cudaSetDevice(previous);
    data_ = nullptr;
  }

  Shape shape_{0};
  int device_ = 0;
  T* data_ = nullptr;
};

/// @brief Single-precision device tensor.
using DeviceTensorF = DeviceTensor<float>;

}  // namespace alexnet
