/// @file untrusted_file.hpp
/// @brief The one validation layer every reader of a file from outside shares: regular files only,
/// sizes known before anything is allocated, checked arithmetic, range-checked fields.
///
/// Every error is a std::runtime_error whose message names the file (and the line or field when
/// there is one), what was expected and what came, e.g.
/// `run/checkpoint-epoch-2/manifest.txt: epoch: expected an integer in [0, 1000000], got '-5'`.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace alexnet {

/// @brief The largest text file (CSV manifest, classes file, checkpoint manifest, log) a reader accepts: 256 MiB.
constexpr std::uintmax_t kMaxTextFileBytes = std::uintmax_t{256} << 20;

/// @brief The size in bytes of `path`, which must be a regular file; throws naming `what` and what the path is instead.
std::uintmax_t regular_file_size(const std::string& path, const std::string& what);

/// @brief The whole of the regular file `path` when it holds at most `max_bytes`; throws naming the file otherwise.
std::string read_regular_file(const std::string& path, const std::string& what, std::uintmax_t max_bytes);

/// @brief The lines of a text file read by read_regular_file() (no line ends; a final newline ends the last line).
std::vector<std::string> read_text_lines(const std::string& path, const std::string& what,
                                         std::uintmax_t max_bytes = kMaxTextFileBytes);

/// @brief a·b, or a throw "<context>: <a> × <b> overflows a 64-bit integer"; a and b must be ≥ 0.
std::int64_t checked_multiply(std::int64_t a, std::int64_t b, const std::string& context);

/// @brief The product of `extents` (each ≥ 0), every step overflow-checked; throws naming `context`.
std::int64_t checked_product(const std::vector<std::int64_t>& extents, const std::string& context);

/// @brief "" when `text` is a decimal integer in [min, max], else "expected an integer in [min, max], got '<text>'".
std::string integer_field_problem(const std::string& text, std::int64_t min, std::int64_t max);

/// @brief "" when `text` is a finite number in [min, max] (above min when `min_excluded`), else what was expected.
std::string real_field_problem(const std::string& text, double min, double max, bool min_excluded = false);

/// @brief The decimal integer `text` (an optional '-', then digits, nothing else) when it lies in [min, max];
/// otherwise throws "<where>: expected an integer in [min, max], got '<text>'".
std::int64_t parse_integer_field(const std::string& text, std::int64_t min, std::int64_t max, const std::string& where);

/// @brief The finite decimal number `text` when it lies in [min, max]; NaN, infinities, trailing characters
/// and values out of range throw "<where>: expected a finite number in [min, max], got '<text>'".
double parse_real_field(const std::string& text, double min, double max, const std::string& where);

/// @brief `text` shortened to at most 60 characters with every control character shown as '?': safe to quote in a message.
std::string quoted_for_message(const std::string& text);

}  // namespace alexnet
