#include "durable_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace tickcast::matching {
namespace {

std::string errno_text(const std::string& what) { return what + ": " + std::strerror(errno); }

// write(2) until every byte is written.
bool write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(std::size_t(n));
  }
  return true;
}

}  // namespace

std::string replace_file_durably(const std::string& path, std::string_view bytes) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return errno_text("cannot open " + tmp);
  if (!write_all(fd, bytes) || ::fsync(fd) != 0) {
    std::string error = errno_text("cannot write " + tmp);
    ::close(fd);
    return error;
  }
  if (::close(fd) != 0) return errno_text("cannot close " + tmp);
  if (::rename(tmp.c_str(), path.c_str()) != 0) return errno_text("cannot rename " + tmp + " to " + path);
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return errno_text("cannot open directory " + dir);
  const bool synced = ::fsync(dfd) == 0;
  std::string error = synced ? std::string() : errno_text("cannot fsync directory " + dir);
  ::close(dfd);
  return error;
}

}  // namespace tickcast::matching
