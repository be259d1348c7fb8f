// `fcpgw mappings test --update / --accept` (writing expected files) and the constants a
// folder of golden cases sets (constants.json). Temporary folders, the command in-process.
#include "gateway/cli/golden_update.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "gateway/cli/rule_index.h"
#include "test_support.h"

namespace fcpgw::gateway {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::read_file;
using testing::run;

const fs::path kGolden = fs::path(FCPGW_SOURCE_DIR) / "mappings" / "golden";

class GoldenUpdateTest : public testing::TempDirTest {
 protected:
  void copy(const std::string& from, const std::string& to) { file(to, read_file(kGolden / from)); }
  testing::CliRun test(std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"mappings", "test"};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back(dir_.string());
    return run(args);
  }
};

TEST_F(GoldenUpdateTest, WithoutTheFlagsNothingIsWritten) {
  copy("appointments/s15_cancelled.hl7", "new.hl7");
  auto r = test();
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.out, HasSubstr("no expected result: add new.expected.json"));
  EXPECT_FALSE(fs::exists(dir_ / "new.expected.json"));
}

TEST_F(GoldenUpdateTest, UpdateWritesNewCasesAndShowsWhatChanged) {
  copy("appointments/s15_cancelled.hl7", "new.hl7");
  copy("appointments/s26_noshow.hl7", "changed.hl7");
  std::string want = read_file(kGolden / "appointments/s26_noshow.expected.json");
  want.replace(want.find("\"noshow\""), 8, "\"booked\"");
  file("changed.expected.json", want);
  copy("appointments/s15_cancelled.hl7", "same.hl7");
  copy("appointments/s15_cancelled.expected.json", "same.expected.json");
  const std::string untouched = read_file(dir_ / "same.expected.json");

  auto r = test({"--update"});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("UPDATE changed (v2 -> FHIR, siu-to-fhir)\n     "
                               "entry[0].resource.status: expected \"booked\", got \"noshow\""));
  EXPECT_THAT(r.out, HasSubstr("     wrote " + (dir_ / "changed.expected.json").string() + "\n"));
  EXPECT_THAT(r.out, HasSubstr("UPDATE new (v2 -> FHIR, siu-to-fhir)"));
  EXPECT_THAT(r.out, HasSubstr("     wrote " + (dir_ / "new.expected.json").string() + "\n"));
  EXPECT_THAT(r.out, HasSubstr("1 passed, 0 failed, 2 updated\n"));
  EXPECT_EQ(read_file(dir_ / "same.expected.json"), untouched);
  // Indented JSON, as a person would write it; no temporary file left behind.
  EXPECT_THAT(read_file(dir_ / "new.expected.json"),
              HasSubstr("\n    \"resourceType\": \"Bundle\""));
  for (const auto& e : fs::directory_iterator(dir_))
    EXPECT_THAT(e.path().filename().string(), Not(HasSubstr(".tmp"))) << e.path();
  // The written files make the cases pass.
  auto again = test();
  EXPECT_EQ(again.code, 0) << again.out;
  EXPECT_EQ(again.out, "3 passed, 0 failed\n");
}

TEST_F(GoldenUpdateTest, AcceptWritesOneCaseOnly) {
  copy("appointments/s15_cancelled.hl7", "a/one.hl7");
  copy("appointments/s26_noshow.hl7", "a/two.hl7");
  auto r = test({"--accept", "a/two"});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("UPDATE a/two"));
  EXPECT_THAT(r.out, Not(HasSubstr("a/one")));
  EXPECT_TRUE(fs::exists(dir_ / "a/two.expected.json"));
  EXPECT_FALSE(fs::exists(dir_ / "a/one.expected.json"));

  auto unknown = test({"--accept", "a/three"});
  EXPECT_EQ(unknown.code, 2);
  EXPECT_THAT(unknown.err, HasSubstr("--accept: no golden case named 'a/three'"));
  auto both = test({"--accept", "a/one", "--update"});
  EXPECT_EQ(both.code, 2);
  EXPECT_THAT(both.err, HasSubstr("exclude each other"));
}

TEST_F(GoldenUpdateTest, WarningsAndErrorsAreWrittenToo) {
  copy("fitnotes/control_chars_in_comments_warns.hl7", "warns.hl7");
  copy("appointments/bad_nhs_number.hl7", "rejected.hl7");
  // A case that translated before and is rejected now: its expected output goes.
  copy("appointments/s15_cancelled.expected.json", "rejected.expected.json");
  auto r = test({"--update"});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_EQ(read_file(dir_ / "warns.expected-warnings.json"),
            "[\n  {\"severity\": \"warning\", \"location\": \"OBX[5]-5[1].1\", \"code\": "
            "\"102\"}\n]\n");
  EXPECT_EQ(read_file(dir_ / "rejected.expected-error.json"),
            "[\n  {\"severity\": \"error\", \"location\": \"PID-3[1].1\", \"code\": \"102\"}\n]\n");
  EXPECT_FALSE(fs::exists(dir_ / "rejected.expected.json"));
  EXPECT_THAT(r.out,
              HasSubstr("     removed " + (dir_ / "rejected.expected.json").string() + "\n"));
  EXPECT_EQ(test().code, 0);

  // The warning goes away (the expected warnings list one that is not given): the file goes.
  copy("appointments/s15_cancelled.hl7", "warns.hl7");
  copy("appointments/s15_cancelled.expected.json", "warns.expected.json");
  r = test({"--update"});
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_FALSE(fs::exists(dir_ / "warns.expected-warnings.json"));
}

TEST_F(GoldenUpdateTest, V2OutputKeepsTheLineEndsOfItsFile) {
  copy("appointments/fhir_booked_bundle.json", "crlf.json");
  std::string want = read_file(kGolden / "appointments/fhir_booked_bundle.expected.hl7");
  std::string crlf;
  for (char c : want) {
    if (c == '\r' || c == '\n') {
      if (!crlf.ends_with("\r\n")) crlf += "\r\n";
    } else {
      crlf += c;
    }
  }
  crlf.replace(crlf.find("SIU^S12"), 7, "SIU^S14");
  file("crlf.expected.hl7", crlf);
  copy("appointments/fhir_booked_bundle.json", "new.json");
  auto r = test({"--update"});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("MSH-9[1].2: expected \"S14\", got \"S12\""));
  const std::string got = read_file(dir_ / "crlf.expected.hl7");
  EXPECT_THAT(got, HasSubstr("SIU^S12^SIU_S12|"));
  EXPECT_THAT(got, HasSubstr("\r\nSCH|"));
  const std::string fresh = read_file(dir_ / "new.expected.hl7");
  EXPECT_THAT(fresh, HasSubstr("\nSCH|"));
  EXPECT_EQ(fresh.find('\r'), std::string::npos);
}

TEST_F(GoldenUpdateTest, BrokenCasesAreNotWritten) {
  file("garbage.hl7", "not a message");
  file("bad_options.hl7", read_file(kGolden / "appointments/s15_cancelled.hl7"));
  file("bad_options.options.json", R"({"message-time": "tomorrow"})");
  auto r = test({"--update"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.out, HasSubstr("FAIL garbage"));
  EXPECT_THAT(r.out, HasSubstr("'message-time' must be a FHIR instant"));
  EXPECT_THAT(r.out, HasSubstr("not updated"));
  EXPECT_THAT(r.out, HasSubstr("0 passed, 2 failed, 0 updated\n"));
  EXPECT_FALSE(fs::exists(dir_ / "garbage.expected.json"));
  EXPECT_FALSE(fs::exists(dir_ / "bad_options.expected.json"));
}

TEST(GoldenUpdate, ExpectedIssuesText) {
  std::vector<mappings::Issue> issues{
      {mappings::Severity::warning, "PID-3[1].1", "102", "m", ""},
      {mappings::Severity::error, "SCH-1", "101", "m", ""},
      {mappings::Severity::warning, "A \"quoted\"", "103", "m", ""}};
  EXPECT_EQ(expected_issues_text(issues, mappings::Severity::warning),
            "[\n  {\"severity\": \"warning\", \"location\": \"PID-3[1].1\", \"code\": \"102\"},"
            "\n  {\"severity\": \"warning\", \"location\": \"A \\\"quoted\\\"\", \"code\": "
            "\"103\"}\n]\n");
  EXPECT_EQ(expected_issues_text({}, mappings::Severity::error), "[]\n");
}

TEST(RuleIndex, NamesTheRuleOfAnElementAroundOrInside) {
  RuleIndex rules;
  auto on = [&](const char* element, const char* rule) {
    rules.on(mappings::TraceEvent{element, "", "", rule});
  };
  on("entry[1]", "f.json: resources[1]");
  on("entry[1].resource.identifier[0]", "f.json: resources[1].set[0] (path \"identifier[+]\")");
  on("NTE-3[1]", "g.json: segments[3].set[1] (field \"NTE-3\")");
  on("NTE[2]-1[1]", "g.json: segments[3].set[0] (field \"NTE-1\")");
  on("NTE[2]-3[1]", "g.json: segments[3].set[1] (field \"NTE-3\")");
  on("SCH-25[1].1", "g.json: segments[1].set[19] (field \"SCH-25.1\")");
  EXPECT_EQ(rules.rule_for("entry[1].resource.identifier[0].system"),
            "f.json: resources[1].set[0] (path \"identifier[+]\")");
  EXPECT_EQ(rules.rule_for("entry[1].resource.gender"), "f.json: resources[1]");
  EXPECT_EQ(rules.rule_for("entry[10]"), "");
  EXPECT_EQ(rules.rule_for("SCH-25[1]"), "g.json: segments[1].set[19] (field \"SCH-25.1\")");
  EXPECT_EQ(rules.rule_for("NTE[2]"), "g.json: segments[3]");
  EXPECT_EQ(rules.rule_for("NTE"), "g.json: segments[3].set[1] (field \"NTE-3\")");
  EXPECT_EQ(rules.rule_for("PID-3[1]"), "");
}

TEST(RuleIndex, CutsRulesWithIdsAfterTheWholeId) {
  RuleIndex rules;
  auto on = [&](const char* element, const char* rule) {
    rules.on(mappings::TraceEvent{element, "", "", rule});
  };
  on("AIL-1[1]", "g.json: #ail.set[0] (field \"AIL-1\")");
  on("AIL-3[1].1", "g.json: #ail.set[1] (field \"AIL-3.1\")");
  on("AIS-1[1]", "g.json: #ais.set[0] (field \"AIS-1\")");
  on("AIS-3[1].1", "g.json: #ais-code (field \"AIS-3.1\")");
  EXPECT_EQ(rules.rule_for("AIL"), "g.json: #ail");
  // `#ais` and `#ais-code` share `#ais`, which is not a whole id of the second.
  EXPECT_EQ(rules.rule_for("AIS"), "");
}

// ---- folder constants ------------------------------------------------------------------------

class GoldenConstantsTest : public GoldenUpdateTest {};

TEST_F(GoldenConstantsTest, AFolderKeepsItsConstantsWhateverTheSiteSets) {
  copy("appointments/s15_cancelled.hl7", "cases/s15.hl7");
  copy("appointments/s15_cancelled.expected.json", "cases/s15.expected.json");
  const std::string site = file(
      "site.json", R"({"mappings": {"constants": {"id-base": "https://fhir.site.nhs.uk/Id"}}})");
  // Without constants.json the site's id-base changes the output.
  auto r = run({"mappings", "test", "--config", site, (dir_ / "cases").string()});
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("https://fhir.site.nhs.uk/Id"));
  // The folder declares the constants its expectations were written with.
  file("cases/constants.json", R"({"id-base": "https://fcpgw.example.org/Id"})");
  r = run({"mappings", "test", "--config", site, (dir_ / "cases").string()});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_EQ(r.out, "1 passed, 0 failed\n");
  // A nearer folder wins.
  copy("appointments/s15_cancelled.hl7", "cases/sub/s15.hl7");
  copy("appointments/s15_cancelled.expected.json", "cases/sub/s15.expected.json");
  file("cases/sub/constants.json", R"({"id-base": "https://other.example/Id"})");
  r = run({"mappings", "test", (dir_ / "cases").string()});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.out, HasSubstr("FAIL sub/s15"));
  EXPECT_THAT(r.out, HasSubstr("https://other.example/Id"));
  EXPECT_THAT(r.out, HasSubstr("1 passed, 1 failed\n"));
}

TEST_F(GoldenConstantsTest, BadConstantsFilesNameTheFileAndKey) {
  copy("appointments/s15_cancelled.hl7", "a/s15.hl7");
  copy("appointments/s15_cancelled.expected.json", "a/s15.expected.json");
  file("a/constants.json", R"({"id-bsae": "https://x.example/Id"})");
  auto r = test();
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.out, HasSubstr("a/constants.json: \"id-bsae\": unknown constant 'id-bsae'"));
  file("a/constants.json", R"({"id-base": 7})");
  r = test();
  EXPECT_THAT(r.out, HasSubstr("a/constants.json: \"id-base\": must be a string"));
  file("a/constants.json", "{\"id-base\": \n ");
  r = test();
  EXPECT_THAT(r.out, HasSubstr("a/constants.json: malformed JSON at offset"));
  EXPECT_THAT(r.out, HasSubstr("line 2"));
}

TEST_F(GoldenConstantsTest, TheBundledCasesPassWithASiteConfiguration) {
  const std::string site = (fs::path(FCPGW_SOURCE_DIR) / "config" / "example-site.json").string();
  auto r = run({"mappings", "test", "--config", site, kGolden.string()});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, ::testing::EndsWith(" passed, 0 failed\n"));
}

}  // namespace
}  // namespace fcpgw::gateway
