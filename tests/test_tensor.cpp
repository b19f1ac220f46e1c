// Tensor: shapes, row-major indexing, checked construction.
#include <catch2/catch.hpp>

#include "reference_cpu/tensor.hpp"

using namespace alexnet;

TEST_CASE("a tensor's shape and size", "[tensor]") {
  const TensorF x({2, 96, 55, 55});
  CHECK(x.rank() == 4);
  CHECK(x.size() == 2 * 96 * 55 * 55);
  CHECK(x.dim(-1) == 55);
  CHECK(x.bytes() == x.size() * sizeof(float));
  CHECK(to_string(x.shape()) == "[2, 96, 55, 55]");
}

TEST_CASE("NCHW is row-major: w moves fastest, n slowest", "[tensor]") {
  TensorF x({2, 3, 4, 5});
  for (std::int64_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i);
  // offset of (n, c, h, w) = ((n·C + c)·H + h)·W + w = ((1·3 + 2)·4 + 3)·5 + 4 = 119
  CHECK(x.at(1, 2, 3, 4) == 119.0f);
  CHECK(x.at(0, 0, 0, 1) == 1.0f);
  CHECK(x.at(0, 0, 1, 0) == 5.0f);
  CHECK(x.at(0, 1, 0, 0) == 20.0f);
}

TEST_CASE("constructing with the wrong number of values throws, naming both", "[tensor]") {
  try {
    TensorF({2, 3}, std::vector<float>(5));
    FAIL("no exception");
  } catch (const std::invalid_argument& e) {
    CHECK(std::string(e.what()) == "Tensor: shape [2, 3] holds 6 elements, got 5 values");
  }
  CHECK_THROWS_AS(TensorF({2, -1}), std::invalid_argument);
}

#ifndef NDEBUG
TEST_CASE("debug builds check every index of at()", "[tensor]") {
  TensorF x({2, 3});
  CHECK_THROWS_AS(x.at(2, 0), std::out_of_range);
  CHECK_THROWS_AS(x.at(0, 3), std::out_of_range);
  CHECK_THROWS_AS(x.at(0), std::out_of_range);
}
#endif

TEST_CASE("require_shape names the op, the expected and the actual shape", "[tensor]") {
  CHECK_NOTHROW(require_shape("conv2d_forward", "weight", {96, 3, 11, 11}, {96, 3, 11, 11}));
  CHECK_THROWS_WITH(require_shape("conv2d_forward", "weight", {96, 3, 11, 11}, {96, 3, 5, 5}),
                    "conv2d_forward: expected weight of shape [96, 3, 11, 11], got [96, 3, 5, 5]");
}

TEST_CASE("reshape keeps the values, cast converts them", "[tensor]") {
  const TensorF x({2, 3}, {1, 2, 3, 4, 5, 6});
  const TensorF y = x.reshaped({6});
  CHECK(y.shape() == Shape{6});
  CHECK(y[5] == 6.0f);
  CHECK_THROWS_AS(x.reshaped({4}), std::invalid_argument);
  const TensorD z = x.cast<double>();
  CHECK(z.at(1, 2) == 6.0);
}
