#pragma once
// fcpgw::base sits below both formats (hl7v2/ and fhir/) and the mappings: it holds facts, not
// formats, and includes nothing but the standard library.
//
// UTF-8 as RFC 3629 defines it: no overlong forms, no surrogates (U+D800-U+DFFF), nothing past
// U+10FFFF.

#include <cstddef>
#include <string>
#include <string_view>

namespace fcpgw::base {

/// Length (2-4) of the well-formed multi-byte UTF-8 sequence that starts at s[i], or 0 when the
/// bytes there are not one (a continuation or invalid lead byte, an overlong form, a surrogate,
/// a code point past U+10FFFF, a sequence cut short by the end of `s`). ASCII gives 0 too: the
/// callers handle bytes below 0x80 before they ask. `i` must be below s.size().
[[nodiscard]] inline std::size_t utf8_sequence_length(std::string_view s, std::size_t i) noexcept {
  const auto c = static_cast<unsigned char>(s[i]);
  std::size_t n;
  unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;  // overlong below U+0800
    if (c == 0xED) hi = 0x9F;  // surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;  // overlong below U+10000
    if (c == 0xF4) hi = 0x8F;  // past U+10FFFF
  } else {
    return 0;
  }
  if (s.size() - i < n) return 0;
  const auto c1 = static_cast<unsigned char>(s[i + 1]);
  if (c1 < lo || c1 > hi) return 0;
  for (std::size_t k = 2; k < n; ++k)
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 0;
  return n;
}

/// True when `s` is well-formed UTF-8 throughout.
[[nodiscard]] bool valid_utf8(std::string_view s) noexcept;

/// True for a UTF-8 continuation byte (10xxxxxx): one that does not start a character.
[[nodiscard]] constexpr bool utf8_continuation(char c) noexcept {
  return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
}

/// The largest cut <= `max` (and <= s.size()) that falls on a character boundary: where `s`
/// can be shortened without splitting a multi-byte character.
[[nodiscard]] std::size_t utf8_cut(std::string_view s, std::size_t max) noexcept;

/// Appends code point `cp` (at most U+10FFFF, not a surrogate) in UTF-8.
void append_utf8(std::string& out, char32_t cp);

}  // namespace fcpgw::base
