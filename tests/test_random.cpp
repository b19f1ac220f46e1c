// The counter-based generator: known-answer vectors, reproducibility, statistics.
#include <catch2/catch.hpp>

#include <cmath>

#include "reference_cpu/random.hpp"

using namespace alexnet;

TEST_CASE("Philox4x32-10 matches the Random123 known-answer vectors", "[random]") {
  // kat_vectors from Random123 (Salmon et al. 2011): counter, key -> output.
  const Philox4x32 zero = philox4x32_10(Philox4x32{{0, 0, 0, 0}}, 0, 0);
  CHECK(zero.word[0] == 0x6627e8d5u);
  CHECK(zero.word[1] == 0xe169c58du);
  CHECK(zero.word[2] == 0xbc57ac4cu);
  CHECK(zero.word[3] == 0x9b00dbd8u);

  const Philox4x32 ones = philox4x32_10(Philox4x32{{~0u, ~0u, ~0u, ~0u}}, ~0u, ~0u);
  CHECK(ones.word[0] == 0x408f276du);
  CHECK(ones.word[1] == 0x41c83b0eu);
  CHECK(ones.word[2] == 0xa20bc7c6u);
  CHECK(ones.word[3] == 0x6d5451fdu);

  const Philox4x32 pi = philox4x32_10(Philox4x32{{0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u}},
                                      0xa4093822u, 0x299f31d0u);
  CHECK(pi.word[0] == 0xd16cfe09u);
  CHECK(pi.word[1] == 0x94fdccebu);
  CHECK(pi.word[2] == 0x5001e420u);
  CHECK(pi.word[3] == 0x24126ea1u);
}

TEST_CASE("a draw depends only on (seed, stream, index)", "[random]") {
  CHECK(random_uniform(42, 7, 1000) == random_uniform(42, 7, 1000));
  CHECK(random_uniform(42, 7, 1000) != random_uniform(43, 7, 1000));
  CHECK(random_uniform(42, 7, 1000) != random_uniform(42, 8, 1000));
  RandomStream stream(42, 7);
  for (std::uint64_t i = 0; i < 10; ++i) CHECK(stream.uniform() == random_uniform(42, 7, i));
}

TEST_CASE("uniform draws lie in [0, 1) and have mean 1/2, variance 1/12", "[random]") {
  const int n = 200000;
  double sum = 0, sum_squares = 0;
  for (int i = 0; i < n; ++i) {
    const double u = random_uniform(1, 0, static_cast<std::uint64_t>(i));
    REQUIRE(u >= 0.0);
    REQUIRE(u < 1.0);
    sum += u;
    sum_squares += u * u;
  }
  const double mean = sum / n, variance = sum_squares / n - mean * mean;
  // standard error of the mean = sqrt(1/12 / n) ≈ 6.5e-4: allow 5 of them
  CHECK(mean == Approx(0.5).margin(3.3e-3));
  CHECK(variance == Approx(1.0 / 12).margin(2e-3));
}

TEST_CASE("normal draws have mean 0 and standard deviation 1", "[random]") {
  TensorD x({200000});
  fill_normal(x, 2012, 1, 0.0, 1.0);
  double sum = 0, sum_squares = 0;
  for (std::int64_t i = 0; i < x.size(); ++i) {
    sum += x[i];
    sum_squares += x[i] * x[i];
  }
  const double mean = sum / x.size(), variance = sum_squares / x.size() - mean * mean;
  // standard error of the mean = 1/sqrt(n) ≈ 2.2e-3: allow 5 of them
  CHECK(mean == Approx(0.0).margin(1.1e-2));
  CHECK(variance == Approx(1.0).margin(1.5e-2));
}

TEST_CASE("fill_normal gives the paper's N(0, 0.01) initial weights reproducibly", "[random]") {
  TensorF a({96, 3, 11, 11}), b({96, 3, 11, 11});
  fill_normal(a, 7, 3, 0.0, 0.01);
  fill_normal(b, 7, 3, 0.0, 0.01);
  CHECK(a.values() == b.values());
  double sum_squares = 0;
  for (std::int64_t i = 0; i < a.size(); ++i) sum_squares += double(a[i]) * a[i];
  CHECK(std::sqrt(sum_squares / a.size()) == Approx(0.01).epsilon(0.03));
}

TEST_CASE("below(bound) stays below its bound and hits every value", "[random]") {
  RandomStream stream(5, 5);
  std::vector<int> seen(30, 0);
  for (int i = 0; i < 3000; ++i) {
    const std::uint32_t v = stream.below(30);
    REQUIRE(v < 30u);
    ++seen[v];
  }
  for (int count : seen) CHECK(count > 0);
}
