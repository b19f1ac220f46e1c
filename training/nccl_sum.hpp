/// @file nccl_sum.hpp
/// @brief alexnet::DeviceSum on NCCL (chapter 17): the all-reduce between GPUs that data-parallel training on CUDA
/// sums its gradients with. On the emulated device an NCCL of the course's own (emulated_gpu/nccl.cpp) does the
/// same sums over MPI, so the path runs without a GPU.
#pragma once

#include <memory>

#include "training/workers.hpp"

namespace alexnet {

/// @brief NCCL's sums over the `size` MPI processes on GPU `device`: process 0 makes the communicator's id and
/// MPI_Bcast sends it to the others, then each joins as `rank`. Every process must call it, in step.
std::unique_ptr<DeviceSum> nccl_sum(int rank, int size, int device);

}  // namespace alexnet
