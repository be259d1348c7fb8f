#include "fhir/primitives.h"

#include <algorithm>
#include <array>

#include "hl7v2/base/base64.h"
#include "hl7v2/base/calendar.h"

namespace fcpgw::fhir {
namespace {

constexpr std::array<std::string_view, 20> kNames = {
    "boolean",      "integer",  "string",      "decimal",     "uri",  "url",  "canonical",
    "base64Binary", "instant",  "date",        "dateTime",    "time", "code", "oid",
    "id",           "markdown", "unsignedInt", "positiveInt", "uuid", "xhtml"};

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex_lower(char c) { return is_digit(c) || (c >= 'a' && c <= 'f'); }
bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Reads exactly n digits at s[pos]; returns -1 when not all digits.
int digits(std::string_view s, std::size_t pos, std::size_t n) {
  if (pos + n > s.size()) return -1;
  int v = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (!is_digit(s[pos + i])) return -1;
    v = v * 10 + (s[pos + i] - '0');
  }
  return v;
}

// Parses YYYY(-MM(-DD)?)? at the start of s; returns consumed length or 0; sets precision
// (1 year, 2 month, 3 day).
std::size_t parse_date_prefix(std::string_view s, int& precision) {
  const int y = digits(s, 0, 4);
  if (y < 1) return 0;  // 0000 is not allowed
  precision = 1;
  if (s.size() == 4 || s[4] != '-') return 4;
  const int m = digits(s, 5, 2);
  if (m < 1 || m > 12) return 0;
  precision = 2;
  if (s.size() == 7 || s[7] != '-') return 7;
  const int d = digits(s, 8, 2);
  if (d < 1 || d > base::days_in_month(y, m)) return 0;
  precision = 3;
  return 10;
}

// hh:mm:ss(.f+)? at s[pos]; returns end or 0.
std::size_t parse_time_at(std::string_view s, std::size_t pos) {
  const int h = digits(s, pos, 2);
  if (h < 0 || h > 23 || pos + 2 >= s.size() || s[pos + 2] != ':') return 0;
  const int mi = digits(s, pos + 3, 2);
  if (mi < 0 || mi > 59 || pos + 5 >= s.size() || s[pos + 5] != ':') return 0;
  const int se = digits(s, pos + 6, 2);
  if (se < 0 || se > 60) return 0;
  std::size_t end = pos + 8;
  if (end < s.size() && s[end] == '.') {
    std::size_t f = end + 1;
    while (f < s.size() && is_digit(s[f])) ++f;
    if (f == end + 1) return 0;
    end = f;
  }
  return end;
}

// Z or (+|-)hh:mm with hh 00-13 (any mm) or 14:00, exactly to the end.
bool valid_zone(std::string_view z) {
  if (z == "Z") return true;
  if (z.size() != 6 || (z[0] != '+' && z[0] != '-') || z[3] != ':') return false;
  const int h = digits(z, 1, 2), m = digits(z, 4, 2);
  if (h < 0 || m < 0 || m > 59) return false;
  return h <= 13 || (h == 14 && m == 0);
}

bool date_time_impl(std::string_view s, bool instant) {
  int precision = 0;
  const std::size_t n = parse_date_prefix(s, precision);
  if (n == 0) return false;
  if (n == s.size()) return !instant;
  if (precision != 3 || s[n] != 'T') return false;
  const std::size_t t = parse_time_at(s, n + 1);
  if (t == 0) return false;
  return valid_zone(s.substr(t));
}

}  // namespace

std::optional<Primitive> primitive_from_name(std::string_view name) noexcept {
  for (std::size_t i = 0; i < kNames.size(); ++i)
    if (kNames[i] == name) return static_cast<Primitive>(i);
  return std::nullopt;
}

std::string_view to_string(Primitive p) noexcept { return kNames[static_cast<std::size_t>(p)]; }

bool is_numeric(Primitive p) noexcept {
  return p == Primitive::integer || p == Primitive::decimal || p == Primitive::unsignedInt ||
         p == Primitive::positiveInt;
}

bool valid_string(std::string_view s) noexcept {
  bool non_ws = false;
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 && c != '\t' && c != '\r' && c != '\n') return false;
    if (!is_ws(c)) non_ws = true;
  }
  return non_ws;
}

bool valid_uri(std::string_view s) noexcept {
  if (s.empty()) return false;
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) return false;
  }
  return true;
}

bool valid_code(std::string_view s) noexcept {
  if (s.empty() || is_ws(s.front()) || is_ws(s.back())) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto u = static_cast<unsigned char>(s[i]);
    if (u < 0x20 && !is_ws(s[i])) return false;
    if (is_ws(s[i])) {
      if (s[i] != ' ' || is_ws(s[i + 1])) return false;  // single spaces only
    }
  }
  return true;
}

bool valid_id(std::string_view s) noexcept {
  if (s.empty() || s.size() > 64) return false;
  for (const char c : s) {
    if (!(is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '.'))
      return false;
  }
  return true;
}

bool valid_oid(std::string_view s) noexcept {
  constexpr std::string_view kPrefix = "urn:oid:";
  if (!s.starts_with(kPrefix)) return false;
  s.remove_prefix(kPrefix.size());
  if (s.size() < 3 || s[0] < '0' || s[0] > '2' || s[1] != '.') return false;
  std::size_t i = 1;
  int arcs = 0;
  while (i < s.size()) {
    if (s[i] != '.') return false;
    ++i;
    const std::size_t start = i;
    while (i < s.size() && is_digit(s[i])) ++i;
    if (i == start || (s[start] == '0' && i - start > 1)) return false;
    ++arcs;
  }
  return arcs >= 1;
}

bool valid_uuid(std::string_view s) noexcept {
  constexpr std::string_view kPrefix = "urn:uuid:";
  if (!s.starts_with(kPrefix)) return false;
  s.remove_prefix(kPrefix.size());
  if (s.size() != 36) return false;
  for (std::size_t i = 0; i < 36; ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (s[i] != '-') return false;
    } else if (!is_hex_lower(s[i])) {
      return false;
    }
  }
  return true;
}

bool valid_base64(std::string_view s) noexcept {
  // RFC 4648 lets the empty string be base64; a FHIR value has content (Element's rule).
  const bool blank = std::all_of(s.begin(), s.end(), is_ws);
  return !blank && base::valid_base64(s);
}

bool valid_date(std::string_view s) noexcept {
  int precision = 0;
  const std::size_t n = parse_date_prefix(s, precision);
  return n != 0 && n == s.size();
}

bool valid_date_time(std::string_view s) noexcept { return date_time_impl(s, false); }
bool valid_instant(std::string_view s) noexcept { return date_time_impl(s, true); }

std::optional<std::int64_t> instant_utc_seconds(std::string_view s) noexcept {
  if (!valid_instant(s)) return std::nullopt;
  auto num = [&](std::size_t pos, std::size_t n) {
    int v = 0;
    for (std::size_t i = 0; i < n; ++i) v = v * 10 + (s[pos + i] - '0');
    return v;
  };
  // Days from civil (H. Hinnant's algorithm), proleptic Gregorian.
  int y = num(0, 4);
  const int m = num(5, 2), d = num(8, 2);
  y -= m <= 2;
  const int era = y / 400;
  const int yoe = y - era * 400;
  const int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  const std::int64_t days = static_cast<std::int64_t>(era) * 146097 + doe - 719468;
  std::int64_t t = days * 86400 + num(11, 2) * 3600 + num(14, 2) * 60 + num(17, 2);
  const char z = s[s.size() - 6];
  if (s.back() != 'Z' && (z == '+' || z == '-')) {
    const int off = num(s.size() - 5, 2) * 3600 + num(s.size() - 2, 2) * 60;
    t += z == '+' ? -off : off;
  }
  return t;
}

bool valid_time(std::string_view s) noexcept {
  const std::size_t end = parse_time_at(s, 0);
  return end != 0 && end == s.size();
}

bool valid_xhtml(std::string_view s) noexcept {
  std::size_t i = 0;
  while (i < s.size() && is_ws(s[i])) ++i;
  s.remove_prefix(i);
  return s.starts_with("<div") && s.size() > 4 && (s[4] == '>' || is_ws(s[4]) || s[4] == '/');
}

bool valid_primitive_text(Primitive p, std::string_view s) noexcept {
  switch (p) {
    case Primitive::string:
    case Primitive::markdown:
      return valid_string(s);
    case Primitive::uri:
    case Primitive::url:
    case Primitive::canonical:
      return valid_uri(s);
    case Primitive::base64Binary:
      return valid_base64(s);
    case Primitive::instant:
      return valid_instant(s);
    case Primitive::date:
      return valid_date(s);
    case Primitive::dateTime:
      return valid_date_time(s);
    case Primitive::time:
      return valid_time(s);
    case Primitive::code:
      return valid_code(s);
    case Primitive::oid:
      return valid_oid(s);
    case Primitive::id:
      return valid_id(s);
    case Primitive::uuid:
      return valid_uuid(s);
    case Primitive::xhtml:
      return valid_xhtml(s);
    default:
      return false;
  }
}

}  // namespace fcpgw::fhir
