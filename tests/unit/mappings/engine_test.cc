// Engine: loader checks (each kind of error names the file and the rule), conditions, code
// tables and every rule kind, on small inline mappings.

#include "mappings/engine.h"

#include <gtest/gtest.h>

#include "fhir/json.h"
#include "hl7v2/message.h"
#include "load_files.h"

using namespace fcpgw;
using namespace fcpgw::mappings;

namespace {

const char* kTable = R"({"resourceType":"ConceptMap","id":"t-sex","group":[{"element":[
  {"code":"F","target":[{"code":"female","equivalence":"equivalent"}]},
  {"code":"M","target":[{"code":"male","equivalence":"equivalent"}]},
  {"code":"X","target":[{"equivalence":"unmatched"}]}]}]})";

std::string mapping_with(const std::string& set, const std::string& extra_resources = "") {
  return R"({"mapping":"m","direction":"v2-to-fhir","accepts":["SIU^S12"],
    "constants":{"sys.x":"https://x.example/id"},
    "resources":[{"key":"patient","resourceType":"Patient",
      "identity":[{"system":"{sys.x}","value":"{PID-3.1}"}],
      "set":)" +
         set + "}" + extra_resources + "]}";
}

std::vector<LoadError> load_errors(const std::string& mapping) {
  std::vector<SourceFile> files{{"tables/t-sex.json", kTable}, {"m.json", mapping}};
  auto e = Engine::load(files);
  if (e) return {};
  return e.error();
}

std::string first_error(const std::string& mapping) {
  auto errs = load_errors(mapping);
  return errs.empty() ? std::string("<loaded>") : to_string(errs.front());
}

Engine load_ok(const std::string& mapping) {
  std::vector<SourceFile> files{{"tables/t-sex.json", kTable}, {"m.json", mapping}};
  auto e = Engine::load(files);
  if (!e) {
    for (const auto& x : e.error()) ADD_FAILURE() << to_string(x);
    std::abort();
  }
  return *e;
}

const char* kMsg =
    "MSH|^~\\&|APP|A81001|RCV|RCVF|20240612080000||SIU^S12^SIU_S12|M1|P|2.5.1\r"
    "SCH|P1|F1\r"
    "NTE|1||first \\T\\ note\r"
    "NTE|2||second\r"
    "PID|1||111^^^X^MR~222^^^Y^MR||Doe^Jane~Roe^Janet||19800101|F\r"
    "AIP|1||PH1^A\r"
    "AIP|2||PH2^B\r";

fhir::Document run(const Engine& e, const char* msg = kMsg) {
  auto m = hl7v2::Message::parse(msg);
  EXPECT_TRUE(m);
  auto t = e.v2_to_fhir(*m);
  if (!t) {
    for (const auto& i : t.error()) ADD_FAILURE() << i.location << ": " << i.message;
    std::abort();
  }
  return *fhir::parse(t->output);
}

const rapidjson::Value& patient(const fhir::Document& d) {
  return d.root()["entry"][0]["resource"];
}

}  // namespace

TEST(Loader, ShippedMappingsLoad) {
  auto files = mappings::testing::shipped_mapping_files();
  auto e = Engine::load(files);
  ASSERT_TRUE(e) << to_string(e.error().front());
  // Every shipped mapping loads; the families below must be among them.
  std::vector<std::string> names;
  for (const auto& m : e->mappings()) names.push_back(m.name);
  for (const char* want : {"siu-to-fhir", "appointment-to-siu", "ref-to-fhir", "rri-to-fhir"})
    EXPECT_NE(std::find(names.begin(), names.end(), want), names.end()) << want;
  EXPECT_EQ(e->constant("sys.nhs-number"), "https://fhir.nhs.uk/Id/nhs-number");
}

TEST(Loader, ConstantOverrides) {
  auto files = mappings::testing::shipped_mapping_files();
  auto e = Engine::load(files, Constants{}.set("id-base", "https://trust.example/Id"));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->constant("id-base"), "https://trust.example/Id");
  auto bad = Engine::load(files, Constants{}.set("no-such-constant", "x"));
  ASSERT_FALSE(bad);
  EXPECT_NE(to_string(bad.error()[0]).find("unknown constant 'no-such-constant'"),
            std::string::npos);
  auto tz = Engine::load(files, Constants{}.set("default-timezone", "Mars/Olympus"));
  ASSERT_FALSE(tz);
}

TEST(Loader, ErrorsNameFileAndRule) {
  EXPECT_EQ(first_error(mapping_with(R"([{"path":"gender","from":"PID-8","map":"table-0278"}])")),
            "m.json: resources[0].set[0] (path \"gender\"): unknown code table 'table-0278'");
  EXPECT_EQ(first_error(mapping_with(R"([{"path":"gender","from":"PID-x"}])")).substr(0, 45),
            "m.json: resources[0].set[0] (path \"gender\"): ");
  EXPECT_NE(first_error(mapping_with(R"([{"path":"gender","from":"PID-x"}])")).find("bad v2 path"),
            std::string::npos);
  EXPECT_NE(first_error(mapping_with(R"([{"path":"gender","from":"XYZ-1"}])"))
                .find("unknown segment 'XYZ'"),
            std::string::npos);
  EXPECT_NE(
      first_error(mapping_with(R"([{"path":"gender","from":"PID-99"}])")).find("PID has 39 fields"),
      std::string::npos);
  EXPECT_NE(first_error(mapping_with(R"([{"path":"gender","from":"PID-8","transform":"magic"}])"))
                .find("unknown transform 'magic'"),
            std::string::npos);
  EXPECT_NE(first_error(mapping_with(R"([{"path":"genderx","from":"PID-8"}])"))
                .find("unknown FHIR element 'genderx' in Patient"),
            std::string::npos);
  EXPECT_NE(first_error(mapping_with(R"([{"path":"gender","value":"{sys.nope}"}])"))
                .find("unknown constant 'sys.nope'"),
            std::string::npos);
  EXPECT_NE(
      first_error(mapping_with(R"([{"path":"gender","from":"PID-8","when":{"maybe":"PID-8"}}])"))
          .find("unknown condition 'maybe'"),
      std::string::npos);
  EXPECT_NE(first_error(mapping_with(R"([{"path":"name","from":"PID-5.1"}])")).find("is an array"),
            std::string::npos);
  EXPECT_NE(first_error(mapping_with(R"([{"path":"managingOrganization","ref":"nobody"}])"))
                .find("no resource with key 'nobody'"),
            std::string::npos);
  EXPECT_NE(
      first_error(mapping_with(R"([{"path":"gender","frm":"PID-8"}])")).find("unknown key 'frm'"),
      std::string::npos);
  EXPECT_NE(first_error(mapping_with(R"([{"path":"gender","from":"PID-8","each":"AIP"}])"))
                .find("must end its path with [+]"),
            std::string::npos);
  EXPECT_NE(first_error("{not json").find("not valid JSON"), std::string::npos);
  // every problem is reported, not just the first
  EXPECT_GE(
      load_errors(mapping_with(R"([{"path":"a","from":"PID-8"},{"path":"b","from":"PID-8"}])"))
          .size(),
      2u);
}

TEST(Rules, FromMapElseAndTransforms) {
  auto e = load_ok(mapping_with(R"([
    {"path":"gender","from":"PID-8","map":"t-sex","else":"unknown"},
    {"path":"birthDate","from":"PID-7","transform":"dtm-date"},
    {"path":"active","value":true}])"));
  auto d = run(e);
  EXPECT_STREQ(patient(d)["gender"].GetString(), "female");
  EXPECT_STREQ(patient(d)["birthDate"].GetString(), "1980-01-01");
  EXPECT_TRUE(patient(d)["active"].GetBool());
}

TEST(Rules, EachOverRepetitionsAndConditions) {
  auto e = load_ok(mapping_with(R"([
    {"path":"identifier[+]","each":"PID-3","when":{"equals":["PID-3.4","Y"]},
     "value":{"system":"{sys.x}","value":"{PID-3.1}"}},
    {"path":"name[+]","each":"PID-5","set":[{"path":"family","from":"PID-5.1"},{"path":"given[+]","from":"PID-5.2"}]}])"));
  auto d = run(e);
  ASSERT_EQ(patient(d)["identifier"].Size(), 1u);
  EXPECT_STREQ(patient(d)["identifier"][0]["value"].GetString(), "222");
  ASSERT_EQ(patient(d)["name"].Size(), 2u);
  EXPECT_STREQ(patient(d)["name"][1]["family"].GetString(), "Roe");
}

TEST(Rules, JoinAfterSegmentAndEmptyRollback) {
  auto e = load_ok(mapping_with(R"([
    {"path":"name[+]","set":[{"path":"text","each":{"segment":"NTE","after":"SCH"},"from":"NTE-3","join":" / "}]},
    {"path":"address[+]","set":[{"path":"city","from":"PID-11.3"}]}])"));
  auto d = run(e);
  EXPECT_STREQ(patient(d)["name"][0]["text"].GetString(), "first & note / second");
  EXPECT_FALSE(patient(d).HasMember("address"));  // nothing to put in it: rolled back
}

TEST(Rules, ReferencesByKeyAndStableIds) {
  const std::string practitioner =
      R"(,{"key":"pr","resourceType":"Practitioner","each":"AIP",
          "identity":[{"from":"AIP-3","transform":"xcn-identifier"}],
          "set":[{"path":"identifier[+]","from":"AIP-3","transform":"xcn-identifier"}]})";
  auto e = load_ok(
      mapping_with(R"([{"path":"generalPractitioner[+]","each":"AIP","ref":"pr"}])", practitioner));
  auto d = run(e);
  const auto& entries = d.root()["entry"];
  ASSERT_EQ(entries.Size(), 3u);
  EXPECT_EQ(std::string(patient(d)["generalPractitioner"][1]["reference"].GetString()),
            std::string(entries[2]["fullUrl"].GetString()));
  EXPECT_STREQ(entries[0]["request"]["url"].GetString(),
               "Patient?identifier=https://x.example/id|111");
  auto d2 = run(e);
  EXPECT_TRUE(fhir::json_equal(d.root(), d2.root()));
}

TEST(Rules, RejectsAndUnsupportedEvents) {
  auto e = load_ok(R"({"mapping":"m","direction":"v2-to-fhir","accepts":["SIU^S12"],
    "reject":[{"when":{"absent":"PV1-2"},"code":"101","location":"PV1-2","message":"PV1-2 is required"}],
    "resources":[{"key":"p","resourceType":"Patient","set":[]}]})");
  auto m = hl7v2::Message::parse(kMsg);
  auto t = e.v2_to_fhir(*m);
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error()[0].location, "PV1-2");
  EXPECT_EQ(t.error()[0].code, "101");
  auto other =
      hl7v2::Message::parse("MSH|^~\\&|A|B|C|D|20240101||ADT^A01^ADT_A01|1|P|2.5.1\rPID|1||1\r");
  auto t2 = e.v2_to_fhir(*other);
  ASSERT_FALSE(t2);
  EXPECT_EQ(t2.error()[0].code, "200");
}

TEST(Rules, BadNhsNumberIsALocatedDataError) {
  auto files = mappings::testing::shipped_mapping_files();
  auto e = Engine::load(files).value();
  auto m = hl7v2::Message::parse(
      "MSH|^~\\&|EMIS|A81001|R|R|20240101||SIU^S12^SIU_S12|1|P|2.5.1\r"
      "SCH|P1|F1||||||||||||||||||||||||Booked\rTQ1|1||||||202401021000|202401021020\r"
      "PID|1||1234^^^A81001^MR~9434765918^^^NHS^NH||Doe^J\r");
  auto t = e.v2_to_fhir(*m);
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error()[0].location, "PID-3[2].1");
  EXPECT_EQ(t.error()[0].code, "102");
  EXPECT_EQ(t.error()[0].message.find("9434765918"), std::string::npos);
}

// Found by fuzzing: control characters (as sent, or as a \X..\ escape) went into FHIR strings
// as \u0000..., which is JSON but not a valid FHIR string. They become U+FFFD, with a warning
// at each component that had one.
TEST(Rules, ControlCharactersAreReplacedWithAWarning) {
  auto files = mappings::testing::shipped_mapping_files();
  auto e = Engine::load(files).value();
  std::string msg =
      "MSH|^~\\&|EMIS|A81001|R|R|20240101||SIU^S12^SIU_S12|1|P|2.5.1\r"
      "SCH|P1|F1||||||||||||||||||||||||Booked\rTQ1|1||||||202401021000|202401021020\r"
      "PID|1||9434765919^^^NHS^NH||Doe\\X01\\^J||||||||01234 567890";
  msg += std::string(1, '\0') + "\r";
  auto m = hl7v2::Message::parse(msg);
  ASSERT_TRUE(m);
  auto t = e.v2_to_fhir(*m);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->output.find("\\u00"), std::string::npos);
  std::vector<std::string> where;
  for (const Issue& i : t->issues) {
    if (i.message.starts_with("a control character")) {
      EXPECT_EQ(i.severity, Severity::warning);
      EXPECT_EQ(i.code, "102");
      where.push_back(i.location);
    }
  }
  EXPECT_EQ(where, (std::vector<std::string>{"PID-5[1].1", "PID-13[1].1"}));
  auto d = fhir::parse(t->output);
  ASSERT_TRUE(d);
  EXPECT_NE(t->output.find("Doe\xEF\xBF\xBD"), std::string::npos);
}

// FHIR -> v2: an issue names the element path of the bad value in the input, in the
// validator's style (a resource inside a Bundle or `contained` is `...ofType(Type)`), and one
// bad element read by several field rules is reported once.
TEST(FhirToV2, IssuesNameTheBadElementOnce) {
  auto files = mappings::testing::shipped_mapping_files();
  auto e = Engine::load(files).value();
  const auto text = mappings::testing::read_file(
      std::filesystem::path(FCPGW_SOURCE_DIR) /
      "mappings/golden/appointments/fhir_error_locations_in_bundle.json");
  auto bundle = fhir::parse(text);
  ASSERT_TRUE(bundle);
  auto t = e.fhir_to_v2(bundle->root(), nullptr);
  ASSERT_FALSE(t);
  std::vector<std::string> got;
  for (const auto& i : t.error()) got.push_back(i.location + " " + i.code);
  // `start` feeds SCH-11.4, TQ1-7, AIS-4, AIL-6 (via %focus) and AIP-6 (via %focus).
  EXPECT_EQ(got,
            (std::vector<std::string>{"Bundle.entry[0].resource.ofType(Appointment).start value",
                                      "Bundle.entry[1].resource.ofType(Patient).birthDate value"}));

  // The Appointment on its own: paths start at its type.
  fhir::Document alone;
  alone.root().CopyFrom(bundle->root()["entry"][0]["resource"], alone.allocator());
  alone.root()["participant"].Erase(alone.root()["participant"].Begin());  // the Patient
  auto t2 = e.fhir_to_v2(alone.root(), nullptr);
  ASSERT_FALSE(t2);
  ASSERT_EQ(t2.error().size(), 1u);
  EXPECT_EQ(t2.error()[0].location, "Appointment.start");
}
