#pragma once
// Differences between two HL7 v2 messages, located by segment and field: what a golden test
// prints when a translation does not give the expected ER7.
//
// Segments of the same id are aligned in order, equal ones and the most alike paired first
// (a weighted longest common subsequence), so an extra or a missing segment is one
// difference, not a cascade, wherever it is. Paired segments are compared field by field;
// the repetitions of a field are aligned the same way, then compared down to the component
// and subcomponent that differ. Pure: no I/O.

#include <cstddef>
#include <string>
#include <vector>

#include "hl7v2/message.h"

namespace fcpgw::hl7v2 {

struct Difference {
  enum class Kind {
    changed,  ///< the value at `location` differs (an absent value reads as "")
    added,    ///< a segment or repetition present in `got` only
    missing,  ///< a segment or repetition present in `expected` only
    order,    ///< the same segments in a different order (`location` is empty)
  };
  Kind kind = Kind::changed;
  /// `PID-5[1].2`, `NTE[2]-3[1]`, `OBX[3]` (a whole segment), `MSH-2`. The occurrence of a
  /// segment is written when it is the 2nd or later: `NTE[2]`; repetitions always: `[1]`.
  /// Occurrences and repetitions are those of `got` (of `expected` for one only there), so a
  /// location names the place in the output.
  std::string location;
  std::string expected;  ///< the expected value as text (escapes decoded), or segment ids
  std::string got;
};

struct DiffOptions {
  /// Stop after this many differences.
  std::size_t max_differences = 200;
  /// Values longer than this many bytes are shortened with "...".
  std::size_t max_value_chars = 120;
};

/// Every difference between `expected` and `got`; empty when they carry the same segments
/// with the same field values in the same order.
std::vector<Difference> diff(const Message& expected, const Message& got,
                             const DiffOptions& options = {});

/// One readable line:
///   `PID-5[1].2: expected "Siân", got "Sian"`
///   `+ NTE[2]: "NTE|2||Bring shorts"`
///   `- AIL: "AIL|1||..."`
///   `segment order: expected MSH SCH PID, got MSH PID SCH`
std::string to_string(const Difference& d);

}  // namespace fcpgw::hl7v2
