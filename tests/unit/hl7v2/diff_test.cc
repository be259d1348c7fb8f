#include "hl7v2/diff.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace fcpgw::hl7v2;

namespace {

using Lines = std::vector<std::string>;

Lines diff_lines(const std::string& expected, const std::string& got, const DiffOptions& o = {}) {
  auto e = Message::parse(expected);
  auto g = Message::parse(got);
  EXPECT_TRUE(e) << (e ? "" : e.error().message);
  EXPECT_TRUE(g) << (g ? "" : g.error().message);
  Lines out;
  if (!e || !g) return out;
  for (const auto& d : diff(*e, *g, o)) out.push_back(to_string(d));
  return out;
}

const std::string kMsh = "MSH|^~\\&|A|B|C|D|20250601||SIU^S12^SIU_S12|1|P|2.5.1\r";

TEST(Hl7v2Diff, SameMessageWhateverTheLineEndings) {
  const std::string m = kMsh + "PID|1||9434765919^^^NHS^NH||O'Brian^Si\\E\\n\r";
  std::string lf = m;
  for (auto& c : lf)
    if (c == '\r') c = '\n';
  EXPECT_EQ(diff_lines(m, lf), Lines{});
}

TEST(Hl7v2Diff, ComponentDifferenceIsLocatedAndDecoded) {
  EXPECT_EQ(diff_lines(kMsh + "PID|1||123||Jones^Si\xC3\xA2n\r", kMsh + "PID|1||123||Jones^Sian\r"),
            Lines{"PID-5[1].2: expected \"Si\xC3\xA2n\", got \"Sian\""});
}

TEST(Hl7v2Diff, ExtraAndMissingSegmentsByOccurrence) {
  const std::string sch = "SCH|1|2\r";
  EXPECT_EQ(diff_lines(kMsh + sch + "NTE|1||a\r", kMsh + sch + "NTE|1||a\rNTE|2||b\r"),
            Lines{"+ NTE[2]: \"NTE|2||b\""});
  EXPECT_EQ(diff_lines(kMsh + sch + "AIL|1\r", kMsh + sch), Lines{"- AIL: \"AIL|1\""});
}

TEST(Hl7v2Diff, FieldsRepetitionsAndSubcomponents) {
  EXPECT_EQ(diff_lines(kMsh + "PID|1||1~2\r", kMsh + "PID|1||1\r"), Lines{"- PID-3[2]: \"2\""});
  EXPECT_EQ(diff_lines(kMsh + "PID|1||1\r", kMsh + "PID|1||1~2\r"), Lines{"+ PID-3[2]: \"2\""});
  EXPECT_EQ(diff_lines(kMsh + "PID|1||1^^^NHS&2.16&ISO\r", kMsh + "PID|1||1^^^NHS&2.17&ISO\r"),
            Lines{"PID-3[1].4.2: expected \"2.16\", got \"2.17\""});
  EXPECT_EQ(diff_lines(kMsh + "PID|1||1|||||F\r", kMsh + "PID|1||1\r"), Lines{"- PID-8[1]: \"F\""});
  EXPECT_EQ(diff_lines(kMsh + "PID|1||1|||||M\r", kMsh + "PID|1||1|||||F\r"),
            Lines{"PID-8[1]: expected \"M\", got \"F\""});
  EXPECT_EQ(diff_lines(kMsh + "PID|1||a^b\r", kMsh + "PID|1||a^b^c\r"),
            Lines{"PID-3[1].3: expected \"\", got \"c\""});
}

TEST(Hl7v2Diff, EscapesAreComparedAsTextButShownRawWhenOnlyTheyDiffer) {
  EXPECT_EQ(diff_lines(kMsh + "NTE|1||x\\F\\y\r", kMsh + "NTE|1||x\\X7C\\y\r"),
            Lines{"NTE-3[1]: expected \"x\\F\\y\", got \"x\\X7C\\y\""});
  EXPECT_EQ(diff_lines(kMsh + "NTE|1||x\\F\\y\r", kMsh + "NTE|1||x\\F\\z\r"),
            Lines{"NTE-3[1]: expected \"x|y\", got \"x|z\""});
}

TEST(Hl7v2Diff, MshHeaderFields) {
  const std::string other = "MSH|^~\\&|A|B|C|D|20250601||SIU^S13^SIU_S12|1|P|2.5.1\r";
  EXPECT_EQ(diff_lines(kMsh, other), Lines{"MSH-9[1].2: expected \"S12\", got \"S13\""});
}

TEST(Hl7v2Diff, AnInsertedSegmentOrRepetitionIsOneLine) {
  const std::string sch = "SCH|1|2\r";
  // A new NTE between two others: one added line (at its place in the output).
  EXPECT_EQ(diff_lines(kMsh + sch + "NTE|1||a\rNTE|2||b\r",
                       kMsh + sch + "NTE|1||a\rNTE|2||new\rNTE|3||b\r"),
            (Lines{"NTE[3]-1[1]: expected \"2\", got \"3\"", "+ NTE[2]: \"NTE|2||new\""}));
  EXPECT_EQ(
      diff_lines(kMsh + "PID|1||1^^^A~2^^^B~3^^^C\r", kMsh + "PID|1||0^^^Z~1^^^A~2^^^B~3^^^C\r"),
      Lines{"+ PID-3[1]: \"0^^^Z\""});
  EXPECT_EQ(diff_lines(kMsh + "PID|1||1^^^A~2^^^B~3^^^C\r", kMsh + "PID|1||1^^^A~3^^^C\r"),
            Lines{"- PID-3[2]: \"2^^^B\""});
  // A repetition changed in place is compared component by component.
  EXPECT_EQ(diff_lines(kMsh + "PID|1||1^^^A~2^^^B\r", kMsh + "PID|1||1^^^A~2^^^X\r"),
            Lines{"PID-3[2].4: expected \"B\", got \"X\""});
}

TEST(Hl7v2Diff, SegmentOrder) {
  EXPECT_EQ(diff_lines(kMsh + "SCH|1\rPID|1\r", kMsh + "PID|1\rSCH|1\r"),
            Lines{"segment order: expected MSH SCH PID, got MSH PID SCH"});
}

TEST(Hl7v2Diff, LimitAtAndOnePast) {
  DiffOptions o;
  o.max_differences = 2;
  EXPECT_EQ(diff_lines(kMsh + "PID|a|b\r", kMsh + "PID|c|d\r", o).size(), 2u);
  EXPECT_EQ(diff_lines(kMsh + "PID|a|b|e\r", kMsh + "PID|c|d|f\r", o).size(), 2u);
  o = {};
  o.max_value_chars = 3;
  EXPECT_EQ(diff_lines(kMsh + "NTE|1||abc\r", kMsh + "NTE|1||abcd\r"),
            Lines{"NTE-3[1]: expected \"abc\", got \"abcd\""});
  EXPECT_EQ(diff_lines(kMsh + "NTE|1||abc\r", kMsh + "NTE|1||abcd\r", o),
            Lines{"NTE-3[1]: expected \"abc\", got \"abc...\""});
}

}  // namespace
