#include "training/nccl_sum.hpp"

#include <mpi.h>
#include <nccl.h>

#include <stdexcept>
#include <string>

#include "cuda/cuda_check.cuh"

namespace alexnet {
namespace {

void nccl_check(ncclResult_t result, const char* call) {
  if (result != ncclSuccess) {
    throw std::runtime_error(std::string("NCCL error in ") + call + ": " + ncclGetErrorString(result));
  }
}

// One communicator over the processes, one stream of its own: the sums of a step are queued as one group (NCCL
// then runs them as one launch) on that stream, and sum() waits for it. The gradients are final when sum() is
// called — the backward waited for its GPUs — and the SGD step queued after sum() returns reads the sums.
class NcclSum final : public DeviceSum {
 public:
  NcclSum(int rank, int size, int device) : device_(device) {
    ncclUniqueId id{};
    if (rank == 0) nccl_check(ncclGetUniqueId(&id), "ncclGetUniqueId");
    MPI_Bcast(&id, sizeof id, MPI_BYTE, 0, MPI_COMM_WORLD);  // process 0's id reaches every process
    CUDA_CHECK(cudaSetDevice(device_));
    nccl_check(ncclCommInitRank(&communicator_, size, id, rank), "ncclCommInitRank");
    CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
  }
  ~NcclSum() override {
    cudaStreamDestroy(stream_);
    ncclCommDestroy(communicator_);
  }
  NcclSum(const NcclSum&) = delete;
  NcclSum& operator=(const NcclSum&) = delete;

  void sum(const std::vector<DeviceArray>& arrays) override {
    CUDA_CHECK(cudaSetDevice(device_));
    nccl_check(ncclGroupStart(), "ncclGroupStart");
    for (const DeviceArray& a : arrays) {  // in place: the same buffer sends and receives
      nccl_check(ncclAllReduce(a.values, a.values, a.count, ncclFloat, ncclSum, communicator_, stream_),
                 "ncclAllReduce");
    }
    nccl_check(ncclGroupEnd(), "ncclGroupEnd");
    CUDA_CHECK(cudaStreamSynchronize(stream_));
  }

 private:
  int device_;
  ncclComm_t communicator_ = nullptr;
  cudaStream_t stream_ = nullptr;
};

}  // namespace

std::unique_ptr<DeviceSum> nccl_sum(int rank, int size, int device) {
  return std::make_unique<NcclSum>(rank, size, device);
}

}  // namespace alexnet
