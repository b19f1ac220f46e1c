/// @file gpu_options.hpp
/// @brief How the CUDA executor computes, chosen once per run: which kernels run the convolutions and fully
/// connected layers (the fast path on cuBLAS, chapter 15; the course's own fast kernels, chapter 16; or the
/// first kernels of chapters 01–09) and in which precision. Plain C++, so that the command line and the trainer
/// can name the choice without CUDA.
#pragma once

#include <cstdint>
#include <string>

namespace alexnet {

/// @brief Which kernels run the convolutions and fully connected layers (the rest is the same for both).
enum class GpuKernels {
  Fast,      ///< chapter 15: im2col + cuBLAS SGEMM for convolutions, cuBLAS for fully connected layers
  Course,    ///< chapter 16: the implicit-GEMM convolution and the SGEMM ladder's best step, no library
  Chapters,  ///< chapters 01–09: the tiled convolution and its gather backward, the tiled GEMM
};

/// @brief The precision of the fast kernels' matrix products.
enum class GpuPrecision {
  Fp32,  ///< IEEE fp32 multiply-adds
  Tf32,  ///< TF32 tensor cores: products of inputs rounded to a 10-bit mantissa, sums in fp32
};

/// @brief How a CudaNetwork computes: chosen once, for the whole run.
struct GpuOptions {
  GpuKernels kernels = GpuKernels::Fast;        ///< which kernel set
  GpuPrecision precision = GpuPrecision::Fp32;  ///< TF32 only with the fast kernels
  std::int64_t workspace_bytes = 256ll << 20;   ///< per tower, for im2col's columns: the images of a chunk
};

/// @brief "fast", "course" or "chapters": the word `--kernels` takes.
inline const char* to_string(GpuKernels kernels) {
  switch (kernels) {
    case GpuKernels::Fast: return "fast";
    case GpuKernels::Course: return "course";
    case GpuKernels::Chapters: return "chapters";
  }
  return "unknown";
}

/// @brief "fp32" or "tf32".
inline const char* to_string(GpuPrecision precision) { return precision == GpuPrecision::Tf32 ? "tf32" : "fp32"; }

/// @brief The options of the command-line words `kernels` ("fast", "course" or "chapters") and `precision` ("fp32"
/// or "tf32");
/// throws std::invalid_argument naming what was expected for another word.
GpuOptions gpu_options(const std::string& kernels, const std::string& precision);

/// @brief Throws std::invalid_argument for a combination no kernel set computes (TF32 with any but the fast kernels).
void require_supported(const GpuOptions& options);

}  // namespace alexnet
