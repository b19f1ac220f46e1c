/// @file network_gpu_checks.hpp
/// @brief A whole network's training pass on the CUDA executor against the CPU reference, like with like
/// (network_checks.hpp says why): the GPU's forward is downloaded step by step, each step checked against the
/// reference step on the GPU's own input, and the reference backward runs on the GPU's activations.
#pragma once

#include <iostream>

#include "network/cuda_network.cuh"
#include "tests/support/network_checks.hpp"

namespace alexnet::testing {

/// @brief The first kernels of the course (chapters 01–09), which the GPU tests of chapters 08–14 check.
inline GpuOptions chapter_kernels() { return GpuOptions{GpuKernels::Chapters, GpuPrecision::Fp32, 0}; }

/// @brief The course's own fast kernels (chapter 16): the implicit-GEMM convolution and the ladder's SGEMM.
inline GpuOptions course_kernels() { return GpuOptions{GpuKernels::Course, GpuPrecision::Fp32, 0}; }

/// @brief The fast path (chapter 15) in fp32, with its default workspace.
inline GpuOptions fast_kernels() { return GpuOptions{}; }

/// @brief The last forward of `gpu` as the CPU keeps one: the input x and every step's output, downloaded.
inline Activations<float> downloaded_forward(const CudaNetwork& gpu, const Plan& plan, const TensorF& x) {
  Activations<float> forward{x, {}, {}};
  for (std::size_t i = 0; i < plan.steps.size(); ++i) forward.outputs.push_back(gpu.step_output(i));
  return forward;
}

/// @brief A forward of `gpu` on the batch of the CPU reference's forward `cpu`, against it like with like:
/// 1. every step of the GPU's forward against the reference step run on the GPU's own input, within
///    step_rounding_tolerance (the rounding of that step's sums, nothing compounded);
/// 2. the ReLU signs and pooling arg-maxes the GPU decided otherwise than the CPU's own forward: printed, and at
///    most kMostDecisionsThatDiffer of them.
/// Returns the GPU's forward, downloaded.
inline Activations<float> check_forward_like_with_like(CudaNetwork& gpu, const Plan& plan,
                                                       const Parameters<float>& parameters,
                                                       const Activations<float>& cpu, const RunOptions& options) {
  gpu.forward(cpu.input, options);
  Activations<float> on_gpu = downloaded_forward(gpu, plan, cpu.input);
  check_steps_like_with_like(plan, parameters, on_gpu, options);
  const DecisionCount decisions = count_decisions(plan, cpu, on_gpu);
  std::cout << plan.spec.name << ", the GPU's forward against the CPU's: " << decisions.report() << "\n";
  INFO(decisions.report());
  CHECK(decisions.fraction() <= kMostDecisionsThatDiffer);
  return on_gpu;
}

/// @brief A backward of `gpu` from grad_logits after the forward `on_gpu` it ran, against the reference backward
/// run on those same activations — every arg-max, ReLU mask and dropout mask the same decision on both sides —
/// within whole_network_tolerance. Returns the reference's gradients.
inline Gradients<float> check_backward_like_with_like(CudaNetwork& gpu, const Plan& plan,
                                                      const Parameters<float>& parameters,
                                                      const Activations<float>& on_gpu, const TensorF& grad_logits,
                                                      const RunOptions& options) {
  gpu.backward(grad_logits, options);
  Gradients<float> expected = reference_backward(plan, parameters, on_gpu, grad_logits, options);
  check_network_gradients(plan, expected, gpu.gradients());
  return expected;
}

/// @brief check_forward_like_with_like, then check_backward_like_with_like from grad_logits.
inline void check_pass_like_with_like(CudaNetwork& gpu, const Plan& plan, const Parameters<float>& parameters,
                                      const Activations<float>& cpu, const TensorF& grad_logits,
                                      const RunOptions& options) {
  const Activations<float> on_gpu = check_forward_like_with_like(gpu, plan, parameters, cpu, options);
  check_backward_like_with_like(gpu, plan, parameters, on_gpu, grad_logits, options);
}

}  // namespace alexnet::testing
