#include "untrusted_file.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <stdexcept>

namespace alexnet {
namespace {

[[noreturn]] void fail(const std::string& where, const std::string& message) {
  throw std::runtime_error(where + ": " + message);
}

// What a path that is not a regular file is instead: "a directory", "a character device", ...
std::string kind_of(const struct stat& status) {
  if (S_ISDIR(status.st_mode)) return "a directory";
  if (S_ISCHR(status.st_mode)) return "a character device";
  if (S_ISBLK(status.st_mode)) return "a block device";
  if (S_ISFIFO(status.st_mode)) return "a pipe";
  if (S_ISSOCK(status.st_mode)) return "a socket";
  return "not a regular file";
}

std::string number_text(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", value);
  return text;
}

}  // namespace

std::uintmax_t regular_file_size(const std::string& path, const std::string& what) {
  struct stat status {};
  if (::stat(path.c_str(), &status) != 0) {
    fail(path, "cannot read " + what + " (" + std::strerror(errno) + ")");
  }
  if (!S_ISREG(status.st_mode)) fail(path, "expected " + what + " (a regular file), got " + kind_of(status));
  return static_cast<std::uintmax_t>(status.st_size);
}

std::string read_regular_file(const std::string& path, const std::string& what, std::uintmax_t max_bytes) {
  const std::uintmax_t size = regular_file_size(path, what);
  if (size > max_bytes) {
    fail(path, what + " of " + std::to_string(size) + " bytes, expected at most " + std::to_string(max_bytes));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, "cannot open " + what);
  std::string bytes(static_cast<std::size_t>(size), '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(size));
  if (static_cast<std::uintmax_t>(in.gcount()) != size) {
    fail(path, "read " + std::to_string(in.gcount()) + " of the " + std::to_string(size) + " bytes of " + what);
  }
  return bytes;
}

std::vector<std::string> read_text_lines(const std::string& path, const std::string& what, std::uintmax_t max_bytes) {
  const std::string text = read_regular_file(path, what, max_bytes);
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

std::int64_t checked_multiply(std::int64_t a, std::int64_t b, const std::string& context) {
  std::int64_t product = 0;
  if (a < 0 || b < 0) fail(context, "negative extent " + std::to_string(a < 0 ? a : b));
  if (__builtin_mul_overflow(a, b, &product)) {
    fail(context, std::to_string(a) + " x " + std::to_string(b) + " overflows a 64-bit integer");
  }
  return product;
}

std::int64_t checked_product(const std::vector<std::int64_t>& extents, const std::string& context) {
  std::int64_t product = 1;
  for (const std::int64_t extent : extents) product = checked_multiply(product, extent, context);
  return product;
}

std::string integer_field_problem(const std::string& text, std::int64_t min, std::int64_t max) {
  std::int64_t value = 0;
  const char* end = text.data() + text.size();
  const auto [stop, error] = std::from_chars(text.data(), end, value);
  if (!text.empty() && error == std::errc() && stop == end && value >= min && value <= max) return "";
  return "expected an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "], got '" +
         quoted_for_message(text) + "'";
}

std::string real_field_problem(const std::string& text, double min, double max, bool min_excluded) {
  double value = 0;
  const char* end = text.data() + text.size();
  const auto [stop, error] = std::from_chars(text.data(), end, value);
  const bool above_min = min_excluded ? value > min : value >= min;
  if (!text.empty() && error == std::errc() && stop == end && std::isfinite(value) && above_min && value <= max) {
    return "";
  }
  const std::string range = min_excluded ? "above " + number_text(min) + " and at most " + number_text(max)
                                         : "in [" + number_text(min) + ", " + number_text(max) + "]";
  return "expected a finite number " + range + ", got '" + quoted_for_message(text) + "'";
}

std::int64_t parse_integer_field(const std::string& text, std::int64_t min, std::int64_t max, const std::string& where) {
  const std::string problem = integer_field_problem(text, min, max);
  if (!problem.empty()) fail(where, problem);
  return std::stoll(text);
}

double parse_real_field(const std::string& text, double min, double max, const std::string& where) {
  const std::string problem = real_field_problem(text, min, max);
  if (!problem.empty()) fail(where, problem);
  double value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

std::string quoted_for_message(const std::string& text) {
  constexpr std::size_t kShown = 60;
  std::string shown = text.size() > kShown ? text.substr(0, kShown) + "..." : text;
  for (char& c : shown) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) c = '?';
  }
  return shown;
}

}  // namespace alexnet
