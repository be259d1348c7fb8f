#pragma once
// Internal: reading the JSON text of a mapping file, shared file or code table. A problem is
// named by its line and column, as an editor shows them, not by a byte offset.

#include <rapidjson/document.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace fcpgw::mappings {

/// 1-based line and column of byte `offset` in `text`; the column counts characters (UTF-8
/// sequences), so that it matches an editor's.
struct TextPosition {
  std::size_t line = 1;
  std::size_t column = 1;
};
TextPosition text_position(std::string_view text, std::size_t offset) noexcept;
/// "line L, column C".
std::string to_string(const TextPosition& p);

/// Parses `text` into `doc`. Returns what is wrong, if anything: "not valid JSON at line 3,
/// column 7: ...", or "duplicate key 'comment' at line 9, column 5 (first at line 8, column
/// 5)": JSON readers disagree on which of two equal keys wins (RapidJSON keeps both and finds
/// the first, others the last), so a file that has them means different things to the editor's
/// schema check and to the gateway.
std::optional<std::string> parse_source(std::string_view text, rapidjson::Document& doc);

}  // namespace fcpgw::mappings
