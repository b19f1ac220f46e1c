/// @file atomic_file.hpp
/// @brief Writing a file so that an interrupted run never leaves half of it.
#pragma once

#include <functional>
#include <ostream>
#include <string>

namespace alexnet {

/// @brief Calls `write` on a stream to `path + ".tmp-<pid>"`, then renames it to `path`.
///
/// If `write` throws or the stream fails, the temporary file is removed and the
/// old `path` (if any) is left untouched; the error names the file.
void write_file_atomically(const std::string& path, const std::function<void(std::ostream&)>& write);

}  // namespace alexnet
