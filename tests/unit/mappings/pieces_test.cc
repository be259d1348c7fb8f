// Shared pieces (mappings/pieces.h): a mapping that uses a resource template, a segment
// template or an item family translates exactly as with the text copied in; every kind of
// misuse is a load error naming the file and the rule; rule ids of expanded rules name the
// shared file and the use.

#include "mappings/pieces.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "fhir/json.h"
#include "hl7v2/message.h"
#include "load_files.h"
#include "mappings/engine.h"

using namespace fcpgw;
using namespace fcpgw::mappings;
using ::testing::Contains;
using ::testing::HasSubstr;

namespace {

const char* kMsg =
    "MSH|^~\\&|APP|A81001|RCV|RCVF|20240612080000||SIU^S12^SIU_S12|M1|P|2.5.1\r"
    "SCH|P1|F1\r"
    "PID|1||111^^^X^MR||Doe^Jane||19800101|F\r"
    "AIP|1||PH1^Able\r"
    "AIP|2||PH2^Baker\r";

// The mapping both ways: with its resources written out, and with them taken from pieces.
const char* kInline = R"({"mapping":"m","direction":"v2-to-fhir","accepts":["SIU^S12"],
  "conditions":{"female":{"equals":["PID-8","F"]}},
  "resources":[
    {"key":"patient","resourceType":"Patient",
     "identity":[{"system":"https://x.example/id","value":"{PID-3.1}"}],
     "set":[{"path":"gender","when":{"is":"female"},"value":"female"},
            {"path":"name[+]","set":[{"path":"family","from":"PID-5.1"}]},
            {"path":"birthDate","from":"PID-7","transform":"dtm-date"}]},
    {"key":"clinician","resourceType":"Practitioner","each":"AIP",
     "identity":[{"system":"https://x.example/pr","value":"{AIP-3.1}"}],
     "set":[{"path":"name[+]","set":[{"path":"family","from":"AIP-3.2"}]}]}]})";

const char* kShared = R"({"direction":"v2-to-fhir",
  "conditions":{"female":{"equals":["PID-8","F"]}},
  "pieces":{
    "patient":{"resource":{"key":"patient","resourceType":"Patient",
      "identity":[{"system":"https://x.example/id","value":"{PID-3.1}"}],
      "set":[{"path":"gender","when":{"is":"female"},"value":"female"},
             {"use":"names","with":{"xpn":"PID-5"}}]}},
    "names":{"params":{"xpn":"an XPN field"},
             "items":[{"path":"name[+]","set":[{"path":"family","from":"@xpn.1"}]}]},
    "person":{"params":{"xcn":"an XCN field"},"resource":{"resourceType":"Practitioner",
      "identity":[{"system":"https://x.example/pr","value":"{@xcn.1}"}],
      "set":[{"path":"name[+]","set":[{"path":"family","from":"@xcn.2"}]}]}}}})";

const char* kUsing = R"({"mapping":"m","direction":"v2-to-fhir","accepts":["SIU^S12"],
  "resources":[
    {"use":"patient","add":[{"path":"birthDate","from":"PID-7","transform":"dtm-date"}]},
    {"use":"person","with":{"xcn":"AIP-3"},"key":"clinician","each":"AIP"}]})";

std::vector<LoadError> errors_of(std::vector<SourceFile> files) {
  auto e = Engine::load(files);
  if (e) return {};
  return e.error();
}

std::vector<std::string> texts(const std::vector<LoadError>& errors) {
  std::vector<std::string> out;
  for (const auto& e : errors) out.push_back(to_string(e));
  return out;
}

// The errors of loading kUsing-like `mapping` with `shared` as v2-to-fhir/shared/s.json.
std::vector<std::string> problems(const std::string& shared, const std::string& mapping) {
  return texts(errors_of({{"v2-to-fhir/shared/s.json", shared}, {"v2-to-fhir/m.json", mapping}}));
}

std::string translate(const Engine& e) {
  auto m = hl7v2::Message::parse(kMsg);
  EXPECT_TRUE(m);
  auto t = e.v2_to_fhir(*m);
  EXPECT_TRUE(t);
  return t ? t->output : std::string();
}

// A small mapping that uses piece `use` (a JSON object) as its only resource.
std::string mapping_using(const std::string& use) {
  return R"({"mapping":"m","direction":"v2-to-fhir","accepts":["SIU^S12"],"resources":[)" + use +
         "]}";
}

const char* kOnePiece = R"({"direction":"v2-to-fhir","pieces":{
  "patient":{"resource":{"key":"patient","resourceType":"Patient",
    "set":[{"path":"gender","value":"female"}]}}}})";

}  // namespace

TEST(Pieces, ExpansionTranslatesAsTheCopy) {
  auto copied = Engine::load(std::vector<SourceFile>{{"v2-to-fhir/m.json", kInline}});
  ASSERT_TRUE(copied) << to_string(copied.error().front());
  auto pieced = Engine::load(std::vector<SourceFile>{{"v2-to-fhir/shared/s.json", kShared},
                                                     {"v2-to-fhir/m.json", kUsing}});
  ASSERT_TRUE(pieced) << to_string(pieced.error().front());
  const std::string a = translate(*copied);
  const std::string b = translate(*pieced);
  EXPECT_EQ(a, b);
  auto d = fhir::parse(b);
  ASSERT_TRUE(d);
  const auto& entries = d->root()["entry"];
  ASSERT_EQ(entries.Size(), 3u);  // the patient and one Practitioner per AIP
  EXPECT_STREQ(entries[0]["resource"]["gender"].GetString(), "female");
  EXPECT_STREQ(entries[0]["resource"]["birthDate"].GetString(), "1980-01-01");
  EXPECT_STREQ(entries[2]["resource"]["name"][0]["family"].GetString(), "Baker");
  // A shared file is not a mapping.
  ASSERT_EQ(pieced->mappings().size(), 1u);
  EXPECT_EQ(pieced->mappings()[0].file, "v2-to-fhir/m.json");
  EXPECT_EQ(pieced->mappings()[0].rules, copied->mappings()[0].rules);
}

TEST(Pieces, TracesNameTheSharedFileAndTheUse) {
  auto e = Engine::load(std::vector<SourceFile>{{"v2-to-fhir/shared/s.json", kShared},
                                                {"v2-to-fhir/m.json", kUsing}});
  ASSERT_TRUE(e);
  struct Sink : TraceSink {
    std::vector<std::string> rules;
    void on(const TraceEvent& ev) override { rules.emplace_back(ev.rule); }
  } sink;
  auto m = hl7v2::Message::parse(kMsg);
  Options o;
  o.trace = &sink;
  ASSERT_TRUE(e->v2_to_fhir(*m, o));
  // A rule of a piece, through an item family used by another piece.
  EXPECT_THAT(sink.rules,
              Contains("v2-to-fhir/shared/s.json: pieces.names.items[0].set[0] (path \"family\") "
                       "(via v2-to-fhir/m.json: resources[0] > v2-to-fhir/shared/s.json: "
                       "pieces.patient.resource.set[1])"));
  // A rule the use adds, named where it is written.
  EXPECT_THAT(sink.rules, Contains("v2-to-fhir/m.json: resources[0].add[0] (path \"birthDate\")"));
  EXPECT_THAT(sink.rules, Contains("v2-to-fhir/shared/s.json: pieces.person.resource (via "
                                   "v2-to-fhir/m.json: resources[1])"));
}

TEST(Pieces, LoadErrorsInAPieceNameTheSharedFileAndTheUse) {
  std::string shared = kOnePiece;
  shared.replace(shared.find("\"gender\""), 8, "\"gendr\"");
  EXPECT_THAT(problems(shared, mapping_using(R"({"use":"patient"})")),
              Contains(HasSubstr("v2-to-fhir/shared/s.json: pieces.patient.resource.set[0] (path "
                                 "\"gendr\") (via v2-to-fhir/m.json: resources[0]): ")));
  // A rule of the mapping after a use in the same list keeps its own place in its file.
  const std::string items = R"({"direction":"v2-to-fhir","pieces":{"two":{"items":[
    {"path":"gender","value":"female"},{"path":"active","value":true}]}}})";
  const std::string m = R"({"mapping":"m","direction":"v2-to-fhir","accepts":["SIU^S12"],
    "resources":[{"key":"p","resourceType":"Patient","set":[{"use":"two"},
      {"path":"birthDate","from":"PID-x"}]}]})";
  EXPECT_THAT(problems(items, m),
              Contains(HasSubstr("v2-to-fhir/m.json: resources[0].set[1] (path \"birthDate\"): bad "
                                 "v2 path 'PID-x'")));
}

TEST(Pieces, UnknownPieceSaysWhichNameWasMeant) {
  EXPECT_THAT(problems(kOnePiece, mapping_using(R"({"use":"patiant"})")),
              Contains("v2-to-fhir/m.json: resources[0]: unknown resource piece 'patiant' (did "
                       "you mean 'patient'?)"));
}

TEST(Pieces, WrongKindIsAnError) {
  const std::string items = R"({"direction":"v2-to-fhir","pieces":{
    "patient":{"resource":{"key":"patient","resourceType":"Patient","set":[{"use":"gender"}]}},
    "gender":{"items":[{"path":"gender","value":"female"}]}}})";
  EXPECT_THAT(problems(items, mapping_using(R"({"use":"gender"},{"use":"patient"})")),
              Contains(HasSubstr("v2-to-fhir/m.json: resources[0]: 'gender' is an item family "
                                 "(v2-to-fhir/shared/s.json: pieces.gender.items); a resource "
                                 "piece goes here")));
  // A piece of the other direction.
  auto errs = texts(errors_of(
      {{"fhir-to-v2/shared/s.json",
        R"({"direction":"fhir-to-v2","pieces":{"pid":{"segment":{"segment":"PID","set":[]}}}})"},
       {"v2-to-fhir/m.json", mapping_using(R"({"use":"pid"})")}}));
  EXPECT_THAT(errs, Contains(HasSubstr("'pid' is a fhir-to-v2 piece")));
  // A resource piece in a fhir-to-v2 shared file.
  EXPECT_THAT(
      problems(R"({"direction":"fhir-to-v2","pieces":{"p":{"resource":{}}}})", mapping_using("")),
      Contains(HasSubstr("pieces.p.resource: resource pieces belong to v2-to-fhir")));
}

TEST(Pieces, CyclesAreErrors) {
  const std::string loop = R"({"direction":"v2-to-fhir","pieces":{
    "patient":{"resource":{"key":"patient","resourceType":"Patient","set":[{"use":"a"}]}},
    "a":{"items":[{"path":"name[+]","set":[{"use":"b"}]}]},
    "b":{"items":[{"path":"extension[+]","set":[{"use":"a"}]}]}}})";
  EXPECT_THAT(problems(loop, mapping_using(R"({"use":"patient"})")),
              Contains(HasSubstr("pieces use each other in a cycle: patient -> a -> b -> a")));
}

TEST(Pieces, BadParametersAreErrors) {
  const std::string p = R"({"direction":"v2-to-fhir","pieces":{
    "patient":{"params":{"field":"an XPN field"},"resource":{"key":"patient",
      "resourceType":"Patient","set":[{"path":"name[+]","set":[{"path":"family","from":"@field.1"}]}]}}}})";
  EXPECT_THAT(problems(p, mapping_using(R"({"use":"patient","with":{"feild":"PID-5"}})")),
              Contains(HasSubstr("resources[0].with.feild: piece 'patient' has no parameter "
                                 "'feild' (did you mean 'field'?)")));
  EXPECT_THAT(problems(p, mapping_using(R"({"use":"patient"})")),
              Contains(HasSubstr("resources[0]: piece 'patient' needs parameter 'field'")));
  EXPECT_THAT(problems(p, mapping_using(R"({"use":"patient","with":{"field":5}})")),
              Contains(HasSubstr("resources[0].with.field: a parameter's value is text")));
  // In the piece: an undeclared @name, and a declared parameter never used.
  std::string undeclared = p;
  undeclared.replace(undeclared.find("@field.1"), 8, "@fied.1");
  const auto errs =
      problems(undeclared, mapping_using(R"({"use":"patient","with":{"field":"x"}})"));
  EXPECT_THAT(errs, Contains(HasSubstr("v2-to-fhir/shared/s.json: "
                                       "pieces.patient.resource.set[0].set[0].from: '@fied' is not "
                                       "a parameter of this piece (did you mean 'field'?)")));
  EXPECT_THAT(errs, Contains(HasSubstr("pieces.patient.params.field: parameter 'field' is not "
                                       "used in the piece")));
  // An item family takes no overrides; a block's rules are added with "add", not replaced.
  const std::string fam = R"({"direction":"v2-to-fhir","pieces":{"g":{"items":[
    {"path":"gender","value":"female"}]}}})";
  const std::string m = R"({"mapping":"m","direction":"v2-to-fhir","accepts":["SIU^S12"],
    "resources":[{"key":"p","resourceType":"Patient","set":[{"use":"g","path":"x"}]}]})";
  EXPECT_THAT(problems(fam, m), Contains(HasSubstr("resources[0].set[0]: unknown key 'path'")));
  EXPECT_THAT(problems(kOnePiece, mapping_using(R"({"use":"patient","set":[]})")),
              Contains(HasSubstr("add rules with \"add\", not \"set\"")));
}

TEST(Pieces, UnusedPiecesAndSharedConditionsAreErrors) {
  const std::string two = R"({"direction":"v2-to-fhir",
    "conditions":{"female":{"equals":["PID-8","F"]}},
    "pieces":{"patient":{"resource":{"key":"patient","resourceType":"Patient",
      "set":[{"path":"gender","value":"female"}]}},
      "spare":{"items":[{"path":"active","value":true}]}}})";
  const auto errs = problems(two, mapping_using(R"({"use":"patient"})"));
  EXPECT_THAT(errs, Contains("v2-to-fhir/shared/s.json: pieces.spare: piece 'spare' is not used "
                             "by any v2-to-fhir mapping: remove it"));
  EXPECT_THAT(errs, Contains("v2-to-fhir/shared/s.json: conditions.female: condition 'female' is "
                             "not used by any v2-to-fhir mapping or piece: remove it"));
}

TEST(Pieces, SharedConditionsAreUsedByName) {
  const std::string c = R"({"direction":"v2-to-fhir",
    "conditions":{"female":{"equals":["PID-8","F"]}},"pieces":{}})";
  const std::string m = R"({"mapping":"m","direction":"v2-to-fhir","accepts":["SIU^S12"],
    "resources":[{"key":"p","resourceType":"Patient",
      "set":[{"path":"gender","when":{"is":"female"},"value":"female"}]}]})";
  auto e = Engine::load(
      std::vector<SourceFile>{{"v2-to-fhir/shared/s.json", c}, {"v2-to-fhir/m.json", m}});
  ASSERT_TRUE(e) << to_string(e.error().front());
  EXPECT_NE(translate(*e).find("\"gender\":\"female\""), std::string::npos);
  // The same name in the mapping's own "conditions".
  std::string own = m;
  own.insert(1, R"("conditions":{"female":{"present":"PID-8"}},)");
  EXPECT_THAT(problems(c, own),
              Contains(HasSubstr("v2-to-fhir/m.json: conditions.female: condition 'female' is "
                                 "already shared by v2-to-fhir/shared/s.json")));
  // A bad shared condition is reported once, in the shared file.
  const std::string bad = R"({"direction":"v2-to-fhir",
    "conditions":{"female":{"maybe":"PID-8"}},"pieces":{}})";
  std::vector<SourceFile> files{
      {"v2-to-fhir/shared/s.json", bad}, {"v2-to-fhir/m.json", m}, {"v2-to-fhir/m2.json", m}};
  files[2].text.replace(files[2].text.find("\"m\""), 3, "\"m2\"");
  files[2].text.replace(files[2].text.find("SIU^S12"), 7, "SIU^S13");
  const auto errs = texts(errors_of(files));
  EXPECT_EQ(std::count(errs.begin(), errs.end(),
                       "v2-to-fhir/shared/s.json: conditions.female: unknown condition 'maybe'"),
            1);
}

TEST(Pieces, SharedFileProblemsNameTheFile) {
  // Not JSON.
  EXPECT_THAT(problems(R"({"direction":"v2-to-fhir","pieces":{)", mapping_using("")),
              Contains(HasSubstr("v2-to-fhir/shared/s.json: not valid JSON at line 1, column 37")));
  // No direction; a piece of no kind or two kinds; the same name in two shared files.
  EXPECT_THAT(problems(R"({"pieces":{}})", mapping_using("")),
              Contains(HasSubstr("v2-to-fhir/shared/s.json: direction: a shared file needs")));
  EXPECT_THAT(problems(R"({"direction":"v2-to-fhir","pieces":{"x":{"items":[{}],"resource":{}}}})",
                       mapping_using("")),
              Contains(HasSubstr("pieces.x: a piece has exactly one of")));
  auto errs = texts(errors_of({{"v2-to-fhir/shared/a.json", kOnePiece},
                               {"v2-to-fhir/shared/b.json", kOnePiece},
                               {"v2-to-fhir/m.json", mapping_using(R"({"use":"patient"})")}}));
  EXPECT_THAT(errs, Contains("v2-to-fhir/shared/b.json: pieces.patient: piece 'patient' is also "
                             "defined in v2-to-fhir/shared/a.json"));
}

// A shared file may name its JSON Schema for editors, as a mapping file may; any other unknown
// key at its top is still an error.
TEST(Pieces, SharedFileMayNameItsSchema) {
  std::string shared = kOnePiece;
  shared.insert(1, R"("$schema":"../../schema.json",)");
  EXPECT_TRUE(errors_of({{"v2-to-fhir/shared/s.json", shared},
                         {"v2-to-fhir/m.json", mapping_using(R"({"use":"patient"})")}})
                  .empty());
  shared = kOnePiece;
  shared.insert(1, R"("$schemas":"../../schema.json",)");
  EXPECT_THAT(problems(shared, mapping_using(R"({"use":"patient"})")),
              Contains("v2-to-fhir/shared/s.json: unknown key '$schemas' in a shared file"));
}

TEST(Pieces, SegmentTemplatesInFhirToV2) {
  const std::string shared = R"({"direction":"fhir-to-v2","pieces":{
    "msh":{"params":{"code":"MSH-9.1"},"segment":{"segment":"MSH","set":[
      {"field":"MSH-9.1","value":"@code"},{"field":"MSH-9.2","value":"{$event}"},
      {"field":"MSH-10","value":"{$control-id}"},{"field":"MSH-12.1","value":"2.5.1"}]}},
    "pid":{"segment":{"segment":"PID","set":[{"field":"PID-1","value":"1"}]}}}})";
  const std::string m = R"({"mapping":"p","direction":"fhir-to-v2","accepts":["Patient"],
    "message":{"code":"ADT","structure":"ADT_A01"},"event":[{"value":"A28"}],
    "segments":[{"use":"msh","with":{"code":"ADT"},"add":[{"field":"MSH-7","from":"birthDate",
      "transform":"fhir-dtm"}]},{"use":"pid","context":"%focus"}]})";
  auto e = Engine::load(
      std::vector<SourceFile>{{"fhir-to-v2/shared/s.json", shared}, {"fhir-to-v2/p.json", m}});
  ASSERT_TRUE(e) << to_string(e.error().front());
  auto in = fhir::parse(R"({"resourceType":"Patient","birthDate":"1980-01-01"})");
  ASSERT_TRUE(in);
  auto t = e->fhir_to_v2(in->root(), nullptr);
  ASSERT_TRUE(t) << t.error().front().message;
  auto out = hl7v2::Message::parse(t->output);
  ASSERT_TRUE(out);
  EXPECT_NE(t->output.find("|ADT^A28|"), std::string::npos) << t->output;
  EXPECT_NE(t->output.find("\rPID|1"), std::string::npos) << t->output;
  EXPECT_NE(t->output.find("|19800101|"), std::string::npos) << t->output;
  // A segment piece where a resource goes, and a resource-less segment override kept.
  EXPECT_THAT(texts(errors_of({{"fhir-to-v2/shared/s.json", shared},
                               {"fhir-to-v2/p.json", m},
                               {"v2-to-fhir/m.json", mapping_using(R"({"use":"pid"})")}})),
              Contains(HasSubstr("'pid' is a fhir-to-v2 piece")));
}

TEST(RuleOrigins, LocatesAnnotatedRuleIds) {
  RuleOrigins o;
  o.add("resources[1]", "v2-to-fhir/shared/p.json", "pieces.patient.resource",
        "v2-to-fhir/siu.json: resources[1]");
  o.add("resources[2].set[4]", "v2-to-fhir/siu.json", "resources[2].add[0]", "");
  EXPECT_EQ(o.locate("v2-to-fhir/siu.json", "resources[1].set[3] (path \"name[+]\").set[0]"),
            (std::pair<std::string, std::string>{
                "v2-to-fhir/shared/p.json",
                "pieces.patient.resource.set[3] (path \"name[+]\").set[0] (via "
                "v2-to-fhir/siu.json: resources[1])"}));
  EXPECT_EQ(o.locate("v2-to-fhir/siu.json", "resources[2].set[4] (path \"x\")").second,
            "resources[2].add[0] (path \"x\")");
  // Not recorded: unchanged; a longer index is not a prefix match.
  EXPECT_EQ(o.locate("v2-to-fhir/siu.json", "resources[2].set[41]").second, "resources[2].set[41]");
  EXPECT_EQ(o.locate("v2-to-fhir/siu.json", "resources[12]").second, "resources[12]");
}

// The shipped shared files follow the naming rule: <direction>/shared/<name>.json, holding
// pieces of that direction, and none of them is a mapping.
TEST(Pieces, ShippedSharedFilesSitInTheSharedFolderOfTheirDirection) {
  auto files = mappings::testing::shipped_mapping_files();
  std::size_t shared = 0;
  for (const auto& f : files) {
    auto d = fhir::parse(f.text);
    ASSERT_TRUE(d) << f.name;
    if (!is_pieces_file(d->root())) continue;
    ++shared;
    const std::string dir = d->root()["direction"].GetString();
    EXPECT_EQ(std::filesystem::path(f.name).parent_path().generic_string(), dir + "/shared")
        << f.name;
  }
  EXPECT_GE(shared, 2u);
  auto e = Engine::load(files);
  ASSERT_TRUE(e) << to_string(e.error().front());
  for (const auto& m : e->mappings())
    EXPECT_EQ(m.file.find("/shared/"), std::string::npos) << m.file;
}
