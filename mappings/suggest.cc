#include "mappings/suggest.h"

#include <algorithm>
#include <vector>

namespace fcpgw::mappings {

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

Closest::Closest(std::string_view name)
    : name_(name), best_distance_(std::max<std::size_t>(2, name.size() / 3) + 1) {}

void Closest::offer(std::string_view candidate) {
  if (candidate == name_ || candidate.empty()) return;
  const std::size_t d = edit_distance(name_, candidate);
  if (d < best_distance_) {
    best_distance_ = d;
    best_ = std::string(candidate);
  }
}

std::string Closest::hint() const {
  return best_.empty() ? std::string() : " (did you mean '" + best_ + "'?)";
}

}  // namespace fcpgw::mappings
