/// @file atomic_file.hpp
/// @brief Writing a file so that an interrupted run never leaves half of it.
#pragma once

#include <functional>
#include <ostream>
#include <string>

namespace alexnet {

/// @brief Calls `write` on a stream to `path + ".tmp-<pid>"`, flushes it to the disk, then renames it to `path`.
///
/// The temporary file is fsync'ed before the rename, so a crash leaves either the old
/// `path` or the whole new one; the folder is fsync'ed after the rename (best effort),
/// so the rename itself survives. If `write` throws or the stream fails, the temporary
/// file is removed and the old `path` (if any) is left untouched; the error names the file.
void write_file_atomically(const std::string& path, const std::function<void(std::ostream&)>& write);

}  // namespace alexnet
