#pragma once
// A parsed ER7 message: one owned buffer plus an index of segments and fields as offsets.
//
// Message::parse validates the envelope (MSH, delimiters, segment ids, MSH-9/10/12, limits)
// and indexes segment and field boundaries in one pass. Repetitions, components and
// subcomponents are found on demand inside a field, so parsing allocates only the buffer's
// two index vectors. Every accessor returns a string_view into the buffer; the *_text
// variants return the value with escapes decoded. An unchanged message writes back (raw())
// byte for byte as it came in.

#include <boost/assert/source_location.hpp>
#include <boost/system/result.hpp>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hl7v2/delimiters.h"
#include "hl7v2/path.h"

namespace fcpgw::hl7v2 {

/// Bounds enforced while parsing untrusted input; each breach is a located ParseError.
struct Limits {
  std::size_t max_message_bytes = 1024 * 1024;   ///< whole input, BOM and blank lines included
  std::size_t max_segments = 5000;               ///< non-blank segments
  std::size_t max_fields_per_segment = 500;      ///< highest field number in any segment
  std::size_t max_repetitions_per_field = 1000;  ///< repetitions in any one field
};

/// What could be read of an MSH segment, copied out of the input so that it outlives it.
/// Values are raw ER7 (escapes kept) in the message's own delimiters, ready to echo.
struct MshHeader {
  Delimiters delimiters;              ///< as read from MSH-1/MSH-2 (defaults where unreadable)
  std::string sending_application;    ///< MSH-3 (HD, raw)
  std::string sending_facility;       ///< MSH-4
  std::string receiving_application;  ///< MSH-5
  std::string receiving_facility;     ///< MSH-6
  std::string date_time;              ///< MSH-7
  std::string message_type;           ///< MSH-9 whole field (e.g. `SIU^S12^SIU_S12`)
  std::string message_code;           ///< MSH-9.1
  std::string trigger_event;          ///< MSH-9.2
  std::string message_structure;      ///< MSH-9.3
  std::string control_id;             ///< MSH-10
  std::string processing_id;          ///< MSH-11
  std::string version;                ///< MSH-12
  std::string accept_ack_type;        ///< MSH-15
  std::string application_ack_type;   ///< MSH-16
  std::string character_set;          ///< MSH-18
};

/// Best effort read of the MSH of `bytes` without any validation, for acknowledging input
/// that failed to parse. Skips a UTF-8 BOM and blank lines; returns nullopt when the first
/// line does not start with "MSH" followed by a field separator.
[[nodiscard]] std::optional<MshHeader> parse_header_lenient(std::string_view bytes);

/// Kinds of ParseError.
enum class ParseErrc : std::uint8_t {
  empty,                   ///< no segment at all
  too_large,               ///< Limits::max_message_bytes
  not_msh,                 ///< first segment is not MSH
  bad_delimiters,          ///< MSH-1/MSH-2 invalid
  bad_segment_id,          ///< id not [A-Z][A-Z0-9]{2} or not followed by the field separator
  missing_required_field,  ///< MSH-9, MSH-10 or MSH-12 empty
  too_many_segments,       ///< Limits::max_segments
  too_many_fields,         ///< Limits::max_fields_per_segment
  too_many_repetitions,    ///< Limits::max_repetitions_per_field
};

/// A located parse failure. Numbers are 1-based; 0 means "not applicable".
struct ParseError {
  ParseErrc code = ParseErrc::empty;
  std::size_t segment_index = 0;       ///< position of the segment among non-blank segments
  std::string segment_id;              ///< id as read (sanitised, at most 8 characters)
  std::size_t segment_occurrence = 0;  ///< nth segment with that id (for ERL.2)
  std::size_t field = 0;               ///< field number (MSH numbering: MSH-1 = separator)
  std::size_t repetition = 0;          ///< repetition, for too_many_repetitions
  std::size_t component = 0;           ///< component, when the fault is inside one
  std::size_t byte_offset = 0;         ///< offset in the input (BOM included)
  std::string message;              ///< what was expected, e.g. "MSH-9: message type is required"
  std::optional<MshHeader> header;  ///< what could be read of MSH, to build an ACK
};

/// Throws std::invalid_argument carrying the message (used only by result::value()).
[[noreturn]] void throw_exception_from_error(const ParseError& e,
                                             const boost::source_location& loc);

class Message;

/// A cheap view of one segment of a Message (valid while the Message lives and is not moved).
/// Field numbers follow the standard: for MSH, field(1) is the field separator itself,
/// field(2) the encoding characters and field(3) the first field after them.
class Segment {
 public:
  Segment() = default;
  /// Three-character segment id.
  [[nodiscard]] std::string_view id() const noexcept;
  /// 1-based position among the message's segments.
  [[nodiscard]] std::size_t index() const noexcept { return static_cast<std::size_t>(idx_) + 1; }
  /// The segment's bytes without its terminator.
  [[nodiscard]] std::string_view raw() const noexcept;
  /// Highest field number present (0 for a segment with only an id).
  [[nodiscard]] std::size_t field_count() const noexcept;
  /// Field `n` raw, all repetitions; empty when absent.
  [[nodiscard]] std::string_view field(std::size_t n) const noexcept;
  /// Number of repetitions of field `n` (0 when the field is empty or absent).
  [[nodiscard]] std::size_t repetition_count(std::size_t n) const noexcept;
  /// Repetition `rep` (1-based) of field `n`, raw.
  [[nodiscard]] std::string_view repetition(std::size_t n, std::size_t rep) const noexcept;
  /// Component `comp` of repetition `rep` of field `n`, raw (comp 0 = whole repetition).
  [[nodiscard]] std::string_view component(std::size_t n, std::size_t rep,
                                           std::size_t comp) const noexcept;
  /// Subcomponent `sub` of component `comp` (sub 0 = whole component), raw.
  [[nodiscard]] std::string_view subcomponent(std::size_t n, std::size_t rep, std::size_t comp,
                                              std::size_t sub) const noexcept;
  /// The value a path designates in this segment (the path's segment part is ignored), raw.
  [[nodiscard]] std::string_view get(const Path& p) const noexcept;
  /// As get(), with escapes decoded.
  [[nodiscard]] std::string text(const Path& p) const;
  /// The owning message.
  [[nodiscard]] const Message& message() const noexcept { return *msg_; }
  /// True when this is a real segment (not default-constructed).
  explicit operator bool() const noexcept { return msg_ != nullptr; }

 private:
  friend class Message;
  Segment(const Message* m, std::uint32_t idx) : msg_(m), idx_(idx) {}
  const Message* msg_ = nullptr;
  std::uint32_t idx_ = 0;
};

/// A parsed message. Copyable and movable (views handed out refer to the instance they came
/// from).
class Message {
 public:
  /// Parses `bytes` (taken by value and kept). Segments may end in CR, LF or CRLF; a leading
  /// UTF-8 BOM and blank or whitespace-only lines are skipped. On failure the error says
  /// where and what was expected, and carries what could be read of MSH.
  [[nodiscard]] static boost::system::result<Message, ParseError> parse(std::string bytes,
                                                                        const Limits& limits = {});

  /// The input exactly as given.
  [[nodiscard]] std::string_view raw() const noexcept { return buf_; }
  /// The input exactly as given.
  [[nodiscard]] const std::string& str() const noexcept { return buf_; }
  /// Delimiters read from MSH-1/MSH-2.
  [[nodiscard]] const Delimiters& delimiters() const noexcept { return delims_; }

  /// Number of segments.
  [[nodiscard]] std::size_t segment_count() const noexcept { return segs_.size(); }
  /// Segment at 1-based position `index` (1 = MSH); a null Segment when out of range.
  [[nodiscard]] Segment segment(std::size_t index) const noexcept;
  /// The `occurrence`-th (1-based) segment with id `id`, if any.
  [[nodiscard]] std::optional<Segment> find(std::string_view id,
                                            std::size_t occurrence = 1) const noexcept;
  /// First segment with id `id` at 1-based position > `after_index`, if any.
  [[nodiscard]] std::optional<Segment> find_next(std::string_view id,
                                                 std::size_t after_index) const noexcept;
  /// Number of segments with id `id`.
  [[nodiscard]] std::size_t count(std::string_view id) const noexcept;
  /// All segments with id `id`, in order (allocates a small vector).
  [[nodiscard]] std::vector<Segment> all(std::string_view id) const;

  /// The value a path designates, raw; empty when absent.
  [[nodiscard]] std::string_view get(const Path& p) const noexcept;
  /// The value a path designates with escapes decoded; empty when absent.
  [[nodiscard]] std::string text(const Path& p) const;
  /// Decodes escapes in a raw view taken from this message.
  [[nodiscard]] std::string unescape(std::string_view raw) const {
    return hl7v2::unescape(raw, delims_);
  }

  /// MSH-9.1, e.g. "SIU".
  [[nodiscard]] std::string_view message_code() const noexcept;
  /// MSH-9.2, e.g. "S12".
  [[nodiscard]] std::string_view trigger_event() const noexcept;
  /// MSH-9.3, e.g. "SIU_S12".
  [[nodiscard]] std::string_view message_structure() const noexcept;
  /// MSH-10.
  [[nodiscard]] std::string_view control_id() const noexcept;
  /// MSH-12.1.
  [[nodiscard]] std::string_view version() const noexcept;
  /// Copies the MSH fields an ACK needs.
  [[nodiscard]] MshHeader header() const;

 private:
  friend class Segment;
  friend struct MessageParser;
  struct SegInfo {
    std::uint32_t begin;      // offset of the id
    std::uint32_t end;        // offset of the terminator (exclusive end)
    std::uint32_t first_tok;  // index in toks_ of the first token after the id
    std::uint32_t tok_count;  // tokens after the id (each starts after a field separator)
    std::uint32_t key;        // id packed into an integer for fast comparison
  };
  std::string buf_;
  Delimiters delims_;
  std::vector<SegInfo> segs_;
  std::vector<std::uint32_t> toks_;  // start offsets of field tokens
};

}  // namespace fcpgw::hl7v2
