/// @file host_device.hpp
/// @brief ALEXNET_HD marks functions that both the host compiler and nvcc compile.
#pragma once

#if defined(__CUDACC__)
/// @brief Callable from host and device code when compiled by nvcc; plain inline otherwise.
#define ALEXNET_HD __host__ __device__ inline
#else
/// @brief Callable from host and device code when compiled by nvcc; plain inline otherwise.
#define ALEXNET_HD inline
#endif
