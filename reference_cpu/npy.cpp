#include "npy.hpp"

#include <cstring>
#include <fstream>
#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "atomic_file.hpp"
#include "untrusted_file.hpp"

namespace alexnet {
namespace {

const char kMagic[] = "\x93NUMPY";
constexpr std::size_t kMagicLength = 6;

// The host must be little-endian (x86-64, AArch64): we copy raw bytes.
bool host_is_little_endian() {
  const std::uint16_t probe = 1;
  unsigned char first;
  std::memcpy(&first, &probe, 1);
  return first == 1;
}

[[noreturn]] void fail(const std::string& path, const std::string& message) {
  throw std::runtime_error(path + ": " + message);
}

struct NpyHeader {
  std::string descr;
  bool fortran_order = false;
  Shape shape;
  std::size_t data_offset = 0;
};

// Value text after `'key':` in the header dict, e.g. "'<f4'" or "(2, 3)".
std::string dict_value(const std::string& path, const std::string& dict, const std::string& key) {
  const std::string quoted = "'" + key + "'";
  const std::size_t at = dict.find(quoted);
  if (at == std::string::npos) fail(path, "header has no '" + key + "' entry: " + dict);
  std::size_t start = dict.find(':', at + quoted.size());
  if (start == std::string::npos) fail(path, "malformed header: " + dict);
  ++start;
  while (start < dict.size() && dict[start] == ' ') ++start;
  std::size_t end = start;
  if (end < dict.size() && dict[end] == '(') {
    end = dict.find(')', end);
    if (end == std::string::npos) fail(path, "malformed shape in header: " + dict);
    ++end;
  } else {
    end = dict.find_first_of(",}", start);
    if (end == std::string::npos) fail(path, "malformed header: " + dict);
  }
  return dict.substr(start, end - start);
}

Shape parse_shape(const std::string& path, const std::string& text) {
  // text is "()", "(5,)" or "(2, 3)".
  constexpr int kMaxRank = 32;
  Shape shape;
  std::size_t i = 1;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == ',')) ++i;
    if (i >= text.size() || text[i] == ')') break;
    const std::size_t end = std::min(text.find_first_of(",) ", i), text.size());
    shape.push_back(parse_integer_field(text.substr(i, end - i), 0, INT64_MAX, path + ": shape " + text));
    if (shape.size() > kMaxRank) fail(path, "shape " + text + " has more than " + std::to_string(kMaxRank) + " dimensions");
    i = end;
  }
  return shape;
}

// Reads `bytes` bytes at the stream's position, or throws naming the file and `what`.
std::string read_exactly(std::istream& in, std::size_t bytes, const std::string& path, const std::string& what) {
  std::string buffer(bytes, '\0');
  in.read(buffer.data(), static_cast<std::streamsize>(bytes));
  if (static_cast<std::size_t>(in.gcount()) != bytes) {
    fail(path, "truncated file: " + what + " has " + std::to_string(in.gcount()) + " of " + std::to_string(bytes) +
                   " bytes");
  }
  return buffer;
}

// The preamble and the header dict, read from the start of a file of `file_size` bytes.
NpyHeader parse_header(const std::string& path, std::istream& in, std::uintmax_t file_size) {
  if (file_size < kMagicLength + 4) {
    fail(path, "truncated file: " + std::to_string(file_size) + " bytes, too short for a .npy header");
  }
  const std::string preamble = read_exactly(in, kMagicLength + 4, path, "the preamble");
  if (std::memcmp(preamble.data(), kMagic, kMagicLength) != 0) {
    fail(path, "not a .npy file: expected the magic string \\x93NUMPY at the start");
  }
  const int major = static_cast<unsigned char>(preamble[6]);
  const int minor = static_cast<unsigned char>(preamble[7]);
  auto byte_at = [](const std::string& b, std::size_t i) { return static_cast<std::size_t>(static_cast<unsigned char>(b[i])); };
  std::size_t header_length = 0;
  std::size_t header_start = 0;
  if (major == 1 && minor == 0) {
    header_length = byte_at(preamble, 8) | byte_at(preamble, 9) << 8;
    header_start = 10;
  } else if ((major == 2 || major == 3) && minor == 0) {
    const std::string high = read_exactly(in, 2, path, "the header length");
    header_length = byte_at(preamble, 8) | byte_at(preamble, 9) << 8 | byte_at(high, 0) << 16 | byte_at(high, 1) << 24;
    header_start = 12;
  } else {
    fail(path, "unsupported .npy version " + std::to_string(major) + "." + std::to_string(minor) +
                   " (expected 1.0, 2.0 or 3.0)");
  }
  if (header_start + header_length > file_size) {
    fail(path, "truncated file: header says " + std::to_string(header_length) + " bytes, file has " +
                   std::to_string(file_size - header_start) + " after the preamble");
  }
  const std::string dict = read_exactly(in, header_length, path, "the header");
  NpyHeader header;
  std::string descr = dict_value(path, dict, "descr");
  if (descr.size() < 2 || descr.front() != '\'' || descr.back() != '\'') fail(path, "malformed descr " + descr);
  header.descr = descr.substr(1, descr.size() - 2);
  const std::string fortran = dict_value(path, dict, "fortran_order");
  if (fortran != "False" && fortran != "True") fail(path, "malformed fortran_order " + fortran);
  header.fortran_order = fortran == "True";
  header.shape = parse_shape(path, dict_value(path, dict, "shape"));
  header.data_offset = header_start + header_length;
  return header;
}

template <typename T>
Tensor<T> load_npy(const std::string& path, const std::string& descr, const std::string& dtype_name) {
  if (!host_is_little_endian()) fail(path, ".npy reading needs a little-endian host");
  const std::uintmax_t file_size = regular_file_size(path, "a .npy file");
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, "cannot open file");
  const NpyHeader header = parse_header(path, in, file_size);
  if (header.descr != descr) {
    fail(path, "unsupported dtype '" + header.descr + "' (expected '" + descr + "', " + dtype_name + ")");
  }
  if (header.fortran_order) {
    fail(path, "Fortran-order array (expected C order; save it with numpy.ascontiguousarray)");
  }
  // Checked before anything is allocated: the shape must describe exactly the bytes the file holds.
  // Zero extents aside, the product must fit too: strides are products of the extents.
  const std::string context = path + ": shape " + to_string(header.shape);
  Shape nonzero = header.shape;
  for (std::int64_t& extent : nonzero) extent = std::max<std::int64_t>(extent, 1);
  checked_multiply(checked_product(nonzero, context), sizeof(T), context);
  const std::int64_t count = checked_product(header.shape, context);
  const std::int64_t expected = checked_multiply(count, sizeof(T), context);
  const std::uintmax_t available = file_size - header.data_offset;
  if (available < static_cast<std::uintmax_t>(expected)) {
    fail(path, "truncated data: shape " + to_string(header.shape) + " needs " + std::to_string(expected) +
                   " bytes, the file holds " + std::to_string(available));
  }
  if (available > static_cast<std::uintmax_t>(expected)) {
    fail(path, "shape " + to_string(header.shape) + " does not match the data: it needs " +
                   std::to_string(expected) + " bytes, the file holds " + std::to_string(available));
  }
  std::vector<T> values(static_cast<std::size_t>(count));
  in.read(reinterpret_cast<char*>(values.data()), static_cast<std::streamsize>(expected));
  if (in.gcount() != static_cast<std::streamsize>(expected)) {
    fail(path, "read " + std::to_string(in.gcount()) + " of " + std::to_string(expected) + " data bytes");
  }
  return Tensor<T>(header.shape, std::move(values));
}

template <typename T>
void save_npy(const std::string& path, const Tensor<T>& tensor, const std::string& descr) {
  if (!host_is_little_endian()) fail(path, ".npy writing needs a little-endian host");
  // Python tuple syntax: "()", "(5,)", "(2, 3)".
  std::string shape_text;
  for (int d = 0; d < tensor.rank(); ++d) shape_text += (d > 0 ? ", " : "") + std::to_string(tensor.dim(d));
  if (tensor.rank() == 1) shape_text += ",";
  shape_text = "(" + shape_text + ")";
  std::string dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape_text + ", }";
  // Pad with spaces and a final newline so that the data starts at a multiple of 64.
  const std::size_t preamble = kMagicLength + 2 + 2;
  const std::size_t total = (preamble + dict.size() + 1 + 63) / 64 * 64;
  dict.append(total - preamble - dict.size() - 1, ' ');
  dict.push_back('\n');
  write_file_atomically(path, [&](std::ostream& out) {
    out.write(kMagic, kMagicLength);
    const char version[2] = {1, 0};
    out.write(version, 2);
    const char length[2] = {static_cast<char>(dict.size() & 0xff), static_cast<char>(dict.size() >> 8)};
    out.write(length, 2);
    out.write(dict.data(), static_cast<std::streamsize>(dict.size()));
    out.write(reinterpret_cast<const char*>(tensor.data()), static_cast<std::streamsize>(tensor.bytes()));
  });
}

}  // namespace

Tensor<float> load_npy_float(const std::string& path) { return load_npy<float>(path, "<f4", "float32"); }

Tensor<std::int64_t> load_npy_int64(const std::string& path) {
  return load_npy<std::int64_t>(path, "<i8", "int64");
}

void save_npy(const std::string& path, const Tensor<float>& tensor) { save_npy(path, tensor, "<f4"); }

void save_npy(const std::string& path, const Tensor<std::int64_t>& tensor) { save_npy(path, tensor, "<i8"); }

}  // namespace alexnet
