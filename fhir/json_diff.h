#pragma once
// Differences between two JSON values, as element paths: what a golden test prints when a
// translation does not give the expected resource.
//
// Values are compared as JSON values, with the semantics of fhir::json_equal: objects as
// unordered member sets, arrays in order, numbers (ordinary or raw) by exact decimal value,
// strings byte-wise. The items of two arrays are aligned before they are compared (equal items
// pair up, then items that agree on most members), so an inserted item reads as one added
// item rather than a change of every item after it. Pure: no I/O.

#include <rapidjson/document.h>

#include <cstddef>
#include <string>
#include <vector>

namespace fcpgw::fhir {

/// One difference, located by an element path such as `entry[0].resource.status`
/// (the root itself is the empty path). Array indexes are those of `got` (of `expected` for
/// an item only there), so a path names the element in the output. Member names that are not plain
/// identifiers are written as `["name"]`.
struct JsonDifference {
  enum class Kind {
    changed,  ///< present on both sides with different values (or different JSON types)
    added,    ///< present in `got` only
    missing,  ///< present in `expected` only
  };
  Kind kind = Kind::changed;
  std::string path;
  std::string expected;  ///< compact JSON of the expected value (empty for `added`)
  std::string got;       ///< compact JSON of the actual value (empty for `missing`)
};

struct JsonDiffOptions {
  /// Stop after this many differences (the result then holds exactly this many).
  std::size_t max_differences = 200;
  /// Values longer than this (in bytes of compact JSON) are shortened with "...".
  std::size_t max_value_chars = 120;
};

/// Every difference between `expected` and `got`, in document order of `expected` (members
/// only in `got` follow the members of the same object). Empty when json_equal() holds.
std::vector<JsonDifference> json_diff(const rapidjson::Value& expected, const rapidjson::Value& got,
                                      const JsonDiffOptions& options = {});

/// One readable line:
///   `entry[0].resource.status: expected "booked", got "cancelled"`
///   `+ entry[3].resource.identifier[1]: {"system":...}`
///   `- entry[2].resource.comment: "..."`
/// The root is written as `(root)`.
std::string to_string(const JsonDifference& d);

}  // namespace fcpgw::fhir
