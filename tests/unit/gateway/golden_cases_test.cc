// The golden case runner behind `fcpgw mappings test`: case discovery, readable differences,
// expected issues, options, and the command's exit codes. Temporary folders, no sockets.
#include "gateway/cli/golden_cases.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "fhir/json.h"
#include "gateway/cli/cli.h"
#include "gateway/service/mapping_files.h"
#include "test_support.h"

namespace fcpgw::gateway {
namespace {

namespace fs = std::filesystem;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::read_file;
using testing::run;

const fs::path kGolden = fs::path(FCPGW_SOURCE_DIR) / "mappings" / "golden" / "appointments";

const mappings::Engine& engine() {
  static const mappings::Engine e = [] {
    std::vector<mappings::SourceFile> files;
    if (auto problem =
            service::read_mapping_sources(std::string(FCPGW_SOURCE_DIR) + "/mappings", files))
      throw std::runtime_error(*problem);
    return mappings::Engine::load(files).value();
  }();
  return e;
}

std::string replace_once(std::string s, const std::string& from, const std::string& to) {
  const auto at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) s.replace(at, from.size(), to);
  return s;
}

class GoldenCasesTest : public testing::TempDirTest {
 protected:
  void copy_case(const std::string& from, const std::string& to,
                 std::initializer_list<const char*> suffixes) {
    for (const char* s : suffixes) file(to + s, read_file(kGolden / (from + s)));
  }
  std::vector<GoldenResult> run_all() {
    auto cases = discover_golden_cases(dir_);
    EXPECT_TRUE(cases) << (cases ? "" : cases.error());
    std::vector<GoldenResult> out;
    if (cases)
      for (const auto& c : *cases) out.push_back(run_golden_case(engine(), c));
    return out;
  }
};

TEST_F(GoldenCasesTest, DiscoversCasesRecursivelyByBaseName) {
  file("a/one.hl7", "x");
  file("a/one.expected.json", "{}");
  file("b/c/two.json", "{}");
  file("b/c/two.previous.json", "{}");
  file("b/c/two.expected.hl7", "x");
  file("b/c/two.options.json", "{}");
  file("three.json", "{}");
  file("three.expected-error.json", "[]");
  file("README.md", "not a case");
  file(".hidden/four.hl7", "x");
  auto cases = discover_golden_cases(dir_);
  ASSERT_TRUE(cases);
  ASSERT_EQ(cases->size(), 3u);
  EXPECT_EQ((*cases)[0].name, "a/one");
  EXPECT_EQ((*cases)[0].direction, GoldenCase::Direction::v2_to_fhir);
  EXPECT_TRUE((*cases)[0].expected);
  EXPECT_EQ((*cases)[1].name, "b/c/two");
  EXPECT_EQ((*cases)[1].direction, GoldenCase::Direction::fhir_to_v2);
  EXPECT_TRUE((*cases)[1].previous && (*cases)[1].options && (*cases)[1].expected);
  EXPECT_EQ((*cases)[2].name, "three");
  EXPECT_TRUE((*cases)[2].expected_error);
  for (const auto& c : *cases) EXPECT_EQ(c.problem, "") << c.name;
}

TEST_F(GoldenCasesTest, LayoutProblemsFailTheCase) {
  file("orphan.expected.json", "{}");
  file("no_expected.hl7", read_file(kGolden / "s15_cancelled.hl7"));
  file("both.hl7", "x");
  file("both.json", "{}");
  file("wrong_way.hl7", "x");
  file("wrong_way.expected.hl7", "x");
  file("two_answers.json", "{}");
  file("two_answers.expected.hl7", "x");
  file("two_answers.expected-error.json", "[]");
  auto results = run_all();
  ASSERT_EQ(results.size(), 5u);
  for (const auto& r : results) EXPECT_FALSE(r.passed) << r.name;
  EXPECT_THAT(results[0].failures, ElementsAre(HasSubstr("give the two cases different names")));
  EXPECT_THAT(results[1].failures, ElementsAre(HasSubstr("no_expected.expected.json")));
  EXPECT_FALSE(results[1].broken);  // --update can write it
  EXPECT_TRUE(results[0].broken);
  EXPECT_THAT(results[2].failures, ElementsAre(HasSubstr("orphan.expected.json has no input")));
  EXPECT_THAT(results[3].failures,
              ElementsAre(HasSubstr("a case either translates or is rejected")));
  EXPECT_THAT(results[4].failures, ElementsAre(HasSubstr("expected output of a FHIR input")));
}

TEST_F(GoldenCasesTest, MissingFolderIsAnError) {
  auto r = discover_golden_cases(dir_ / "nope");
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error(), HasSubstr("does not exist"));
}

TEST_F(GoldenCasesTest, PassingCasesBothWays) {
  copy_case("s15_cancelled", "s15", {".hl7", ".expected.json"});
  copy_case("fhir_modified", "mod", {".json", ".previous.json", ".expected.hl7"});
  copy_case("bad_nhs_number", "bad", {".hl7", ".expected-error.json"});
  for (const auto& r : run_all()) {
    EXPECT_TRUE(r.passed) << r.name << ": " << ::testing::PrintToString(r.failures);
    EXPECT_FALSE(r.mapping.empty() && r.name != "bad") << r.name;
  }
}

TEST_F(GoldenCasesTest, JsonDifferencesNamePathsAndValues) {
  file("s15.hl7", read_file(kGolden / "s15_cancelled.hl7"));
  std::string want = read_file(kGolden / "s15_cancelled.expected.json");
  want = replace_once(want, "\"cancelled\"", "\"booked\"");
  file("s15.expected.json", want);
  auto results = run_all();
  ASSERT_EQ(results.size(), 1u);
  EXPECT_FALSE(results[0].passed);
  // The line ends with the rule that wrote the element.
  EXPECT_THAT(results[0].failures,
              ElementsAre(R"(entry[0].resource.status: expected "booked", got "cancelled"  )"
                          R"((v2-to-fhir/siu.json: #appointment-status (path "status").choose[1]))"));
  EXPECT_TRUE(results[0].output_differs);
  EXPECT_FALSE(results[0].broken);
}

TEST_F(GoldenCasesTest, AnInsertedArrayItemIsOneAddedLine) {
  // The expected file lacks the Patient's first identifier: one line, naming its rule, and
  // not a change of every identifier after it.
  file("s15.hl7", read_file(kGolden / "s15_cancelled.hl7"));
  rapidjson::Document want;
  want.Parse(read_file(kGolden / "s15_cancelled.expected.json").c_str());
  auto& ids = want["entry"][1]["resource"]["identifier"];
  ASSERT_GE(ids.Size(), 2u);
  ids.Erase(ids.Begin());
  file("s15.expected.json", fhir::to_json(want).value());
  auto results = run_all();
  ASSERT_EQ(results.size(), 1u);
  ASSERT_EQ(results[0].failures.size(), 1u) << ::testing::PrintToString(results[0].failures);
  EXPECT_THAT(results[0].failures[0],
              ::testing::StartsWith("+ entry[1].resource.identifier[0]: {"));
  // The Patient is built by a shared piece: the rule names it and the resource that used it.
  EXPECT_THAT(results[0].failures[0],
              HasSubstr("(v2-to-fhir/shared/patient.json: #patient-identifiers (path "
                        "\"identifier[+]\") (via v2-to-fhir/siu.json: resources[1]))"));
}

TEST_F(GoldenCasesTest, V2DifferencesNameSegmentAndField) {
  copy_case("fhir_cancelled", "c", {".json", ".expected-warnings.json"});
  std::string want = read_file(kGolden / "fhir_cancelled.expected.hl7");
  want += want.find('\r') != std::string::npos ? "NTE|9||extra\r" : "NTE|9||extra\n";
  file("c.expected.hl7", want);
  auto results = run_all();
  ASSERT_EQ(results.size(), 1u);
  EXPECT_FALSE(results[0].passed);
  ASSERT_FALSE(results[0].failures.empty());
  EXPECT_THAT(results[0].failures[0], HasSubstr("- NTE"));
  EXPECT_THAT(results[0].failures[0], HasSubstr("\"NTE|9||extra\""));
}

TEST_F(GoldenCasesTest, V2DifferencesNameTheRule) {
  copy_case("fhir_cancelled", "c", {".json", ".expected-warnings.json"});
  std::string want = read_file(kGolden / "fhir_cancelled.expected.hl7");
  want = replace_once(want, "SIU^S15", "SIU^S14");
  file("c.expected.hl7", want);
  auto results = run_all();
  ASSERT_EQ(results.size(), 1u);
  EXPECT_THAT(results[0].failures,
              ElementsAre(HasSubstr("MSH-9[1].2: expected \"S14\", got \"S15\"  "
                                    "(fhir-to-v2/shared/header.json: pieces.msh.segment.set[2] "
                                    "(field \"MSH-9.2\") (via fhir-to-v2/appointment.json: "
                                    "segments[0]))")));
}

TEST_F(GoldenCasesTest, ExpectedIssuesMustBeFound) {
  file("bad.hl7", read_file(kGolden / "bad_nhs_number.hl7"));
  file("bad.expected-error.json", R"([{"location": "PID-3[1].1", "code": "101"}])");
  file("ok.hl7", read_file(kGolden / "s15_cancelled.hl7"));
  file("ok.expected-error.json", R"([{"location": "PID-3[1].1", "code": "102"}])");
  file("typo.hl7", read_file(kGolden / "bad_nhs_number.hl7"));
  file("typo.expected-error.json", R"([{"locaton": "PID-3[1].1"}])");
  auto results = run_all();
  ASSERT_EQ(results.size(), 3u);
  EXPECT_THAT(results[0].failures, Contains("missing issue: error at PID-3[1].1 [101]"));
  EXPECT_THAT(results[0].failures, Contains(HasSubstr("got error at PID-3[1].1 [102]")));
  EXPECT_THAT(results[1].failures, ElementsAre("expected a rejection, but the message translated"));
  EXPECT_THAT(results[2].failures, ElementsAre(HasSubstr("unknown key 'locaton'")));
}

TEST_F(GoldenCasesTest, ExpectedWarningsMustBeAmongTheIssues) {
  copy_case("s15_cancelled", "s15", {".hl7", ".expected.json"});
  file("s15.expected-warnings.json", R"([{"location": "SCH-11[1].4", "code": "102"}])");
  auto results = run_all();
  ASSERT_EQ(results.size(), 1u);
  EXPECT_THAT(results[0].failures, Contains("missing warning: warning at SCH-11[1].4 [102]"));
}

TEST_F(GoldenCasesTest, UnlistedWarningsFail) {
  const fs::path fit = kGolden.parent_path() / "fitnotes";
  file("w.hl7", read_file(fit / "control_chars_in_comments_warns.hl7"));
  file("w.expected.json", read_file(fit / "control_chars_in_comments_warns.expected.json"));
  auto results = run_all();
  ASSERT_EQ(results.size(), 1u);
  EXPECT_THAT(results[0].failures,
              ElementsAre(HasSubstr("unexpected warning at OBX[5]-5[1].1 [102]")));
  file("w.expected-warnings.json",
       read_file(fit / "control_chars_in_comments_warns.expected-warnings.json"));
  results = run_all();
  ASSERT_EQ(results.size(), 1u);
  EXPECT_TRUE(results[0].passed) << ::testing::PrintToString(results[0].failures);
}

TEST_F(GoldenCasesTest, OptionsAreCheckedAndApplied) {
  copy_case("s15_cancelled", "s15", {".hl7", ".expected.json"});
  file("s15.options.json", R"({"bundle": "message"})");  // this mapping has no message shape
  copy_case("s26_noshow", "s26", {".hl7", ".expected.json"});
  file("s26.options.json", R"({"bundel": "message"})");
  auto results = run_all();
  ASSERT_EQ(results.size(), 2u);
  EXPECT_FALSE(results[0].passed);
  EXPECT_THAT(results[1].failures, ElementsAre(HasSubstr("unknown option 'bundel'")));
}

TEST_F(GoldenCasesTest, MessageTimeIsFixedUnlessTheCaseSetsIt) {
  // Without meta.lastUpdated, MSH-7 is the message time: the fixed one, never the clock.
  copy_case("fhir_booked_no_last_updated", "t", {".json", ".expected.hl7"});
  auto results = run_all();
  ASSERT_EQ(results.size(), 1u);
  EXPECT_TRUE(results[0].passed) << ::testing::PrintToString(results[0].failures);
  file("t.options.json", R"({"message-time": "2030-01-01T00:00:00+00:00"})");
  results = run_all();
  ASSERT_EQ(results.size(), 1u);
  EXPECT_THAT(results[0].failures, Contains(HasSubstr("MSH-7[1]: expected")));
}

// ---- the command ----------------------------------------------------------------------------

TEST_F(GoldenCasesTest, CommandExitCodesAndSummary) {
  copy_case("s15_cancelled", "s15", {".hl7", ".expected.json"});
  auto ok = run({"mappings", "test", dir_.string()});
  EXPECT_EQ(ok.code, 0) << ok.err;
  EXPECT_EQ(ok.out, "1 passed, 0 failed\n");
  auto verbose = run({"mappings", "test", "--verbose", dir_.string()});
  EXPECT_THAT(verbose.out, HasSubstr("ok   s15 (v2 -> FHIR, siu-to-fhir)\n"));

  file("s15.expected.json",
       replace_once(read_file(dir_ / "s15.expected.json"), "\"cancelled\"", "\"noshow\""));
  copy_case("s26_noshow", "s26", {".hl7", ".expected.json"});
  auto bad = run({"mappings", "test", dir_.string()});
  EXPECT_EQ(bad.code, 1);
  EXPECT_THAT(bad.out, HasSubstr("FAIL s15 (v2 -> FHIR, siu-to-fhir)\n     "
                                 "entry[0].resource.status: expected \"noshow\", got "
                                 "\"cancelled\"  (v2-to-fhir/siu.json: "));
  EXPECT_THAT(bad.out, HasSubstr("1 passed, 1 failed\n"));
  auto filtered = run({"mappings", "test", "--filter", "s26", dir_.string()});
  EXPECT_EQ(filtered.code, 0);
  EXPECT_EQ(filtered.out, "1 passed, 0 failed\n");

  EXPECT_EQ(run({"mappings", "test", "--filter", "zzz", dir_.string()}).code, 2);
  EXPECT_EQ(run({"mappings", "test", (dir_ / "missing").string()}).code, 2);
  EXPECT_EQ(
      run({"mappings", "test", "--mappings", (dir_ / "missing").string(), dir_.string()}).code, 2);
  EXPECT_EQ(run({"mappings"}).code, 2);
  fs::create_directories(dir_ / "empty");
  auto none = run({"mappings", "test", (dir_ / "empty").string()});
  EXPECT_EQ(none.code, 2);
  EXPECT_THAT(none.err, HasSubstr("no golden cases"));
}

TEST_F(GoldenCasesTest, BundledCasesAllPass) {
  auto r = run({"mappings", "test", "--filter", "appointments/"});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, ::testing::EndsWith(" passed, 0 failed\n"));
  EXPECT_THAT(r.err, IsEmpty());
}

TEST_F(GoldenCasesTest, OutputFcpgwWouldRefuseFails) {
  // A mapping that leaves PID out writes a SIU that fcpgw's own v2 side refuses (101 at PID-3):
  // the case fails even though the expected file says the same.
  std::vector<mappings::SourceFile> files;
  ASSERT_FALSE(service::read_mapping_sources(std::string(FCPGW_SOURCE_DIR) + "/mappings", files));
  for (auto& f : files)
    if (f.name.ends_with("fhir-to-v2/appointment.json"))
      f.text = replace_once(f.text, R"x("patient": "participant.actor.resolve(Patient)")x",
                            R"x("patient": "participant.actor.resolve(Organization)")x");
  auto broken = mappings::Engine::load(files);
  ASSERT_TRUE(broken);
  copy_case("fhir_booked_bundle", "b", {".json", ".expected.hl7"});
  auto cases = discover_golden_cases(dir_);
  ASSERT_TRUE(cases);
  ASSERT_EQ(cases->size(), 1u);
  const auto result = run_golden_case(*broken, cases->front());
  EXPECT_FALSE(result.passed);
  EXPECT_THAT(result.failures, Contains(HasSubstr("refuses its own output")));
  EXPECT_THAT(result.failures, Contains(HasSubstr("PID-3")));
}

}  // namespace
}  // namespace fcpgw::gateway

namespace fcpgw::gateway {
namespace {

// A folder's tables/ holds code tables for its cases (the local-code hooks filled in), over the
// mappings' own; its files are not cases, and a nearer folder's table of a name wins.
TEST_F(GoldenCasesTest, TablesFolderAppliesToTheCasesBelowIt) {
  const std::string message = read_file(kGolden / "local_codes_as_sent.hl7");
  const auto table = [](const std::string& target) {
    return R"({"resourceType":"ConceptMap","id":"local-appointment-type","group":[
      {"source":"https://fcpgw.example.org/CodeSystem/A81001/L",
       "target":"http://terminology.hl7.org/CodeSystem/v2-0276",
       "element":[{"code":"FUP","target":[{"code":")" +
           target + R"(","display":"D","equivalence":"equivalent"}]}]}]})";
  };
  file("a/tables/local-appointment-type.json", table("FOLLOWUP"));
  file("a/case.hl7", message);
  file("a/near/tables/local-appointment-type.json", table("ROUTINE"));
  file("a/near/case.hl7", message);
  file("b/case.hl7", message);
  auto cases = discover_golden_cases(dir_);
  ASSERT_TRUE(cases);
  ASSERT_EQ(cases->size(), 3u);
  EXPECT_EQ((*cases)[0].name, "a/case");
  ASSERT_EQ((*cases)[0].tables.size(), 1u);
  EXPECT_EQ((*cases)[0].tables[0], dir_ / "a/tables/local-appointment-type.json");
  ASSERT_EQ((*cases)[1].tables.size(), 1u);
  EXPECT_EQ((*cases)[1].tables[0], dir_ / "a/near/tables/local-appointment-type.json");
  EXPECT_THAT((*cases)[2].tables, IsEmpty());

  auto r = run({"mappings", "test", "--update", dir_.string()});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("0 passed, 0 failed, 3 updated\n"));
  const auto type_codes = [&](const std::string& name) {
    std::string codes;
    auto d = fhir::parse(read_file(dir_ / (name + ".expected.json")));
    EXPECT_TRUE(d);
    for (const auto& c : d->root()["entry"][0]["resource"]["appointmentType"]["coding"].GetArray())
      codes += std::string(codes.empty() ? "" : " ") + c["code"].GetString();
    return codes;
  };
  EXPECT_EQ(type_codes("a/case"), "FUP FOLLOWUP");
  EXPECT_EQ(type_codes("a/near/case"), "FUP ROUTINE");
  EXPECT_EQ(type_codes("b/case"), "FUP");

  // A table the loader refuses fails the cases it applies to, naming it.
  file("a/near/tables/local-appointment-type.json",
       R"({"resourceType":"ConceptMap","id":"local-appointment-type","group":[{"element":[
         {"code":"FUP","target":[{"code":"x"}]},{"code":"FUP","target":[{"code":"y"}]}]}]})");
  auto bad = run({"mappings", "test", dir_.string()});
  EXPECT_EQ(bad.code, 1);
  EXPECT_THAT(bad.out, HasSubstr("FAIL a/near/case"));
  EXPECT_THAT(bad.out, HasSubstr("tables/local-appointment-type.json: group[0].element[1]"));
  EXPECT_THAT(bad.out, HasSubstr("2 passed, 1 failed\n"));
}

}  // namespace
}  // namespace fcpgw::gateway
