#pragma once
// Reading inputs for the command-line tools: files or stdin, read in chunks with a bounded
// buffer, the format told from the first bytes, and a stream of several HL7 v2 messages split
// into single messages one at a time (so that a batch of any length runs in constant memory).

#include <cstddef>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "gateway/common/files.h"
#include "gateway/common/text.h"
#include "hl7v2/mllp.h"

namespace fcpgw::gateway {

/// What an input holds, as told from its first bytes.
enum class InputFormat : std::uint8_t {
  unknown,    ///< none of the below
  empty,      ///< nothing but whitespace (and a BOM)
  er7,        ///< HL7 v2 ER7: "MSH" after an optional UTF-8 BOM and whitespace
  mllp,       ///< HL7 v2 in MLLP frames: 0x0B after optional whitespace
  fhir_json,  ///< a JSON object: "{" after an optional UTF-8 BOM and whitespace
};

std::string_view to_string(InputFormat f) noexcept;

/// Result of looking at the start of an input.
struct Detection {
  InputFormat format = InputFormat::unknown;
  /// Offset of the first significant byte (after BOM and whitespace). For `unknown`, the
  /// offending byte is at this offset.
  std::size_t offset = 0;
  /// True when `head` ended before the format could be decided (more bytes are needed).
  bool need_more = false;
};

/// Tells the format from the first bytes of an input. `at_end` says that `head` is the whole
/// input (so a short head is final).
Detection detect_format(std::string_view head, bool at_end) noexcept;

/// One message cut out of a v2 stream.
struct RawMessage {
  std::size_t index = 0;     ///< 1-based position in the stream
  bool framed = false;       ///< came from an MLLP frame (then `offset` is not known)
  std::uint64_t offset = 0;  ///< byte offset of its first byte in the stream (ER7 streams)
  std::string bytes;         ///< the message (segment terminators as received); empty if refused
  /// Why the message was refused before parsing (empty when it was not): too large, or an
  /// MLLP frame cut short.
  std::string refused;
};

/// Splits a stream of HL7 v2 messages into single messages, incrementally: feed chunks split
/// anywhere, then take messages with next(); call finish() at end of input.
///
/// ER7 streams: a message starts at each line beginning with "MSH"; lines may end in CR, LF or
/// CRLF and are kept as received; blank lines are dropped; batch envelope segments (FHS, BHS,
/// BTS, FTS) are dropped. Bytes before the first MSH become a message of their own (which then
/// fails to parse, with its position). MLLP streams: one message per frame; bytes between
/// frames are ignored; a frame that holds a whole batch (FHS/BHS first) gives its messages.
///
/// A message larger than `max_message_bytes` is not buffered: its remaining bytes are skipped
/// and it is reported with `refused` set. Memory use is bounded by the largest message allowed.
class MessageSplitter {
 public:
  MessageSplitter(bool mllp, std::size_t max_message_bytes);

  /// Consumes `chunk`.
  void feed(std::string_view chunk);
  /// Declares the end of input (flushes the last message).
  void finish();
  /// Takes the next complete message into `out` (its buffer is reused). False when none is
  /// ready.
  bool next(RawMessage& out);

 private:
  enum class LineKind : std::uint8_t { undecided, msh, envelope, other };

  void feed_er7(std::string_view chunk);
  void feed_mllp(std::string_view chunk);
  void drain_decoder();
  void split_framed_batch(std::string_view payload);
  void decide_line();
  void append(std::string_view bytes);
  void close_message();
  void start_message(std::uint64_t offset);

  bool mllp_;
  std::size_t max_;
  std::uint64_t pos_ = 0;     // bytes consumed so far
  std::size_t count_ = 0;     // messages started
  std::size_t bom_seen_ = 0;  // bytes of a leading UTF-8 BOM matched so far
  bool bom_done_ = false;

  // ER7 state
  bool open_ = false;  // a message is being collected
  RawMessage current_;
  std::string head_;         // significant start of the current line while its kind is undecided
  std::size_t lead_ws_ = 0;  // spaces/tabs before head_ on the current line
  std::uint64_t line_start_ = 0;
  LineKind line_ = LineKind::undecided;
  bool in_line_ = false;  // inside a line (not at a line start)
  bool kept_cr_ = false;  // the last line was kept and ended in CR (its LF may follow)

  // MLLP state
  hl7v2::MllpDecoder decoder_;

  // Complete messages not yet taken (bounded by what one chunk can hold).
  std::deque<RawMessage> ready_;
};

}  // namespace fcpgw::gateway
