// DeviceTensor round trips, the counter-based generator on the GPU, add_into, and where ops
// run: on a stream the caller made, and on the second device.
#include <catch2/catch.hpp>

#include "cuda/gpu.cuh"

#include "cuda/add.cuh"
#include "cuda/context.cuh"
#include "cuda/device_tensor.cuh"
#include "cuda/random.cuh"
#include "reference_cpu/random.hpp"
#include "tests/support/check.hpp"
#include "tests/support/conv2d_gpu_checks.hpp"
#include "tests/support/linear_gpu_checks.hpp"

using namespace alexnet;
using namespace alexnet::testing;

namespace {

// A stream of `device`, destroyed with the object.
class OwnedStream {
 public:
  explicit OwnedStream(int device) : device_(device) {
    const ScopedDevice on_device(device_);
    CUDA_CHECK(cudaStreamCreate(&stream_));
  }
  OwnedStream(const OwnedStream&) = delete;
  OwnedStream& operator=(const OwnedStream&) = delete;
  ~OwnedStream() {
    const ScopedDevice on_device(device_);
    cudaStreamDestroy(stream_);
  }
  cudaStream_t get() const { return stream_; }

 private:
  int device_;
  cudaStream_t stream_ = nullptr;
};


}  // namespace

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

TEST_CASE("a DeviceTensor lives on the device current at its construction", "[gpu][device_tensor]") {
  REQUIRE(current_cuda_device() == 0);
  CHECK(DeviceTensorF(Shape{2}).device() == 0);
  CHECK(DeviceTensorF(TensorF({2}, 1.0f)).device() == 0);
}

TEST_CASE("GPU uniform draws equal the CPU's bit for bit", "[gpu][random]") {
  TensorF expected({1 << 20});
  fill_uniform(expected, 2012, 9, -0.5, 0.5);
  DeviceTensorF device(expected.shape());
  cuda::fill_uniform(cuda::Context{}, device, 2012, 9, -0.5f, 0.5f);
  CHECK_TENSORS_CLOSE("uniform", expected, device.to_host(), (Tolerance{0.0, 0.0}));
}

TEST_CASE("GPU normal draws equal the CPU's to rounding", "[gpu][random]") {
  TensorF expected({1 << 20});
  fill_normal(expected, 2012, 10, 0.0, 0.01);
  DeviceTensorF device(expected.shape());
  cuda::fill_normal(cuda::Context{}, device, 2012, 10, 0.0f, 0.01f);
  // Same bits; log/cos in double differ by at most an ulp or two between the
  // CPU's libm and CUDA's, far below float rounding: allow 1e-6 relative.
  CHECK_TENSORS_CLOSE("normal", expected, device.to_host(), (Tolerance{1e-12, 1e-6}));
}

TEST_CASE("cuda add_into adds x into y and checks the shapes", "[gpu][add]") {
  const TensorF x = random_tensor_float({3, 1000}, 31), y = random_tensor_float({3, 1000}, 32);
  TensorF sum = y;
  for (std::int64_t i = 0; i < sum.size(); ++i) sum[i] += x[i];
  const DeviceTensorF x_dev(x);
  DeviceTensorF y_dev(y), wrong(Shape{3, 999});
  cuda::add_into(cuda::Context{}, x_dev, y_dev);
  CHECK_TENSORS_CLOSE("add_into", sum, y_dev.to_host(), (Tolerance{0, 0}));  // one float addition each: exact
  CHECK_THROWS_WITH(cuda::add_into(cuda::Context{}, x_dev, wrong),
                    "cuda::add_into: expected y of shape [3, 1000], got [3, 999]");
}

TEST_CASE("ops run on a stream the caller made", "[gpu][context][stream]") {
  const OwnedStream stream(0);
  const cuda::Context context{0, stream.get()};
  check_conv2d_against_cpu({3, 6, 13, 17}, {10, 3, 4, 4}, Conv2dParams{3, 2, 2}, context);
  check_linear_against_cpu(67, 45, 70, context);

  TensorF expected({4096});
  fill_uniform(expected, 7, 3, -1.0, 1.0);
  DeviceTensorF values(expected.shape());
  cuda::fill_uniform(context, values, 7, 3, -1.0f, 1.0f);
  cuda::add_into(context, values, values);  // 2·values, exact
  cuda::synchronize(context);
  CHECK_TENSORS_CLOSE("2 x uniform on a stream", twice(expected), values.to_host(), (Tolerance{0, 0}));
}

TEST_CASE("ops run on the second device, and refuse tensors of another device", "[gpu][context][multigpu]") {
  if (gpu_count() < 2) {
    WARN("only " << gpu_count() << " device: nothing to check");
    return;
  }
  SECTION("on device 1's default stream and on a stream of device 1, equal to the CPU") {
    check_conv2d_against_cpu({3, 6, 13, 17}, {10, 3, 4, 4}, Conv2dParams{3, 2, 2}, cuda::Context{1, nullptr});
    const OwnedStream stream(1);
    check_linear_against_cpu(67, 45, 70, cuda::Context{1, stream.get()});
    CHECK(current_cuda_device() == 0);  // the ops restored the current device
  }
  SECTION("a tensor allocated on device 1 reports it, and an op on device 1 refuses one of device 0") {
    const DeviceTensorF on_1(TensorF({1, 1, 8, 8}, 1.0f), 1), weight_1(Shape{1, 1, 3, 3}, 1), bias_1(Shape{1}, 1);
    const DeviceTensorF on_0(TensorF({1, 1, 8, 8}, 1.0f), 0);
    DeviceTensorF y_1(Shape{1, 1, 6, 6}, 1);
    CHECK(on_1.device() == 1);
    CHECK(on_1.to_host().values() == std::vector<float>(64, 1.0f));  // a copy works whatever device is current
    const cuda::Context device_1{1, nullptr};
    CHECK_THROWS_AS(cuda::conv2d_forward(device_1, on_0, weight_1, bias_1, Conv2dParams{1, 0, 1}, y_1),
                    std::invalid_argument);
    CHECK_THROWS_WITH(cuda::conv2d_forward(device_1, on_0, weight_1, bias_1, Conv2dParams{1, 0, 1}, y_1),
                      "cuda::conv2d_forward: x lives on device 0, but the op runs on device 1");
    CHECK_THROWS_WITH(cuda::conv2d_forward(cuda::Context{}, on_1, weight_1, bias_1, Conv2dParams{1, 0, 1}, y_1),
                      "cuda::conv2d_forward: x lives on device 1, but the op runs on device 0");
    DeviceTensorF grad_0(Shape{1, 1, 8, 8}, 0);
    CHECK_THROWS_WITH(cuda::add_into(device_1, on_1, grad_0),
                      "cuda::add_into: y lives on device 0, but the op runs on device 1");
  }
}
