/// @file fuzz_input.hpp
/// @brief What every fuzz target shares: the input written to a file (the readers take paths, as the
/// alexnet command does), and the rule that a reader may only fail with a named std::runtime_error.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string>

namespace alexnet::fuzz {

/// @brief A folder of this process's own under $TMPDIR (else /tmp), created once, for the files a target writes.
inline const std::string& scratch_folder() {
  static const std::string folder = [] {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/alexnet_fuzz_XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) std::abort();
    return pattern;
  }();
  return folder;
}

/// @brief Writes `size` bytes at `data` to scratch_folder()/name and returns its path.
inline std::string write_input(const std::uint8_t* data, std::size_t size, const std::string& name) {
  const std::string path = scratch_folder() + "/" + name;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  if (!out) std::abort();
  return path;
}

/// @brief Runs `read`: a named std::runtime_error is the expected way to refuse an input; anything
/// else that escapes (std::bad_alloc, std::length_error, std::invalid_argument) reaches libFuzzer as a finding.
template <typename Read>
void expect_named_errors_only(Read read) {
  try {
    read();
  } catch (const std::runtime_error& error) {
    if (std::string(error.what()).find(": ") == std::string::npos) std::abort();  // a message naming nothing
  }
}

}  // namespace alexnet::fuzz
