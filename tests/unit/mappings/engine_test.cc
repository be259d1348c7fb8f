// Engine: loader checks (each kind of error names the file and the rule), conditions, code
// tables and every rule kind, on small inline mappings.

#include "mappings/engine.h"

#include <filesystem>
#include <map>

#include <gtest/gtest.h>

#include "fhir/json.h"
#include "hl7v2/message.h"
#include "load_files.h"
#include "mappings/plan.h"

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

// The data room's naming rule: a mapping lives in the folder of its direction, in a file named
// for what it reads, and its name is that stem, "-to-", and what it writes.
TEST(Loader, ShippedMappingsFollowTheNamingRule) {
  auto files = mappings::testing::shipped_mapping_files();
  auto e = Engine::load(files);
  ASSERT_TRUE(e) << to_string(e.error().front());
  ASSERT_FALSE(e->mappings().empty());
  for (const auto& m : e->mappings()) {
    const std::filesystem::path file(m.file);
    EXPECT_EQ(file.parent_path().string(), m.direction) << m.file;
    EXPECT_TRUE(m.name.starts_with(file.stem().string() + "-to-")) << m.file << ": " << m.name;
  }
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
  EXPECT_NE(
      first_error(
          mapping_with(R"([{"path":"gender","from":"PID-8","when":{"valid":["PID-3","cx-nhs"]}}])"))
          .find("unknown check 'cx-nhs'"),
      std::string::npos);
  EXPECT_NE(first_error("{not json").find("not valid JSON"), std::string::npos);
  // every problem is reported, not just the first
  EXPECT_GE(
      load_errors(mapping_with(R"([{"path":"a","from":"PID-8"},{"path":"b","from":"PID-8"}])"))
          .size(),
      2u);
}

// A mapping file may name its JSON Schema for editors ("$schema": "../schema.json"); the
// loader ignores it, and still refuses any other unknown top-level key.
TEST(Loader, SchemaKeyIsAcceptedAtTheTopOnly) {
  std::string m = mapping_with(R"([{"path":"gender","from":"PID-8"}])");
  m.insert(1, R"("$schema": "../schema.json", )");
  EXPECT_EQ(first_error(m), "<loaded>");
  std::string other = mapping_with(R"([{"path":"gender","from":"PID-8"}])");
  other.insert(1, R"("$schemas": "../schema.json", )");
  EXPECT_EQ(first_error(other), "m.json: unknown key '$schemas' (did you mean '$schema'?)");
  EXPECT_NE(first_error(mapping_with(R"([{"path":"gender","from":"PID-8","$schema":"x"}])"))
                .find("unknown key '$schema'"),
            std::string::npos);
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

TEST(Rules, ChooseWritesTheFirstCaseThatHoldsAndGivesAValue) {
  auto e = load_ok(mapping_with(R"([
    {"path":"gender","choose":[
      {"when":{"equals":["PID-8","M"]},"value":"other"},
      {"when":{"present":"PID-30"},"value":"unknown"},
      {"when":{"present":"PID-8"},"from":"PID-6","map":"t-sex"},
      {"from":"PID-8","map":"t-sex"}]},
    {"path":"active","choose":[{"when":{"absent":"PID-3"},"value":false},{"value":true}]},
    {"path":"birthDate","choose":[{"when":{"absent":"PID-7"},"value":"2000-01-01"}]}])"));
  auto d = run(e);
  // case 0 does not hold, case 1 refers to an absent field, case 2 holds but gives nothing
  // (PID-6 is empty), so case 3 is written.
  EXPECT_STREQ(patient(d)["gender"].GetString(), "female");
  EXPECT_TRUE(patient(d)["active"].GetBool());
  EXPECT_FALSE(patient(d).HasMember("birthDate"));  // no case applies: nothing written
}

TEST(Loader, ChooseCasesAreChecked) {
  EXPECT_NE(first_error(mapping_with(R"([{"path":"gender","choose":[]}])")).find("non-empty array"),
            std::string::npos);
  EXPECT_NE(
      first_error(
          mapping_with(
              R"([{"path":"gender","choose":[{"value":"male"},{"when":{"present":"PID-8"},"value":"female"}]}])"))
          .find("must be the last"),
      std::string::npos);
  EXPECT_NE(
      first_error(mapping_with(R"([{"path":"gender","choose":[{"value":"male","from":"PID-8"}]}])"))
          .find("a case has exactly one of"),
      std::string::npos);
  EXPECT_EQ(
      first_error(mapping_with(R"([{"path":"gender","choose":[{"from":"PID-8","map":"nope"}]}])")),
      "m.json: resources[0].set[0] (path \"gender\").choose[0]: unknown code table 'nope'");
  EXPECT_NE(
      first_error(mapping_with(R"([{"path":"gender","value":"male","choose":[{"value":"x"}]}])"))
          .find("exactly one of"),
      std::string::npos);
}

TEST(Rules, ControlCharactersLeftOutOfFhirTextWithALocatedWarning) {
  auto e = load_ok(mapping_with(R"([
    {"path":"name[+]","each":"PID-5","set":[{"path":"family","from":"PID-5.1"},{"path":"given[+]","from":"PID-5.2"}]}])"));
  const std::string msg =
      std::string(
          "MSH|^~\\&|APP|A81001|RCV|RCVF|20240612080000||SIU^S12^SIU_S12|M1|P|2.5.1\r"
          "PID|1||111^^^X^MR||Doe\\X00\\^Jane~Roe^Ja") +
      '\x07' + "net\r";
  auto m = hl7v2::Message::parse(msg);
  ASSERT_TRUE(m);
  auto t = e.v2_to_fhir(*m);
  ASSERT_TRUE(t);
  auto d = *fhir::parse(t->output);
  EXPECT_STREQ(patient(d)["name"][0]["family"].GetString(), "Doe");
  EXPECT_STREQ(patient(d)["name"][1]["given"][0].GetString(), "Janet");
  std::vector<std::string> where;
  for (const auto& i : t->issues) {
    EXPECT_EQ(i.code, "102");
    EXPECT_EQ(i.severity, Severity::warning);
    where.push_back(i.location);
  }
  EXPECT_EQ(where, (std::vector<std::string>{"PID-5[1].1", "PID-5[2].2"}));
  // A hex escape that is not a control character is no reason to warn.
  auto clean = hl7v2::Message::parse(
      "MSH|^~\\&|APP|A81001|RCV|RCVF|20240612080000||SIU^S12^SIU_S12|M1|P|2.5.1\r"
      "PID|1||111^^^X^MR||Doe\\X41\\^Jane\r");
  auto t2 = e.v2_to_fhir(*clean);
  ASSERT_TRUE(t2);
  EXPECT_TRUE(t2->issues.empty());
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

TEST(Rules, JoinTakesEveryRepetitionOfAnUnboundWholeField) {
  auto e = load_ok(mapping_with(R"([
    {"path":"name[+]","set":[{"path":"text","each":{"segment":"NTE","after":"SCH"},"from":"NTE-3","join":" / "}]},
    {"path":"address[+]","set":[{"path":"text","each":"PID-5","from":"PID-5","join":"|"}]}])"));
  const std::string msg =
      "MSH|^~\\&|APP|A81001|RCV|RCVF|20240612080000||SIU^S12^SIU_S12|M1|P|2.5.1\r"
      "SCH|P1|F1\r"
      "NTE|1||line one~line two~\"\"~line four\r"
      "NTE|2||second\r"
      "PID|1||111^^^X^MR||Doe^Jane~Roe^Janet\r";
  auto d = run(e, msg.c_str());
  EXPECT_STREQ(patient(d)["name"][0]["text"].GetString(),
               "line one / line two / line four / second");
  // Bound by `each` over the field: one repetition each time, not all of them again.
  EXPECT_STREQ(patient(d)["address"][0]["text"].GetString(), "Doe^Jane|Roe^Janet");
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
// as \u0000..., which is JSON but not a valid FHIR string. They are left out, with a warning
// at each component that had one.
TEST(Rules, ControlCharactersAreLeftOutWithAWarning) {
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
    if (i.message.find("control characters") != std::string::npos) {
      EXPECT_EQ(i.severity, Severity::warning);
      EXPECT_EQ(i.code, "102");
      where.push_back(i.location);
    }
  }
  EXPECT_EQ(where, (std::vector<std::string>{"PID-5[1].1", "PID-13[1].1"}));
  auto d = fhir::parse(t->output);
  ASSERT_TRUE(d);
  EXPECT_NE(t->output.find("\"Doe\""), std::string::npos);
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
  // The Patient, now out of reach, is given by its NHS number instead (a logical reference).
  {
    auto& actor = alone.root()["participant"][0]["actor"];
    auto& a = alone.allocator();
    actor.RemoveMember("reference");
    rapidjson::Value id(rapidjson::kObjectType);
    id.AddMember("system", "https://fhir.nhs.uk/Id/nhs-number", a);
    id.AddMember("value", "9434765919", a);
    actor.AddMember("identifier", id, a);
  }
  auto t2 = e.fhir_to_v2(alone.root(), nullptr);
  ASSERT_FALSE(t2);
  std::vector<std::string> errors;  // the clinician, now out of reach, is only a warning
  for (const auto& i : t2.error())
    if (i.severity == Severity::error) errors.push_back(i.location);
  EXPECT_EQ(errors, std::vector<std::string>{"Appointment.start"});
}

// National numbers are recognised by authority (namespace or universal id), else by type,
// through tables that are data; a national number gets type NH and no assigner, and only an
// ODS-shaped local authority becomes an assigner.
TEST(Identifiers, NationalNumbersByAuthorityOidOrTypeFromTables) {
  const std::string aa = R"({"resourceType":"ConceptMap","id":"v2-assigning-authority-to-system",
    "group":[{"element":[
      {"code":"NHSNBR","target":[{"code":"https://fhir.nhs.uk/Id/nhs-number","equivalence":"equivalent"}]},
      {"code":"2.16.840.1.113883.2.1.4.1","target":[{"code":"https://fhir.nhs.uk/Id/nhs-number","equivalence":"equivalent"}]}]}]})";
  const std::string ty = R"({"resourceType":"ConceptMap","id":"v2-0203-to-national-system",
    "group":[{"element":[
      {"code":"NH","target":[{"code":"https://fhir.nhs.uk/Id/nhs-number","equivalence":"equivalent"}]}]}]})";
  const std::string m = R"({"mapping":"m","direction":"v2-to-fhir","accepts":["SIU^S12"],
    "constants":{"sys.nhs-number":"https://fhir.nhs.uk/Id/nhs-number",
                 "sys.ods-organization":"https://fhir.nhs.uk/Id/ods-organization-code"},
    "resources":[{"key":"patient","resourceType":"Patient",
      "identity":[{"each":"PID-3","when":{"valid":["PID-3","cx-nhs-number"]},"from":"PID-3","transform":"cx-identifier"},
                  {"each":"PID-3","from":"PID-3","transform":"cx-identifier"}],
      "set":[{"path":"identifier[+]","each":"PID-3","from":"PID-3","transform":"cx-identifier"}]}]})";
  const std::string types = R"({"resourceType":"ConceptMap","id":"v2-0203-identifier-type",
    "group":[{"element":[{"code":"NH","target":[{"code":"NH","display":"National Health Plan Identifier","equivalence":"equivalent"}]}]}]})";
  std::vector<SourceFile> files{
      {"tables/aa.json", aa}, {"tables/ty.json", ty}, {"tables/types.json", types}, {"m.json", m}};
  auto e = Engine::load(files).value();
  auto run_pid = [&](const std::string& pid3) {
    auto msg = hl7v2::Message::parse(
        "MSH|^~\\&|APP|A81001|R|R|20240101||SIU^S12^SIU_S12|1|P|2.4\rPID|1||" + pid3 + "\r");
    return e.v2_to_fhir(*msg);
  };
  for (const char* nhs : {"L1^^^FCPGW^MR~9434765919^^^NHSNBR^NHSNBR",
                          "L1^^^FCPGW^MR~9434765919^^^&2.16.840.1.113883.2.1.4.1&ISO",
                          "L1^^^FCPGW^MR~943 476 5919^^^^NH"}) {
    auto t = run_pid(nhs);
    ASSERT_TRUE(t) << nhs;
    auto d = *fhir::parse(t->output);
    const auto& entry = d.root()["entry"][0];
    EXPECT_STREQ(entry["request"]["url"].GetString(),
                 "Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9434765919")
        << nhs;
    const auto& ids = entry["resource"]["identifier"];
    EXPECT_FALSE(ids[0].HasMember("assigner")) << "FCPGW is not an ODS code";
    EXPECT_STREQ(ids[1]["type"]["coding"][0]["code"].GetString(), "NH") << nhs;
    EXPECT_FALSE(ids[1].HasMember("assigner")) << nhs;
  }
  // A recognised NHS number with a bad check digit is a located error; an unknown authority
  // with an NH type is not national (its number is not checked) and gets an ODS assigner.
  auto bad = run_pid("9434765918^^^NHSNBR");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error()[0].location, "PID-3[1].1");
  auto local = run_pid("9434765918^^^RA9^NH");
  ASSERT_TRUE(local);
  auto d = *fhir::parse(local->output);
  const auto& id = d.root()["entry"][0]["resource"]["identifier"][0];
  EXPECT_STREQ(id["assigner"]["identifier"]["value"].GetString(), "RA9");
  EXPECT_FALSE(id.HasMember("use"));
}

// One person has one NHS number: `same` compares two v2 values (case and blanks ignored), and
// `cx-nhs-number-conflict` finds a PID-3 repetition whose NHS number differs from an earlier one.
TEST(Conditions, SameAndNhsNumberConflict) {
  const std::string aa = R"({"resourceType":"ConceptMap","id":"v2-assigning-authority-to-system",
    "group":[{"element":[
      {"code":"NHS","target":[{"code":"https://fhir.nhs.uk/Id/nhs-number","equivalence":"equivalent"}]}]}]})";
  const std::string m = R"({"mapping":"m","direction":"v2-to-fhir","accepts":["SIU^S12"],
    "constants":{"sys.nhs-number":"https://fhir.nhs.uk/Id/nhs-number"},
    "checks":[{"when":{"all":[{"present":"PID-2"},
                              {"not":{"exists":["PID-3",{"same":["PID-3.1","PID-2.1"]}]}}]},
               "code":"207","location":"PID-2[1].1","message":"differ"},
              {"each":"PID-3","when":{"valid":["PID-3","cx-nhs-number-conflict"]},
               "code":"207","location":"PID-3.1","message":"two"}],
    "resources":[{"key":"patient","resourceType":"Patient",
      "set":[{"path":"gender","value":"unknown"}]}]})";
  std::vector<SourceFile> files{{"tables/aa.json", aa}, {"m.json", m}};
  auto e = Engine::load(files).value();
  auto errors = [&](const std::string& pid) {
    auto msg = hl7v2::Message::parse(
        "MSH|^~\\&|APP|A81001|R|R|20240101||SIU^S12^SIU_S12|1|P|2.4\rPID|1|" + pid + "\r");
    auto t = e.v2_to_fhir(*msg);
    std::vector<std::string> got;
    if (!t)
      for (const auto& i : t.error()) got.push_back(i.location);
    return got;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(errors("943 476 5919|L1^^^RA9^MR~9434765919^^^NHS"), V{});
  EXPECT_EQ(errors("9378657974|9434765919^^^NHS"), V{"PID-2[1].1"});
  EXPECT_EQ(errors("|9434765919^^^NHS~L1^^^RA9^MR~943 476 5919^^^NHS"), V{});
  EXPECT_EQ(errors("|L1^^^RA9^MR~9434765919^^^NHS~9378657974^^^NHS"), V{"PID-3[3].1"});
  // Only recognised NHS numbers count: a local number that differs is no conflict.
  EXPECT_EQ(errors("|9434765919^^^NHS~9378657974^^^RA9^MR"), V{});
  // cx-nhs-number-repeat: the same NHS number sent again is left out of the identifiers.
  const std::string r = R"({"mapping":"m","direction":"v2-to-fhir","accepts":["SIU^S12"],
    "constants":{"sys.nhs-number":"https://fhir.nhs.uk/Id/nhs-number"},
    "resources":[{"key":"patient","resourceType":"Patient",
      "set":[{"path":"identifier[+]","each":"PID-3","when":{"not":{"valid":["PID-3","cx-nhs-number-repeat"]}},
              "set":[{"path":"value","from":"PID-3.1"}]}]}]})";
  std::vector<SourceFile> rf{{"tables/aa.json", aa}, {"m.json", r}};
  auto re = Engine::load(rf).value();
  auto t = re.v2_to_fhir(*hl7v2::Message::parse(
      "MSH|^~\\&|APP|A81001|R|R|20240101||SIU^S12^SIU_S12|1|P|2.4\r"
      "PID|1||9434765919^^^NHS~L1^^^RA9^MR~943 476 5919^^^NHS~9378657974^^^NHS\r"));
  ASSERT_TRUE(t);
  auto d = *fhir::parse(t->output);
  EXPECT_EQ(d.root()["entry"][0]["resource"]["identifier"].Size(), 3u);
}

// `same` in FHIR -> v2: two values present and equal, ignoring ASCII case and blanks.
TEST(Conditions, SameComparesTwoFhirValues) {
  const Engine e = load_ok(R"({"mapping":"r","direction":"fhir-to-v2","accepts":["Patient"],
    "message":{"code":"ADT","structure":"ADT_A01"},"event":[{"value":"A31"}],
    "segments":[{"segment":"MSH","set":[{"field":"MSH-7","value":"20250101"}]},
      {"segment":"PID","set":[
      {"field":"PID-3.1","when":{"same":["name[0].text","name[0].family"]},"value":"same"},
      {"field":"PID-4.1","when":{"not":{"same":["name[0].text","name[0].given[0]"]}},"value":"differ"}]}]})");
  const auto doc = fhir::parse(
      R"({"resourceType":"Patient","name":[{"text":"O Briain ","family":"o  briain","given":["Sian"]}]})");
  ASSERT_TRUE(doc);
  const auto t = e.fhir_to_v2(doc->root());
  ASSERT_TRUE(t) << t.error().front().message;
  EXPECT_NE(t->output.find("PID|||same|differ"), std::string::npos) << t->output;
}

// xtn-phone: XTN-12, else XTN-1, else the number in parts (country, area, local, extension).
TEST(Transforms, XtnPhoneKeepsANumberSentInParts) {
  auto e = load_ok(mapping_with(
      R"([{"path":"telecom[+]","each":"PID-13","set":[{"path":"value","from":"PID-13","transform":"xtn-phone"}]}])"));
  const char* msg =
      "MSH|^~\\&|A|A81001|R|R|20240101||SIU^S12^SIU_S12|1|P|2.5.1\r"
      "PID|1||1||Doe^J||||||||^PRN^PH^^44^01632^960123^12~01904 555123^PRN^PH~"
      "x^PRN^PH^^^^^^^^^01904555124~^PRN^PH^^^0113^4960000~^PRN^PH^^44\r";
  auto d = run(e, msg);
  ASSERT_TRUE(patient(d).HasMember("telecom")) << e.v2_to_fhir(*hl7v2::Message::parse(msg))->output;
  const auto& t = patient(d)["telecom"];
  ASSERT_EQ(t.Size(), 4u);  // the last has no local number: nothing to write
  EXPECT_STREQ(t[0]["value"].GetString(), "+44 1632 960123 ext. 12");
  EXPECT_STREQ(t[1]["value"].GetString(), "01904 555123");
  EXPECT_STREQ(t[2]["value"].GetString(), "01904555124");  // XTN-12 (unformatted) first
  EXPECT_STREQ(t[3]["value"].GetString(), "0113 4960000");
}

// Named conditions: {"is": name} compiles the file's "conditions" entry in place; unknown
// names, self-reference and a bad entry (even an unused one) are load errors naming the rule.
TEST(Loader, NamedConditions) {
  auto with_conditions = [](const std::string& conditions, const std::string& set) {
    std::string m = mapping_with(set);
    m.insert(1, R"("conditions":)" + conditions + ",");
    return m;
  };
  auto e = load_ok(
      with_conditions(R"({"female":{"equals":["PID-8","F"]},
                                       "female-doe":{"all":[{"is":"female"},{"present":"PID-5"}]}})",
                      R"([{"path":"gender","when":{"is":"female-doe"},"value":"female"}])"));
  EXPECT_STREQ(patient(run(e))["gender"].GetString(), "female");
  EXPECT_NE(first_error(
                with_conditions(R"({})", R"([{"path":"gender","when":{"is":"nope"},"value":"x"}])"))
                .find("no condition named 'nope'"),
            std::string::npos);
  EXPECT_NE(first_error(with_conditions(R"({"loop":{"not":{"is":"loop"}}})",
                                        R"([{"path":"gender","when":{"is":"loop"},"value":"x"}])"))
                .find("'loop' refers to itself"),
            std::string::npos);
  EXPECT_NE(first_error(with_conditions(R"({"unused":{"maybe":"PID-8"}})", R"([])"))
                .find("conditions.unused: unknown condition 'maybe'"),
            std::string::npos);
  EXPECT_NE(
      first_error(with_conditions(R"({})", R"([{"path":"gender","when":{"is":3},"value":"x"}])"))
          .find("expected the name of a condition"),
      std::string::npos);
}

// DOMAIN 1.1: the zone of offset-less times is configurable per sending facility (table
// sender-timezone, MSH-4.1 -> Europe/London | UTC); other facilities keep default-timezone.
TEST(TimeZones, SenderTimezoneTableOverridesTheDefaultPerFacility) {
  auto files = mappings::testing::shipped_mapping_files();
  const std::string table =
      R"({"resourceType":"ConceptMap","id":"sender-timezone","group":[{"element":[
    {"code":"Y12345","target":[{"code":"UTC","equivalence":"equivalent"}]}]}]})";
  for (auto& f : files)
    if (f.name == "tables/sender-timezone.json") f.text = table;
  auto e = Engine::load(files).value();
  auto start_of = [&](const char* facility) {
    auto m = hl7v2::Message::parse(std::string("MSH|^~\\&|APP|") + facility +
                                   "|R|R|20240701080000||SIU^S12^SIU_S12|1|P|2.5.1\r"
                                   "SCH|P1|F1|||||||20|MIN|^^^20240702093000||||||||||||||Booked\r"
                                   "PID|1||9434765919^^^NHS^NH||Doe^J\r");
    auto t = e.v2_to_fhir(*m);
    EXPECT_TRUE(t);
    auto d = fhir::parse(t->output);
    return std::string(d->root()["entry"][0]["resource"]["start"].GetString());
  };
  EXPECT_EQ(start_of("Y12345"), "2024-07-02T09:30:00Z");
  EXPECT_EQ(start_of("A81001"), "2024-07-02T09:30:00+01:00");

  for (auto& f : files)
    if (f.name == "tables/sender-timezone.json")
      f.text = R"({"resourceType":"ConceptMap","id":"sender-timezone","group":[{"element":[
        {"code":"Y12345","target":[{"code":"America/New_York","equivalence":"equivalent"}]}]}]})";
  auto bad = Engine::load(files);
  ASSERT_FALSE(bad);
  EXPECT_NE(to_string(bad.error().front()).find("unsupported time zone 'America/New_York'"),
            std::string::npos);
}

TEST(FhirToV2, ThenWritesChildSegmentsAfterEachParentWithTheirOwnSetIds) {
  auto e = load_ok(R"J({"mapping":"r","direction":"fhir-to-v2","accepts":["ServiceRequest"],
    "message":{"code":"REF","structure":"REF_I12"},
    "event":[{"value":"I12"}],
    "segments":[
      {"segment":"MSH","set":[{"field":"MSH-7","value":"20250101"},{"field":"MSH-9.1","value":"REF"}]},
      {"segment":"OBX","each":"supportingInfo.resolve(Observation)",
       "set":[{"field":"OBX-1","value":"{$set-id}"},{"field":"OBX-3.1","from":"code.text"}],
       "then":[{"segment":"NTE","each":"note","set":[{"field":"NTE-1","value":"{$set-id}"},
                                                   {"field":"NTE-3","from":"text"}]}]},
      {"segment":"NTE","each":"note","set":[{"field":"NTE-1","value":"{$set-id}"},{"field":"NTE-3","from":"text"}]}]})J");
  auto doc = fhir::parse(R"J({"resourceType":"Bundle","type":"collection","entry":[
    {"fullUrl":"urn:uuid:1","resource":{"resourceType":"ServiceRequest","status":"active","intent":"order",
      "subject":{"reference":"Patient/x"},
      "supportingInfo":[{"reference":"urn:uuid:2"},{"reference":"urn:uuid:3"}],
      "note":[{"text":"referral note"}]}},
    {"fullUrl":"urn:uuid:2","resource":{"resourceType":"Observation","status":"final","code":{"text":"A"},
      "note":[{"text":"a1"},{"text":"a2"}]}},
    {"fullUrl":"urn:uuid:3","resource":{"resourceType":"Observation","status":"final","code":{"text":"B"}}}]})J");
  ASSERT_TRUE(doc);
  auto t = e.fhir_to_v2(doc->root(), nullptr);
  ASSERT_TRUE(t) << (t.error().empty() ? "" : t.error()[0].message);
  std::string text = t->output;
  std::replace(text.begin(), text.end(), '\r', '\n');
  EXPECT_NE(text.find("OBX|1||A\nNTE|1||a1\nNTE|2||a2\nOBX|2||B\nNTE|1||referral note\n"),
            std::string::npos)
      << text;
}

TEST(Loader, ThenSegmentsAreChecked) {
  const std::string base = R"({"mapping":"r","direction":"fhir-to-v2","accepts":["ServiceRequest"],
    "message":{"code":"REF","structure":"REF_I12"},"event":[{"value":"I12"}],
    "segments":[{"segment":"MSH"},{"segment":"OBX","then":)";
  EXPECT_NE(first_error(base + R"([]}]})").find("segments[1].then: a non-empty array"),
            std::string::npos);
  EXPECT_NE(first_error(base + R"([{"segment":"MSH"}]}]})").find("MSH must be the first segment"),
            std::string::npos);
  EXPECT_NE(first_error(base + R"([{"segment":"NTE","set":[{"field":"OBX-3","value":"x"}]}]}]})")
                .find("field belongs to segment OBX, not NTE"),
            std::string::npos);
}

TEST(FhirToV2, EndsWithConditionAndConstantsInElseLiterals) {
  auto e = load_ok(R"J({"mapping":"a","direction":"fhir-to-v2","accepts":["Appointment"],
    "message":{"code":"SIU","structure":"SIU_S12"},"event":[{"value":"S12"}],
    "constants":{"v2.sending-facility":"FAC1"},
    "segments":[
      {"segment":"MSH","set":[{"field":"MSH-4.1","from":"nothing","else":"{v2.sending-facility}-X"},
                              {"field":"MSH-9.1","value":"SIU"}]},
      {"segment":"SCH","set":[
        {"field":"SCH-1[+]","each":{"items":"identifier","where":{"not":{"ends-with":["system","/own"]}}},
         "set":[{"field":"SCH-1.1","from":"value"}]}]}]})J");
  auto doc = fhir::parse(R"J({"resourceType":"Appointment","status":"booked","identifier":[
    {"system":"https://x.example/own","value":"A"},{"system":"https://y.example/theirs","value":"B"},
    {"value":"C"}]})J");
  ASSERT_TRUE(doc);
  auto t = e.fhir_to_v2(doc->root(), nullptr);
  ASSERT_TRUE(t) << (t.error().empty() ? "" : t.error()[0].message);
  EXPECT_NE(t->output.find("MSH|^~\\&||FAC1-X|"), std::string::npos) << t->output;
  EXPECT_NE(t->output.find("\rSCH|B~C\r"), std::string::npos) << t->output;

  // FHIR -> v2 only; an else literal naming no constant is refused as a template would be.
  const std::string v2 = mapping_with(R"([{"path":"gender","from":"PID-8","when":{"ends-with":["PID-8","F"]}}])");
  EXPECT_NE(first_error(v2).find("FHIR -> v2 only"), std::string::npos) << first_error(v2);
  const std::string bad = R"J({"mapping":"a","direction":"fhir-to-v2","accepts":["Appointment"],
    "message":{"code":"SIU","structure":"SIU_S12"},"event":[{"value":"S12"}],
    "segments":[{"segment":"MSH","set":[{"field":"MSH-4.1","from":"x","else":"{nope}"}]}]})J";
  EXPECT_NE(first_error(bad).find("unknown constant 'nope'"), std::string::npos) << first_error(bad);
}

TEST(FhirToV2, PathFiltersMatchEqualNotEqualAndSuffix) {
  auto e = load_ok(R"J({"mapping":"a","direction":"fhir-to-v2","accepts":["Appointment"],
    "message":{"code":"SIU","structure":"SIU_S12"},"event":[{"value":"S12"}],
    "segments":[
      {"segment":"MSH","set":[{"field":"MSH-7","value":"20250101"},{"field":"MSH-9.1","value":"SIU"}]},
      {"segment":"SCH","set":[
        {"field":"SCH-1.1","from":"identifier[system$=/appointment-placer].value"},
        {"field":"SCH-2.1","from":"identifier[system!=https://fhir.nhs.uk/Id/UBRN].value"},
        {"field":"SCH-26.1","from":"identifier[system=https://fhir.nhs.uk/Id/UBRN].value"},
        {"field":"SCH-27.1","from":"identifier[type.coding.code!=PLAC].value"}]}]})J");
  auto doc = fhir::parse(R"J({"resourceType":"Appointment","status":"booked","identifier":[
    {"system":"https://fhir.nhs.uk/Id/UBRN","value":"U1"},
    {"system":"https://x.example/Id/A1/appointment-placer","value":"P1",
     "type":{"coding":[{"code":"PLAC"}]}},
    {"value":"F1"}]})J");
  ASSERT_TRUE(doc);
  auto t = e.fhir_to_v2(doc->root(), nullptr);
  ASSERT_TRUE(t) << (t.error().empty() ? "" : t.error()[0].message);
  // $= matches the suffix; != skips the UBRN; an absent sub-path counts as not equal.
  EXPECT_NE(t->output.find("\rSCH|P1|P1|"), std::string::npos) << t->output;
  EXPECT_NE(t->output.find("|U1|U1"), std::string::npos) << t->output;

  const std::string two = R"J({"mapping":"a","direction":"fhir-to-v2","accepts":["Appointment"],
    "message":{"code":"SIU","structure":"SIU_S12"},"event":[{"value":"S12"}],
    "segments":[{"segment":"MSH","set":[{"field":"MSH-9.1","from":"identifier[system=a][value=b].value"}]}]})J";
  EXPECT_NE(first_error(two).find("one [sub.path=value] filter per step"), std::string::npos)
      << first_error(two);
}

// A `valid` check offered in both directions gives the same answer in both: each check of the
// catalogue available to v2 -> FHIR and FHIR -> v2 (other than `dtm`, whose text differs by
// side) passes its sample and refuses junk in both engines.
TEST(Conditions, ValidChecksAgreeInBothDirections) {
  const std::map<std::string, std::string> samples = {
      {"nhs-number", "9434765919"},         {"ods-code", "A81001"}, {"hcpc", "PH123456"},
      {"hcpc-physiotherapist", "PH123456"}, {"gmc", "1234567"},     {"gmp", "G1234567"},
      {"oid", "2.16.840.1.113883.2.1.4.1"}};
  const auto v2_says = [](const std::string& check, const std::string& value) {
    auto e = load_ok(mapping_with(
        R"([{"path":"gender","value":"male","when":{"valid":["PID-3.1",")" + check + R"("]}}])"));
    auto t = e.v2_to_fhir(*hl7v2::Message::parse(
        "MSH|^~\\&|APP|A81001|R|R|20240101||SIU^S12^SIU_S12|1|P|2.5.1\rPID|1||" + value + "\r"));
    EXPECT_TRUE(t);
    return t && t->output.find("\"male\"") != std::string::npos;
  };
  const auto fhir_says = [](const std::string& check, const std::string& value) {
    auto e = load_ok(R"({"mapping":"r","direction":"fhir-to-v2","accepts":["Patient"],
      "message":{"code":"ADT","structure":"ADT_A01"},"event":[{"value":"A31"}],
      "segments":[{"segment":"MSH","set":[{"field":"MSH-7","value":"20250101"}]},
                  {"segment":"PID","set":[{"field":"PID-3.1","from":"identifier[0].value",
                    "when":{"valid":["identifier[0].value",")" +
                     check + R"("]}}]}]})");
    auto doc =
        fhir::parse(R"({"resourceType":"Patient","identifier":[{"value":")" + value + R"("}]})");
    auto t = e.fhir_to_v2(doc->root(), nullptr);
    EXPECT_TRUE(t);
    return t && t->output.find("PID|||" + value) != std::string::npos;
  };
  for (const auto& c : valid_check_catalogue()) {
    if (!c.v2_to_fhir || !c.fhir_to_v2 || c.name == "dtm") continue;
    const std::string check(c.name);
    const auto s = samples.find(check);
    ASSERT_NE(s, samples.end()) << "no sample for check " << check;
    EXPECT_TRUE(v2_says(check, s->second)) << check;
    EXPECT_TRUE(fhir_says(check, s->second)) << check;
    EXPECT_FALSE(v2_says(check, "X9 9")) << check;
    EXPECT_FALSE(fhir_says(check, "X9 9")) << check;
  }
}
