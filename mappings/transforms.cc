#include "mappings/transforms.h"

#include <bit>
#include <charconv>
#include <cstring>

#include "fhir/identifiers.h"
#include "hl7v2/base/calendar.h"
#include "hl7v2/base/utf8.h"
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#include <immintrin.h>
#define FCPGW_SHA1_X86 1
#else
#define FCPGW_SHA1_X86 0
#endif

namespace fcpgw::mappings {

// ---- calendar ---------------------------------------------------------------------------

std::optional<int> sender_offset(const hl7v2::Dtm& msh7, bool london) noexcept {
  if (!msh7.offset_minutes) return std::nullopt;
  int zone_offset = 0;
  if (london) {
    const std::int64_t utc = base::days_from_civil(msh7.year, msh7.month == 0 ? 1 : msh7.month,
                                                   msh7.day == 0 ? 1 : msh7.day) *
                                 1440 +
                             msh7.hour * 60 + msh7.minute - *msh7.offset_minutes;
    const std::int64_t days = utc >= 0 ? utc / 1440 : (utc - 1439) / 1440;
    const int mins = static_cast<int>(utc - days * 1440);
    const base::CivilDate c = base::civil_from_days(days);
    zone_offset = base::london_offset_at_utc(c.year, c.month, c.day, mins / 60, mins % 60);
  }
  if (*msh7.offset_minutes == zone_offset) return std::nullopt;
  return msh7.offset_minutes;
}

int effective_offset(const hl7v2::Dtm& d, const ZoneDefault& z) noexcept {
  if (d.offset_minutes) return *d.offset_minutes;
  if (z.message_offset_minutes) return *z.message_offset_minutes;
  if (!z.london) return 0;
  if (d.year < 1996 && z.historic_offset_minutes) return *z.historic_offset_minutes;
  return base::london_offset_minutes(d.year, d.month == 0 ? 1 : d.month, d.day == 0 ? 1 : d.day,
                                     d.hour, d.minute);
}

static void put2(std::string& out, int v) {
  out.push_back(static_cast<char>('0' + (v / 10) % 10));
  out.push_back(static_cast<char>('0' + v % 10));
}
static void put4(std::string& out, int v) {
  put2(out, (v / 100) % 100);
  put2(out, v % 100);
}
static void put_offset(std::string& out, int off, bool colon) {
  out.push_back(off < 0 ? '-' : '+');
  const int a = off < 0 ? -off : off;
  put2(out, a / 60);
  if (colon) out.push_back(':');
  put2(out, a % 60);
}
static void put_fraction(std::string& out, const hl7v2::Dtm& d) {
  if (d.precision != hl7v2::DtmPrecision::fraction || d.fraction_digits <= 0) return;
  out.push_back('.');
  char buf[8];
  int v = d.fraction;
  for (int i = d.fraction_digits - 1; i >= 0; --i) {
    buf[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  out.append(buf, static_cast<std::size_t>(d.fraction_digits));
}

bool append_fhir_date(std::string& out, const hl7v2::Dtm& d, DateKind kind, const ZoneDefault& z) {
  using P = hl7v2::DtmPrecision;
  const bool has_time = d.precision >= P::hour;
  if (kind == DateKind::instant && !has_time) return false;
  put4(out, d.year);
  if (d.precision == P::year) return true;
  out.push_back('-');
  put2(out, d.month);
  if (d.precision == P::month) return true;
  out.push_back('-');
  put2(out, d.day);
  if (kind == DateKind::date || !has_time) return true;
  out.push_back('T');
  put2(out, d.hour);
  out.push_back(':');
  put2(out, d.minute);
  out.push_back(':');
  put2(out, d.second);
  put_fraction(out, d);
  const int off = effective_offset(d, z);
  if (off == 0 && d.offset_minutes.has_value() == false && !z.message_offset_minutes && !z.london) {
    out.push_back('Z');
  } else {
    put_offset(out, off, true);
  }
  return true;
}

hl7v2::Dtm add_minutes(const hl7v2::Dtm& d, std::int64_t minutes) noexcept {
  hl7v2::Dtm r = d;
  std::int64_t total =
      base::days_from_civil(d.year, d.month, d.day) * 1440 + d.hour * 60 + d.minute + minutes;
  std::int64_t days = total >= 0 ? total / 1440 : (total - 1439) / 1440;
  const int mod = static_cast<int>(total - days * 1440);
  const base::CivilDate c = base::civil_from_days(days);
  r.year = c.year;
  r.month = c.month;
  r.day = c.day;
  r.hour = mod / 60;
  r.minute = mod % 60;
  if (r.precision < hl7v2::DtmPrecision::minute) r.precision = hl7v2::DtmPrecision::minute;
  return r;
}

std::optional<std::int64_t> minutes_between(const hl7v2::Dtm& a, const hl7v2::Dtm& b,
                                            const ZoneDefault& z) noexcept {
  using P = hl7v2::DtmPrecision;
  if (a.precision < P::minute || b.precision < P::minute) return std::nullopt;
  auto utc = [&](const hl7v2::Dtm& x) {
    return base::days_from_civil(x.year, x.month, x.day) * 1440 + x.hour * 60 + x.minute -
           effective_offset(x, z);
  };
  return utc(b) - utc(a);
}

static bool digits(std::string_view s, std::size_t pos, std::size_t n, int& v) {
  if (pos + n > s.size()) return false;
  v = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  return true;
}

std::optional<hl7v2::Dtm> parse_fhir_date(std::string_view s) noexcept {
  using P = hl7v2::DtmPrecision;
  hl7v2::Dtm d;
  if (!digits(s, 0, 4, d.year)) return std::nullopt;
  d.precision = P::year;
  std::size_t p = 4;
  if (p == s.size()) return d;
  if (s[p] != '-' || !digits(s, p + 1, 2, d.month) || d.month < 1 || d.month > 12)
    return std::nullopt;
  d.precision = P::month;
  p += 3;
  if (p == s.size()) return d;
  if (s[p] != '-' || !digits(s, p + 1, 2, d.day) || d.day < 1 ||
      d.day > base::days_in_month(d.year, d.month))
    return std::nullopt;
  d.precision = P::day;
  p += 3;
  if (p == s.size()) return d;
  if (s[p] != 'T' || !digits(s, p + 1, 2, d.hour) || s.size() < p + 6 || s[p + 3] != ':' ||
      !digits(s, p + 4, 2, d.minute) || d.hour > 23 || d.minute > 59)
    return std::nullopt;
  d.precision = P::minute;
  p += 6;
  if (p < s.size() && s[p] == ':') {
    if (!digits(s, p + 1, 2, d.second) || d.second > 59) return std::nullopt;
    d.precision = P::second;
    p += 3;
    if (p < s.size() && s[p] == '.') {
      ++p;
      int n = 0;
      int v = 0;
      while (p < s.size() && s[p] >= '0' && s[p] <= '9') {
        if (n < 4) {
          v = v * 10 + (s[p] - '0');
          ++n;
        }
        ++p;
      }
      if (n == 0) return std::nullopt;
      d.fraction = v;
      d.fraction_digits = n;
      d.precision = P::fraction;
    }
  }
  if (p == s.size()) return std::nullopt;  // a time needs a zone in FHIR
  if (s[p] == 'Z' && p + 1 == s.size()) {
    d.offset_minutes = 0;
    return d;
  }
  int hh = 0;
  int mm = 0;
  if ((s[p] != '+' && s[p] != '-') || s.size() != p + 6 || !digits(s, p + 1, 2, hh) ||
      s[p + 3] != ':' || !digits(s, p + 4, 2, mm) || hh > 14 || mm > 59)
    return std::nullopt;
  d.offset_minutes = (s[p] == '-' ? -1 : 1) * (hh * 60 + mm);
  return d;
}

void append_v2_dtm(std::string& out, const hl7v2::Dtm& d) {
  using P = hl7v2::DtmPrecision;
  put4(out, d.year);
  if (d.precision >= P::month) put2(out, d.month);
  if (d.precision >= P::day) put2(out, d.day);
  if (d.precision >= P::hour) put2(out, d.hour);
  if (d.precision >= P::minute) put2(out, d.minute);
  if (d.precision >= P::second) put2(out, d.second);
  put_fraction(out, d);
  if (d.offset_minutes && d.precision >= P::hour) put_offset(out, *d.offset_minutes, false);
}

// ---- identifier checks ------------------------------------------------------------------

std::optional<bool> identifier_check(std::string_view check, std::string_view v) noexcept {
  if (check == "nhs-number") return fhir::nhs_number_valid(v);
  if (check == "ods-code") return fhir::ods_code_valid(v);
  if (check == "hcpc") return fhir::hcpc_number_valid(v);
  if (check == "hcpc-physiotherapist") return v.substr(0, 2) == "PH" && fhir::hcpc_number_valid(v);
  if (check == "gmc") return fhir::gmc_number_valid(v);
  if (check == "gmp") return fhir::gmp_number_valid(v);
  if (check == "oid") {
    if (v.empty()) return false;
    for (char c : v)
      if (!((c >= '0' && c <= '9') || c == '.')) return false;
    return v.front() != '.' && v.back() != '.';
  }
  return std::nullopt;
}

// ---- durations --------------------------------------------------------------------------

std::optional<std::int64_t> duration_minutes(std::string_view amount,
                                             std::string_view unit) noexcept {
  amount = trim(amount);
  unit = trim(unit);
  if (amount.empty()) return std::nullopt;
  // A TQ duration (TQ.3 of SCH-11): a unit letter then the number, S30, M20, H1, D2, W1. The
  // letter names the unit; months (L), visits (X) and INDEF have no length in minutes.
  if (const char c = amount.front(); (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')) {
    switch (c & ~0x20) {
      case 'S':
        unit = "s";
        break;
      case 'M':
        unit = "min";
        break;
      case 'H':
        unit = "h";
        break;
      case 'D':
        unit = "d";
        break;
      case 'W':
        unit = "wk";
        break;
      default:
        return std::nullopt;
    }
    amount.remove_prefix(1);
    if (amount.empty()) return std::nullopt;
  }
  // Accept an unsigned decimal number.
  std::int64_t whole = 0;
  std::int64_t frac_num = 0;
  std::int64_t frac_den = 1;
  std::size_t i = 0;
  bool any = false;
  for (; i < amount.size() && amount[i] >= '0' && amount[i] <= '9'; ++i) {
    whole = whole * 10 + (amount[i] - '0');
    any = true;
    if (whole > 100000000) return std::nullopt;
  }
  if (i < amount.size() && amount[i] == '.') {
    ++i;
    for (; i < amount.size() && amount[i] >= '0' && amount[i] <= '9'; ++i) {
      if (frac_den < 1000000) {
        frac_num = frac_num * 10 + (amount[i] - '0');
        frac_den *= 10;
      }
      any = true;
    }
  }
  if (!any || i != amount.size()) return std::nullopt;
  std::int64_t num = 1;  // minutes per unit as a fraction num/den
  std::int64_t den = 1;
  auto is = [&](std::initializer_list<std::string_view> names) {
    for (auto n : names)
      if (iequals(unit, n)) return true;
    return false;
  };
  if (unit.empty() || is({"min", "m", "mn", "mins", "minute", "minutes"})) {
  } else if (is({"s", "sec", "secs", "second", "seconds"})) {
    den = 60;
  } else if (is({"h", "hr", "hrs", "hour", "hours"})) {
    num = 60;
  } else if (is({"d", "day", "days"})) {
    num = 1440;
  } else if (is({"wk", "w", "week", "weeks"})) {
    num = 10080;
  } else {
    return std::nullopt;
  }
  // minutes = (whole + frac_num/frac_den) * num / den, rounded half up.
  const std::int64_t n = (whole * frac_den + frac_num) * num;
  const std::int64_t dd = frac_den * den;
  return (2 * n + dd) / (2 * dd);
}

// ---- SHA-1 ------------------------------------------------------------------------------

static inline std::uint32_t rol(std::uint32_t x, int n) { return (x << n) | (x >> (32 - n)); }

Sha1::Sha1() noexcept
    : h_{0x67452301u, 0xEFCDAB89u, 0x98BADCFEu, 0x10325476u, 0xC3D2E1F0u}, buf_{} {}

namespace sha1_detail {

#if FCPGW_SHA1_X86
// The x86 SHA extensions: four rounds per SHA1RNDS4, the schedule by SHA1MSG1/SHA1MSG2.
// Lanes hold words in reverse (lane 3 = A, lane 3 of the E vector = E), hence the byte
// reversal of each 16-byte chunk of the block and the 0x1B shuffle of the state.
#define FCPGW_SHA_TARGET __attribute__((target("sha,ssse3,sse4.1")))

struct ShaNiBlock {
  __m128i w[4];    // w[g % 4]: schedule words 4g..4g+3 of the current group g
  __m128i abcd;    // working state
  __m128i before;  // abcd four rounds back: its A, rotated by 30, is the next group's E
  __m128i e0;      // E of the block's input state (lane 3)
};

// Schedule words of group g (from the block, else from groups g-4..g-1) added into E.
FCPGW_SHA_TARGET static inline __m128i sha_ni_group(ShaNiBlock& s, int g, const std::uint8_t* p,
                                                    __m128i reverse) {
  __m128i x;
  if (g < 4) {
    x = _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * g)), reverse);
  } else {
    x = _mm_sha1msg1_epu32(s.w[g & 3], s.w[(g + 1) & 3]);
    x = _mm_xor_si128(x, s.w[(g + 2) & 3]);
    x = _mm_sha1msg2_epu32(x, s.w[(g + 3) & 3]);
  }
  s.w[g & 3] = x;
  const __m128i e = g == 0 ? _mm_add_epi32(s.e0, x) : _mm_sha1nexte_epu32(s.before, x);
  s.before = s.abcd;
  return e;
}

FCPGW_SHA_TARGET void compress_hardware(std::uint32_t h[5], const std::uint8_t* p,
                                        std::size_t blocks) noexcept {
  const __m128i reverse = _mm_set_epi64x(0x0001020304050607LL, 0x08090a0b0c0d0e0fLL);
  ShaNiBlock s;
  s.abcd = _mm_shuffle_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(h)), 0x1B);
  s.e0 = _mm_set_epi32(static_cast<int>(h[4]), 0, 0, 0);
  for (; blocks > 0; --blocks, p += 64) {
    const __m128i abcd_in = s.abcd;
    s.before = s.abcd;
    // The round function selector is an immediate: one loop per 20 rounds.
    for (int g = 0; g < 5; ++g)
      s.abcd = _mm_sha1rnds4_epu32(s.abcd, sha_ni_group(s, g, p, reverse), 0);
    for (int g = 5; g < 10; ++g)
      s.abcd = _mm_sha1rnds4_epu32(s.abcd, sha_ni_group(s, g, p, reverse), 1);
    for (int g = 10; g < 15; ++g)
      s.abcd = _mm_sha1rnds4_epu32(s.abcd, sha_ni_group(s, g, p, reverse), 2);
    for (int g = 15; g < 20; ++g)
      s.abcd = _mm_sha1rnds4_epu32(s.abcd, sha_ni_group(s, g, p, reverse), 3);
    s.e0 = _mm_sha1nexte_epu32(s.before, s.e0);
    s.abcd = _mm_add_epi32(s.abcd, abcd_in);
  }
  _mm_storeu_si128(reinterpret_cast<__m128i*>(h), _mm_shuffle_epi32(s.abcd, 0x1B));
  h[4] = static_cast<std::uint32_t>(_mm_extract_epi32(s.e0, 3));
}
#undef FCPGW_SHA_TARGET

static bool detect_hardware() noexcept {
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return false;
  const bool ssse3 = (c & (1u << 9)) != 0;
  const bool sse41 = (c & (1u << 19)) != 0;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return false;
  const bool sha = (b & (1u << 29)) != 0;
  return ssse3 && sse41 && sha;
}
#else
void compress_hardware(std::uint32_t h[5], const std::uint8_t* p, std::size_t blocks) noexcept {
  compress_portable(h, p, blocks);
}
static bool detect_hardware() noexcept { return false; }
#endif

bool hardware() noexcept {
  static const bool available = detect_hardware();
  return available;
}

void compress_portable(std::uint32_t h[5], const std::uint8_t* p, std::size_t blocks) noexcept {
  for (; blocks > 0; --blocks, p += 64) {
    std::uint32_t w[80];
    for (int i = 0; i < 16; ++i)
      w[i] = (std::uint32_t{p[4 * i]} << 24) | (std::uint32_t{p[4 * i + 1]} << 16) |
             (std::uint32_t{p[4 * i + 2]} << 8) | std::uint32_t{p[4 * i + 3]};
    for (int i = 16; i < 80; ++i) w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    std::uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
    auto round = [&](std::uint32_t f, std::uint32_t k, std::uint32_t wi) {
      const std::uint32_t t = rol(a, 5) + f + e + k + wi;
      e = d;
      d = c;
      c = rol(b, 30);
      b = a;
      a = t;
    };
    for (int i = 0; i < 20; ++i) round((b & c) | (~b & d), 0x5A827999u, w[i]);
    for (int i = 20; i < 40; ++i) round(b ^ c ^ d, 0x6ED9EBA1u, w[i]);
    for (int i = 40; i < 60; ++i) round((b & c) | (b & d) | (c & d), 0x8F1BBCDCu, w[i]);
    for (int i = 60; i < 80; ++i) round(b ^ c ^ d, 0xCA62C1D6u, w[i]);
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
  }
}

void compress(std::uint32_t h[5], const std::uint8_t* p, std::size_t blocks) noexcept {
  if (hardware())
    compress_hardware(h, p, blocks);
  else
    compress_portable(h, p, blocks);
}

}  // namespace sha1_detail

void Sha1::block(const std::uint8_t* p) noexcept { sha1_detail::compress(h_, p, 1); }

void Sha1::update(std::string_view data) noexcept {
  const auto* p = reinterpret_cast<const std::uint8_t*>(data.data());
  std::size_t n = data.size();
  len_ += n;
  if (used_ > 0) {
    const std::size_t take = std::min(n, 64 - used_);
    std::memcpy(buf_ + used_, p, take);
    used_ += take;
    p += take;
    n -= take;
    if (used_ == 64) {
      block(buf_);
      used_ = 0;
    }
  }
  if (n >= 64) {
    sha1_detail::compress(h_, p, n / 64);
    p += n & ~std::size_t{63};
    n &= 63;
  }
  if (n > 0) {
    std::memcpy(buf_, p, n);
    used_ = n;
  }
}

std::array<std::uint8_t, 20> Sha1::finish() noexcept {
  const std::uint64_t bits = len_ * 8;
  buf_[used_++] = 0x80;
  if (used_ > 56) {
    std::memset(buf_ + used_, 0, 64 - used_);
    block(buf_);
    used_ = 0;
  }
  std::memset(buf_ + used_, 0, 56 - used_);
  for (int i = 0; i < 8; ++i) buf_[56 + i] = static_cast<std::uint8_t>(bits >> (56 - 8 * i));
  block(buf_);
  used_ = 0;
  std::array<std::uint8_t, 20> out{};
  for (int i = 0; i < 5; ++i)
    for (int j = 0; j < 4; ++j) out[4 * i + j] = static_cast<std::uint8_t>(h_[i] >> (24 - 8 * j));
  return out;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<Uuid> parse_uuid(std::string_view t) noexcept {
  if (t.size() != 36) return std::nullopt;
  Uuid u{};
  std::size_t k = 0;
  for (std::size_t i = 0; i < 36;) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (t[i] != '-') return std::nullopt;
      ++i;
      continue;
    }
    const int a = hexval(t[i]);
    const int b = hexval(t[i + 1]);
    if (a < 0 || b < 0) return std::nullopt;
    u[k++] = static_cast<std::uint8_t>(a * 16 + b);
    i += 2;
  }
  return u;
}

Uuid uuid_v5(const Uuid& ns, std::string_view name) noexcept {
  Sha1 h;
  h.update(std::string_view(reinterpret_cast<const char*>(ns.data()), ns.size()));
  h.update(name);
  const auto dg = h.finish();
  Uuid u{};
  std::memcpy(u.data(), dg.data(), 16);
  u[6] = static_cast<std::uint8_t>((u[6] & 0x0F) | 0x50);
  u[8] = static_cast<std::uint8_t>((u[8] & 0x3F) | 0x80);
  return u;
}

void append_hex(std::string& out, const std::uint8_t* bytes, std::size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  const std::size_t at = out.size();
  out.resize(at + 2 * n);
  char* p = out.data() + at;
  for (std::size_t i = 0; i < n; ++i) {
    p[2 * i] = kHex[bytes[i] >> 4];
    p[2 * i + 1] = kHex[bytes[i] & 15];
  }
}

void format_uuid(char* p, const Uuid& u) noexcept {
  static constexpr char kHex[] = "0123456789abcdef";
  for (std::size_t i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) *p++ = '-';
    *p++ = kHex[u[i] >> 4];
    *p++ = kHex[u[i] & 15];
  }
}

void append_uuid(std::string& out, const Uuid& u) {
  char text[36];
  format_uuid(text, u);
  out.append(text, sizeof text);
}

// ---- text -------------------------------------------------------------------------------

// Bit 7 of each byte of the result is set where `x` holds a byte that a JSON string cannot
// carry verbatim without a closer look: a control character, '"', '\\' or a byte >= 0x80.
// (Borrows can also set bits above a byte that is set rightly, never below one, so the lowest
// set bit marks the first such byte and a zero result means there is none.)
static inline std::uint64_t json_special_bytes(std::uint64_t x) noexcept {
  constexpr std::uint64_t ones = 0x0101010101010101u;
  constexpr std::uint64_t high = 0x8080808080808080u;
  const std::uint64_t q = x ^ (ones * '"');
  const std::uint64_t b = x ^ (ones * '\\');
  return (x | ((x - ones * 0x20) & ~x) | ((q - ones) & ~q) | ((b - ones) & ~b)) & high;
}

// Length of the leading run of `p[0..n)` that goes into a JSON string as is: printable ASCII
// other than '"' and '\\'.
static std::size_t json_plain_run(const char* p, std::size_t n) noexcept {
  std::size_t i = 0;
#if defined(__SSE2__)
  const __m128i space = _mm_set1_epi8(0x20);
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i backslash = _mm_set1_epi8('\\');
  for (; i + 16 <= n; i += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    // Signed compare: bytes >= 0x80 are negative, so below 0x20 as well.
    const __m128i special =
        _mm_or_si128(_mm_cmplt_epi8(v, space),
                     _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)));
    const int m = _mm_movemask_epi8(special);
    if (m != 0) return i + static_cast<std::size_t>(__builtin_ctz(static_cast<unsigned>(m)));
  }
#endif
  for (; i + 8 <= n; i += 8) {
    std::uint64_t x;
    std::memcpy(&x, p + i, 8);
    if constexpr (std::endian::native == std::endian::big) x = __builtin_bswap64(x);
    if (const std::uint64_t m = json_special_bytes(x)) return i + (std::countr_zero(m) >> 3);
  }
  for (; i < n; ++i) {
    const auto c = static_cast<unsigned char>(p[i]);
    if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\') return i;
  }
  return n;
}

std::size_t json_plain_prefix(std::string_view s) noexcept {
  return json_plain_run(s.data(), s.size());
}

bool append_json_escaped(std::string& out, std::string_view s, bool latin1, bool fhir_text) {
  bool dropped = false;
  static constexpr char kHex[] = "0123456789abcdef";
  std::size_t run = 0;  // start of the pending run of bytes copied verbatim
  std::size_t i = 0;
  const std::size_t n = s.size();
  while (i < n) {
    i += json_plain_run(s.data() + i, n - i);
    if (i == n) break;
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80 && !latin1) {
      const std::size_t l = base::utf8_sequence_length(s, i);
      if (l != 0) {
        i += l;
        continue;
      }
    }
    out.append(s.data() + run, i - run);
    if (c >= 0x80) {
      if (latin1)
        base::append_utf8(out, c);
      else
        out.append("\xEF\xBF\xBD");
    } else if (c == '"') {
      out.append("\\\"");
    } else if (c == '\\') {
      out.append("\\\\");
    } else if (c == '\n') {
      out.append("\\n");
    } else if (c == '\r') {
      out.append("\\r");
    } else if (c == '\t') {
      out.append("\\t");
    } else if (fhir_text) {
      dropped = true;  // a FHIR string may not hold a control character other than tab, CR, LF
    } else {
      out.append("\\u00");
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
    ++i;
    run = i;
  }
  out.append(s.data() + run, n - run);
  return dropped;
}

bool has_fhir_forbidden_control(std::string_view s) noexcept {
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') return true;
  }
  return false;
}

bool append_json_string(std::string& out, std::string_view s, bool latin1, bool fhir_text) {
  const std::size_t n = s.size();
  if (json_plain_run(s.data(), n) == n) {  // nothing to escape: one write, quotes included
    const std::size_t at = out.size();
    out.resize(at + n + 2);
    char* const p = out.data() + at;
    p[0] = '"';
    if (n != 0) std::memcpy(p + 1, s.data(), n);
    p[n + 1] = '"';
    return false;
  }
  out.push_back('"');
  const bool dropped = append_json_escaped(out, s, latin1, fhir_text);
  out.push_back('"');
  return dropped;
}

void append_v2_text(std::string& out, std::string_view raw, const hl7v2::Delimiters& d) {
  hl7v2::unescape_append(out, raw, d, hl7v2::FormattingEscapes::plain_text);
}

// RFC 3986 unreserved characters, plus ':', '/' and '@', which a query value may carry as is.
static constexpr std::array<bool, 256> kUrlPlain = [] {
  std::array<bool, 256> t{};
  for (int c = 'A'; c <= 'Z'; ++c) t[static_cast<std::size_t>(c)] = true;
  for (int c = 'a'; c <= 'z'; ++c) t[static_cast<std::size_t>(c)] = true;
  for (int c = '0'; c <= '9'; ++c) t[static_cast<std::size_t>(c)] = true;
  for (const char c : std::string_view("-._~:/@")) t[static_cast<unsigned char>(c)] = true;
  return t;
}();

void append_url_encoded(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::size_t run = 0;  // start of the pending run of characters copied as they are
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (kUrlPlain[c]) continue;
    const char escaped[3] = {'%', kHex[c >> 4], kHex[c & 15]};
    out.append(s.data() + run, i - run).append(escaped, 3);
    run = i + 1;
  }
  out.append(s.data() + run, s.size() - run);
}

void append_search_value(std::string& out, std::string_view s) {
  std::string escaped;
  escaped.reserve(s.size() + 4);
  for (const char c : s) {
    if (c == '\\' || c == ',' || c == '$' || c == '|') escaped.push_back('\\');
    escaped.push_back(c);
  }
  append_url_encoded(out, escaped);
}

bool append_uri_decoded(std::string& out, std::string_view s) {
  if (s.empty()) return false;
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  const std::size_t start = out.size();
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out.push_back(s[i]);
      continue;
    }
    const int hi = i + 2 < s.size() ? hex(s[i + 1]) : -1;
    const int lo = hi >= 0 ? hex(s[i + 2]) : -1;
    if (lo < 0) {
      out.resize(start);
      return false;
    }
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return true;
}

bool same_text(std::string_view a, std::string_view b) noexcept {
  if (a.empty() || b.empty()) return false;
  std::size_t i = 0, j = 0;
  for (;;) {
    while (i < a.size() && a[i] == ' ') ++i;
    while (j < b.size() && b[j] == ' ') ++j;
    if (i == a.size() || j == b.size()) return i == a.size() && j == b.size();
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
    if (lower(a[i]) != lower(b[j])) return false;
    ++i, ++j;
  }
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    char y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x + 32);
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y + 32);
    if (x != y) return false;
  }
  return true;
}

std::optional<bool> apply_text_transform(Tf tf, std::string_view v, std::string& dst) {
  switch (tf) {
    case Tf::trim:
      dst.append(trim(v));
      return !dst.empty();
    case Tf::upper:
      for (char c : v) dst.push_back(c >= 'a' && c <= 'z' ? static_cast<char>(c - 32) : c);
      return true;
    case Tf::lower:
      for (char c : v) dst.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c);
      return true;
    case Tf::uri_encode:
      append_url_encoded(dst, v);
      return true;
    default:
      return std::nullopt;
  }
}

}  // namespace fcpgw::mappings
