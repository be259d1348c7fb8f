#pragma once
// Paths into an ER7 message: `PID-3`, `PID-3[2]`, `PID-3[2].4`, `PID-3[2].4.1`, `OBX[2]-5`.

#include <array>
#include <boost/assert/source_location.hpp>
#include <boost/system/result.hpp>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace fcpgw::hl7v2 {

/// A parsed path. Numbers are 1-based; `component == 0` means the whole repetition and
/// `subcomponent == 0` the whole component.
struct Path {
  std::array<char, 3> segment{};   ///< segment id, e.g. "PID"
  std::uint32_t occurrence = 1;    ///< which segment with that id (`OBX[2]`)
  std::uint32_t field = 0;         ///< field number (>= 1)
  std::uint32_t repetition = 1;    ///< repetition (`[2]`), default first
  std::uint32_t component = 0;     ///< 0 = whole repetition
  std::uint32_t subcomponent = 0;  ///< 0 = whole component
  bool occurrence_given = false;   ///< `[n]` was written after the segment id
  bool repetition_given = false;   ///< `[n]` was written after the field number

  /// The segment id as a string_view into this object.
  [[nodiscard]] std::string_view segment_id() const noexcept { return {segment.data(), 3}; }
  /// The canonical text of the path (explicit parts only), e.g. `OBX[2]-5.1`.
  [[nodiscard]] std::string to_string() const;
  friend bool operator==(const Path&, const Path&) = default;
};

/// Why a path could not be parsed: what was expected and at which character (0-based).
struct PathError {
  std::size_t position = 0;  ///< offset in the path text
  std::string message;       ///< e.g. "path 'PID-x': expected a field number at character 4"
};

/// Throws std::invalid_argument carrying the message (used only by result::value()).
[[noreturn]] void throw_exception_from_error(const PathError& e, const boost::source_location& loc);

/// Parses `SEG[occ]-field[rep].component.subcomponent`. SEG is three characters
/// [A-Z][A-Z0-9]{2}; every number is 1..99999 (occurrence, repetition) or 1..9999.
/// Surrounding blanks are not allowed. Parse once, then look up as often as needed.
[[nodiscard]] boost::system::result<Path, PathError> parse_path(std::string_view text);

}  // namespace fcpgw::hl7v2
