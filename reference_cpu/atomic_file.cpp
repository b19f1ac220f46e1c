#include "atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace alexnet {

namespace {

// Flushes the temporary file's data to the disk, so that the rename never puts an
// empty or partial file in place after a crash; throws naming `path` if it fails.
void sync_file(const std::string& temporary, const std::string& path) {
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error(path + ": cannot open " + temporary + " to flush it to the disk");
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!synced) throw std::runtime_error(path + ": fsync of " + temporary + " failed (disk full or I/O error?)");
}

// Makes the rename itself durable by syncing the folder that holds `path`. Best effort:
// some file systems refuse to sync a folder, and the file is complete either way.
void sync_folder_of(const std::string& path) {
  std::string folder = std::filesystem::path(path).parent_path().string();
  if (folder.empty()) folder = ".";
  const int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  (void)::fsync(fd);
  ::close(fd);
}

}  // namespace

void write_file_atomically(const std::string& path, const std::function<void(std::ostream&)>& write) {
  const std::string temporary = path + ".tmp-" + std::to_string(::getpid());
  try {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out) throw std::runtime_error(path + ": cannot open " + temporary + " for writing");
    write(out);
    out.flush();
    if (!out) throw std::runtime_error(path + ": write failed (disk full?)");
    out.close();
    if (!out) throw std::runtime_error(path + ": cannot close " + temporary);
    sync_file(temporary, path);
    if (std::rename(temporary.c_str(), path.c_str()) != 0) {
      throw std::runtime_error(path + ": cannot rename " + temporary + " into place");
    }
  } catch (...) {
    std::remove(temporary.c_str());
    throw;
  }
  sync_folder_of(path);
}

}  // namespace alexnet
