#pragma once
// MLLP framing (0x0B message 0x1C 0x0D), pure and incremental: no sockets, no clocks.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>

namespace fcpgw::hl7v2 {

inline constexpr char mllp_start = '\x0b';  ///< SB
inline constexpr char mllp_end = '\x1c';    ///< EB
inline constexpr char mllp_cr = '\x0d';     ///< CR after EB

/// Bytes of an oversize frame kept in its event (the start of the message, for its MSH).
inline constexpr std::size_t mllp_oversize_head = 4096;

/// Appends `message` framed as SB message EB CR to `out`.
void mllp_frame(std::string& out, std::string_view message);
/// Returns `message` framed as SB message EB CR.
[[nodiscard]] std::string mllp_frame(std::string_view message);

/// One result of decoding.
struct MllpEvent {
  enum class Kind : std::uint8_t {
    frame,      ///< a complete frame; payload holds the message
    oversize,   ///< a frame exceeded the limit; bytes up to the next SB are discarded
    truncated,  ///< SB arrived inside a frame: the earlier frame was cut short and dropped
  };
  Kind kind = Kind::frame;
  /// Kind::frame: the message. Kind::oversize: the frame's first bytes (at most
  /// mllp_oversize_head, and never more than the limit), enough to read its MSH and answer it.
  /// Kind::truncated: empty.
  std::string payload;
  std::size_t size = 0;  ///< payload bytes received (for oversize: the limit crossed)
};

/// Incremental MLLP decoder. Feed byte chunks split anywhere; take events with next().
/// Bytes outside frames are skipped and counted. EB ends a frame at once (the CR that should
/// follow is consumed when it arrives; a missing CR is tolerated and counted).
class MllpDecoder {
 public:
  /// A decoder refusing frames larger than `max_frame_bytes`.
  explicit MllpDecoder(std::size_t max_frame_bytes = 1024 * 1024 + 1024);

  /// Consumes `chunk`; returns the number of events it produced.
  std::size_t feed(std::string_view chunk);
  /// The next pending event, oldest first.
  [[nodiscard]] std::optional<MllpEvent> next();
  /// Number of pending events.
  [[nodiscard]] std::size_t pending() const noexcept { return events_.size(); }
  /// True while a frame has been started and not finished.
  [[nodiscard]] bool in_frame() const noexcept { return state_ == State::in_frame; }
  /// Bytes of the unfinished frame held.
  [[nodiscard]] std::size_t buffered() const noexcept { return current_.size(); }
  /// Drops any partial frame and pending events (counters are kept).
  void reset() noexcept;

  /// Complete frames produced.
  [[nodiscard]] std::uint64_t frames() const noexcept { return frames_; }
  /// Bytes skipped outside frames (before SB, after EB CR, missing-CR bytes excluded).
  [[nodiscard]] std::uint64_t garbage_bytes() const noexcept { return garbage_; }
  /// Frames refused for size.
  [[nodiscard]] std::uint64_t oversize_frames() const noexcept { return oversize_; }
  /// Frames cut short by a new SB.
  [[nodiscard]] std::uint64_t truncated_frames() const noexcept { return truncated_; }
  /// Frames whose EB was not followed by CR.
  [[nodiscard]] std::uint64_t missing_cr() const noexcept { return missing_cr_; }

 private:
  enum class State : std::uint8_t { idle, in_frame, after_end, discarding };
  std::size_t max_;
  State state_ = State::idle;
  std::string current_;
  std::deque<MllpEvent> events_;
  std::uint64_t frames_ = 0, garbage_ = 0, oversize_ = 0, truncated_ = 0, missing_cr_ = 0;
};

}  // namespace fcpgw::hl7v2
