// DeviceTensor round trips and the counter-based generator on the GPU.
#include <catch2/catch.hpp>

#include "cuda/device_tensor.cuh"
#include "cuda/random.cuh"
#include "reference_cpu/random.hpp"
#include "tests/support/check.hpp"

using namespace alexnet;

TEST_CASE("a DeviceTensor round trip returns the same values", "[gpu][device_tensor]") {
  TensorF host({2, 3, 227, 227});
  fill_uniform(host, 1, 0, -1.0, 1.0);
  const DeviceTensorF device(host);
  CHECK(device.shape() == host.shape());
  CHECK(device.to_host().values() == host.values());

  DeviceTensorF moved = DeviceTensorF(host);
  DeviceTensorF target(Shape{1});
  target = std::move(moved);
  CHECK(target.to_host().values() == host.values());
  CHECK(DeviceTensorF(Shape{4}).to_host().values() == std::vector<float>(4, 0.0f));
}

TEST_CASE("copy_from refuses a host tensor of another shape", "[gpu][device_tensor]") {
  DeviceTensorF device(Shape{2, 3});
  CHECK_THROWS_WITH(device.copy_from(TensorF({3, 2})),
                    "DeviceTensor::copy_from: expected host tensor of shape [2, 3], got [3, 2]");
}

TEST_CASE("GPU uniform draws equal the CPU's bit for bit", "[gpu][random]") {
  TensorF expected({1 << 20});
  fill_uniform(expected, 2012, 9, -0.5, 0.5);
  DeviceTensorF device(expected.shape());
  cuda::fill_uniform(device, 2012, 9, -0.5f, 0.5f);
  CHECK_TENSORS_CLOSE("uniform", expected, device.to_host(), (Tolerance{0.0, 0.0}));
}

TEST_CASE("GPU normal draws equal the CPU's to rounding", "[gpu][random]") {
  TensorF expected({1 << 20});
  fill_normal(expected, 2012, 10, 0.0, 0.01);
  DeviceTensorF device(expected.shape());
  cuda::fill_normal(device, 2012, 10, 0.0f, 0.01f);
  // Same bits; log/cos in double differ by at most an ulp or two between the
  // CPU's libm and CUDA's, far below float rounding: allow 1e-6 relative.
  CHECK_TENSORS_CLOSE("normal", expected, device.to_host(), (Tolerance{1e-12, 1e-6}));
}
