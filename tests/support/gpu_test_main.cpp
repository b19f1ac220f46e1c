// main() for GPU test executables: exit code 77 when no GPU is usable, which
// CTest (SKIP_RETURN_CODE 77) reports as Skipped, never as Passed.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <iostream>

#include "cuda/gpu.cuh"

int main(int argc, char* argv[]) {
  const std::string reason = alexnet::gpu_unavailable_reason();
  if (!reason.empty()) {
    std::cout << "SKIPPED: no usable GPU (" << reason << ")\n";
    return 77;
  }
  std::cout << "GPU: " << alexnet::gpu_description() << "\n";
  return Catch::Session().run(argc, argv);
}
