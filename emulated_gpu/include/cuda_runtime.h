/// @file cuda_runtime.h
/// @brief The emulated CUDA device: the part of the CUDA runtime and of the device
/// language that the course's kernels use, for the host C++ compiler.
///
/// In the `emulated` build this header stands where the toolkit's `cuda_runtime.h`
/// would: `cuda/*.cu` are compiled by g++ as they are, `__global__` functions become
/// ordinary functions, and `alexnet::cuda::launch` (cuda/launch.cuh) runs a kernel
/// block by block on the CPU, the threads of a block as fibers (or as OS threads in
/// the ThreadSanitizer build), with `__syncthreads()` a real barrier. Device memory is
/// host memory with NaN fill and guard bytes. See chapters/emulated_gpu.md for what
/// this proves and what it cannot.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>

// ---- the device language -----------------------------------------------------------------

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __restrict__ __restrict
#define __launch_bounds__(...)
/// A block's shared variables are function statics (one block runs at a time), kept in one
/// linker section so the emulator can fill them with NaN before every block. GCC 12 drops
/// the section of a static inside a function template: declare shared arrays in non-template
/// functions.
#define __shared__ __attribute__((section("alexnet_shared"))) static

/// @brief A thread's or block's index: CUDA's built-in uint3.
struct uint3 {
  unsigned x, y, z;
};

/// @brief Grid and block extents: CUDA's dim3 (missing extents are 1).
struct dim3 {
  unsigned x, y, z;
  /// @brief x × y × z, each 1 unless given.
  constexpr dim3(unsigned vx = 1, unsigned vy = 1, unsigned vz = 1) : x(vx), y(vy), z(vz) {}
  /// @brief The extents of an index.
  constexpr dim3(uint3 v) : x(v.x), y(v.y), z(v.z) {}  // NOLINT: implicit, as in CUDA
};

/// @brief This thread's index in its block (set by the emulator before the thread runs).
extern thread_local uint3 threadIdx;
/// @brief This block's index in the grid.
extern thread_local uint3 blockIdx;
/// @brief Threads per block.
extern thread_local dim3 blockDim;
/// @brief Blocks per grid.
extern thread_local dim3 gridDim;
/// @brief Threads per warp.
constexpr int warpSize = 32;

namespace alexnet::emulator {

struct EmulatedStream;
struct EmulatedEvent;

/// @brief Waits until every thread of the block has arrived (`__syncthreads`).
void block_barrier();
/// @brief The value `bits` of lane `source_lane` of this thread's warp, among the lanes in `mask` (shuffles).
std::uint64_t warp_exchange(unsigned mask, std::uint64_t bits, int source_lane);
/// @brief Lane of this thread in its warp.
int lane_id();
/// @brief How many cudaMalloc calls have succeeded since the program started (a test can check that a step
/// allocates nothing; a real GPU has no such count).
std::uint64_t allocation_count();
/// @brief The launch's dynamic shared memory (NaN-filled before each block).
void* dynamic_shared_memory();
/// @brief Runs `thread_body` once per thread of every block of the grid, after checking the
/// configuration and that every pointer argument is memory the launching device may touch;
/// records what fails for cudaGetLastError.
void launch(dim3 grid, dim3 block, std::size_t dynamic_shared_bytes, EmulatedStream* stream,
            const void* const* pointer_arguments, int pointer_count, const std::function<void()>& thread_body);
/// @brief A read-modify-write that no other thread interleaves with (atomics).
template <typename T, typename Update>
T atomic_update(T* address, Update update) {
  T old, next;
  __atomic_load(address, &old, __ATOMIC_RELAXED);
  do {
    next = update(old);
  } while (!__atomic_compare_exchange(address, &old, &next, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST));
  return old;
}

/// @brief `value`'s bits in 64 bits, for the shuffles.
template <typename T>
std::uint64_t to_bits(T value) {
  static_assert(sizeof(T) <= sizeof(std::uint64_t), "shuffles move at most 8 bytes");
  std::uint64_t bits = 0;
  std::memcpy(&bits, &value, sizeof(T));
  return bits;
}
/// @brief The value whose bits to_bits gave.
template <typename T>
T from_bits(std::uint64_t bits) {
  T value;
  std::memcpy(&value, &bits, sizeof(T));
  return value;
}

}  // namespace alexnet::emulator

/// @brief Barrier for the threads of a block.
inline void __syncthreads() { alexnet::emulator::block_barrier(); }
/// @brief Orders this thread's memory accesses (the emulator's blocks run one at a time).
inline void __threadfence() { __atomic_thread_fence(__ATOMIC_SEQ_CST); }

/// @brief `value` of lane (this lane XOR lane_mask).
template <typename T>
T __shfl_xor_sync(unsigned mask, T value, int lane_mask, int width = warpSize) {
  const int lane = alexnet::emulator::lane_id();
  const int source = (lane ^ lane_mask) < (lane / width + 1) * width ? lane ^ lane_mask : lane;
  return alexnet::emulator::from_bits<T>(
      alexnet::emulator::warp_exchange(mask, alexnet::emulator::to_bits(value), source));
}
/// @brief `value` of lane (this lane + delta), or this lane's own past the segment's end.
template <typename T>
T __shfl_down_sync(unsigned mask, T value, unsigned delta, int width = warpSize) {
  const int lane = alexnet::emulator::lane_id(), source = lane + static_cast<int>(delta);
  return alexnet::emulator::from_bits<T>(alexnet::emulator::warp_exchange(
      mask, alexnet::emulator::to_bits(value), source / width == lane / width ? source : lane));
}
/// @brief `value` of lane source_lane (within this lane's segment of `width`).
template <typename T>
T __shfl_sync(unsigned mask, T value, int source_lane, int width = warpSize) {
  const int lane = alexnet::emulator::lane_id();
  return alexnet::emulator::from_bits<T>(alexnet::emulator::warp_exchange(
      mask, alexnet::emulator::to_bits(value), lane / width * width + source_lane % width));
}

/// @brief *address += value, atomically; returns the old value.
template <typename T>
T atomicAdd(T* address, T value) {
  return alexnet::emulator::atomic_update(address, [value](T old) { return static_cast<T>(old + value); });
}
/// @brief *address = max(*address, value), atomically; returns the old value.
template <typename T>
T atomicMax(T* address, T value) {
  return alexnet::emulator::atomic_update(address, [value](T old) { return old < value ? value : old; });
}

// Device math the host library lacks (CUDA's min/max are overloaded free functions).
inline int min(int a, int b) { return a < b ? a : b; }
inline int max(int a, int b) { return a > b ? a : b; }
inline unsigned min(unsigned a, unsigned b) { return a < b ? a : b; }
inline unsigned max(unsigned a, unsigned b) { return a > b ? a : b; }
inline long long min(long long a, long long b) { return a < b ? a : b; }
inline long long max(long long a, long long b) { return a > b ? a : b; }
inline long min(long a, long b) { return a < b ? a : b; }
inline long max(long a, long b) { return a > b ? a : b; }
inline float min(float a, float b) { return fminf(a, b); }
inline float max(float a, float b) { return fmaxf(a, b); }
inline float rsqrtf(float x) { return 1.0f / sqrtf(x); }
inline float __expf(float x) { return expf(x); }
inline float __logf(float x) { return logf(x); }
inline float __fdividef(float a, float b) { return a / b; }
// CUDA declares the classification functions in the global namespace (isnan(x) in a kernel).
using std::isfinite;
using std::isinf;
using std::isnan;

// ---- the runtime API -------------------------------------------------------------------------

/// @brief Status of a runtime call (the codes the CUDA runtime uses).
enum cudaError {
  cudaSuccess = 0,
  cudaErrorInvalidValue = 1,
  cudaErrorMemoryAllocation = 2,
  cudaErrorInvalidConfiguration = 9,
  cudaErrorInvalidDevicePointer = 17,
  cudaErrorInvalidMemcpyDirection = 21,
  cudaErrorNoDevice = 100,
  cudaErrorInvalidDevice = 101,
  cudaErrorInvalidResourceHandle = 400,
  cudaErrorNotReady = 600,
  cudaErrorIllegalAddress = 700,
  cudaErrorPeerAccessAlreadyEnabled = 704,
  cudaErrorPeerAccessNotEnabled = 705,
  cudaErrorLaunchFailure = 719,
};
/// @brief Status of a runtime call.
typedef enum cudaError cudaError_t;

/// @brief Direction of a copy.
enum cudaMemcpyKind {
  cudaMemcpyHostToHost = 0,
  cudaMemcpyHostToDevice = 1,
  cudaMemcpyDeviceToHost = 2,
  cudaMemcpyDeviceToDevice = 3,
  cudaMemcpyDefault = 4,
};

/// @brief A queue of work on one device (the emulator runs everything at once, in order).
typedef alexnet::emulator::EmulatedStream* cudaStream_t;
/// @brief A point in a stream, with the host time it was reached.
typedef alexnet::emulator::EmulatedEvent* cudaEvent_t;

/// @brief What cudaGetDeviceProperties reports (the fields the course reads).
struct cudaDeviceProp {
  char name[256];
  int major, minor;
  int multiProcessorCount;
  std::size_t totalGlobalMem;
  std::size_t sharedMemPerBlock;
  std::size_t sharedMemPerBlockOptin;
  int maxThreadsPerBlock;
  int maxThreadsDim[3];
  int maxGridSize[3];
  int warpSize;
};

/// @brief Flags of cudaStreamCreateWithFlags.
constexpr unsigned cudaStreamNonBlocking = 1;
/// @brief Flags of cudaEventCreateWithFlags.
constexpr unsigned cudaEventDefault = 0;

cudaError_t cudaGetDeviceCount(int* count);
cudaError_t cudaGetDevice(int* device);
cudaError_t cudaSetDevice(int device);
cudaError_t cudaGetDeviceProperties(cudaDeviceProp* properties, int device);
cudaError_t cudaDriverGetVersion(int* version);
cudaError_t cudaRuntimeGetVersion(int* version);
cudaError_t cudaDeviceSynchronize();
cudaError_t cudaDeviceReset();
cudaError_t cudaDeviceCanAccessPeer(int* can_access, int device, int peer_device);
cudaError_t cudaDeviceEnablePeerAccess(int peer_device, unsigned flags);
cudaError_t cudaGetLastError();
cudaError_t cudaPeekAtLastError();
const char* cudaGetErrorName(cudaError_t error);
const char* cudaGetErrorString(cudaError_t error);

cudaError_t cudaMalloc(void** pointer, std::size_t bytes);
cudaError_t cudaFree(void* pointer);
cudaError_t cudaMemcpy(void* destination, const void* source, std::size_t bytes, cudaMemcpyKind kind);
cudaError_t cudaMemcpyAsync(void* destination, const void* source, std::size_t bytes, cudaMemcpyKind kind,
                            cudaStream_t stream = nullptr);
cudaError_t cudaMemcpy2DAsync(void* destination, std::size_t destination_pitch, const void* source,
                              std::size_t source_pitch, std::size_t width, std::size_t height, cudaMemcpyKind kind,
                              cudaStream_t stream = nullptr);
cudaError_t cudaMemcpyPeer(void* destination, int destination_device, const void* source, int source_device,
                           std::size_t bytes);
cudaError_t cudaMemcpyPeerAsync(void* destination, int destination_device, const void* source, int source_device,
                                std::size_t bytes, cudaStream_t stream = nullptr);
cudaError_t cudaMemset(void* pointer, int value, std::size_t bytes);
cudaError_t cudaMemsetAsync(void* pointer, int value, std::size_t bytes, cudaStream_t stream = nullptr);

cudaError_t cudaStreamCreate(cudaStream_t* stream);
cudaError_t cudaStreamCreateWithFlags(cudaStream_t* stream, unsigned flags);
cudaError_t cudaStreamDestroy(cudaStream_t stream);
cudaError_t cudaStreamSynchronize(cudaStream_t stream);
cudaError_t cudaStreamWaitEvent(cudaStream_t stream, cudaEvent_t event, unsigned flags = 0);

cudaError_t cudaEventCreate(cudaEvent_t* event);
cudaError_t cudaEventCreateWithFlags(cudaEvent_t* event, unsigned flags);
cudaError_t cudaEventDestroy(cudaEvent_t event);
cudaError_t cudaEventRecord(cudaEvent_t event, cudaStream_t stream = nullptr);
cudaError_t cudaEventSynchronize(cudaEvent_t event);
cudaError_t cudaEventElapsedTime(float* milliseconds, cudaEvent_t start, cudaEvent_t end);

/// @brief Typed cudaMalloc, as the CUDA runtime offers.
template <typename T>
cudaError_t cudaMalloc(T** pointer, std::size_t bytes) {
  return cudaMalloc(reinterpret_cast<void**>(pointer), bytes);
}
