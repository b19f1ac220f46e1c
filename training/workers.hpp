/// @file workers.hpp
/// @brief The processes one training run is shared by (chapter 17): this one alone, or P MPI processes that each
/// hold the whole network, take their share of every batch and add up their gradients before the SGD step.
/// The training loop is written against this interface once; alexnet::MpiWorkers is the MPI implementation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "network/cpu_network.hpp"

namespace alexnet {

/// @brief A run's images [first, first + count) of one batch: this process's share.
struct Share {
  std::int64_t first = 0;  ///< where the share starts in the batch
  std::int64_t count = 0;  ///< how many images it holds
};

/// @brief An error every process found at the same moment (a flag that differs between them, a batch they
/// cannot share): process 0 reports it and all of them stop cleanly.
class CollectiveError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// @brief Floats in a GPU's memory: a layer's gradient, say.
struct DeviceArray {
  float* values = nullptr;  ///< device memory
  std::size_t count = 0;    ///< how many floats
};

/// @brief Sums arrays that live on this process's GPU over the processes (NCCL's all-reduce, chapter 17).
class DeviceSum {
 public:
  virtual ~DeviceSum() = default;
  /// @brief Replaces every value of `arrays` by its sum over the processes; returns when the sums are in place.
  /// Every process passes arrays of the same sizes in the same order.
  virtual void sum(const std::vector<DeviceArray>& arrays) = 0;
};

/// @brief The processes a training run is shared by; one process alone is the trivial case.
class Workers {
 public:
  virtual ~Workers() = default;
  /// @brief This process's number, 0 … size() − 1; process 0 writes the files and prints.
  virtual int rank() const = 0;
  /// @brief How many processes share the run.
  virtual int size() const = 0;
  /// @brief Whether this process writes the files and prints (process 0).
  bool leads() const { return rank() == 0; }

  /// @brief This process's images of a batch of `images`: process r takes [r·n/P, (r+1)·n/P).
  Share share_of(std::int64_t images) const;
  /// @brief Adds each value over the processes, in place (a step's loss, its counts): the same sums on all.
  virtual void sum(std::vector<double>& values) = 0;
  /// @brief The hook a backward pass calls with each of the network's `layers` layers' gradients: when it has
  /// been called with the last, every process holds their sums over the processes (the gradient of the whole
  /// batch's loss when each process differentiates its share of it). Empty for one process alone.
  virtual GradientsReady<float> summed_gradients(std::size_t layers) = 0;
  /// @brief What sums arrays on GPU `device` over the processes (one GPU per process); null for one process alone.
  /// Throws where the build has no CUDA.
  virtual std::unique_ptr<DeviceSum> device_sum(int device) = 0;
  /// @brief This process's number among the processes on its machine: which of the machine's GPUs it takes.
  virtual int local_rank() const = 0;
  /// @brief Throws CollectiveError on every process, with `what` and each value, unless all processes hold the
  /// same `value` (a checksum of the weights, of the settings).
  virtual void require_same(std::uint64_t value, const std::string& what) = 0;
  /// @brief Waits until every process has arrived here.
  virtual void barrier() = 0;
};

/// @brief This process alone: every image is its own, sums are the values themselves.
Workers& this_process_alone();

/// @brief FNV-1a over `count` bytes, continuing from `hash`: equal on two processes when their bytes are.
std::uint64_t checksum(const void* bytes, std::size_t count, std::uint64_t hash = 14695981039346656037ull);

/// @brief checksum() over the bytes of every weight and bias.
std::uint64_t weights_checksum(const Parameters<float>& parameters);

}  // namespace alexnet
