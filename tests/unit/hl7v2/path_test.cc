#include "hl7v2/path.h"

#include <gtest/gtest.h>

namespace fcpgw::hl7v2 {
namespace {

Path ok(std::string_view s) {
  auto r = parse_path(s);
  if (!r) ADD_FAILURE() << r.error().message;
  return r ? *r : Path{};
}

TEST(Path, Forms) {
  Path p = ok("PID-3");
  EXPECT_EQ(p.segment_id(), "PID");
  EXPECT_EQ(p.occurrence, 1u);
  EXPECT_EQ(p.field, 3u);
  EXPECT_EQ(p.repetition, 1u);
  EXPECT_EQ(p.component, 0u);
  EXPECT_EQ(p.subcomponent, 0u);
  EXPECT_FALSE(p.repetition_given);

  p = ok("PID-3[2]");
  EXPECT_EQ(p.repetition, 2u);
  EXPECT_TRUE(p.repetition_given);

  p = ok("PID-3[2].4");
  EXPECT_EQ(p.component, 4u);
  p = ok("PID-3[2].4.1");
  EXPECT_EQ(p.subcomponent, 1u);
  p = ok("SCH-11.4");
  EXPECT_EQ(p.field, 11u);
  EXPECT_EQ(p.component, 4u);
  EXPECT_EQ(p.repetition, 1u);
  p = ok("AIP-3.1");
  EXPECT_EQ(p.segment_id(), "AIP");
  p = ok("OBX[2]-5");
  EXPECT_EQ(p.occurrence, 2u);
  EXPECT_TRUE(p.occurrence_given);
  EXPECT_EQ(p.field, 5u);
  p = ok("ZU1-1");
  EXPECT_EQ(p.segment_id(), "ZU1");
}

TEST(Path, ToStringRoundTrips) {
  for (std::string_view s : {"PID-3", "PID-3[2]", "PID-3[2].4", "PID-3[2].4.1", "SCH-11.4",
                             "OBX[2]-5", "OBX[12]-5[3].2.1"}) {
    EXPECT_EQ(ok(s).to_string(), s);
  }
}

struct Bad {
  const char* text;
  std::size_t position;
  const char* needle;
};

TEST(Path, ErrorsSayWhatAndWhere) {
  for (const Bad& b : {Bad{"", 0, "segment id"},
                       Bad{"PI", 0, "segment id"},
                       Bad{"pid-3", 0, "segment id"},
                       Bad{"1ID-3", 0, "segment id"},
                       Bad{"PID", 3, "'-'"},
                       Bad{"PID3", 3, "'-'"},
                       Bad{"PID-", 4, "field number"},
                       Bad{"PID-x", 4, "field number"},
                       Bad{"PID-0", 4, "at least 1"},
                       Bad{"PID-3[", 6, "repetition"},
                       Bad{"PID-3[2", 7, "']'"},
                       Bad{"PID-3[0]", 6, "at least 1"},
                       Bad{"PID-3.", 6, "component"},
                       Bad{"PID-3.1.", 8, "subcomponent"},
                       Bad{"PID-3.1.1.1", 9, "end of path"},
                       Bad{"PID-3 ", 5, "end of path"},
                       Bad{"OBX[-5", 4, "segment occurrence"},
                       Bad{"PID-10000", 4, "between 1 and 9999"},
                       Bad{"PID-99999999999999999999", 4, "between 1 and 9999"},
                       Bad{"OBX[100000]-5", 4, "between 1 and 99999"}}) {
    auto r = parse_path(b.text);
    ASSERT_FALSE(r) << b.text;
    EXPECT_EQ(r.error().position, b.position) << b.text << ": " << r.error().message;
    EXPECT_NE(r.error().message.find(b.needle), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("at character"), std::string::npos);
  }
}

TEST(Path, ErrorMessageExample) {
  auto r = parse_path("PID-x");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "path 'PID-x': expected field number at character 5 (found 'x')");
}

}  // namespace
}  // namespace fcpgw::hl7v2
