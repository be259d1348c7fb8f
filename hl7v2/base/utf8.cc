#include "hl7v2/base/utf8.h"

#include <cstdint>
#include <cstring>

namespace fcpgw::base {

bool valid_utf8(std::string_view s) noexcept {
  std::size_t i = 0;
  const std::size_t n = s.size();
  while (i < n) {
    // ASCII eight bytes at a time.
    for (; i + 8 <= n; i += 8) {
      std::uint64_t x;
      std::memcpy(&x, s.data() + i, 8);
      if ((x & 0x8080808080808080u) != 0) break;
    }
    if (i >= n) break;
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    const std::size_t l = utf8_sequence_length(s, i);
    if (l == 0) return false;
    i += l;
  }
  return true;
}

std::size_t utf8_cut(std::string_view s, std::size_t max) noexcept {
  if (max >= s.size()) return s.size();
  std::size_t cut = max;
  while (cut > 0 && utf8_continuation(s[cut])) --cut;
  return cut;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

}  // namespace fcpgw::base
