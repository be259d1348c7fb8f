#include "mappings/transforms.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "hl7v2/base/calendar.h"
#include "hl7v2/types.h"

using namespace fcpgw;
using namespace fcpgw::mappings;

namespace {
std::string fhir_date(std::string_view dtm, DateKind k, ZoneDefault z = {}) {
  auto d = hl7v2::parse_dtm(dtm);
  EXPECT_TRUE(d) << dtm;
  std::string out;
  if (!append_fhir_date(out, *d, k, z)) return "<none>";
  return out;
}
}  // namespace

TEST(EuropeLondon, LastSundays) {
  EXPECT_EQ(base::last_sunday(2024, 3), 31);
  EXPECT_EQ(base::last_sunday(2024, 10), 27);
  EXPECT_EQ(base::last_sunday(2025, 3), 30);
  EXPECT_EQ(base::last_sunday(2025, 10), 26);
  EXPECT_EQ(base::weekday(1970, 1, 1), 4);  // Thursday
}

TEST(EuropeLondon, BothSidesOfTheSpringChange) {
  EXPECT_EQ(base::london_offset_minutes(2024, 3, 30, 12, 0), 0);
  EXPECT_EQ(base::london_offset_minutes(2024, 3, 31, 0, 59), 0);
  EXPECT_EQ(base::london_offset_minutes(2024, 3, 31, 1, 30), 0);  // does not exist: read as GMT
  EXPECT_EQ(base::london_offset_minutes(2024, 3, 31, 2, 0), 60);
  EXPECT_EQ(base::london_offset_minutes(2024, 4, 1, 0, 0), 60);
}

TEST(EuropeLondon, BothSidesOfTheAutumnChange) {
  EXPECT_EQ(base::london_offset_minutes(2024, 10, 26, 23, 0), 60);
  EXPECT_EQ(base::london_offset_minutes(2024, 10, 27, 0, 59), 60);
  EXPECT_EQ(base::london_offset_minutes(2024, 10, 27, 1, 30), 60);  // happens twice: first (BST)
  EXPECT_EQ(base::london_offset_minutes(2024, 10, 27, 2, 0), 0);
  EXPECT_EQ(base::london_offset_minutes(2024, 12, 25, 12, 0), 0);
  EXPECT_EQ(base::london_offset_minutes(2024, 7, 1, 12, 0), 60);
}

TEST(Durations, TqDurationCarriesItsUnit) {
  EXPECT_EQ(duration_minutes("M20", ""), 20);
  EXPECT_EQ(duration_minutes("m20", "h"), 20);  // the letter wins over the unit argument
  EXPECT_EQ(duration_minutes("H1", ""), 60);
  EXPECT_EQ(duration_minutes("S90", ""), 2);  // rounded half up
  EXPECT_EQ(duration_minutes("D1", ""), 1440);
  EXPECT_EQ(duration_minutes("W1", ""), 10080);
  EXPECT_FALSE(duration_minutes("L1", ""));
  EXPECT_FALSE(duration_minutes("INDEF", ""));
  EXPECT_FALSE(duration_minutes("M", ""));
  EXPECT_EQ(duration_minutes("20", "MIN"), 20);
}

TEST(EuropeLondon, OffsetAtAUtcInstant) {
  EXPECT_EQ(base::london_offset_at_utc(2024, 3, 31, 0, 59), 0);
  EXPECT_EQ(base::london_offset_at_utc(2024, 3, 31, 1, 0), 60);
  EXPECT_EQ(base::london_offset_at_utc(2024, 10, 27, 0, 59), 60);
  EXPECT_EQ(base::london_offset_at_utc(2024, 10, 27, 1, 0), 0);
}

// DOMAIN 1.1 (corrected rule): MSH-7's offset is the sender's zone at that instant, not a
// fixed offset for the whole message, unless it disagrees with the zone.
TEST(EuropeLondon, Msh7OffsetIsUsedOnlyWhenTheSenderIsElsewhere) {
  auto dtm = [](std::string_view t) { return *hl7v2::parse_dtm(t); };
  EXPECT_FALSE(sender_offset(dtm("20241020090000+0100"), true));   // BST, as London then
  EXPECT_FALSE(sender_offset(dtm("20241120090000+0000"), true));   // GMT, as London then
  EXPECT_FALSE(sender_offset(dtm("20241027003000+0100"), true));   // 23:30 UTC: still BST
  EXPECT_FALSE(sender_offset(dtm("20241027010000+0000"), true));   // 01:00 UTC: GMT again
  EXPECT_EQ(sender_offset(dtm("20241120090000+0100"), true), 60);  // not London in November
  EXPECT_EQ(sender_offset(dtm("20240612093000-0500"), true), -300);
  EXPECT_FALSE(sender_offset(dtm("20240612093000"), true));
  EXPECT_FALSE(sender_offset(dtm("20240612093000+0000"), false));  // UTC zone
  EXPECT_EQ(sender_offset(dtm("20240612093000+0100"), false), 60);
  // Sent in BST for an appointment after the autumn change: the appointment's own offset.
  ZoneDefault z{sender_offset(dtm("20241020090000+0100"), true), true, {}};
  EXPECT_EQ(fhir_date("20241104093000", DateKind::instant, z), "2024-11-04T09:30:00+00:00");
}

TEST(DtmTransforms, OwnOffsetThenMessageOffsetThenLondon) {
  EXPECT_EQ(fhir_date("20240612093000+0215", DateKind::instant), "2024-06-12T09:30:00+02:15");
  ZoneDefault msh{-300, true, {}};
  EXPECT_EQ(fhir_date("20240612093000", DateKind::instant, msh), "2024-06-12T09:30:00-05:00");
  EXPECT_EQ(fhir_date("20240612093000", DateKind::instant), "2024-06-12T09:30:00+01:00");
  EXPECT_EQ(fhir_date("20241212093000", DateKind::instant), "2024-12-12T09:30:00+00:00");
  ZoneDefault utc{std::nullopt, false, {}};
  EXPECT_EQ(fhir_date("20241212093000", DateKind::instant, utc), "2024-12-12T09:30:00Z");
}

TEST(DtmTransforms, PrecisionIsKept) {
  EXPECT_EQ(fhir_date("1985", DateKind::date_time), "1985");
  EXPECT_EQ(fhir_date("198502", DateKind::date), "1985-02");
  EXPECT_EQ(fhir_date("19850214", DateKind::date_time), "1985-02-14");
  EXPECT_EQ(fhir_date("198502141030", DateKind::date), "1985-02-14");
  EXPECT_EQ(fhir_date("2024061209", DateKind::instant), "2024-06-12T09:00:00+01:00");
  EXPECT_EQ(fhir_date("20240612093015.25+0000", DateKind::date_time),
            "2024-06-12T09:30:15.25+00:00");
  EXPECT_EQ(fhir_date("20240612", DateKind::instant), "<none>");  // an instant needs a time
}

TEST(DtmTransforms, AddMinutesAndBetween) {
  auto d = *hl7v2::parse_dtm("20241231235000+0000");
  auto e = add_minutes(d, 20);
  EXPECT_EQ(e.year, 2025);
  EXPECT_EQ(e.month, 1);
  EXPECT_EQ(e.day, 1);
  EXPECT_EQ(e.hour, 0);
  EXPECT_EQ(e.minute, 10);
  EXPECT_EQ(minutes_between(d, e, {}), 20);
  auto f = parse_fhir_date("2024-06-12T09:30:00+01:00");
  ASSERT_TRUE(f);
  std::string v2;
  append_v2_dtm(v2, *f);
  EXPECT_EQ(v2, "20240612093000+0100");
  EXPECT_FALSE(parse_fhir_date("2024-06-12T09:30:00"));  // no zone
  EXPECT_FALSE(parse_fhir_date("2024-13-01"));
}

TEST(Durations, Units) {
  EXPECT_EQ(duration_minutes("20", "min"), 20);
  EXPECT_EQ(duration_minutes("20", "MIN"), 20);
  EXPECT_EQ(duration_minutes("20", ""), 20);
  EXPECT_EQ(duration_minutes("60", "s"), 1);
  EXPECT_EQ(duration_minutes("1.5", "h"), 90);
  EXPECT_EQ(duration_minutes("2", "hours"), 120);
  EXPECT_FALSE(duration_minutes("20", "furlongs"));
  EXPECT_FALSE(duration_minutes("-5", "min"));
  EXPECT_FALSE(duration_minutes("abc", "min"));
}

TEST(Ids, Sha1KnownAnswer) {
  Sha1 h;
  h.update("abc");
  auto d = h.finish();
  std::string hex;
  append_hex(hex, d.data(), d.size());
  EXPECT_EQ(hex, "a9993e364706816aba3e25717850c26c9cd0d89d");
  Sha1 h2;
  const std::string a(1000, 'a');
  for (int i = 0; i < 1000; ++i) h2.update(a);
  auto d2 = h2.finish();
  hex.clear();
  append_hex(hex, d2.data(), d2.size());
  EXPECT_EQ(hex, "34aa973cd4c4daa4f61eeb2bdbad27316534016f");  // one million 'a'
}

TEST(Ids, UuidV5KnownAnswer) {
  // RFC 9562 appendix: DNS namespace, "www.example.com".
  auto ns = parse_uuid("6ba7b810-9dad-11d1-80b4-00c04fd430c8");
  ASSERT_TRUE(ns);
  std::string s;
  append_uuid(s, uuid_v5(*ns, "www.example.com"));
  EXPECT_EQ(s, "2ed6657d-e927-568b-95e1-2665a8aea6a2");
  EXPECT_FALSE(parse_uuid("not-a-uuid"));
}

TEST(Ids, Sha1HardwareAndPortableAgree) {
  // The block function runs on the x86 SHA extensions where the CPU has them: it must give the
  // portable function's answer for every state and block (on other CPUs both are portable).
  std::uint64_t seed = 0x9E3779B97F4A7C15u;
  auto next = [&seed] {
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return seed;
  };
  for (int round = 0; round < 500; ++round) {
    std::uint8_t data[64 * 3];
    for (auto& b : data) b = static_cast<std::uint8_t>(next());
    std::uint32_t a[5];
    for (auto& w : a) w = static_cast<std::uint32_t>(next());
    std::uint32_t b[5];
    std::copy(a, a + 5, b);
    const std::size_t blocks = 1 + round % 3;
    sha1_detail::compress_portable(a, data, blocks);
    sha1_detail::compress_hardware(b, data, blocks);
    ASSERT_TRUE(std::equal(a, a + 5, b)) << "round " << round;
  }
  // Long input through update(): whole blocks go to the block function several at a time.
  Sha1 h;
  const std::string text(64 * 7 + 13, 'x');
  h.update(text.substr(0, 5));
  h.update(text.substr(5));
  std::string hex;
  const auto d = h.finish();
  append_hex(hex, d.data(), d.size());
  EXPECT_EQ(hex, "47127436e8f6929b42e996270763f52dcc42ab26");
}

TEST(Text, JsonEscapingAndUtf8) {
  std::string out;
  append_json_escaped(out, "a\"b\\c\n\x01 Zo\xC3\xAB");
  EXPECT_EQ(out, "a\\\"b\\\\c\\n\\u0001 Zo\xC3\xAB");
  out.clear();
  append_json_escaped(out, "bad\xFF");
  EXPECT_EQ(out, "bad\xEF\xBF\xBD");
  out.clear();
  append_json_escaped(out, "Zo\xEB", true);  // ISO-8859-1
  EXPECT_EQ(out, "Zo\xC3\xAB");
}

TEST(Text, FhirTextLeavesOutControlCharactersButTabCrLf) {
  std::string out;
  append_json_escaped(out,
                      std::string("a\x00"
                                  "b\x07"
                                  "c\td\re\nf\x1F",
                                  12),
                      false, true);
  EXPECT_EQ(out, "abc\\td\\re\\nf");
  out.clear();
  append_json_string(out, std::string("\x00", 1), false, true);
  EXPECT_EQ(out, "\"\"");
  EXPECT_TRUE(has_fhir_forbidden_control(std::string("x\x00", 2)));
  EXPECT_TRUE(has_fhir_forbidden_control("\x1B[0m"));
  EXPECT_FALSE(has_fhir_forbidden_control("tab\there\r\n"));
  EXPECT_FALSE(has_fhir_forbidden_control("Zo\xC3\xAB \x7F"));
}

TEST(Text, JsonEscapingAtEveryOffset) {
  // Plain runs are skipped 16 and 8 bytes at a time: put each kind of byte that needs a closer
  // look at every offset of a 40-byte string, and next to a second one.
  struct Case {
    std::string_view in;
    std::string_view out;
    bool latin1;
  };
  const Case cases[] = {
      {"\"", "\\\"", false},
      {"\\", "\\\\", false},
      {"\n", "\\n", false},
      {"\x01", "\\u0001", false},
      {"\x1F", "\\u001f", false},
      {"\x7F", "\x7F", false},
      {" ", " ", false},
      {"\xC3\xAB", "\xC3\xAB", false},
      {"\xE2\x82\xAC", "\xE2\x82\xAC", false},
      {"\xFF", "\xEF\xBF\xBD", false},
      {"\xC3", "\xEF\xBF\xBD", false},
      {"\xEB", "\xC3\xAB", true},
  };
  for (const auto& c : cases) {
    for (std::size_t at = 0; at <= 40; ++at) {
      for (std::size_t second : {std::size_t{0}, std::size_t{1}, std::size_t{9}}) {
        std::string in(40, 'a');
        std::string want(40, 'a');
        if (second != 0 && at + second <= 40) {
          in.insert(at + second, 1, '"');
          want.insert(at + second, "\\\"");
        }
        in.insert(at, c.in);
        want.insert(at, c.out);
        std::string out = "x";
        append_json_escaped(out, in, c.latin1);
        ASSERT_EQ(out.substr(1), want)
            << "case " << (&c - cases) << " at " << at << " second " << second;
      }
    }
  }
}

TEST(Text, V2Unescape) {
  hl7v2::Delimiters d;
  std::string out;
  append_v2_text(out, "a\\F\\b\\S\\c\\T\\d\\R\\e\\E\\f\\H\\g\\N\\\\.br\\h\\X41\\", d);
  EXPECT_EQ(out, "a|b^c&d~e\\fg\nhA");
  out.clear();
  append_v2_text(out, "x\\Q\\y\\unterminated", d);
  EXPECT_EQ(out, "x\\Q\\y\\unterminated");
}

TEST(Text, UriDecodingInvertsUrlEncoding) {
  for (const std::string s : {"B82005", "A B/C|d%e", "Zo\xC3\xAB"}) {
    std::string enc;
    append_url_encoded(enc, s);
    std::string dec;
    EXPECT_TRUE(append_uri_decoded(dec, enc)) << s;
    EXPECT_EQ(dec, s);
  }
  std::string out = "keep";
  EXPECT_FALSE(append_uri_decoded(out, "bad%4"));
  EXPECT_FALSE(append_uri_decoded(out, "bad%zz"));
  EXPECT_FALSE(append_uri_decoded(out, ""));
  EXPECT_EQ(out, "keep");
}

TEST(Text, SearchValuesEscapeWhatSearchGivesAMeaning) {
  std::string out;
  append_search_value(out, "Physio room, Leeds Road");
  EXPECT_EQ(out, "Physio%20room%5C%2C%20Leeds%20Road");
  out.clear();
  append_search_value(out, "a|b$c\\d");
  EXPECT_EQ(out, "a%5C%7Cb%5C%24c%5C%5Cd");
  out.clear();
  append_search_value(out, "9434765919");
  EXPECT_EQ(out, "9434765919");
}

TEST(Text, UrlEncoding) {
  std::string out;
  append_url_encoded(out, "https://a.b/c d|e&f");
  EXPECT_EQ(out, "https://a.b/c%20d%7Ce%26f");
  // Every byte: unreserved characters and ':' '/' '@' as they are, the rest as %XX.
  std::string all;
  for (int c = 0; c < 256; ++c) all.push_back(static_cast<char>(c));
  out.assign(1, 'x');  // not = "x": GCC 12 -Wrestrict false positive at -O3
  append_url_encoded(out, all);
  std::string want = "x";
  for (int c = 0; c < 256; ++c) {
    const bool plain =
        (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
        std::string_view("-._~:/@").find(static_cast<char>(c)) != std::string_view::npos;
    if (plain) {
      want.push_back(static_cast<char>(c));
    } else {
      want.push_back('%');
      want.push_back("0123456789ABCDEF"[c >> 4]);
      want.push_back("0123456789ABCDEF"[c & 15]);
    }
  }
  EXPECT_EQ(out, want);
}
