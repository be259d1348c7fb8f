#include "gateway/common/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <system_error>
#include <utility>

namespace fcpgw::gateway {

std::optional<std::string> read_bounded_file(const std::filesystem::path& path,
                                             std::uintmax_t max_bytes, std::string& out) {
  std::error_code ec;
  const std::uintmax_t size = std::filesystem::file_size(path, ec);
  if (ec) return "cannot read: " + ec.message();
  if (size > max_bytes) return "larger than " + std::to_string(max_bytes) + " bytes";
  std::ifstream in(path, std::ios::binary);
  out.assign(static_cast<std::size_t>(size), '\0');
  if (!in || !in.read(out.data(), static_cast<std::streamsize>(size))) return "cannot read";
  return std::nullopt;
}

std::optional<std::string> write_file_atomically(const std::filesystem::path& target,
                                                 std::string_view data,
                                                 const std::filesystem::path& temp, unsigned mode) {
  const auto fail = [&](const char* step) -> std::optional<std::string> {
    const int err = errno;
    ::unlink(temp.c_str());
    return std::string(step) + ": " + std::strerror(err);
  };
  const int fd =
      ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, static_cast<mode_t>(mode));
  if (fd < 0) return fail("create");
  bool written = true;
  for (std::string_view rest = data; written && !rest.empty();) {
    const ssize_t n = ::write(fd, rest.data(), rest.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0)
      written = false;
    else
      rest.remove_prefix(static_cast<std::size_t>(n));
  }
  written = written && ::fsync(fd) == 0;
  const int saved = errno;
  if (::close(fd) != 0 && written) return fail("close");
  errno = saved;
  if (!written) return fail("write");
  if (::rename(temp.c_str(), target.c_str()) != 0) return fail("rename");
  std::filesystem::path folder = target.parent_path();
  if (folder.empty()) folder = ".";
  const int dir = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return std::string("open folder: ") + std::strerror(errno);
  const bool synced = ::fsync(dir) == 0;
  const int sync_err = errno;
  ::close(dir);
  if (!synced) return std::string("sync folder: ") + std::strerror(sync_err);
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// InputFile

std::optional<InputFile> InputFile::open(const std::string& path, ReadError& error) {
  if (path == "-") return InputFile(STDIN_FILENO, false, "<stdin>");
  if (path.empty()) {
    error.message = "empty file name";
    return std::nullopt;
  }
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int e = errno;
    error.message = e == ENOENT   ? "no such file"
                    : e == EACCES ? "permission denied"
                                  : std::string("cannot open: ") + std::strerror(e);
    return std::nullopt;
  }
  InputFile file(fd, true, path);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    error.message = std::string("cannot stat: ") + std::strerror(errno);
    return std::nullopt;
  }
  if (S_ISDIR(st.st_mode)) {
    error.message = "is a directory, not a file";
    return std::nullopt;
  }
  return file;
}

InputFile::InputFile(InputFile&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      owned_(std::exchange(other.owned_, false)),
      name_(std::move(other.name_)),
      total_(other.total_) {}

InputFile& InputFile::operator=(InputFile&& other) noexcept {
  if (this != &other) {
    if (owned_ && fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    owned_ = std::exchange(other.owned_, false);
    name_ = std::move(other.name_);
    total_ = other.total_;
  }
  return *this;
}

InputFile::~InputFile() {
  if (owned_ && fd_ >= 0) ::close(fd_);
}

std::optional<std::size_t> InputFile::read(std::string& out, std::size_t max, ReadError& error) {
  const std::size_t old = out.size();
  out.resize(old + max);
  for (;;) {
    const ssize_t n = ::read(fd_, out.data() + old, max);
    if (n >= 0) {
      out.resize(old + static_cast<std::size_t>(n));
      total_ += static_cast<std::uint64_t>(n);
      return static_cast<std::size_t>(n);
    }
    if (errno == EINTR) continue;
    const int e = errno;
    out.resize(old);
    error.message = e == EISDIR ? "is a directory, not a file"
                                : std::string("read failed: ") + std::strerror(e);
    return std::nullopt;
  }
}

}  // namespace fcpgw::gateway
