// Property test: a few hundred random but valid REF^I12 messages (seeded PRNG) go v2 -> FHIR ->
// v2, and every mapped field comes back (compared field by field, unescaped; date-times by
// meaning). The generator covers UTF-8 and delimiter characters in names and notes, optional
// segments present or absent, every priority and referral status, and BST/GMT times.

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "hl7v2/message.h"
#include "hl7v2/types.h"
#include "roundtrip_support.h"

using namespace fcpgw;
using mappings::testing::Gen;

namespace {

const mappings::Engine& engine() { return mappings::testing::shipped_engine(); }

// A local date-time with no offset, in BST or GMT (Europe/London), or with an explicit one.
std::string dtm(Gen& g) {
  const int month = 1 + g.pick(12);
  const int day = 1 + g.pick(28);
  char buf[64];
  std::snprintf(buf, sizeof buf, "2025%02d%02d%02d%02d00", month, day, 7 + g.pick(12), g.pick(60));
  std::string s = buf;
  if (g.pick(4) == 0) s += g.one(std::vector<std::string>{"+0000", "+0100"});
  return s;
}

// The same instant? (Both must parse; offsets resolved the way the engine does for London.)
std::string norm_dtm(std::string_view v) {
  auto d = hl7v2::parse_dtm(v);
  if (!d) return "bad:" + std::string(v);
  return std::string(v.substr(0, 12));  // to the minute, local wall time as sent and returned
}

struct Ref {
  std::string er7;
  std::string status, priority, id, filler, authored, start, reason, family, given, hcpc, nhs,
      pfamily, pgiven, ods, diag, obs_value, note;
  bool dg1 = false, obx = false, performer_person = false;
};

Ref make(Gen& g, int n) {
  Ref r;
  r.status = g.one(std::vector<std::string>{"P", "A", "R", "E"});
  r.priority = g.one(std::vector<std::string>{"S", "A", "R", "U"});
  r.id = "REF-" + std::to_string(n) + "-" + g.digits(5);
  r.filler = g.coin() ? "HUB" + g.digits(6) : "";
  r.authored = dtm(g);
  r.start = g.coin() ? r.authored.substr(0, 8) : "";
  r.reason = g.one(std::vector<std::string>{"S", "P", "O", "W", ""});
  r.family = g.name();
  r.given = g.name();
  r.hcpc = "PH" + g.digits(6);
  r.nhs = g.nhs_number();
  r.performer_person = g.coin();
  r.pfamily = g.name();
  r.pgiven = g.name();
  r.ods = g.one(std::vector<std::string>{"RBA", "RH8", "R0A", "RDZ"});
  r.dg1 = g.coin();
  r.diag = g.one(std::vector<std::string>{
      "279039007^Low back pain", "239873007^Osteoarthritis of knee", "202794004^Frozen shoulder"});
  r.obx = g.coin();
  r.obs_value =
      g.one(std::vector<std::string>{"NEG^No red flags identified", "POS^Red flags present"});
  r.note = g.coin() ? "Advice \\E\\ exercises; " + g.name() + " \\R\\ review 6/52" : "";
  std::string m = "MSH|^~\\&|EMISWeb|B82005|MSKHUB|" + r.ods + "|" + r.authored +
                  "||REF^I12^REF_I12|C" + std::to_string(n) + "|P|2.5.1|||AL|NE||UNICODE UTF-8\r";
  m += "RF1|" + r.status + "^^HL70283|" + r.priority +
       "|Med^Medical^HL70281^183545006^Referral to orthopaedic service^SCT||O|" + r.id + "|" +
       r.start + "||" + r.authored + "|" + r.reason + "|" + r.filler + "\r";
  m += "PRD|RP^Referring Provider^HL70286|" + r.family + "^" + r.given + "|||||" + r.hcpc +
       "^HCPC\r";
  if (r.performer_person)
    m += "PRD|RT^Referred to Provider^HL70286|" + r.pfamily + "^" + r.pgiven + "|||||7" +
         g.digits(6) + "^GMC~" + r.ods + "^ODS\r";
  else
    m += "PRD|RT^Referred to Provider^HL70286||||||" + r.ods + "^ODS\r";
  m += "PID|1||" + r.nhs + "^^^NHS^NH||" + r.family + "^" + r.given + "||19700101|F\r";
  if (r.dg1) m += "DG1|1||" + r.diag + "^SCT||20250101|W\r";
  if (r.obx) {
    m += "OBR|1|||183545006^Referral to orthopaedic service^SCT\r";
    m += "OBX|1|CE|RFS^Red flag screen^L||" + r.obs_value + "^L||||||F\r";
    if (!r.note.empty()) m += "PV1|1|O\r";
  }
  if (!r.note.empty()) m += "NTE|1||" + r.note + "\r";
  r.er7 = m;
  return r;
}

std::optional<hl7v2::Segment> find(const hl7v2::Message& m, std::string_view id, int nth = 1) {
  return mappings::testing::find_segment(m, id, nth);
}

}  // namespace

TEST(RoundTripReferral, RandomRefI12KeepsEveryMappedField) {
  const unsigned seed = mappings::testing::property_seed(20250602);
  Gen g(seed);
  for (int n = 0; n < 300; ++n) {
    const Ref r = make(g, n);
    SCOPED_TRACE("seed " + std::to_string(seed) + " (FCPGW_PROPERTY_SEED), case " +
                 std::to_string(n) + ":\n" + r.er7);
    auto in = hl7v2::Message::parse(r.er7);
    ASSERT_TRUE(in) << in.error().message;
    auto fhir_out = engine().v2_to_fhir(*in);
    ASSERT_TRUE(fhir_out) << fhir_out.error().front().location << " "
                          << fhir_out.error().front().message;
    auto doc = fhir::parse(fhir_out->output);
    ASSERT_TRUE(doc);
    mappings::Options opt;
    opt.message_time = "2025-06-02T09:00:00+01:00";
    auto back = engine().fhir_to_v2(doc->root(), nullptr, opt);
    ASSERT_TRUE(back) << back.error().front().location << " " << back.error().front().message;
    auto out = hl7v2::Message::parse(back->output);
    ASSERT_TRUE(out) << out.error().message;
    EXPECT_EQ(out->trigger_event(), "I12");
    auto val = [](const hl7v2::Message& m, const hl7v2::Segment* s, std::size_t f, std::size_t rep,
                  std::size_t c) {
      return s ? m.unescape(s->component(f, rep, c)) : std::string("<no segment>");
    };
    auto a = find(*in, "RF1");
    const hl7v2::Segment rf1_in = *a;
    auto b = find(*out, "RF1");
    ASSERT_TRUE(b.has_value());
    const hl7v2::Segment rf1_out = *b;
    for (std::size_t f : {1u, 2u, 6u, 10u, 11u})
      EXPECT_EQ(val(*out, &rf1_out, f, 1, 1), val(*in, &rf1_in, f, 1, 1)) << "RF1-" << f;
    for (std::size_t c : {1u, 2u, 3u, 4u, 5u, 6u})
      EXPECT_EQ(val(*out, &rf1_out, 3, 1, c), val(*in, &rf1_in, 3, 1, c)) << "RF1-3." << c;
    EXPECT_EQ(norm_dtm(rf1_out.component(9, 1, 1)), norm_dtm(rf1_in.component(9, 1, 1)));
    if (!r.start.empty()) {
      EXPECT_EQ(val(*out, &rf1_out, 7, 1, 1), r.start);
    }
    // PRD RP / RT
    const hl7v2::Segment rp_in = *find(*in, "PRD", 1);
    auto rp = find(*out, "PRD", 1);
    ASSERT_TRUE(rp.has_value());
    const hl7v2::Segment rp_out = *rp;
    EXPECT_EQ(val(*out, &rp_out, 1, 1, 1), "RP");
    for (std::size_t c : {1u, 2u})
      EXPECT_EQ(val(*out, &rp_out, 2, 1, c), val(*in, &rp_in, 2, 1, c));
    EXPECT_EQ(val(*out, &rp_out, 7, 1, 1), r.hcpc);
    EXPECT_EQ(val(*out, &rp_out, 7, 1, 2), "HCPC");
    const hl7v2::Segment rt_in = *find(*in, "PRD", 2);
    auto rt = find(*out, "PRD", 2);
    ASSERT_TRUE(rt.has_value());
    const hl7v2::Segment rt_out = *rt;
    EXPECT_EQ(val(*out, &rt_out, 1, 1, 1), "RT");
    if (r.performer_person) {
      for (std::size_t c : {1u, 2u})
        EXPECT_EQ(val(*out, &rt_out, 2, 1, c), val(*in, &rt_in, 2, 1, c));
      EXPECT_EQ(val(*out, &rt_out, 7, 1, 1), val(*in, &rt_in, 7, 1, 1)) << "GMC number";
      EXPECT_EQ(val(*out, &rt_out, 4, 1, 4), r.ods);
    } else {
      EXPECT_EQ(val(*out, &rt_out, 7, 1, 1), r.ods);
    }
    // PID
    const hl7v2::Segment pid_in = *find(*in, "PID");
    const hl7v2::Segment pid_out = *find(*out, "PID");
    EXPECT_EQ(val(*out, &pid_out, 3, 1, 1), r.nhs);
    EXPECT_EQ(val(*out, &pid_out, 3, 1, 5), "NH");
    for (std::size_t c : {1u, 2u})
      EXPECT_EQ(val(*out, &pid_out, 5, 1, c), val(*in, &pid_in, 5, 1, c));
    // DG1 / OBX / NTE present exactly when sent
    EXPECT_EQ(find(*out, "DG1").has_value(), r.dg1);
    if (r.dg1) {
      const hl7v2::Segment d_in = *find(*in, "DG1");
      const hl7v2::Segment d_out = *find(*out, "DG1");
      for (std::size_t c : {1u, 2u, 3u})
        EXPECT_EQ(val(*out, &d_out, 3, 1, c), val(*in, &d_in, 3, 1, c));
      EXPECT_EQ(val(*out, &d_out, 6, 1, 1), "W");
    }
    EXPECT_EQ(find(*out, "OBX").has_value(), r.obx);
    if (r.obx) {
      const hl7v2::Segment o_in = *find(*in, "OBX");
      const hl7v2::Segment o_out = *find(*out, "OBX");
      EXPECT_EQ(val(*out, &o_out, 2, 1, 1), "CE");
      for (std::size_t c : {1u, 2u}) {
        EXPECT_EQ(val(*out, &o_out, 3, 1, c), val(*in, &o_in, 3, 1, c));
        EXPECT_EQ(val(*out, &o_out, 5, 1, c), val(*in, &o_in, 5, 1, c));
      }
      EXPECT_EQ(val(*out, &o_out, 11, 1, 1), "F");
    }
    EXPECT_EQ(find(*out, "NTE").has_value(), !r.note.empty());
    if (!r.note.empty()) {
      const hl7v2::Segment n_out = *find(*out, "NTE");
      EXPECT_EQ(val(*out, &n_out, 3, 1, 1), in->unescape(r.note));
    }
  }
}
