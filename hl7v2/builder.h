#pragma once
// Writes new ER7 messages segment by segment into one std::string.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "hl7v2/delimiters.h"

namespace fcpgw::hl7v2 {

/// Position of a value inside the current segment (1-based; 0 is treated as 1).
struct Position {
  std::uint32_t field = 1;
  std::uint32_t repetition = 1;
  std::uint32_t component = 1;
  std::uint32_t subcomponent = 1;
};

/// Builds a message. Values are set in any order within the current segment; when the next
/// segment starts (or the message is taken) the segment is written in position order with
/// only the separators needed, so trailing empty fields, repetitions, components and
/// subcomponents never appear. Text values are escaped: delimiters as `\F\ \S\ \T\ \R\ \E\`
/// (`\P\`), and every control character (C0, including CR and LF, and DEL) as a `\Xhh\` hex
/// escape, so no text can end a segment or break MLLP framing; set_raw() values are written as
/// given.
/// Setting the same position twice keeps the last value. For MSH, fields 1 and 2 are written
/// from the delimiters and cannot be set; field 3 is the first after the encoding characters.
class MessageBuilder {
 public:
  /// Largest field / repetition number accepted; beyond it a value is dropped and counted.
  static constexpr std::uint32_t max_field = 9999;
  /// Largest component / subcomponent number accepted.
  static constexpr std::uint32_t max_component = 999;

  /// A builder writing with `delimiters`, each segment ended by `terminator` (CR by default).
  explicit MessageBuilder(const Delimiters& delimiters = {}, char terminator = '\r');

  /// Ends the current segment (if any) and starts one with id `id` (three characters
  /// [A-Z][A-Z0-9]{2}; any other id is refused: the segment and its values are dropped and
  /// counted in dropped()).
  MessageBuilder& segment(std::string_view id);
  /// Sets field `field` (repetition 1, component 1) to `text`, escaped.
  MessageBuilder& set(std::uint32_t field, std::string_view text);
  /// Sets the value at `pos` to `text`, escaped.
  MessageBuilder& set(const Position& pos, std::string_view text);
  /// Sets component `component` of the first repetition of `field` to `text`, escaped.
  MessageBuilder& set_component(std::uint32_t field, std::uint32_t component,
                                std::string_view text);
  /// Sets the value at `pos` to `er7`, which is already in this builder's ER7 form (it may
  /// hold separators below the level of `pos`, e.g. a whole field with components).
  MessageBuilder& set_raw(const Position& pos, std::string_view er7);

  /// The message so far. Ends the current segment: values set after this, before the next
  /// segment(), are dropped.
  [[nodiscard]] const std::string& str();
  /// Takes the finished message out; the builder is left empty.
  [[nodiscard]] std::string take();
  /// Values or segments refused (position out of range, invalid segment id).
  [[nodiscard]] std::size_t dropped() const noexcept { return dropped_; }
  /// Delimiters in use.
  [[nodiscard]] const Delimiters& delimiters() const noexcept { return d_; }

 private:
  struct Entry {
    Position pos;
    std::uint32_t begin;  // offset in scratch_
    std::uint32_t length;
    std::uint32_t order;  // insertion order, for last-wins
  };
  void flush();
  void add(const Position& pos, std::string_view value, bool raw);

  Delimiters d_;
  char terminator_;
  std::string out_;
  std::string scratch_;
  std::vector<Entry> entries_;
  char seg_id_[3] = {0, 0, 0};
  bool open_ = false;
  std::size_t dropped_ = 0;
};

}  // namespace fcpgw::hl7v2
