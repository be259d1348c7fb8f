#pragma once
// Internal: "did you mean" for a name the loader does not know (a transform, a code table, a
// constant, a key, a FHIR element, a segment, a piece): the closest known name by edit
// distance, when one is close enough to be a slip of the keyboard.

#include <cstddef>
#include <string>
#include <string_view>

namespace fcpgw::mappings {

/// Collects candidates for `name` and keeps the closest one within reach (a distance of at
/// most max(2, a third of the name's length)); the first of equally close candidates wins.
class Closest {
 public:
  explicit Closest(std::string_view name);
  void offer(std::string_view candidate);
  template <class Range>
  Closest& offer_all(const Range& candidates) {
    for (const auto& c : candidates) offer(c);
    return *this;
  }
  /// " (did you mean 'x'?)", or "" when nothing is close enough.
  std::string hint() const;

 private:
  std::string name_;
  std::string best_;
  std::size_t best_distance_;
};

/// " (did you mean 'x'?)" for the closest of `candidates`, or "".
template <class Range>
std::string did_you_mean(std::string_view name, const Range& candidates) {
  return Closest(name).offer_all(candidates).hint();
}

}  // namespace fcpgw::mappings
