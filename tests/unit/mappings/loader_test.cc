// The loader's help to whoever edits mapping files: rule ids, line and column of JSON
// problems, duplicate keys, "did you mean", `*-base` constants, places written twice, scalars
// in complex elements and keys that would be ignored. Each problem names the file and the rule.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "hl7v2/message.h"
#include "mappings/engine.h"

namespace fcpgw::mappings {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

const char* kTable = R"({"resourceType":"ConceptMap","id":"t-sex","group":[{"element":[
  {"code":"F","target":[{"code":"female","equivalence":"equivalent"}]}]}]})";

// A v2 -> FHIR mapping with one Patient whose rules are `set`.
std::string forward(const std::string& set, const std::string& constants = "") {
  return R"({"mapping":"m","direction":"v2-to-fhir","accepts":["SIU^S12"],
    "constants":{"sys.x":"https://x.example/id")" +
         constants + R"(},
    "resources":[{"key":"patient","resourceType":"Patient",
      "identity":[{"system":"{sys.x}","value":"{PID-3.1}"}],
      "set":)" +
         set + "}]}";
}

// A FHIR -> v2 mapping from an Appointment with the SCH rules `sch`.
std::string reverse(const std::string& sch) {
  return R"({"mapping":"r","direction":"fhir-to-v2","accepts":["Appointment"],
    "constants":{"nothing":""},"event":[{"value":"S12"}],
    "segments":[{"segment":"MSH","set":[{"field":"MSH-9.1","value":"SIU"}]},
                {"segment":"SCH","set":)" +
         sch + "}]}";
}

std::vector<std::string> problems(std::vector<SourceFile> files, const Constants& c = {}) {
  files.insert(files.begin(), SourceFile{"tables/t-sex.json", kTable});
  auto e = Engine::load(files, c);
  std::vector<std::string> out;
  if (!e)
    for (const auto& x : e.error()) out.push_back(to_string(x));
  return out;
}
std::vector<std::string> problems(const std::string& mapping, const Constants& c = {}) {
  return problems({SourceFile{"m.json", mapping}}, c);
}

// ---- rule ids ---------------------------------------------------------------------------

TEST(RuleIds, LoadErrorsNameARuleByItsIdAndWhatIsInsideItFromThere) {
  EXPECT_THAT(problems(forward(R"([{"id":"sex","path":"gender","from":"PID-8","map":"t-sx"}])")),
              ElementsAre("m.json: #sex (path \"gender\"): unknown code table 't-sx' (did you "
                          "mean 't-sex'?)"));
  // A rule inside a rule with an id is named from it; a rule with an id of its own by that.
  EXPECT_THAT(problems(forward(R"([{"id":"names","path":"name[+]","set":[
      {"path":"family","from":"PID-5.1"},{"path":"givn[+]","from":"PID-5.2"}]}])")),
              ElementsAre("m.json: #names.set[1] (path \"givn[+]\"): unknown FHIR element "
                          "'givn' in HumanName (did you mean 'given'?)"));
  // Inserting a rule before it does not change the name.
  EXPECT_THAT(problems(forward(R"([{"path":"active","value":true},
      {"id":"sex","path":"gender","from":"PID-8","map":"t-sx"}])")),
              ElementsAre(HasSubstr("m.json: #sex (path \"gender\"): unknown code table")));
  // Resources, segments and field rules, and cases of choose.
  EXPECT_THAT(
      problems(reverse(R"([{"id":"placer","field":"SCH-1","from":"id","transform":"fhr-dtm"}])")),
      ElementsAre("m.json: #placer (field \"SCH-1\"): unknown transform 'fhr-dtm' (did you "
                  "mean 'fhir-dtm'?)"));
  EXPECT_THAT(problems(forward(R"([{"id":"sex","path":"gender","choose":[
      {"when":{"present":"PID-8"},"from":"PID-8","map":"nope"},{"value":"unknown"}]}])")),
              ElementsAre(HasSubstr("m.json: #sex (path \"gender\").choose[0]: unknown code "
                                    "table 'nope'")));
}

TEST(RuleIds, TracesAndIssuesNameTheRuleByItsId) {
  std::vector<SourceFile> files{{"tables/t-sex.json", kTable},
                                {"m.json", forward(R"([{"id":"sex","path":"gender","from":"PID-8",
                                    "map":"t-sex"},{"path":"active","value":true}])")}};
  auto e = Engine::load(files);
  ASSERT_TRUE(e);
  struct Rules final : TraceSink {
    std::vector<std::string> rules;
    void on(const TraceEvent& ev) override { rules.emplace_back(ev.rule); }
  } sink;
  auto msg = hl7v2::Message::parse(
      "MSH|^~\\&|A|F|R|RF|20240612080000||SIU^S12^SIU_S12|M1|P|2.5.1\rPID|1||111||Doe||1980|F\r");
  ASSERT_TRUE(msg);
  Options o;
  o.trace = &sink;
  ASSERT_TRUE(e->v2_to_fhir(*msg, o));
  EXPECT_THAT(sink.rules, Contains("m.json: #sex (path \"gender\")"));
  EXPECT_THAT(sink.rules, Contains("m.json: resources[0].set[1] (path \"active\")"));
}

TEST(RuleIds, AreUniqueInAFileAndWrittenAsNames) {
  EXPECT_THAT(problems(forward(R"([{"id":"x","path":"gender","from":"PID-8"},
      {"id":"x","path":"active","value":true}])")),
              ElementsAre("m.json: resources[0].set[1]: id 'x' is also the id of "
                          "resources[0].set[0]: ids are unique in a file"));
  EXPECT_THAT(problems(forward(R"([{"id":"a b","path":"gender","from":"PID-8"}])")),
              ElementsAre("m.json: resources[0].set[0]: id: a rule's id is letters, digits, "
                          "'-' and '_'"));
  EXPECT_THAT(problems(forward(R"([{"id":7,"path":"gender","from":"PID-8"}])")),
              ElementsAre(HasSubstr("a rule's id is letters")));
  // Two files may use the same id.
  const std::string other = R"({"mapping":"n","direction":"v2-to-fhir","accepts":["SIU^S13"],
    "resources":[{"id":"x","key":"p","resourceType":"Patient","set":[{"path":"active","value":true}]}]})";
  EXPECT_THAT(problems({{"m.json", forward(R"([{"id":"x","path":"active","value":true}])")},
                        {"n.json", other}}),
              IsEmpty());
}

TEST(RuleIds, ARuleOfASharedPieceIsNamedByItsIdThere) {
  const std::string shared = R"({"direction":"v2-to-fhir","pieces":{"names":{"items":[
    {"id":"family","path":"name[+]","set":[{"path":"famly","from":"PID-5.1"}]}]}}})";
  const std::string m = forward(R"([{"use":"names","id":"patient-names"}])");
  EXPECT_THAT(problems({{"v2-to-fhir/shared/s.json", shared}, {"m.json", m}}),
              ElementsAre("v2-to-fhir/shared/s.json: #family.set[0] (path \"famly\") (via "
                          "m.json: #patient-names): unknown FHIR element 'famly' in HumanName "
                          "(did you mean 'family'?)"));
}

// ---- JSON text --------------------------------------------------------------------------

TEST(JsonText, SyntaxErrorsGiveLineAndColumn) {
  EXPECT_THAT(problems("{\n  \"mapping\": \"m\",\n  \"direction\" \"v2-to-fhir\"\n}"),
              ElementsAre("m.json: not valid JSON at line 3, column 15: Missing a colon after a "
                          "name of object member."));
  // A code table too; columns count characters, not bytes.
  EXPECT_THAT(problems({{"tables/u.json", "{\"resourceType\":\"ConceptMap\",\n\"title\":\"é\",}"}}),
              ElementsAre(HasSubstr("tables/u.json: not valid JSON at line 2, column 13:")));
}

TEST(JsonText, ADuplicateKeyIsAnErrorWithBothPlaces) {
  const std::string m = forward(R"([{"path":"gender","from":"PID-8",
      "comment":"one",
      "comment":"two"}])");
  EXPECT_THAT(problems(m),
              ElementsAre("m.json: duplicate key 'comment' at line 7, column 7 (first at line 6, "
                          "column 7)"));
  // Keys are compared as decoded; equal keys in different objects are fine.
  EXPECT_THAT(
      problems(forward(R"([{"path":"gender","from":"PID-8","comment":"a","c\u006fmment":"b"}])")),
      ElementsAre(HasSubstr("duplicate key 'comment'")));
  EXPECT_THAT(problems(forward(R"([{"path":"gender","from":"PID-8","comment":"a"},
      {"path":"active","value":true,"comment":"b"}])")),
              IsEmpty());
  EXPECT_THAT(
      problems(
          {{"tables/d.json", R"({"resourceType":"ConceptMap","id":"d","id":"e","group":[]})"}}),
      ElementsAre(HasSubstr(
          "tables/d.json: duplicate key 'id' at line 1, column 39 (first at line 1, column 30)")));
}

// ---- did you mean -----------------------------------------------------------------------

TEST(DidYouMean, NamesTheClosestKnownName) {
  auto one = [](const std::string& set, const std::string& c = "") {
    auto p = problems(forward(set, c));
    return p.empty() ? std::string("<loaded>") : p.front();
  };
  EXPECT_THAT(one(R"([{"path":"birthDate","from":"PID-7","transform":"dtm-dat"}])"),
              HasSubstr("unknown transform 'dtm-dat' (did you mean 'dtm-date'?)"));
  EXPECT_THAT(one(R"([{"path":"gender","from":"PID-8","map":"t-se"}])"),
              HasSubstr("unknown code table 't-se' (did you mean 't-sex'?)"));
  EXPECT_THAT(one(R"([{"path":"gender","value":"{sys.y}"}])"),
              HasSubstr("unknown constant 'sys.y' (did you mean 'sys.x'?)"));
  EXPECT_THAT(one(R"([{"path":"gendr","from":"PID-8"}])"),
              HasSubstr("unknown FHIR element 'gendr' in Patient (did you mean 'gender'?)"));
  EXPECT_THAT(one(R"([{"path":"gender","from":"PIX-8"}])"),
              HasSubstr("unknown segment 'PIX' (did you mean 'PID'?)"));
  EXPECT_THAT(one(R"([{"path":"gender","from":"PID-8","when":{"presnt":"PID-8"}}])"),
              HasSubstr("unknown condition 'presnt' (did you mean 'present'?)"));
  EXPECT_THAT(one(R"([{"path":"gender","from":"PID-8","when":{"is":"femal"}}])"),
              HasSubstr("no condition named 'femal'"));
  EXPECT_THAT(one(R"([{"path":"gender","frm":"PID-8"}])"),
              HasSubstr("unknown key 'frm' (did you mean 'from'?)"));
  // Nothing close: no suggestion.
  EXPECT_THAT(one(R"([{"path":"gender","from":"PID-8","transform":"magic"}])"),
              Not(HasSubstr("did you mean")));
  // A transform of the other direction is not suggested.
  EXPECT_THAT(one(R"([{"path":"birthDate","from":"PID-7","transform":"fhir-dtn"}])"),
              Not(HasSubstr("'fhir-dtm'")));
}

// ---- *-base constants -------------------------------------------------------------------

TEST(BaseConstants, AreAbsoluteUrisWithoutAFinalSlash) {
  const std::string set = R"([{"path":"active","value":true}])";
  EXPECT_THAT(
      problems(forward(set, R"(,"site.codesystem-base":"https://x.example/cs/")")),
      ElementsAre("m.json: constants.site.codesystem-base: 'https://x.example/cs/' ends "
                  "with '/': mappings add the '/' themselves ({site.codesystem-base}/...)"));
  EXPECT_THAT(problems(forward(set, R"(,"site-base":"x.example/cs")")),
              ElementsAre(HasSubstr("m.json: constants.site-base: 'x.example/cs' is not an "
                                    "absolute URI")));
  EXPECT_THAT(problems(forward(set, R"(,"site-base":"urn:oid:1.2.3")")), IsEmpty());
  // A configured value: named as the engine's own constants are, for the gateway to name
  // the configuration key.
  EXPECT_THAT(problems(forward(set), Constants{}.set("id-base", "https://trust.example/Id/")),
              ElementsAre("(constants): id-base: 'https://trust.example/Id/' ends with '/': "
                          "mappings add the '/' themselves ({id-base}/...)"));
  EXPECT_THAT(problems(forward(set), Constants{}.set("codesystem-base", "trust example")),
              ElementsAre(HasSubstr("(constants): codesystem-base: 'trust example' is not an "
                                    "absolute URI")));
  EXPECT_THAT(problems(forward(set), Constants{}.set("id-base", "https://trust.example/Id")),
              IsEmpty());
}

// ---- places written twice, shapes -------------------------------------------------------

TEST(WrittenTwice, ALaterRuleThatAlwaysWritesAV2PlaceMayNotHideAnEarlierOne) {
  EXPECT_THAT(problems(reverse(R"([{"field":"SCH-1.1","from":"id"},
      {"id":"placer-again","field":"SCH-1","value":"X"}])")),
              ElementsAre("m.json: #placer-again (field \"SCH-1\"): SCH-1 is also written by "
                          "m.json: segments[1].set[0] (field \"SCH-1.1\"), and this rule always "
                          "writes it (a constant, or an \"else\"), so that rule's value never "
                          "shows: give this one a \"when\", or try both sources in one \"from\": "
                          "[a, b]"));
  EXPECT_THAT(problems(reverse(R"([{"field":"SCH-1.1","value":"X"},
      {"field":"SCH-1.1","from":"status","else":"Y"}])")),
              ElementsAre(HasSubstr("SCH-1.1 is also written by m.json: segments[1].set[0]")));
  // Overrides: under a condition, or when a source is present. Another repetition, another
  // component, a constant that is empty: fine.
  EXPECT_THAT(problems(reverse(R"([{"field":"SCH-1.1","from":"id"},
      {"field":"SCH-1.1","value":"X","when":{"absent":"id"}},
      {"field":"SCH-1.1","from":"identifier[0].value"},
      {"field":"SCH-1[2].1","value":"Z"},{"field":"SCH-1.2","value":"Z"},
      {"field":"SCH-1[2].1","value":"{nothing}"}])")),
              IsEmpty());
  // Repetitions a rule opens ([+]) are its own.
  EXPECT_THAT(problems(reverse(R"([{"field":"SCH-1[+]","set":[{"field":"SCH-1.1","from":"id"}]},
      {"field":"SCH-1[+]","set":[{"field":"SCH-1.1","value":"X"}]}])")),
              IsEmpty());
}

TEST(Shapes, AScalarIsNotWrittenIntoAComplexElement) {
  auto one = [](const std::string& set) {
    auto p = problems(forward(set));
    return p.empty() ? std::string("<loaded>") : p.front();
  };
  EXPECT_EQ(one(R"([{"path":"maritalStatus","from":"PID-16"}])"),
            "m.json: resources[0].set[0] (path \"maritalStatus\"): 'maritalStatus' is a "
            "CodeableConcept: a value read with \"from\" is text; write its elements (\"set\") "
            "or use a transform that builds one");
  EXPECT_THAT(one(R"([{"path":"maritalStatus","value":"M"}])"),
              HasSubstr("'maritalStatus' is a CodeableConcept, not text or a number"));
  EXPECT_THAT(one(R"([{"path":"name[+]","set":[{"path":"period","from":"PID-7",
      "transform":"dtm-datetime"}]}])"),
              HasSubstr("'period' is a Period: a value read with \"from\" is text (transform "
                        "'dtm-datetime' gives text)"));
  EXPECT_THAT(one(R"([{"path":"name[+]","value":{"period":"2024"}}])"),
              HasSubstr("'period' is a Period, not text or a number"));
  EXPECT_THAT(one(R"([{"path":"gender","value":{"code":"female"}}])"),
              HasSubstr("'gender' is a code: an object cannot be written there"));
  // What is right: a structure transform, an object, a set.
  EXPECT_EQ(one(R"([{"path":"maritalStatus","from":"PID-16","transform":"ce-codeable-concept"}])"),
            "m.json: resources[0].set[0] (path \"maritalStatus\"): transform "
            "'ce-codeable-concept' needs code table 'v2-coding-system-to-uri', which is not "
            "loaded");
  EXPECT_EQ(one(R"([{"path":"maritalStatus","value":{"text":"{PID-16.2}"}},
      {"path":"name[+]","set":[{"path":"period","set":[{"path":"start","from":"PID-7",
      "transform":"dtm-datetime"}]}]}])"),
            "<loaded>");
}

// ---- keys that would be ignored ---------------------------------------------------------

TEST(IgnoredKeys, AreErrorsNamingTheFileTheRuleAndTheKey) {
  EXPECT_THAT(problems(forward(R"([{"path":"active","value":true,"map":"t-sex"}])")),
              ElementsAre("m.json: resources[0].set[0] (path \"active\"): 'map' acts on the "
                          "value of \"from\", which this rule does not have"));
  EXPECT_THAT(problems(reverse(R"([{"field":"SCH-1","value":"x","transform":"fhir-dtm"}])")),
              ElementsAre(HasSubstr("(field \"SCH-1\"): 'transform' acts on the value of")));
  // Keys of the other direction at the top of a file.
  std::string m = forward(R"([{"path":"active","value":true}])");
  m.insert(1, R"("segments":[],)");
  EXPECT_THAT(problems(m), ElementsAre("m.json: unknown key 'segments'"));
  // A ConceptMap member that is not an R4 element.
  EXPECT_THAT(
      problems({{"tables/q.json", R"({"resourceType":"ConceptMap","id":"q","group":[{"element":[
        {"code":"F","target":[{"code":"female","equivalance":"wider"}]}]}]})"}}),
      ElementsAre("tables/q.json: group[0].element[0].target[0]: unknown key 'equivalance' (did "
                  "you mean 'equivalence'?)"));
}

}  // namespace
}  // namespace fcpgw::mappings
