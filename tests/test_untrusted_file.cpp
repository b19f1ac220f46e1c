// The validation layer every reader shares: regular files only, sizes before allocation, checked
// arithmetic, range-checked fields, and messages that name the file, the field, what was expected and what came.
#include <catch2/catch.hpp>

#include <cstdint>
#include <fstream>
#include <string>

#include "reference_cpu/untrusted_file.hpp"

using namespace alexnet;

namespace {

const std::string output_dir = ALEXNET_TEST_OUTPUT_DIR;

std::string write_text(const std::string& name, const std::string& text) {
  const std::string path = output_dir + "/" + name;
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

}  // namespace

TEST_CASE("only regular files are read; anything else is named", "[untrusted]") {
  CHECK_THROWS_WITH(regular_file_size(output_dir, "a log"),
                    output_dir + ": expected a log (a regular file), got a directory");
  CHECK_THROWS_WITH(read_regular_file("/dev/zero", "a manifest", 100),
                    "/dev/zero: expected a manifest (a regular file), got a character device");
  CHECK_THROWS_WITH(regular_file_size(output_dir + "/nowhere.txt", "a log"),
                    output_dir + "/nowhere.txt: cannot read a log (No such file or directory)");
  const std::string path = write_text("ten_bytes.txt", "0123456789");
  CHECK(regular_file_size(path, "a log") == 10);
  CHECK_THROWS_WITH(read_regular_file(path, "a log", 9), path + ": a log of 10 bytes, expected at most 9");
  CHECK(read_regular_file(path, "a log", 10) == "0123456789");
}

TEST_CASE("text lines: a final newline ends the last line, it does not add one", "[untrusted]") {
  CHECK(read_text_lines(write_text("lines.txt", "a\nb c\n"), "a list") == std::vector<std::string>{"a", "b c"});
  CHECK(read_text_lines(write_text("no_final.txt", "a\n\nb"), "a list") == std::vector<std::string>{"a", "", "b"});
  CHECK(read_text_lines(write_text("empty.txt", ""), "a list").empty());
}

TEST_CASE("products of extents are overflow-checked", "[untrusted]") {
  CHECK(checked_product({2, 3, 4}, "shape") == 24);
  CHECK(checked_product({}, "shape") == 1);
  CHECK(checked_multiply(INT64_MAX, 1, "x") == INT64_MAX);
  // 3037000500² = 9,223,372,037,000,250,000 > 2^63 − 1 = 9,223,372,036,854,775,807.
  CHECK_THROWS_WITH(checked_multiply(3037000500, 3037000500, "f.npy"),
                    "f.npy: 3037000500 x 3037000500 overflows a 64-bit integer");
  CHECK_THROWS_WITH(checked_product({1 << 30, 1 << 30, 1 << 30}, "f.npy"),
                    "f.npy: 1152921504606846976 x 1073741824 overflows a 64-bit integer");
  CHECK_THROWS_WITH(checked_multiply(-1, 5, "f.npy"), "f.npy: negative extent -1");
}

TEST_CASE("integer fields: digits in range, nothing else", "[untrusted]") {
  CHECK(parse_integer_field("42", 0, 100, "m.txt: epoch") == 42);
  CHECK(parse_integer_field("-5", -10, 10, "m.txt: epoch") == -5);
  for (const char* bad : {"-5", "101", "9999999999", "1e3", " 4", "4 ", "", "0x10", "+4", "18446744073709551615"}) {
    CHECK_THROWS_WITH(parse_integer_field(bad, 0, 100, "m.txt: epoch"),
                      std::string("m.txt: epoch: expected an integer in [0, 100], got '") + bad + "'");
  }
  CHECK(integer_field_problem("7", 1, 9).empty());
  CHECK(integer_field_problem("9223372036854775807", 1, 65536) ==
        "expected an integer in [1, 65536], got '9223372036854775807'");
}

TEST_CASE("real fields: finite and in range; NaN and infinities are refused", "[untrusted]") {
  CHECK(parse_real_field("0.25", 0, 1, "m.txt: lr") == 0.25);
  CHECK(parse_real_field("1e-3", 0, 1, "m.txt: lr") == 1e-3);
  for (const char* bad : {"nan", "NaN", "inf", "-inf", "-1", "2", "1e400", "0.5x", ""}) {
    CHECK_THROWS_WITH(parse_real_field(bad, 0, 1, "m.txt: lr"),
                      std::string("m.txt: lr: expected a finite number in [0, 1], got '") + bad + "'");
  }
  CHECK(real_field_problem("0", 0, 100, true) == "expected a finite number above 0 and at most 100, got '0'");
  CHECK(real_field_problem("0.01", 0, 100, true).empty());
}

TEST_CASE("text quoted in a message is short and shows no control characters", "[untrusted]") {
  CHECK(quoted_for_message("a\nb\x1b[31m") == "a?b?[31m");
  CHECK(quoted_for_message(std::string(100, 'x')) == std::string(60, 'x') + "...");
}
