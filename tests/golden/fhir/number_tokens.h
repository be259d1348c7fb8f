#pragma once
// Test oracle for number preservation in FHIR JSON (the writer must give every number back
// with its exact text): the number tokens of a JSON text, found by a plain scan that shares
// nothing with the parser under test. Used by the official-examples round trip and the
// fhir_json fuzz target.

#include <cstddef>
#include <string_view>
#include <vector>

namespace fcpgw::fhir::testing {

/// The number tokens of a well-formed JSON text, in order (strings skipped). The views point
/// into `json`.
inline std::vector<std::string_view> number_tokens(std::string_view json) {
  std::vector<std::string_view> out;
  for (std::size_t i = 0; i < json.size();) {
    const char c = json[i];
    if (c == '"') {
      for (++i; i < json.size() && json[i] != '"'; ++i)
        if (json[i] == '\\') ++i;
      ++i;
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      const std::size_t start = i;
      while (i < json.size() &&
             std::string_view("+-.eE0123456789").find(json[i]) != std::string_view::npos)
        ++i;
      out.push_back(json.substr(start, i - start));
    } else {
      ++i;
    }
  }
  return out;
}

}  // namespace fcpgw::fhir::testing
