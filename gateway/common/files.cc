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
