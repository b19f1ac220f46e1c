// libFuzzer target: the IDX reader (datasets/fashion_mnist.cpp), plain or gzip'd, labels and images.
#include "datasets/fashion_mnist.hpp"
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = alexnet::fuzz::write_input(data, size, "input-idx.gz");
  alexnet::fuzz::expect_named_errors_only([&] { alexnet::read_idx_labels(path); });
  alexnet::fuzz::expect_named_errors_only([&] { alexnet::read_idx_images(path); });
  alexnet::fuzz::expect_named_errors_only([&] { alexnet::read_idx_images(path, 3); });
  return 0;
}
