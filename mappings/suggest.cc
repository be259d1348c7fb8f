#include "mappings/suggest.h"

#include <algorithm>

#include "hl7v2/base/edit_distance.h"

namespace fcpgw::mappings {

Closest::Closest(std::string_view name)
    : name_(name), best_distance_(std::max<std::size_t>(2, name.size() / 3) + 1) {}

void Closest::offer(std::string_view candidate) {
  if (candidate == name_ || candidate.empty()) return;
  const std::size_t d = base::edit_distance(name_, candidate);
  if (d < best_distance_) {
    best_distance_ = d;
    best_ = std::string(candidate);
  }
}

std::string Closest::hint() const {
  return best_.empty() ? std::string() : " (did you mean '" + best_ + "'?)";
}

}  // namespace fcpgw::mappings
