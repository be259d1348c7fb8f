#pragma once
// Bounded reads of files and standard input; atomic replacement of a file.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace fcpgw::gateway {

/// Error opening or reading an input. `message` never contains data from the input.
struct ReadError {
  std::string message;
};

/// A file (or stdin for "-") opened for reading, closed on destruction.
class InputFile {
 public:
  /// Opens `path` ("-" = standard input). Refuses directories and unreadable files.
  static std::optional<InputFile> open(const std::string& path, ReadError& error);
  InputFile(InputFile&& other) noexcept;
  InputFile& operator=(InputFile&& other) noexcept;
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;
  ~InputFile();

  /// Name for messages: the path, or "<stdin>".
  const std::string& name() const noexcept { return name_; }
  /// Reads up to `max` bytes appended to `out`. Returns the number read (0 at end of input),
  /// or nullopt on a read error (then `error` says why).
  std::optional<std::size_t> read(std::string& out, std::size_t max, ReadError& error);
  /// Total bytes read so far.
  std::uint64_t bytes_read() const noexcept { return total_; }

 private:
  InputFile(int fd, bool owned, std::string name)
      : fd_(fd), owned_(owned), name_(std::move(name)) {}
  int fd_ = -1;
  bool owned_ = false;
  std::string name_;
  std::uint64_t total_ = 0;
};

/// Reads the whole file at `path` into `out`, refusing one larger than `max_bytes` unread.
/// Returns why it could not ("cannot read: <reason>", "larger than <max_bytes> bytes" or
/// "cannot read"); the caller names the file. For small files read at once (configuration,
/// mapping files, golden cases); inputs are read in chunks through InputFile.
std::optional<std::string> read_bounded_file(const std::filesystem::path& path,
                                             std::uintmax_t max_bytes, std::string& out);

/// Replaces the file at `target` with `data` so that a reader sees either the old or the new
/// content, never a part: writes `temp` (same folder), syncs it, renames it over `target` and
/// syncs the folder; a new file gets permission bits `mode`. On failure `temp` is removed and the
/// result says which step failed and why ("write: No space left on device"); the caller names the
/// file.
std::optional<std::string> write_file_atomically(const std::filesystem::path& target,
                                                 std::string_view data,
                                                 const std::filesystem::path& temp,
                                                 unsigned mode = 0644);

}  // namespace fcpgw::gateway
