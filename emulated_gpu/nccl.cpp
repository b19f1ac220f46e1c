// The emulated NCCL (include/nccl.h): a communicator is a duplicate of MPI_COMM_WORLD, an all-reduce is
// MPI_Allreduce on the emulated device's memory, which is host memory.
#include <nccl.h>
#include <mpi.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstring>
#include <string>

#include "emulated_gpu/emulator.hpp"

struct EmulatedNcclCommunicator {
  MPI_Comm processes;
};

namespace {

constexpr char kIdTag[] = "alexnet emulated NCCL";

// Whether [pointer, pointer + bytes) lies in memory of `device` (the last byte's allocation is the first's).
bool on_device(const void* pointer, std::size_t bytes, int device) {
  const auto* first = static_cast<const char*>(pointer);
  return alexnet::emulator::device_of(first) == device &&
         (bytes == 0 || alexnet::emulator::device_of(first + bytes - 1) == device);
}

ncclResult_t usage_error(const std::string& what) {
  std::fprintf(stderr, "emulated NCCL: %s\n", what.c_str());
  return ncclInvalidUsage;
}

}  // namespace

ncclResult_t ncclGetUniqueId(ncclUniqueId* id) {
  if (id == nullptr) return ncclInvalidArgument;
  std::memset(id->internal, 0, sizeof id->internal);
  std::snprintf(id->internal, sizeof id->internal, "%s, process %ld", kIdTag, static_cast<long>(getpid()));
  return ncclSuccess;
}

ncclResult_t ncclCommInitRank(ncclComm_t* communicator, int ranks, ncclUniqueId id, int rank) {
  if (communicator == nullptr) return ncclInvalidArgument;
  int initialized = 0, world_size = 0, world_rank = 0;
  MPI_Initialized(&initialized);
  if (!initialized) return usage_error("MPI is not started: the emulation sums over MPI's processes");
  MPI_Comm_size(MPI_COMM_WORLD, &world_size);
  MPI_Comm_rank(MPI_COMM_WORLD, &world_rank);
  if (ranks != world_size || rank != world_rank) {
    return usage_error("expected rank " + std::to_string(world_rank) + " of " + std::to_string(world_size) +
                       " (MPI's), got " + std::to_string(rank) + " of " + std::to_string(ranks));
  }
  ncclUniqueId first = id;  // process 0's, to compare with
  MPI_Bcast(first.internal, sizeof first.internal, MPI_BYTE, 0, MPI_COMM_WORLD);
  const int same = std::strncmp(id.internal, kIdTag, sizeof kIdTag - 1) == 0 &&
                   std::memcmp(first.internal, id.internal, sizeof id.internal) == 0;
  int all_same = 0;
  MPI_Allreduce(&same, &all_same, 1, MPI_INT, MPI_LAND, MPI_COMM_WORLD);
  if (!all_same) return usage_error("the processes joined with different ids (expected process 0's, sent to all)");
  *communicator = new EmulatedNcclCommunicator{};
  MPI_Comm_dup(MPI_COMM_WORLD, &(*communicator)->processes);
  return ncclSuccess;
}

ncclResult_t ncclCommDestroy(ncclComm_t communicator) {
  if (communicator == nullptr) return ncclInvalidArgument;
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Comm_free(&communicator->processes);
  delete communicator;
  return ncclSuccess;
}

ncclResult_t ncclAllReduce(const void* send, void* receive, std::size_t count, ncclDataType_t type, ncclRedOp_t op,
                           ncclComm_t communicator, cudaStream_t stream) {
  if (communicator == nullptr || type != ncclFloat || op != ncclSum) return ncclInvalidArgument;
  if (count > static_cast<std::size_t>(INT_MAX)) return usage_error("more floats than one MPI call takes");
  const int device = stream != nullptr ? stream->device : alexnet::emulator::current_device();
  const std::size_t bytes = count * sizeof(float);
  if (!on_device(send, bytes, device) || !on_device(receive, bytes, device)) {
    return usage_error("ncclAllReduce: the buffers are not memory of device " + std::to_string(device) +
                       ", the stream's");
  }
  // An emulated stream has done its work by the time this call comes: the sum can go now.
  const void* from = send == receive ? MPI_IN_PLACE : send;
  return MPI_Allreduce(from, receive, static_cast<int>(count), MPI_FLOAT, MPI_SUM, communicator->processes) ==
                 MPI_SUCCESS
             ? ncclSuccess
             : ncclSystemError;
}

ncclResult_t ncclGroupStart() { return ncclSuccess; }

ncclResult_t ncclGroupEnd() { return ncclSuccess; }

const char* ncclGetErrorString(ncclResult_t result) {
  switch (result) {
    case ncclSuccess: return "no error";
    case ncclUnhandledCudaError: return "unhandled CUDA error";
    case ncclSystemError: return "system error (MPI failed)";
    case ncclInternalError: return "internal error";
    case ncclInvalidArgument: return "invalid argument";
    case ncclInvalidUsage: return "invalid usage (see the message above)";
  }
  return "unknown NCCL result";
}
