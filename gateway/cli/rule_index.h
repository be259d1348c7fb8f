#pragma once
// Which mapping rule wrote each element of a translation's output, found again from its trace
// (mappings::Options::trace): what lets a golden-case difference name the rule behind it.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mappings/engine.h"

namespace fcpgw::gateway {

class RuleIndex final : public mappings::TraceSink {
 public:
  void on(const mappings::TraceEvent& e) override;

  /// The rule behind the element at `path` (a FHIR element path of the Bundle, or a v2
  /// location such as `SCH-25[1]` or `NTE[2]`): the one that wrote the element or the nearest
  /// element around it; else the rule the elements inside it share, cut to their common part
  /// (`fhir-to-v2/appointment.json: segments[3]` for a whole segment). Empty when none is known.
  std::string rule_for(std::string_view path) const;

 private:
  std::vector<std::pair<std::string, std::string>> events_;  // (element, rule)
};

}  // namespace fcpgw::gateway
