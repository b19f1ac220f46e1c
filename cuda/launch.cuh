/// @file launch.cuh
/// @brief How every kernel of the course is launched: `launch(kernel, grid, block,
/// shared_bytes, stream, args...)` is `kernel<<<grid, block, shared_bytes, stream>>>(args...)`
/// under nvcc and a run on the emulated device (emulated_gpu/) otherwise; grid sizes for the
/// one-thread-per-element kernels.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>
#include <tuple>
#include <type_traits>
#include <utility>

namespace alexnet::cuda {

/// @brief Threads per block of the one-thread-per-element kernels.
constexpr int kThreadsPerBlock = 256;

/// @brief Blocks that cover `n` elements with kThreadsPerBlock threads each.
inline unsigned blocks_for(std::int64_t n) {
  return static_cast<unsigned>((n + kThreadsPerBlock - 1) / kThreadsPerBlock);
}

#if defined(ALEXNET_EMULATED_GPU)
/// @brief A pointer argument as the emulator checks it (null for the others).
template <typename T>
const void* pointer_or_null(const T& argument) {
  if constexpr (std::is_pointer_v<T>) {
    return static_cast<const void*>(argument);
  } else {
    return nullptr;
  }
}

/// @brief Runs `kernel` with `arguments` (already converted to its parameter types) on the emulated device.
template <typename Kernel, typename Arguments, std::size_t... I>
void launch_emulated(Kernel kernel, dim3 grid, dim3 block, std::size_t shared_bytes, cudaStream_t stream,
                     const Arguments& arguments, std::index_sequence<I...>) {
  const void* pointers[] = {nullptr, pointer_or_null(std::get<I>(arguments))...};
  emulator::launch(grid, block, shared_bytes, stream, pointers + 1, static_cast<int>(sizeof...(I)),
                   [&] { std::apply(kernel, arguments); });
}
#endif

/// @brief Launches `kernel` on `grid` × `block` threads with `shared_bytes` of dynamic shared
/// memory into `stream`; check it with CUDA_CHECK_LAUNCH().
template <typename... Params, typename... Args>
void launch(void (*kernel)(Params...), dim3 grid, dim3 block, std::size_t shared_bytes, cudaStream_t stream,
            Args&&... args) {
#if defined(ALEXNET_EMULATED_GPU)
  // The arguments are converted once, as a launch copies them for the device; every thread reads them.
  const std::tuple<std::decay_t<Params>...> arguments(std::forward<Args>(args)...);
  launch_emulated(kernel, grid, block, shared_bytes, stream, arguments, std::index_sequence_for<Params...>{});
#else
  kernel<<<grid, block, shared_bytes, stream>>>(std::forward<Args>(args)...);
#endif
}

}  // namespace alexnet::cuda

#if defined(ALEXNET_EMULATED_GPU)
/// @brief The block's dynamic shared memory as `type name[]` (the size comes from the launch).
#define ALEXNET_DYNAMIC_SHARED(type, name) type* name = static_cast<type*>(::alexnet::emulator::dynamic_shared_memory())
#else
/// @brief The block's dynamic shared memory as `type name[]` (the size comes from the launch).
#define ALEXNET_DYNAMIC_SHARED(type, name) extern __shared__ type name[]
#endif
