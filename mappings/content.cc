// Helpers for clinical documents and fit notes: base64, MIME types from HL7 ED, formatted
// text (FT) and calendar comparisons of DTMs (period end vs start, "longer than 3 months").

#include <algorithm>
#include <array>

#include "hl7v2/base/calendar.h"
#include "mappings/transforms.h"

namespace fcpgw::mappings {

namespace {

char lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }
char upper(char c) noexcept { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 32) : c; }

}  // namespace

bool append_mime_type(std::string& out, std::string_view type, std::string_view subtype) {
  struct Top {
    std::string_view hl7;
    std::string_view mime;
  };
  // HL7 table 0191 (type of referenced data) -> MIME top-level type.
  static constexpr Top kTop[] = {{"AP", "application"},     {"IM", "image"}, {"AU", "audio"},
                                 {"TEXT", "text"},          {"TX", "text"},  {"VIDEO", "video"},
                                 {"MULTIPART", "multipart"}};
  std::string_view top;
  for (const auto& t : kTop)
    if (iequals(type, t.hl7) || iequals(type, t.mime)) top = t.mime;
  if (top.empty() && !type.empty()) {
    // Senders put a whole MIME type in ED.2 ("application/pdf") or ED.3.
    if (type.find('/') != std::string_view::npos) {
      for (char c : type) out.push_back(lower(c));
      return true;
    }
    return false;
  }
  if (subtype.find('/') != std::string_view::npos) {
    for (char c : subtype) out.push_back(lower(c));
    return true;
  }
  if (top.empty()) top = "application";
  out.append(top);
  out.push_back('/');
  if (subtype.empty()) {
    out.append(top == "text" ? "plain" : "octet-stream");
    return true;
  }
  // Table 0291 spellings that differ from the MIME subtype.
  if (iequals(subtype, "JPG")) {
    out.append("jpeg");
  } else if (iequals(subtype, "TEXT") || iequals(subtype, "TXT")) {
    out.append("plain");
  } else if (iequals(subtype, "TIF")) {
    out.append("tiff");
  } else {
    for (char c : subtype) out.push_back(lower(c));
  }
  return true;
}

std::string_view mime_to_ed_type(std::string_view mime) noexcept {
  const auto slash = mime.find('/');
  const auto top = mime.substr(0, slash);
  if (iequals(top, "image")) return "IM";
  if (iequals(top, "audio")) return "AU";
  if (iequals(top, "text")) return "TEXT";
  if (iequals(top, "video")) return "VIDEO";
  if (iequals(top, "multipart")) return "multipart";
  return "AP";
}

void append_mime_ed_subtype(std::string& out, std::string_view mime) {
  const auto slash = mime.find('/');
  if (slash == std::string_view::npos) return;
  auto sub = mime.substr(slash + 1);
  if (const auto semi = sub.find(';'); semi != std::string_view::npos) sub = sub.substr(0, semi);
  sub = trim(sub);
  if (iequals(sub, "plain")) {
    out.append("TEXT");
    return;
  }
  for (char c : sub) out.push_back(upper(c));
}

void append_formatted_text(std::string& out, std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t open = text.find("\\.", i);
    if (open == std::string_view::npos) {
      out.append(text.substr(i));
      return;
    }
    const std::size_t close = text.find('\\', open + 2);
    if (close == std::string_view::npos) {
      out.append(text.substr(i));
      return;
    }
    out.append(text.substr(i, open - i));
    const std::string_view cmd = text.substr(open + 2, close - open - 2);
    if (cmd == "br") {
      // A line break; the space senders put around it is not content.
      while (!out.empty() && out.back() == ' ') out.pop_back();
      out.push_back('\n');
      i = close + 1;
      while (i < text.size() && text[i] == ' ') ++i;
      continue;
    }
    if (cmd.starts_with("sp")) out.push_back('\n');
    i = close + 1;  // .fi .nf .in .ti .sk .ce: layout only
  }
}

bool dtm_later(const hl7v2::Dtm& a, const hl7v2::Dtm& b, int months, int days,
               const ZoneDefault& z) noexcept {
  using P = hl7v2::DtmPrecision;
  hl7v2::Dtm c = b;
  if (months > 0 && c.month > 0) {
    const int m0 = c.year * 12 + (c.month - 1) + months;
    c.year = m0 / 12;
    c.month = m0 % 12 + 1;
    if (c.day > 0) c.day = std::min(c.day, base::days_in_month(c.year, c.month));
  }
  const bool times = a.precision >= P::minute && c.precision >= P::minute;
  auto day_of = [](const hl7v2::Dtm& x) {
    return base::days_from_civil(x.year, x.month > 0 ? x.month : 1, x.day > 0 ? x.day : 1);
  };
  if (times) {
    const auto m = minutes_between(c, a, z);
    return m && *m > std::int64_t(days) * 1440;
  }
  if (a.precision < P::day || c.precision < P::day) {
    // Month or year precision: compare what both have.
    const int ka = a.year * 12 + (a.precision >= P::month ? a.month : 1);
    const int kc = c.year * 12 + (c.precision >= P::month ? c.month : 1);
    return ka > kc;
  }
  return day_of(a) > day_of(c) + days;
}

}  // namespace fcpgw::mappings
