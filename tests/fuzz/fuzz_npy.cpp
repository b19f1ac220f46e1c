// libFuzzer target: the .npy reader (reference_cpu/npy.cpp), float32 and int64.
#include "fuzz_input.hpp"
#include "reference_cpu/npy.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = alexnet::fuzz::write_input(data, size, "input.npy");
  alexnet::fuzz::expect_named_errors_only([&] { alexnet::load_npy_float(path); });
  alexnet::fuzz::expect_named_errors_only([&] { alexnet::load_npy_int64(path); });
  return 0;
}
