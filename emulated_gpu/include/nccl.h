/// @file nccl.h
/// @brief The emulated device's NCCL: the calls the course makes (chapter 17's data-parallel sums), done over MPI
/// between the processes `mpirun` starts, for the host C++ compiler.
///
/// In the `emulated` build this header stands where the toolkit's `nccl.h` would, as cuda_runtime.h stands for the
/// CUDA runtime. Emulated device memory is host memory and an emulated stream runs its work as it is queued, so
/// ncclAllReduce is MPI_Allreduce on the device pointers themselves, done when the call returns. What it checks
/// that NCCL would fail on: every process joins with the same id and the communicator's size is MPI's, and the
/// buffers are device memory of the stream's device. What it cannot show: NCCL's own algorithms (rings, trees)
/// and their summation order, and its speed (chapter 17 measures MPI's instead).
#pragma once

#include <cuda_runtime.h>

#include <cstddef>

/// @brief Bytes of a communicator's id, as NCCL's.
#define NCCL_UNIQUE_ID_BYTES 128

/// @brief What process 0 makes and sends to the others, who join the communicator with it.
typedef struct {
  char internal[NCCL_UNIQUE_ID_BYTES];
} ncclUniqueId;

/// @brief A communicator: this process's place among the processes that sum together.
typedef struct EmulatedNcclCommunicator* ncclComm_t;

/// @brief NCCL's results (the values NCCL gives them).
typedef enum {
  ncclSuccess = 0,
  ncclUnhandledCudaError = 1,
  ncclSystemError = 2,
  ncclInternalError = 3,
  ncclInvalidArgument = 4,
  ncclInvalidUsage = 5,
} ncclResult_t;

/// @brief Element types; the emulation sums floats only.
typedef enum { ncclFloat32 = 7, ncclFloat = 7 } ncclDataType_t;

/// @brief Reductions; the emulation adds.
typedef enum { ncclSum = 0 } ncclRedOp_t;

/// @brief A fresh id for a new communicator (process 0 calls it).
ncclResult_t ncclGetUniqueId(ncclUniqueId* id);
/// @brief Joins the communicator `id` names as `rank` of `ranks` (every process calls it, in step).
ncclResult_t ncclCommInitRank(ncclComm_t* communicator, int ranks, ncclUniqueId id, int rank);
/// @brief Leaves and frees the communicator.
ncclResult_t ncclCommDestroy(ncclComm_t communicator);
/// @brief recv[i] = Σ over the processes of send[i], for `count` elements of device memory, on `stream`.
ncclResult_t ncclAllReduce(const void* send, void* receive, std::size_t count, ncclDataType_t type, ncclRedOp_t op,
                           ncclComm_t communicator, cudaStream_t stream);
/// @brief Opens a group of calls NCCL would launch together; here each call is done as it comes.
ncclResult_t ncclGroupStart();
/// @brief Closes the group.
ncclResult_t ncclGroupEnd();
/// @brief The result in words.
const char* ncclGetErrorString(ncclResult_t result);
