/// @file emulator.hpp
/// @brief What the emulated runtime (runtime.cpp) and the block runner (blocks.cpp) share.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <string>

namespace alexnet::emulator {

/// @brief A stream belongs to the device that was current when it was created.
struct EmulatedStream {
  int device;
};

/// @brief Bytes per NaN of the fill pattern: every float of fresh memory reads as a quiet NaN.
void fill_with_nan(void* memory, std::size_t bytes);

/// @brief The device that runtime calls on this host thread address (cudaSetDevice).
int current_device();

/// @brief Records `error` for cudaGetLastError (with `detail` appended to its text); fatal errors stick, as on a GPU.
cudaError_t record_error(cudaError_t error, const std::string& detail);

/// @brief The sticky error of a failed kernel, or cudaSuccess.
cudaError_t sticky_error();

/// @brief Which device owns the allocation holding `pointer` (one past its end counts), or −1 for host memory.
int device_of(const void* pointer);

/// @brief Whether kernels on `device` may touch memory of `peer` (same device, or peer access enabled).
bool can_touch(int device, int peer);

/// @brief Reports (as cudaErrorIllegalAddress) every allocation of `device` whose guard bytes a kernel overwrote, and restores them.
void check_guards(int device);

}  // namespace alexnet::emulator
