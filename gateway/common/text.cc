#include "gateway/common/text.h"

#include <cstdio>

namespace fcpgw::gateway {

std::string describe_byte(unsigned char c) {
  char buf[8];
  if (c >= 0x21 && c < 0x7F && c != '\'') {
    std::snprintf(buf, sizeof buf, "'%c'", static_cast<char>(c));
  } else {
    std::snprintf(buf, sizeof buf, "0x%02X", static_cast<unsigned>(c));
  }
  return buf;
}

std::string printable(std::string_view s, std::size_t max) {
  std::string r;
  for (char c : s.substr(0, max)) {
    const auto u = static_cast<unsigned char>(c);
    r.push_back(u >= 0x20 && u < 0x7F ? c : '?');
  }
  if (s.size() > max) r += "...";
  return r;
}

}  // namespace fcpgw::gateway
