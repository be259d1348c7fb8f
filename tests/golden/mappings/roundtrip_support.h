#pragma once
// Shared by the seeded v2 -> FHIR -> v2 property tests: the seed, a random generator for valid
// v2 content (NHS numbers with a good check digit, names with UTF-8 and escaped delimiter
// characters) and segment lookup. The engine and FHIR validation come from golden_support.h.

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "golden_support.h"
#include "hl7v2/message.h"

namespace fcpgw::mappings::testing {

/// The seed for a property test: FCPGW_PROPERTY_SEED when set (to replay a failure), else
/// `fallback`. Tests print it in their failure trace.
inline unsigned property_seed(unsigned fallback) {
  if (const char* s = std::getenv("FCPGW_PROPERTY_SEED"); s != nullptr && *s != '\0')
    return static_cast<unsigned>(std::strtoul(s, nullptr, 10));
  return fallback;
}

/// Seeded generator of valid v2 content.
struct Gen {
  std::mt19937 rng;
  explicit Gen(unsigned seed) : rng(seed) {}
  int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng); }
  bool coin() { return pick(2) == 1; }
  /// True with probability `percent` / 100.
  bool chance(int percent) { return pick(100) < percent; }
  template <typename T>
  const T& one(const std::vector<T>& v) {
    return v[static_cast<std::size_t>(pick(static_cast<int>(v.size())))];
  }
  std::string digits(int n) {
    std::string s;
    for (int i = 0; i < n; ++i) s.push_back(static_cast<char>('0' + pick(10)));
    return s;
  }
  /// A valid NHS number: 10 digits, the last the modulus-11 check digit (never 10).
  std::string nhs_number() {
    for (;;) {
      std::string s = digits(9);
      int sum = 0;
      for (int i = 0; i < 9; ++i) sum += (s[static_cast<std::size_t>(i)] - '0') * (10 - i);
      int c = 11 - sum % 11;
      if (c == 11) c = 0;
      if (c == 10) continue;
      return s + static_cast<char>('0' + c);
    }
  }
  /// A name part with UTF-8 and the delimiter characters, escaped for ER7 (default
  /// delimiters): \T\ = &, \S\ = ^, \F\ = |, \E\ = \.
  std::string name() {
    static const std::vector<std::string> parts = {
        "Ó Briain", "Siân", "Zoë", "Müller", "O'Neil", "Smith", "Ng", "Łukasz", "Aoife", "Ørsted"};
    static const std::vector<std::string> extras = {"",       "",       "\\T\\Co", "\\S\\Jr",
                                                    "\\F\\x", "\\E\\b", "-Jones",  " Ann"};
    return one(parts) + one(extras);
  }
  /// Free text (escaped ER7) with UTF-8 and every delimiter escape, \R\ (~) included.
  std::string text() {
    static const std::vector<std::string> words = {
        "Knee pain", "6 weeks", "worse on stairs", "bring shorts", "GP letter", "Siân",
        "Zoë",       "café",    "½ hour",          "→ review",     "Ó Briain"};
    static const std::vector<std::string> seps = {" ",       " \\T\\ ", " \\F\\ ", " \\S\\ ",
                                                  " \\R\\ ", " \\E\\ ", "; ",      ", "};
    std::string s = one(words);
    for (int i = 0, n = 1 + pick(4); i < n; ++i) s += one(seps) + one(words);
    return s;
  }
};

/// The `nth` (1-based) segment with id `id`.
inline std::optional<hl7v2::Segment> find_segment(const hl7v2::Message& m, std::string_view id,
                                                  int nth = 1) {
  for (std::size_t i = 1; i <= m.segment_count(); ++i)
    if (m.segment(i).id() == id && --nth == 0) return m.segment(i);
  return std::nullopt;
}

}  // namespace fcpgw::mappings::testing
