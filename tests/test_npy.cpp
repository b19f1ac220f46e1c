// .npy reading and writing: files NumPy wrote, round trips, and every bad input.
#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>

#include "reference_cpu/npy.hpp"

using namespace alexnet;

namespace {

const std::string fixtures = ALEXNET_FIXTURES_DIR;
const std::string output_dir = ALEXNET_TEST_OUTPUT_DIR;

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string write_bytes(const std::string& name, const std::string& bytes) {
  const std::string path = output_dir + "/" + name;
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

// The message load_npy_float throws for `path`.
std::string load_error(const std::string& path) {
  try {
    load_npy_float(path);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("reads float32 and int64 arrays that NumPy wrote", "[npy]") {
  // np.arange(6, dtype=np.float32).reshape(2, 3) / 4
  for (const char* name : {"float32_2x3.npy", "float32_v2_2x3.npy"}) {
    const TensorF a = load_npy_float(fixtures + "/" + name);
    CHECK(a.shape() == Shape{2, 3});
    CHECK(a.at(0, 0) == 0.0f);
    CHECK(a.at(0, 1) == 0.25f);
    CHECK(a.at(1, 2) == 1.25f);
  }
  const Tensor<std::int64_t> labels = load_npy_int64(fixtures + "/int64_labels.npy");
  CHECK(labels.shape() == Shape{5});
  CHECK(labels.values() == std::vector<std::int64_t>{3, 1, 4, 1, 5});
}

TEST_CASE("writes files that read back identically (and that NumPy reads: see numpy_reads_ours.py)", "[npy]") {
  TensorF x({2, 3, 4});
  for (std::int64_t i = 0; i < x.size(); ++i) x[i] = 0.5f * static_cast<float>(i) - 3.0f;
  save_npy(output_dir + "/ours_float32_2x3x4.npy", x);
  CHECK(load_npy_float(output_dir + "/ours_float32_2x3x4.npy").values() == x.values());

  const Tensor<std::int64_t> labels({4}, {0, 999, -1, 123456789012});
  save_npy(output_dir + "/ours_int64_4.npy", labels);
  CHECK(load_npy_int64(output_dir + "/ours_int64_4.npy").values() == labels.values());

  // The header is padded so the data starts at a multiple of 64 bytes.
  CHECK(read_bytes(output_dir + "/ours_float32_2x3x4.npy").size() == 128 + 24 * 4);
}

TEST_CASE("bad files are refused with a message naming the file and the fault", "[npy]") {
  const std::string good = read_bytes(fixtures + "/float32_2x3.npy");
  REQUIRE(good.size() == 128 + 6 * 4);

  SECTION("missing file") {
    CHECK_THAT(load_error(output_dir + "/no_such.npy"),
               Catch::Contains("no_such.npy: cannot read a .npy file (No such file or directory)"));
  }
  SECTION("a directory or a device, refused by name before reading") {
    CHECK_THAT(load_error(output_dir), Catch::EndsWith("expected a .npy file (a regular file), got a directory"));
    CHECK_THAT(load_error("/dev/zero"), Catch::Equals("/dev/zero: expected a .npy file (a regular file), got a "
                                                      "character device"));
  }
  SECTION("bad magic string") {
    const std::string path = write_bytes("bad_magic.npy", "\x93NUMPZ" + good.substr(6));
    CHECK_THAT(load_error(path), Catch::Contains("bad_magic.npy: not a .npy file"));
  }
  SECTION("unsupported version") {
    std::string bytes = good;
    bytes[6] = 9;
    const std::string path = write_bytes("version9.npy", bytes);
    CHECK_THAT(load_error(path), Catch::Contains("unsupported .npy version 9.0"));
  }
  SECTION("unsupported dtype") {
    CHECK_THAT(load_error(fixtures + "/float64_2x3.npy"),
               Catch::Contains("unsupported dtype '<f8' (expected '<f4', float32)"));
    CHECK_THROWS_WITH(load_npy_int64(fixtures + "/float32_2x3.npy"),
                      Catch::Contains("unsupported dtype '<f4' (expected '<i8', int64)"));
  }
  SECTION("Fortran order") {
    CHECK_THAT(load_error(fixtures + "/fortran_2x3.npy"), Catch::Contains("Fortran-order array"));
  }
  SECTION("truncated data") {
    const std::string path = write_bytes("truncated.npy", good.substr(0, good.size() - 3));
    CHECK_THAT(load_error(path), Catch::Contains("truncated data: shape [2, 3] needs 24 bytes, the file holds 21"));
  }
  SECTION("truncated header") {
    const std::string path = write_bytes("truncated_header.npy", good.substr(0, 40));
    CHECK_THAT(load_error(path), Catch::Contains("truncated file"));
  }
  SECTION("a shape whose product overflows int64 is refused, not wrapped") {
    // 2^32 · 2^32 = 2^64: wraps to 0 elements in unchecked int64 arithmetic.
    const std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296), }";
    const std::string path = write_bytes("overflow.npy", std::string("\x93NUMPY\x01\x00", 8) +
                                                             static_cast<char>(header.size()) + '\0' + header);
    CHECK_THAT(load_error(path), Catch::Contains("overflow.npy: shape [4294967296, 4294967296]") &&
                                     Catch::Contains("overflows a 64-bit integer"));
  }
  SECTION("a zero extent does not hide an overflowing product of the others") {
    const std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 4294967296, 4294967296), }";
    const std::string path = write_bytes("zero_overflow.npy", std::string("\x93NUMPY\x01\x00", 8) +
                                                                  static_cast<char>(header.size()) + '\0' + header);
    CHECK_THAT(load_error(path), Catch::Contains("overflows a 64-bit integer"));
  }
  SECTION("negative and malformed extents name the shape") {
    for (const char* shape : {"(-2, 3)", "(2x, 3)", "(99999999999999999999,)"}) {
      const std::string header = std::string("{'descr': '<f4', 'fortran_order': False, 'shape': ") + shape + ", }";
      const std::string path = write_bytes("bad_extent.npy", std::string("\x93NUMPY\x01\x00", 8) +
                                                                 static_cast<char>(header.size()) + '\0' + header);
      CHECK_THAT(load_error(path), Catch::Contains("bad_extent.npy: shape " + std::string(shape)) &&
                                       Catch::Contains("expected an integer in [0, 9223372036854775807]"));
    }
  }
  SECTION("a large shape over a small file is refused before anything is allocated") {
    const std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000000,), }";
    const std::string path = write_bytes("huge.npy", std::string("\x93NUMPY\x01\x00", 8) +
                                                         static_cast<char>(header.size()) + '\0' + header);
    CHECK_THAT(load_error(path), Catch::Contains("truncated data: shape [1000000000000] needs 4000000000000 bytes, "
                                                 "the file holds 0"));
  }
  SECTION("shape does not match the data") {
    const std::string path = write_bytes("extra_data.npy", good + std::string(8, '\0'));
    CHECK_THAT(load_error(path), Catch::Contains("shape [2, 3] does not match the data"));
  }
}

TEST_CASE("a failed write leaves the old file untouched and no temporary behind", "[npy]") {
  const std::string path = output_dir + "/kept.npy";
  save_npy(path, TensorF({2}, {1.0f, 2.0f}));
  // A folder that does not exist: the write fails before anything is renamed.
  CHECK_THROWS_WITH(save_npy(output_dir + "/no_such_folder/x.npy", TensorF({1})),
                    Catch::Contains("no_such_folder/x.npy: cannot open"));
  CHECK(load_npy_float(path).values() == std::vector<float>{1.0f, 2.0f});
}
