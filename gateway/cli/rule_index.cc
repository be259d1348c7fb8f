#include "gateway/cli/rule_index.h"

#include <algorithm>
#include <optional>

namespace fcpgw::gateway {

namespace {

bool is_segment_id(std::string_view s) {
  return s.size() == 3 && s[0] >= 'A' && s[0] <= 'Z' &&
         std::all_of(s.begin() + 1, s.end(),
                     [](char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); });
}

// `outer` is `inner` or an element that holds it: `entry[0]` holds `entry[0].resource.id`,
// `identifier` holds `identifier[1]`, the segment `NTE[2]` holds `NTE[2]-3[1]`, and `NTE` (its
// first occurrence) holds `NTE-3[1]` but not `NTE[2]-3[1]`.
bool encloses(std::string_view outer, std::string_view inner) {
  if (!inner.starts_with(outer)) return false;
  if (inner.size() == outer.size()) return true;
  const char next = inner[outer.size()];
  if (is_segment_id(outer)) return next == '-';
  return next == '.' || next == '[' || next == '-';
}

// Whether a rule id ends a step at `i`: after a `[n]`, or after a whole `#id` (the next
// character ends the name).
bool step_ends(const std::string& r, std::size_t i, std::size_t file_end) {
  if (i <= file_end + 2 || i > r.size()) return false;
  if (r[i - 1] == ']') return true;
  if (i < r.size() && r[i] != '.' && r[i] != ' ') return false;
  const std::size_t hash = r.rfind('#', i - 1);
  if (hash == std::string::npos || hash < file_end) return false;
  for (std::size_t k = hash + 1; k < i; ++k)
    if (!((r[k] >= 'a' && r[k] <= 'z') || (r[k] >= 'A' && r[k] <= 'Z') ||
          (r[k] >= '0' && r[k] <= '9') || r[k] == '-' || r[k] == '_'))
      return false;
  return i > hash + 1;
}

// The common start of two rule ids, ending after a complete step (`[n]`, or a rule's `#id`)
// and within one file.
std::string common_rule(const std::string& a, const std::string& b) {
  std::size_t n = 0;
  while (n < a.size() && n < b.size() && a[n] == b[n]) ++n;
  if (n == a.size() && n == b.size()) return a;
  const std::size_t file_end = a.find(": ");
  if (file_end == std::string::npos) return "";
  for (std::size_t i = n; i > file_end + 2; --i)
    if (step_ends(a, i, file_end) && step_ends(b, i, file_end)) return a.substr(0, i);
  return "";
}

}  // namespace

void RuleIndex::on(const mappings::TraceEvent& e) {
  if (!e.rule.empty()) events_.emplace_back(e.element, e.rule);
}

std::string RuleIndex::rule_for(std::string_view path) const {
  const std::string* nearest = nullptr;
  std::size_t nearest_size = 0;
  std::optional<std::string> inside;
  for (const auto& [element, rule] : events_) {
    if (encloses(element, path)) {
      if (!nearest || element.size() >= nearest_size) {
        nearest = &rule;
        nearest_size = element.size();
      }
    } else if (!nearest && encloses(path, element)) {
      inside = inside ? common_rule(*inside, rule) : rule;
    }
  }
  if (nearest) return *nearest;
  return inside.value_or("");
}

}  // namespace fcpgw::gateway
