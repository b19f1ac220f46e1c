/// @file mpi_workers.hpp
/// @brief alexnet::Workers on MPI (chapter 17): the processes `mpirun -np P` starts, one MPI rank each. Gradients
/// are summed in buckets by MPI_Iallreduce, each bucket started as soon as its layers' backward is done, so the
/// sums travel while the earlier layers' backward still computes.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "training/workers.hpp"

namespace alexnet {

/// @brief The processes of one `mpirun`, as alexnet::Workers.
class MpiWorkers final : public Workers {
 public:
  /// @brief Starts MPI for a process `mpirun` started (throws CollectiveError naming mpirun otherwise); the
  /// gradients travel in buckets of about `bucket_bytes` (0: one bucket per layer).
  explicit MpiWorkers(std::size_t bucket_bytes);
  /// @brief finalize().
  ~MpiWorkers() override;
  MpiWorkers(const MpiWorkers&) = delete;
  MpiWorkers& operator=(const MpiWorkers&) = delete;

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  void sum(std::vector<double>& values) override;
  GradientsReady<float> summed_gradients(std::size_t layers) override;
  /// @brief NCCL on `device`, its communicator's id sent from process 0 to the others through MPI.
  std::unique_ptr<DeviceSum> device_sum(int device) override;
  int local_rank() const override { return local_rank_; }
  void require_same(std::uint64_t value, const std::string& what) override;
  void barrier() override;

  /// @brief Seconds this process has waited for gradient sums to arrive after its backward was done (the part
  /// of the communication the backward did not hide), and the sums it started, since the last call.
  struct Waiting {
    double seconds = 0;       ///< time in MPI_Waitall at the end of the backward
    std::size_t buckets = 0;  ///< MPI_Iallreduce calls
  };
  /// @brief What the gradient sums cost since the last call (a benchmark reads it after every step).
  Waiting take_waiting();

  /// @brief Ends this process's part in MPI (MPI_Finalize; once): every process calls it before it exits.
  void finalize();
  /// @brief Stops every process now (MPI_Abort), after an error only this one may have seen.
  [[noreturn]] void abort(int code);

 private:
  class GradientBuckets;
  int rank_ = 0, size_ = 1, local_rank_ = 0;
  std::shared_ptr<GradientBuckets> buckets_;
};

/// @brief Whether this process was started by mpirun (Open MPI's or MPICH's launcher variables are set).
bool started_by_mpirun();

}  // namespace alexnet
