#include "hl7v2/types.h"

#include <array>
#include <stdexcept>

#include "hl7v2/base/calendar.h"

namespace fcpgw::hl7v2 {

namespace {

bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

int digits_value(std::string_view s, std::size_t at, std::size_t count) noexcept {
  int v = 0;
  for (std::size_t i = 0; i < count; ++i) v = v * 10 + (s[at + i] - '0');
  return v;
}

void append_2(std::string& out, int v) {
  out.push_back(static_cast<char>('0' + (v / 10) % 10));
  out.push_back(static_cast<char>('0' + v % 10));
}

void append_n(std::string& out, int v, int width) {
  std::array<char, 8> buf{};
  for (int i = width - 1; i >= 0; --i) {
    buf[static_cast<std::size_t>(i)] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  out.append(buf.data(), static_cast<std::size_t>(width));
}

DtmError dtm_error(std::size_t at, std::string what) {
  return DtmError{at, "DTM: " + what + " at character " + std::to_string(at + 1)};
}

// Splits `raw` into parts at `sep`, up to N, unescaping each on demand.
template <std::size_t N>
struct Parts {
  std::array<std::string_view, N> v{};
  Parts(std::string_view raw, char sep) {
    std::size_t k = 0;
    std::size_t start = 0;
    for (std::size_t i = 0; i <= raw.size() && k < N; ++i) {
      if (i == raw.size() || raw[i] == sep) {
        v[k++] = raw.substr(start, i - start);
        start = i + 1;
      }
    }
  }
  std::string_view operator[](std::size_t one_based) const { return v[one_based - 1]; }
};

char separator(const Delimiters& d, Level level) noexcept {
  return level == Level::repetition ? d.component : d.subcomponent;
}

// The first subcomponent of a component (e.g. FN.1 surname), unescaped.
std::string first_sub(std::string_view comp, const Delimiters& d) {
  return unescape(nth_part(comp, d.subcomponent, 1), d);
}

}  // namespace

int Dtm::microseconds() const noexcept {
  int v = fraction;
  for (int i = fraction_digits; i < 6; ++i) v *= 10;
  return v;
}

void throw_exception_from_error(const DtmError& e, const boost::source_location&) {
  throw std::invalid_argument(e.message);
}

boost::system::result<Dtm, DtmError> parse_dtm(std::string_view text) {
  std::size_t base = 0;
  while (!text.empty() && text.front() == ' ') {
    text.remove_prefix(1);
    ++base;
  }
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  if (text.empty()) return dtm_error(base, "expected a date/time (CCYY...), found nothing");
  std::size_t nd = 0;
  while (nd < text.size() && is_digit(text[nd])) ++nd;
  if (nd != 4 && nd != 6 && nd != 8 && nd != 10 && nd != 12 && nd != 14) {
    return dtm_error(base + nd, "expected CCYY[MM[DD[HH[MM[SS]]]]] (4 to 14 digits, even), found " +
                                    std::to_string(nd) + " digits");
  }
  Dtm d;
  d.year = digits_value(text, 0, 4);
  d.precision = DtmPrecision::year;
  if (nd >= 6) {
    d.month = digits_value(text, 4, 2);
    if (d.month < 1 || d.month > 12) {
      return dtm_error(base + 4, "month " + std::string(text.substr(4, 2)) + " out of range 01-12");
    }
    d.precision = DtmPrecision::month;
  }
  if (nd >= 8) {
    d.day = digits_value(text, 6, 2);
    if (d.day < 1 || d.day > base::days_in_month(d.year, d.month)) {
      return dtm_error(base + 6, "day " + std::string(text.substr(6, 2)) + " out of range 01-" +
                                     std::to_string(base::days_in_month(d.year, d.month)) +
                                     " for " + std::string(text.substr(0, 6)));
    }
    d.precision = DtmPrecision::day;
  }
  if (nd >= 10) {
    d.hour = digits_value(text, 8, 2);
    if (d.hour > 23) {
      return dtm_error(base + 8, "hour " + std::string(text.substr(8, 2)) + " out of range 00-23");
    }
    d.precision = DtmPrecision::hour;
  }
  if (nd >= 12) {
    d.minute = digits_value(text, 10, 2);
    if (d.minute > 59) {
      return dtm_error(base + 10,
                       "minute " + std::string(text.substr(10, 2)) + " out of range 00-59");
    }
    d.precision = DtmPrecision::minute;
  }
  if (nd >= 14) {
    d.second = digits_value(text, 12, 2);
    if (d.second > 59) {
      return dtm_error(base + 12,
                       "second " + std::string(text.substr(12, 2)) + " out of range 00-59");
    }
    d.precision = DtmPrecision::second;
  }
  std::size_t i = nd;
  if (i < text.size() && text[i] == '.') {
    if (nd != 14) return dtm_error(base + i, "fractional seconds need seconds (CCYYMMDDHHMMSS)");
    ++i;
    std::size_t f = 0;
    while (i + f < text.size() && is_digit(text[i + f])) ++f;
    if (f < 1 || f > 4) {
      return dtm_error(base + i,
                       "expected 1 to 4 digits of fractional seconds, found " + std::to_string(f));
    }
    d.fraction = digits_value(text, i, f);
    d.fraction_digits = static_cast<int>(f);
    d.precision = DtmPrecision::fraction;
    i += f;
  }
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
    const bool neg = text[i] == '-';
    const std::size_t at = i;
    ++i;
    std::size_t f = 0;
    while (i + f < text.size() && is_digit(text[i + f])) ++f;
    if (f != 4) {
      return dtm_error(base + i, "expected a time zone offset of 4 digits (+/-HHMM), found " +
                                     std::to_string(f));
    }
    const int hh = digits_value(text, i, 2);
    const int mm = digits_value(text, i + 2, 2);
    if (mm > 59 || hh * 60 + mm > 14 * 60) {
      return dtm_error(base + at, "time zone offset " + std::string(text.substr(at, 5)) +
                                      " out of range -1400 to +1400");
    }
    d.offset_minutes = neg ? -(hh * 60 + mm) : hh * 60 + mm;
    i += 4;
  }
  if (i != text.size()) {
    return dtm_error(base + i, std::string("unexpected '") +
                                   (text[i] >= 0x20 && text[i] < 0x7f ? text[i] : '?') +
                                   "'; expected end of value");
  }
  return d;
}

std::string format_dtm(const Dtm& d) {
  std::string out;
  out.reserve(24);
  append_n(out, d.year, 4);
  if (d.precision >= DtmPrecision::month) append_2(out, d.month);
  if (d.precision >= DtmPrecision::day) append_2(out, d.day);
  if (d.precision >= DtmPrecision::hour) append_2(out, d.hour);
  if (d.precision >= DtmPrecision::minute) append_2(out, d.minute);
  if (d.precision >= DtmPrecision::second) append_2(out, d.second);
  if (d.precision >= DtmPrecision::fraction && d.fraction_digits > 0) {
    out.push_back('.');
    append_n(out, d.fraction, d.fraction_digits);
  }
  if (d.offset_minutes) {
    const int off = *d.offset_minutes;
    out.push_back(off < 0 ? '-' : '+');
    const int a = off < 0 ? -off : off;
    append_2(out, a / 60);
    append_2(out, a % 60);
  }
  return out;
}

std::string to_iso8601(const Dtm& d) {
  std::string out;
  out.reserve(32);
  append_n(out, d.year, 4);
  if (d.precision >= DtmPrecision::month) {
    out.push_back('-');
    append_2(out, d.month);
  }
  if (d.precision >= DtmPrecision::day) {
    out.push_back('-');
    append_2(out, d.day);
  }
  if (d.precision >= DtmPrecision::hour) {
    out.push_back('T');
    append_2(out, d.hour);
    out.push_back(':');
    append_2(out, d.precision >= DtmPrecision::minute ? d.minute : 0);
  }
  if (d.precision >= DtmPrecision::second) {
    out.push_back(':');
    append_2(out, d.second);
  }
  if (d.precision >= DtmPrecision::fraction && d.fraction_digits > 0) {
    out.push_back('.');
    append_n(out, d.fraction, d.fraction_digits);
  }
  if (d.offset_minutes && d.precision >= DtmPrecision::hour) {
    const int off = *d.offset_minutes;
    if (off == 0) {
      out.push_back('Z');
    } else {
      out.push_back(off < 0 ? '-' : '+');
      const int a = off < 0 ? -off : off;
      append_2(out, a / 60);
      out.push_back(':');
      append_2(out, a % 60);
    }
  }
  return out;
}

HD parse_hd(std::string_view raw, const Delimiters& d, Level level) {
  const Parts<3> p(raw, separator(d, level));
  return HD{unescape(p[1], d), unescape(p[2], d), unescape(p[3], d)};
}

CX parse_cx(std::string_view raw, const Delimiters& d) {
  const Parts<8> p(raw, d.component);
  CX cx;
  cx.id = unescape(p[1], d);
  cx.check_digit = unescape(p[2], d);
  cx.check_digit_scheme = unescape(p[3], d);
  cx.assigning_authority = parse_hd(p[4], d, Level::component);
  cx.identifier_type = unescape(p[5], d);
  cx.assigning_facility = parse_hd(p[6], d, Level::component);
  cx.effective_date = unescape(p[7], d);
  cx.expiration_date = unescape(p[8], d);
  return cx;
}

XPN parse_xpn(std::string_view raw, const Delimiters& d) {
  const Parts<14> p(raw, d.component);
  XPN x;
  x.family = first_sub(p[1], d);
  x.given = unescape(p[2], d);
  x.middle = unescape(p[3], d);
  x.suffix = unescape(p[4], d);
  x.prefix = unescape(p[5], d);
  x.degree = unescape(p[6], d);
  x.name_type = unescape(p[7], d);
  x.effective_date = unescape(p[12], d);
  x.expiration_date = unescape(p[13], d);
  x.professional_suffix = unescape(p[14], d);
  return x;
}

XCN parse_xcn(std::string_view raw, const Delimiters& d) {
  const Parts<14> p(raw, d.component);
  XCN x;
  x.id = unescape(p[1], d);
  x.family = first_sub(p[2], d);
  x.given = unescape(p[3], d);
  x.middle = unescape(p[4], d);
  x.suffix = unescape(p[5], d);
  x.prefix = unescape(p[6], d);
  x.degree = unescape(p[7], d);
  x.source_table = unescape(p[8], d);
  x.assigning_authority = parse_hd(p[9], d, Level::component);
  x.name_type = unescape(p[10], d);
  x.check_digit = unescape(p[11], d);
  x.check_digit_scheme = unescape(p[12], d);
  x.identifier_type = unescape(p[13], d);
  x.assigning_facility = parse_hd(p[14], d, Level::component);
  return x;
}

EI parse_ei(std::string_view raw, const Delimiters& d, Level level) {
  const Parts<4> p(raw, separator(d, level));
  return EI{unescape(p[1], d), unescape(p[2], d), unescape(p[3], d), unescape(p[4], d)};
}

CWE parse_cwe(std::string_view raw, const Delimiters& d, Level level) {
  const Parts<9> p(raw, separator(d, level));
  CWE c;
  c.identifier = unescape(p[1], d);
  c.text = unescape(p[2], d);
  c.coding_system = unescape(p[3], d);
  c.alt_identifier = unescape(p[4], d);
  c.alt_text = unescape(p[5], d);
  c.alt_coding_system = unescape(p[6], d);
  c.coding_system_version = unescape(p[7], d);
  c.alt_coding_system_version = unescape(p[8], d);
  c.original_text = unescape(p[9], d);
  return c;
}

PL parse_pl(std::string_view raw, const Delimiters& d) {
  const Parts<9> p(raw, d.component);
  PL pl;
  pl.point_of_care = unescape(p[1], d);
  pl.room = unescape(p[2], d);
  pl.bed = unescape(p[3], d);
  pl.facility = parse_hd(p[4], d, Level::component);
  pl.location_status = unescape(p[5], d);
  pl.location_type = unescape(p[6], d);
  pl.building = unescape(p[7], d);
  pl.floor = unescape(p[8], d);
  pl.description = unescape(p[9], d);
  return pl;
}

}  // namespace fcpgw::hl7v2
