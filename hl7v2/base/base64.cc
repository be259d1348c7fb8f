#include "hl7v2/base/base64.h"

#include <cstdint>

namespace fcpgw::base {
namespace {

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int value_of(char c) noexcept {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

bool is_space(char c) noexcept { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Reads `text`, calling `sextet(v)` for each character of the alphabet in order; false when
// the text is not base64 (see decode_base64()).
template <typename Sextet>
bool read_base64(std::string_view text, Sextet&& sextet) {
  int pad = 0;
  std::size_t n = 0;  // significant characters, padding included
  for (const char c : text) {
    if (is_space(c)) continue;
    ++n;
    if (c == '=') {
      ++pad;
      continue;
    }
    const int v = value_of(c);
    if (v < 0 || pad > 0) return false;  // bad character, or data after padding
    sextet(static_cast<std::uint32_t>(v));
  }
  return n % 4 == 0 && pad <= 2;
}

}  // namespace

void append_base64(std::string& out, std::string_view s) {
  out.reserve(out.size() + (s.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= s.size(); i += 3) {
    const std::uint32_t v = (std::uint32_t(static_cast<unsigned char>(s[i])) << 16) |
                            (std::uint32_t(static_cast<unsigned char>(s[i + 1])) << 8) |
                            std::uint32_t(static_cast<unsigned char>(s[i + 2]));
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(kAlphabet[(v >> 6) & 63]);
    out.push_back(kAlphabet[v & 63]);
  }
  const std::size_t rest = s.size() - i;
  if (rest == 0) return;
  std::uint32_t v = std::uint32_t(static_cast<unsigned char>(s[i])) << 16;
  if (rest == 2) v |= std::uint32_t(static_cast<unsigned char>(s[i + 1])) << 8;
  out.push_back(kAlphabet[(v >> 18) & 63]);
  out.push_back(kAlphabet[(v >> 12) & 63]);
  out.push_back(rest == 2 ? kAlphabet[(v >> 6) & 63] : '=');
  out.push_back('=');
}

std::optional<std::string> decode_base64(std::string_view text) {
  std::string out;
  out.reserve(text.size() / 4 * 3);
  std::uint32_t acc = 0;
  int bits = 0;
  const bool ok = read_base64(text, [&](std::uint32_t v) {
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  });
  if (!ok) return std::nullopt;
  return out;
}

bool valid_base64(std::string_view text) noexcept {
  return read_base64(text, [](std::uint32_t) {});
}

}  // namespace fcpgw::base
