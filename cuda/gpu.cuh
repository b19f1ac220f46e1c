/// @file gpu.cuh
/// @brief Is there a usable GPU, and which one.
#pragma once

#include <string>

namespace alexnet {

/// @brief True when the CUDA runtime sees at least one usable device; any runtime error (no driver, no device) means false.
bool gpu_available();

/// @brief Number of CUDA devices the runtime sees (two on the emulated device, unless configured).
int gpu_count();

/// @brief Why gpu_available() is false ("no CUDA driver", ...), or "" when a GPU is available.
std::string gpu_unavailable_reason();

/// @brief "NVIDIA H100 80GB HBM3 (sm_90, 132 SMs, driver 13.0, runtime 13.0)" for the current device;
/// on the emulated device its name and the word "emulated".
std::string gpu_description();

/// @brief Blocks until every kernel launched so far has finished, throwing on a kernel error.
void gpu_synchronize();

}  // namespace alexnet
