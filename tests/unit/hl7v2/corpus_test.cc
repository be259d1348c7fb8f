// Every sample v2 message: parse, walk, write back byte for byte; the malformed one fails
// with a located error.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "hl7v2/ack.h"
#include "hl7v2/message.h"
#include "hl7v2/mllp.h"
#include "hl7v2/types.h"

namespace fcpgw::hl7v2 {
namespace {

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::filesystem::path corpus() { return std::filesystem::path(FCPGW_CORPUS_DIR) / "v2"; }

TEST(Corpus, EveryFileRoundTripsOrFailsLocated) {
  std::size_t parsed = 0, failed = 0;
  ASSERT_TRUE(std::filesystem::is_directory(corpus())) << corpus();
  for (const auto& entry : std::filesystem::directory_iterator(corpus())) {
    const std::string name = entry.path().filename().string();
    const std::string bytes = read_file(entry.path());
    auto r = Message::parse(bytes);
    if (name.rfind("malformed", 0) == 0) {
      ASSERT_FALSE(r) << name;
      // The MSH line is wrapped inside MSH-10, so MSH-11 and MSH-12 are missing: the first
      // fault in byte order is the missing version id, and the header is kept for the ACK.
      EXPECT_EQ(r.error().code, ParseErrc::missing_required_field) << r.error().message;
      EXPECT_EQ(r.error().segment_index, 1u);
      EXPECT_EQ(r.error().field, 12u);
      EXPECT_EQ(r.error().message, "MSH-12: version id is required");
      ASSERT_TRUE(r.error().header);
      EXPECT_EQ(r.error().header->trigger_event, "T04");
      EXPECT_EQ(r.error().header->control_id, "{6AF4DC6C-5BF1-");
      // Completing MSH shows the next fault: the wrapped remainder is not a segment id.
      std::string fixed = bytes;
      fixed.insert(fixed.find('\n'), "|P|2.3");
      auto r2 = Message::parse(fixed);
      ASSERT_FALSE(r2);
      EXPECT_EQ(r2.error().code, ParseErrc::bad_segment_id);
      EXPECT_EQ(r2.error().segment_index, 2u);
      EXPECT_EQ(r2.error().byte_offset, fixed.find('\n') + 1);
      ++failed;
      continue;
    }
    ASSERT_TRUE(r) << name << ": " << r.error().message;
    const Message& m = *r;
    EXPECT_EQ(m.raw(), bytes) << name;
    EXPECT_EQ(m.segment(1).id(), "MSH");
    EXPECT_FALSE(m.control_id().empty()) << name;
    // Walk everything; text must never fail.
    for (std::size_t s = 1; s <= m.segment_count(); ++s) {
      const Segment seg = m.segment(s);
      for (std::size_t f = 1; f <= seg.field_count(); ++f) {
        for (std::size_t rep = 1; rep <= seg.repetition_count(f); ++rep) {
          (void)m.unescape(seg.component(f, rep, 1));
        }
      }
    }
    // MSH-7 is a valid DTM in every sample.
    EXPECT_TRUE(parse_dtm(m.segment(1).component(7, 1, 1))) << name;
    // An ACK can be built and parsed back.
    AckRequest req;
    req.timestamp = "20240101000000";
    req.control_id = "ACK1";
    const auto ack = Message::parse(build_ack(m.header(), req));
    ASSERT_TRUE(ack) << name << ": " << ack.error().message;
    EXPECT_EQ(ack->find("MSA")->field(2), m.control_id());
    // MLLP framing round trip.
    MllpDecoder dec;
    dec.feed(mllp_frame(bytes));
    EXPECT_EQ(dec.next()->payload, bytes);
    ++parsed;
  }
  EXPECT_GE(parsed, 20u);
  EXPECT_EQ(failed, 1u);
}

TEST(Corpus, SpecificValues) {
  const auto siu = Message::parse(read_file(corpus() / "v2tofhir_SIU-S12.hl7")).value();
  EXPECT_EQ(siu.message_structure(), "SIU_S12");
  EXPECT_EQ(siu.get(parse_path("SCH-11.4").value()), "20150613140000");
  EXPECT_EQ(siu.get(parse_path("AIP-3.1").value()), "JPULLEN1");
  const CX id2 = parse_cx(siu.get(parse_path("PID-3[2]").value()), siu.delimiters());
  EXPECT_EQ(id2.id, "N09204074");
  EXPECT_EQ(id2.assigning_authority.namespace_id, "WADMV");
  const XPN name = parse_xpn(siu.get(parse_path("PID-5").value()), siu.delimiters());
  EXPECT_EQ(name.family, "Everywoman");
  const Dtm start = parse_dtm(siu.get(parse_path("SCH-11.4").value())).value();
  EXPECT_EQ(to_iso8601(start), "2015-06-13T14:00:00");

  const auto bom = Message::parse(read_file(corpus() / "ms_LAB-ORU-1.hl7")).value();
  EXPECT_EQ(bom.segment(1).field(3), "SomeSystem");

  const auto trunc = Message::parse(read_file(corpus() / "v2tofhir_ORU-R01.hl7")).value();
  EXPECT_EQ(trunc.delimiters().truncation, '#');
}

}  // namespace
}  // namespace fcpgw::hl7v2
