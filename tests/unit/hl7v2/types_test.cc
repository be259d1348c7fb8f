#include "hl7v2/types.h"

#include <gtest/gtest.h>

#include "hl7v2/message.h"

namespace fcpgw::hl7v2 {
namespace {

const Delimiters kStd{};

Dtm dtm(std::string_view s) {
  auto r = parse_dtm(s);
  if (!r) ADD_FAILURE() << s << ": " << r.error().message;
  return r ? *r : Dtm{};
}

TEST(Dtm, EveryPrecision) {
  Dtm d = dtm("2024");
  EXPECT_EQ(d.year, 2024);
  EXPECT_EQ(d.precision, DtmPrecision::year);
  EXPECT_EQ(to_iso8601(d), "2024");
  d = dtm("202402");
  EXPECT_EQ(d.month, 2);
  EXPECT_EQ(d.precision, DtmPrecision::month);
  EXPECT_EQ(to_iso8601(d), "2024-02");
  d = dtm("20240229");
  EXPECT_EQ(d.day, 29);
  EXPECT_EQ(d.precision, DtmPrecision::day);
  EXPECT_EQ(to_iso8601(d), "2024-02-29");
  d = dtm("2024022913");
  EXPECT_EQ(d.hour, 13);
  EXPECT_EQ(d.precision, DtmPrecision::hour);
  EXPECT_EQ(to_iso8601(d), "2024-02-29T13:00");
  d = dtm("202402291345");
  EXPECT_EQ(d.minute, 45);
  EXPECT_EQ(d.precision, DtmPrecision::minute);
  EXPECT_EQ(to_iso8601(d), "2024-02-29T13:45");
  d = dtm("20240229134559");
  EXPECT_EQ(d.second, 59);
  EXPECT_EQ(d.precision, DtmPrecision::second);
  EXPECT_EQ(to_iso8601(d), "2024-02-29T13:45:59");
  for (std::string_view f : {".1", ".12", ".123", ".1234"}) {
    d = dtm("20240229134559" + std::string(f));
    EXPECT_EQ(d.precision, DtmPrecision::fraction);
    EXPECT_EQ(d.fraction_digits, static_cast<int>(f.size() - 1));
    EXPECT_EQ(to_iso8601(d), "2024-02-29T13:45:59" + std::string(f));
  }
  EXPECT_EQ(dtm("20240229134559.25").microseconds(), 250000);
  EXPECT_EQ(dtm("20240229134559.0001").microseconds(), 100);
}

TEST(Dtm, Offsets) {
  Dtm d = dtm("20150601145823+0100");
  ASSERT_TRUE(d.offset_minutes);
  EXPECT_EQ(*d.offset_minutes, 60);
  EXPECT_EQ(to_iso8601(d), "2015-06-01T14:58:23+01:00");
  d = dtm("20150601145823-0530");
  EXPECT_EQ(*d.offset_minutes, -330);
  EXPECT_EQ(to_iso8601(d), "2015-06-01T14:58:23-05:30");
  EXPECT_EQ(to_iso8601(dtm("201506011458+0000")), "2015-06-01T14:58Z");
  EXPECT_EQ(*dtm("2015+1400").offset_minutes, 840);
  EXPECT_EQ(*dtm("2015-1400").offset_minutes, -840);
  EXPECT_EQ(*dtm("20150601145823.5+0100").offset_minutes, 60);
  EXPECT_FALSE(dtm("20150601").offset_minutes);
}

TEST(Dtm, FormatRoundTrip) {
  for (std::string_view s :
       {"2024", "202402", "20240229", "2024022913", "202402291345", "20240229134559",
        "20240229134559.1234", "20240229134559.05-0330", "2024+0000"}) {
    EXPECT_EQ(format_dtm(dtm(s)), s);
  }
}

TEST(Dtm, SpacesAroundAreIgnored) { EXPECT_EQ(dtm(" 200803061000 ").minute, 0); }

TEST(Dtm, LeapYears) {
  EXPECT_EQ(dtm("20000229").day, 29);
  EXPECT_FALSE(parse_dtm("19000229"));
  EXPECT_FALSE(parse_dtm("20230229"));
}

struct BadDtm {
  const char* text;
  const char* needle;
};

TEST(Dtm, RejectsImpossibleAndMalformed) {
  for (const BadDtm& b : {BadDtm{"", "found nothing"},
                          BadDtm{"   ", "found nothing"},
                          BadDtm{"202", "digits"},
                          BadDtm{"20241", "digits"},
                          BadDtm{"202413", "month 13"},
                          BadDtm{"202400", "month 00"},
                          BadDtm{"20240132", "day 32"},
                          BadDtm{"20240230", "day 30"},
                          BadDtm{"20240431", "day 31"},
                          BadDtm{"20240100", "day 00"},
                          BadDtm{"2024010124", "hour 24"},
                          BadDtm{"202401012360", "minute 60"},
                          BadDtm{"20240101235960", "second 60"},
                          BadDtm{"202401012359.5", "need seconds"},
                          BadDtm{"20240101235959.", "1 to 4 digits"},
                          BadDtm{"20240101235959.12345", "1 to 4 digits"},
                          BadDtm{"2024+1401", "out of range"},
                          BadDtm{"2024-1500", "out of range"},
                          BadDtm{"2024+0160", "out of range"},
                          BadDtm{"2024+01", "4 digits"},
                          BadDtm{"2024+", "4 digits"},
                          BadDtm{"2024x", "unexpected"},
                          BadDtm{"20240101^2", "unexpected"},
                          BadDtm{"2024-01-01", "4 digits"},
                          BadDtm{"202401012359591", "digits"},
                          BadDtm{"20240101+0100Z", "unexpected"}}) {
    auto r = parse_dtm(b.text);
    ASSERT_FALSE(r) << b.text;
    EXPECT_NE(r.error().message.find(b.needle), std::string::npos)
        << b.text << ": " << r.error().message;
    EXPECT_EQ(r.error().message.rfind("DTM: ", 0), 0u);
  }
  EXPECT_EQ(parse_dtm("202413").error().position, 4u);
  EXPECT_EQ(parse_dtm("20240230").error().position, 6u);
}

TEST(Types, HD) {
  HD h = parse_hd("SndApp^1.2.3.4^ISO", kStd);
  EXPECT_EQ(h.namespace_id, "SndApp");
  EXPECT_EQ(h.universal_id, "1.2.3.4");
  EXPECT_EQ(h.universal_id_type, "ISO");
  h = parse_hd("AA&1.2&ISO", kStd, Level::component);
  EXPECT_EQ(h.namespace_id, "AA");
  EXPECT_EQ(h.universal_id_type, "ISO");
  EXPECT_TRUE(parse_hd("", kStd).empty());
}

TEST(Types, CX) {
  const CX cx = parse_cx(
      "1032702^4^M11^V2FHIR&1.2.3.4.5&ISO^MR^AssignFac&1.2.3.4.5.6.3&ISO^20190101^20290101", kStd);
  EXPECT_EQ(cx.id, "1032702");
  EXPECT_EQ(cx.check_digit, "4");
  EXPECT_EQ(cx.check_digit_scheme, "M11");
  EXPECT_EQ(cx.assigning_authority.namespace_id, "V2FHIR");
  EXPECT_EQ(cx.assigning_authority.universal_id, "1.2.3.4.5");
  EXPECT_EQ(cx.assigning_authority.universal_id_type, "ISO");
  EXPECT_EQ(cx.identifier_type, "MR");
  EXPECT_EQ(cx.assigning_facility.namespace_id, "AssignFac");
  EXPECT_EQ(cx.assigning_facility.universal_id, "1.2.3.4.5.6.3");
  EXPECT_EQ(cx.effective_date, "20190101");
  EXPECT_EQ(cx.expiration_date, "20290101");
  const CX nhs = parse_cx("9434765919^^^NHS^NH", kStd);
  EXPECT_EQ(nhs.id, "9434765919");
  EXPECT_EQ(nhs.assigning_authority.namespace_id, "NHS");
  EXPECT_EQ(nhs.identifier_type, "NH");
  EXPECT_EQ(parse_cx("A\\S\\B", kStd).id, "A^B");
}

TEST(Types, XPN) {
  const XPN x = parse_xpn("Everywoman&van^Eve^L^Jr^Dr^PhD^L^^^^G^20000909^20301231^RN", kStd);
  EXPECT_EQ(x.family, "Everywoman");
  EXPECT_EQ(x.given, "Eve");
  EXPECT_EQ(x.middle, "L");
  EXPECT_EQ(x.suffix, "Jr");
  EXPECT_EQ(x.prefix, "Dr");
  EXPECT_EQ(x.degree, "PhD");
  EXPECT_EQ(x.name_type, "L");
  EXPECT_EQ(x.effective_date, "20000909");
  EXPECT_EQ(x.expiration_date, "20301231");
  EXPECT_EQ(x.professional_suffix, "RN");
  EXPECT_EQ(parse_xpn("O\\T\\Brien^Se\\E\\n", kStd).family, "O&Brien");
  EXPECT_EQ(parse_xpn("O\\T\\Brien^Se\\E\\n", kStd).given, "Se\\n");
}

TEST(Types, XCN) {
  const XCN x = parse_xcn(
      "214425290^Doctor^Emory^E^Sr^Dr^MD^SRC^AssignAuth&1.2.3.4.5.6&ISO^L^1^M10^NPI^"
      "AssignFac&1.2.3.4.5.6.3&ISO^^G",
      kStd);
  EXPECT_EQ(x.id, "214425290");
  EXPECT_EQ(x.family, "Doctor");
  EXPECT_EQ(x.given, "Emory");
  EXPECT_EQ(x.middle, "E");
  EXPECT_EQ(x.suffix, "Sr");
  EXPECT_EQ(x.prefix, "Dr");
  EXPECT_EQ(x.degree, "MD");
  EXPECT_EQ(x.source_table, "SRC");
  EXPECT_EQ(x.assigning_authority.namespace_id, "AssignAuth");
  EXPECT_EQ(x.assigning_authority.universal_id, "1.2.3.4.5.6");
  EXPECT_EQ(x.name_type, "L");
  EXPECT_EQ(x.check_digit, "1");
  EXPECT_EQ(x.check_digit_scheme, "M10");
  EXPECT_EQ(x.identifier_type, "NPI");
  EXPECT_EQ(x.assigning_facility.namespace_id, "AssignFac");
  const XCN uk = parse_xcn("PH123456^SURNAME^GIVEN^^^^^^HCPC", kStd);
  EXPECT_EQ(uk.assigning_authority.namespace_id, "HCPC");
}

TEST(Types, EI) {
  EI e = parse_ei("12345^SndApp^1.2.3.4.5.2^ISO", kStd);
  EXPECT_EQ(e.entity_id, "12345");
  EXPECT_EQ(e.namespace_id, "SndApp");
  EXPECT_EQ(e.universal_id, "1.2.3.4.5.2");
  EXPECT_EQ(e.universal_id_type, "ISO");
  e = parse_ei("X&NS", kStd, Level::component);
  EXPECT_EQ(e.entity_id, "X");
  EXPECT_EQ(e.namespace_id, "NS");
}

TEST(Types, CEAndCWE) {
  const CE ce = parse_ce("OV15^OFFICE VISIT\\T\\15^L^ALT^Alt text^99X", kStd);
  EXPECT_EQ(ce.identifier, "OV15");
  EXPECT_EQ(ce.text, "OFFICE VISIT&15");
  EXPECT_EQ(ce.coding_system, "L");
  EXPECT_EQ(ce.alt_identifier, "ALT");
  EXPECT_EQ(ce.alt_text, "Alt text");
  EXPECT_EQ(ce.alt_coding_system, "99X");
  const CWE cwe = parse_cwe("a^b^c^d^e^f^v1^v2^orig", kStd);
  EXPECT_EQ(cwe.coding_system_version, "v1");
  EXPECT_EQ(cwe.alt_coding_system_version, "v2");
  EXPECT_EQ(cwe.original_text, "orig");
  EXPECT_EQ(parse_cwe("N& Not Hispanic&HL70189", kStd, Level::component).coding_system, "HL70189");
}

TEST(Types, PL) {
  const PL pl = parse_pl("EMERG^101^01^Fac&1.2&ISO^A^C^B1^2^Desc", kStd);
  EXPECT_EQ(pl.point_of_care, "EMERG");
  EXPECT_EQ(pl.room, "101");
  EXPECT_EQ(pl.bed, "01");
  EXPECT_EQ(pl.facility.namespace_id, "Fac");
  EXPECT_EQ(pl.facility.universal_id, "1.2");
  EXPECT_EQ(pl.location_status, "A");
  EXPECT_EQ(pl.location_type, "C");
  EXPECT_EQ(pl.building, "B1");
  EXPECT_EQ(pl.floor, "2");
  EXPECT_EQ(pl.description, "Desc");
}

TEST(Types, FromMessageViews) {
  const auto m = Message::parse(
                     "MSH|^~\\&|A||||||SIU^S12|1|P|2.5.1\r"
                     "PID|1||111^^^NHS^NH~222^^^R0A^MR||Smith^John\r")
                     .value();
  const CX second = parse_cx(m.find("PID")->repetition(3, 2), m.delimiters());
  EXPECT_EQ(second.id, "222");
  EXPECT_EQ(second.assigning_authority.namespace_id, "R0A");
}

}  // namespace
}  // namespace fcpgw::hl7v2
