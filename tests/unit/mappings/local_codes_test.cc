// Local codes: a coded field translated through a ConceptMap (ce-codeable-concept / ce-coding
// with `map`), matched on code, source system and sending facility; the `mapped` condition;
// the loader's checks of a table (duplicate source codes, dependsOn, no group); and the
// v2-coding-system transform that writes a local coding back as it came.

#include <gtest/gtest.h>

#include "fhir/json.h"
#include "hl7v2/message.h"
#include "mappings/engine.h"

using namespace fcpgw;
using namespace fcpgw::mappings;

namespace {

// Local appointment types: one group for the codes practice A81001 sends in its local system
// `L` (the system fcpgw writes for them), one for codes of any system, one entry of which only
// holds for B86012.
const char* kTypes = R"({"resourceType":"ConceptMap","id":"local-type","group":[
  {"source":"https://cs.example/A81001/L","target":"https://fcp.example/CodeSystem/appointment-type",
   "element":[{"code":"FUP","target":[{"code":"follow-up","display":"Follow-up","equivalence":"equivalent"}]}]},
  {"target":"https://fcp.example/CodeSystem/appointment-type",
   "element":[{"code":"NEW","target":[{"code":"new","display":"New patient","equivalence":"equivalent"}]},
              {"code":"NEW","target":[{"code":"new-b","display":"New B86012","equivalence":"equivalent",
                "dependsOn":[{"property":"MSH-4","value":"b86012"}]}]},
              {"code":"OLD","target":[{"equivalence":"unmatched"}]}]}]})";

const char* kMapping = R"({"mapping":"m","direction":"v2-to-fhir","accepts":["SIU^S12"],
  "resources":[{"key":"a","resourceType":"Appointment","set":[
    {"path":"status","value":"booked"},
    {"path":"appointmentType","from":"SCH-8","transform":"ce-codeable-concept","map":"local-type"},
    {"path":"serviceType[+]","from":"SCH-8","transform":"ce-coding","map":"local-type","else":"none"},
    {"path":"comment","choose":[
      {"when":{"mapped":["SCH-8","local-type"]},"value":"whole field mapped"},
      {"when":{"mapped":["SCH-8.1","local-type"]},"value":"code mapped"},
      {"value":"not mapped"}]}]}]})";

const char* kCodingSystems = R"({"resourceType":"ConceptMap","id":"v2-coding-system-to-uri",
  "group":[{"element":[{"code":"SCT","target":[{"code":"http://snomed.info/sct"}]}]}]})";

// Loads `files` with the coding-system table the coded transforms need.
Engine load(std::vector<SourceFile> files) {
  files.push_back({"tables/v2-coding-system-to-uri.json", kCodingSystems});
  auto e = Engine::load(files, Constants{}.set("codesystem-base", "https://cs.example"));
  if (!e) {
    for (const auto& x : e.error()) ADD_FAILURE() << to_string(x);
    std::abort();
  }
  return *e;
}

std::vector<std::string> errors(const std::string& table) {
  std::vector<SourceFile> files{{"tables/local-type.json", table}};
  auto e = Engine::load(files);
  std::vector<std::string> out;
  if (!e)
    for (const auto& x : e.error()) out.push_back(to_string(x));
  return out;
}

// The Appointment for an SCH-8 sent by `facility`.
fhir::Document appointment(const Engine& e, const std::string& facility, const std::string& sch8) {
  auto m = hl7v2::Message::parse("MSH|^~\\&|APP|" + facility +
                                 "|R|R|20250612081500+0100||SIU^S12^SIU_S12|1|P|2.5.1\r"
                                 "SCH|P1|F1||||||" +
                                 sch8 + "\r");
  EXPECT_TRUE(m);
  auto t = e.v2_to_fhir(*m);
  EXPECT_TRUE(t);
  auto d = fhir::parse(t ? t->output : std::string("{}"));
  return std::move(*d);
}

std::string json(const rapidjson::Value& v) { return fhir::to_json(v).value(); }

}  // namespace

TEST(LocalCodes, TranslatedCodingFollowsTheCodingsAsSent) {
  const Engine e = load({{"tables/local-type.json", kTypes}, {"m.json", kMapping}});
  auto d = appointment(e, "A81001", "FUP^Follow up^L^F1^Follow-up alt^99ALT^^^Seen again");
  const auto& a = d.root()["entry"][0]["resource"];
  EXPECT_EQ(
      json(a["appointmentType"]),
      R"({"coding":[{"system":"https://cs.example/A81001/L","code":"FUP","display":"Follow up"},)"
      R"({"system":"https://cs.example/A81001/99ALT","code":"F1","display":"Follow-up alt"},)"
      R"({"system":"https://fcp.example/CodeSystem/appointment-type","code":"follow-up","display":"Follow-up"}],)"
      R"("text":"Seen again"})");
  // ce-coding with a table: the translated coding alone.
  EXPECT_EQ(
      json(a["serviceType"][0]),
      R"({"system":"https://fcp.example/CodeSystem/appointment-type","code":"follow-up","display":"Follow-up"})");
  EXPECT_EQ(std::string(a["comment"].GetString()), "whole field mapped");
}

TEST(LocalCodes, SourceSystemAndFacilityDecide) {
  const Engine e = load({{"tables/local-type.json", kTypes}, {"m.json", kMapping}});
  // The same local code from another practice is another system: not mapped, kept as sent.
  {
    auto d = appointment(e, "B86012", "FUP^Follow up^L");
    const auto& a = d.root()["entry"][0]["resource"];
    EXPECT_EQ(
        json(a["appointmentType"]),
        R"({"coding":[{"system":"https://cs.example/B86012/L","code":"FUP","display":"Follow up"}],"text":"Follow up"})");
    EXPECT_EQ(json(a["serviceType"][0]),
              R"({"system":"https://cs.example/B86012/L","code":"FUP","display":"Follow up"})");
    // The code alone (a component) is in the table, for any system.
    EXPECT_EQ(std::string(a["comment"].GetString()), "code mapped");
  }
  // A group without source matches a code of any system, and of none; an entry for this
  // facility wins over the one for every sender (MSH-4 compared ignoring case).
  {
    auto d = appointment(e, "A81001", "new");
    const auto& a = d.root()["entry"][0]["resource"];
    EXPECT_EQ(
        json(a["appointmentType"]["coding"][1]),
        R"({"system":"https://fcp.example/CodeSystem/appointment-type","code":"new","display":"New patient"})");
    auto b = appointment(e, "B86012", "NEW^New^99LOC");
    EXPECT_EQ(
        json(b.root()["entry"][0]["resource"]["appointmentType"]["coding"][1]),
        R"({"system":"https://fcp.example/CodeSystem/appointment-type","code":"new-b","display":"New B86012"})");
  }
  // Unmatched means no mapping: the coding as sent stays, never an empty one.
  {
    auto d = appointment(e, "A81001", "OLD^Old type");
    const auto& a = d.root()["entry"][0]["resource"];
    EXPECT_EQ(json(a["appointmentType"]),
              R"({"coding":[{"code":"OLD","display":"Old type"}],"text":"Old type"})");
    EXPECT_EQ(json(a["serviceType"][0]), R"({"code":"OLD","display":"Old type"})");
    EXPECT_EQ(std::string(a["comment"].GetString()), "not mapped");
  }
  // No code at all: nothing written by the coded rules, the else of ce-coding applies.
  {
    auto d = appointment(e, "A81001", "^Text only");
    const auto& a = d.root()["entry"][0]["resource"];
    EXPECT_EQ(json(a["appointmentType"]), R"({"text":"Text only"})");
    EXPECT_EQ(json(a["serviceType"][0]), R"("none")");
  }
}

TEST(LocalCodes, AnEmptyHookChangesNothing) {
  const char* empty = R"({"resourceType":"ConceptMap","id":"local-type","status":"active"})";
  const Engine e = load({{"tables/local-type.json", empty}, {"m.json", kMapping}});
  auto d = appointment(e, "A81001", "FUP^Follow up^L");
  const auto& a = d.root()["entry"][0]["resource"];
  EXPECT_EQ(
      json(a["appointmentType"]),
      R"({"coding":[{"system":"https://cs.example/A81001/L","code":"FUP","display":"Follow up"}],"text":"Follow up"})");
  EXPECT_EQ(std::string(a["comment"].GetString()), "not mapped");
}

TEST(LocalCodes, DuplicateSourceCodeIsALoadError) {
  const auto errs = errors(R"({"resourceType":"ConceptMap","id":"local-type","group":[
    {"element":[{"code":"A","target":[{"code":"x"}]}]},
    {"source":"https://cs.example/A81001/L","element":[
      {"code":"FUP","target":[{"code":"follow-up"}]},
      {"code":"B","target":[{"code":"y"}]},
      {"code":"fup","target":[{"code":"first"}]}]}]})");
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_NE(errs[0].find("tables/local-type.json"), std::string::npos) << errs[0];
  EXPECT_NE(errs[0].find("group[1]"), std::string::npos) << errs[0];
  EXPECT_NE(errs[0].find("'fup'"), std::string::npos) << errs[0];
  EXPECT_NE(errs[0].find("'follow-up' and to 'first'"), std::string::npos) << errs[0];
  // Not duplicates: the same target twice, the same code in another group, or for another
  // sending facility.
  EXPECT_TRUE(errors(R"({"resourceType":"ConceptMap","id":"local-type","group":[
    {"element":[{"code":"A","target":[{"code":"x"}]},{"code":"a","target":[{"code":"x"}]},
                {"code":"B","target":[{"code":"y"}]},
                {"code":"B","target":[{"code":"z","dependsOn":[{"property":"MSH-4","value":"A81001"}]}]}]},
    {"source":"https://cs.example/L","element":[{"code":"A","target":[{"code":"w"}]}]}]})")
                  .empty());
  // The same code for the same facility, twice, with different targets.
  EXPECT_EQ(errors(R"({"resourceType":"ConceptMap","id":"local-type","group":[{"element":[
    {"code":"B","target":[{"code":"y","dependsOn":[{"property":"MSH-4","value":"A81001"}]}]},
    {"code":"B","target":[{"code":"z","dependsOn":[{"property":"MSH-4","value":"a81001"}]}]}]}]})")
                .size(),
            1u);
}

TEST(LocalCodes, DependsOnOtherThanTheSendingFacilityIsALoadError) {
  const auto errs = errors(R"({"resourceType":"ConceptMap","id":"local-type","group":[{"element":[
    {"code":"A","target":[{"code":"x","dependsOn":[{"property":"PV1-2","value":"O"}]}]}]}]})");
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_NE(errs[0].find("group[0].element[0].target[0].dependsOn[0]"), std::string::npos)
      << errs[0];
  EXPECT_NE(errs[0].find("MSH-4"), std::string::npos) << errs[0];
  EXPECT_EQ(errors(R"({"resourceType":"ConceptMap","id":"local-type","group":{}})").size(), 1u);
}

TEST(LocalCodes, MapAfterOtherStructureTransformsAndBadMappedAreRefused) {
  const auto refused = [](const std::string& rule) {
    std::vector<SourceFile> files{{"tables/local-type.json", kTypes},
                                  {"tables/v2-coding-system-to-uri.json", kCodingSystems},
                                  {"m.json", R"({"mapping":"m","direction":"v2-to-fhir",
      "accepts":["SIU^S12"],"resources":[{"key":"a","resourceType":"Appointment","set":[)" +
                                                 rule + "]}]}"}};
    auto e = Engine::load(files);
    std::string all = e ? "<loaded>" : "";
    if (!e)
      for (const auto& x : e.error()) all += to_string(x) + "\n";
    return all;
  };
  EXPECT_NE(
      refused(
          R"({"path":"identifier[+]","from":"SCH-1","transform":"cx-identifier","map":"local-type"})")
          .find("map cannot follow a structure transform other than ce-codeable-concept"),
      std::string::npos);
  EXPECT_NE(
      refused(R"({"path":"status","value":"booked","when":{"mapped":["SCH-8","no-such-table"]}})")
          .find("condition 'mapped': unknown code table 'no-such-table'"),
      std::string::npos);
  EXPECT_NE(refused(R"({"path":"status","value":"booked","when":{"mapped":["SCH-8"]}})")
                .find("condition 'mapped': expected [path, code table id]"),
            std::string::npos);
}

TEST(LocalCodes, FhirToV2MappedAndTheCodingSystemGoesBackAsSent) {
  const char* reverse = R"({"mapping":"r","direction":"fhir-to-v2","accepts":["Appointment"],
    "message":{"code":"SIU","structure":"SIU_S12"},"event":[{"value":"S12"}],
    "segments":[{"segment":"MSH","set":[{"field":"MSH-7","value":"20250612081500"}]},
      {"segment":"SCH","set":[
      {"field":"SCH-8.1","from":"appointmentType.coding[0].code"},
      {"field":"SCH-8.3","from":"appointmentType.coding[0].system","transform":"v2-coding-system"},
      {"field":"SCH-7.1","from":"serviceType[0].coding[0].system","transform":"v2-coding-system"},
      {"field":"SCH-7.2","from":"serviceType[1].coding[0].system","transform":"v2-coding-system"},
      {"field":"SCH-7.3","from":"serviceType[2].coding[0].system","transform":"v2-coding-system"},
      {"field":"SCH-25","when":{"mapped":["appointmentType.coding[0].code","local-type"]},"value":"Mapped"}]}]})";
  const Engine e = load({{"tables/local-type.json", kTypes}, {"r.json", reverse}});
  auto in = fhir::parse(R"({"resourceType":"Appointment","status":"booked",
    "appointmentType":{"coding":[{"system":"https://cs.example/A81001/L","code":"NEW"}]},
    "serviceType":[{"coding":[{"system":"http://snomed.info/sct","code":"1"}]},
                   {"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v2-0277","code":"2"}]},
                   {"coding":[{"system":"https://elsewhere.example/L","code":"3"}]}]})");
  ASSERT_TRUE(in);
  auto t = e.fhir_to_v2(in->root(), nullptr);
  ASSERT_TRUE(t);
  const auto sch = t->output.substr(t->output.find("SCH|"));
  // The local system's name comes back (L), SNOMED by the table, an HL7 table as HL7nnnn, and
  // a system fcpgw did not write is left out. NEW is in the table for every sender.
  EXPECT_EQ(sch.substr(0, sch.find('\r')), "SCH|||||||SCT^HL70277|NEW^^L|||||||||||||||||Mapped");
}
