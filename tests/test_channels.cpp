// Splitting channels into towers and concatenating them back.
#include <catch2/catch.hpp>

#include "reference_cpu/channels.hpp"

using namespace alexnet;

TEST_CASE("slice and concat along channels are inverses", "[channels]") {
  // x: [2, 4, 1, 2], value = 100·n + 10·c + w
  TensorF x({2, 4, 1, 2});
  for (int n = 0; n < 2; ++n)
    for (int c = 0; c < 4; ++c)
      for (int w = 0; w < 2; ++w) x.at(n, c, 0, w) = static_cast<float>(100 * n + 10 * c + w);
  const TensorF tower1 = cpu::tower_slice(x, 1, 2);  // channels 2, 3
  CHECK(tower1.shape() == Shape{2, 2, 1, 2});
  CHECK(tower1.at(0, 0, 0, 1) == 21.0f);
  CHECK(tower1.at(1, 1, 0, 0) == 130.0f);
  const TensorF joined = cpu::concat_channels<float>({cpu::tower_slice(x, 0, 2), tower1});
  CHECK(joined.values() == x.values());
}

TEST_CASE("rows of a weight: output channels split and join along the first dimension", "[channels]") {
  const TensorF weight({4, 1, 1, 2}, {0, 1, 10, 11, 20, 21, 30, 31});
  const TensorF second_half = cpu::slice_rows(weight, 2, 2);
  CHECK(second_half.shape() == Shape{2, 1, 1, 2});
  CHECK(second_half.values() == std::vector<float>{20, 21, 30, 31});
  CHECK(cpu::concat_rows<float>({cpu::slice_rows(weight, 0, 2), second_half}).values() == weight.values());
  CHECK_THROWS_WITH(cpu::slice_rows(weight, 3, 2), "slice_rows: rows [3, 5) outside [4, 1, 1, 2]");
  CHECK_THROWS_WITH(cpu::concat_rows<float>({weight, TensorF({1, 1, 1, 3})}),
                    Catch::Contains("expected every part (same trailing extents) of shape [1, 1, 1, 2], got [1, 1, 1, 3]"));
}

TEST_CASE("bad slices and joins name the op and the shapes", "[channels]") {
  const TensorF x({1, 4, 2, 2});
  CHECK_THROWS_WITH(cpu::slice_channels(x, 3, 2), "slice_channels: channels [3, 5) outside the 4 of [1, 4, 2, 2]");
  CHECK_THROWS_WITH(cpu::slice_channels(TensorF({4}), 0, 1), "slice_channels: expected [N, C, ...], got shape [4]");
  CHECK_THROWS_WITH(cpu::tower_slice(x, 0, 3), Catch::Contains("tower 0 of 3 for 4 channels"));
  CHECK_THROWS_WITH(cpu::concat_channels<float>({x, TensorF({1, 4, 3, 2})}),
                    Catch::Contains("expected every part (same N, H, W) of shape [1, 4, 2, 2], got [1, 4, 3, 2]"));
}
