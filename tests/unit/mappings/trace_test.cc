// Options::trace: which rule and which input location produced each output element.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "fhir/json.h"
#include "hl7v2/message.h"
#include "load_files.h"
#include "mappings/engine.h"

namespace fcpgw::mappings {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;
using ::testing::StartsWith;

const fs::path kCases = fs::path(FCPGW_SOURCE_DIR) / "mappings" / "golden" / "appointments";

const Engine& engine() {
  static const Engine e = Engine::load(testing::shipped_mapping_files()).value();
  return e;
}

struct Collect final : TraceSink {
  std::vector<std::string> lines;
  std::vector<std::string> elements;
  void on(const TraceEvent& e) override {
    lines.push_back(to_string(e));
    elements.emplace_back(e.element);
  }
};

// Follows an element path (`entry[0].resource.name[1].given[0]`) into a JSON value.
const rapidjson::Value* at(const rapidjson::Value& root, const std::string& path) {
  const rapidjson::Value* v = &root;
  std::size_t i = 0;
  while (i < path.size() && v) {
    if (path[i] == '.') ++i;
    if (path[i] == '[') {
      const std::size_t close = path.find(']', i);
      const auto k =
          static_cast<rapidjson::SizeType>(std::stoul(path.substr(i + 1, close - i - 1)));
      v = v->IsArray() && k < v->Size() ? &(*v)[k] : nullptr;
      i = close + 1;
      continue;
    }
    std::size_t end = i;
    while (end < path.size() && path[end] != '.' && path[end] != '[') ++end;
    const std::string name = path.substr(i, end - i);
    v = v->IsObject() && v->HasMember(name.c_str()) ? &(*v)[name.c_str()] : nullptr;
    i = end;
  }
  return v;
}

TEST(MappingsTrace, V2ToFhirNamesRuleSourceAndHowForEachElement) {
  auto msg = hl7v2::Message::parse(testing::read_file(kCases / "s15_cancelled.hl7"));
  ASSERT_TRUE(msg);
  Collect trace;
  Options o;
  o.trace = &trace;
  auto traced = engine().v2_to_fhir(*msg, o);
  ASSERT_TRUE(traced);
  auto plain = engine().v2_to_fhir(*msg);
  ASSERT_TRUE(plain);
  EXPECT_EQ(traced->output, plain->output) << "tracing must not change the output";

  const auto& l = trace.lines;
  EXPECT_THAT(l, Contains("entry[0]  <- resource appointment (Appointment)  (v2-to-fhir/siu.json: "
                          "#appointment)"));
  // S15: the status comes from the event through its table, not from SCH-25.
  EXPECT_THAT(l, Contains(StartsWith("entry[0].resource.status  <- MSH-9[1].2 via table "
                                     "siu-event-to-appointment-status  (v2-to-fhir/siu.json: "
                                     "#appointment-status (path \"status\").choose[")));
  EXPECT_THAT(l, Contains(StartsWith("entry[0].resource.start  <- TQ1-7[1] via transform "
                                     "dtm-instant  (v2-to-fhir/siu.json: ")));
  EXPECT_THAT(l, Contains(StartsWith("entry[0].resource.identifier[0].value  <- SCH-1[1].1 via "
                                     "template  (v2-to-fhir/siu.json: ")));
  EXPECT_THAT(l, Contains(StartsWith("entry[1].resource.identifier[1]  <- PID-3[2] via transform "
                                     "cx-identifier")));
  EXPECT_THAT(l, Contains(HasSubstr(".actor  <- AIP via reference to practitioner")));
  EXPECT_THAT(l, Contains(StartsWith("entry[1].resource.gender  <- PID-8[1] via table "
                                     "v2-0001-to-administrative-gender")));

  // Every element named exists in the output, and no line carries a value from the message.
  auto doc = fhir::parse(traced->output);
  ASSERT_TRUE(doc);
  for (const auto& e : trace.elements) EXPECT_NE(at(doc->root(), e), nullptr) << e;
  for (const auto& line : l)
    for (const char* value : {"9434765919", "Briain", "19850214", "High Street", "PH123456"})
      EXPECT_THAT(line, ::testing::Not(HasSubstr(value)));
}

TEST(MappingsTrace, ElseBranchIsNamed) {
  // S14 without SCH-25: the status falls back to the event.
  auto msg = hl7v2::Message::parse(testing::read_file(kCases / "s14_modify_no_status.hl7"));
  ASSERT_TRUE(msg);
  Collect trace;
  Options o;
  o.trace = &trace;
  ASSERT_TRUE(engine().v2_to_fhir(*msg, o));
  EXPECT_THAT(trace.lines, Contains(StartsWith("entry[0].resource.status  <- MSH-9[1].2 via ")));
  EXPECT_THAT(trace.lines, Contains(HasSubstr("else by event S14")));
}

TEST(MappingsTrace, ChooseNamesTheCaseThatWasWritten) {
  const fs::path docs = kCases.parent_path() / "documents";
  auto msg =
      hl7v2::Message::parse(testing::read_file(docs / "status_letter_superseded_txa19_ob.hl7"));
  ASSERT_TRUE(msg);
  Collect trace;
  Options o;
  o.trace = &trace;
  ASSERT_TRUE(engine().v2_to_fhir(*msg, o));
  EXPECT_THAT(trace.lines,
              Contains(AllOf(StartsWith("entry[0].resource.status  <- TXA-19[1].1 via table "),
                             HasSubstr("(path \"status\").choose[1])"))));
}

TEST(MappingsTrace, FhirToV2NamesSegmentFieldAndElementPath) {
  auto in = fhir::parse(testing::read_file(kCases / "fhir_booked_bundle.json"));
  ASSERT_TRUE(in);
  Collect trace;
  Options o;
  o.trace = &trace;
  o.message_time = "2025-06-02T09:00:00+01:00";
  auto traced = engine().fhir_to_v2(in->root(), nullptr, o);
  ASSERT_TRUE(traced);
  o.trace = nullptr;
  auto plain = engine().fhir_to_v2(in->root(), nullptr, o);
  ASSERT_TRUE(plain);
  EXPECT_EQ(traced->output, plain->output);
  const auto& l = trace.lines;
  // MSH-9.1 and PID come from shared pieces: the rule is named where its text is, with its use.
  EXPECT_THAT(l, Contains("MSH-9[1].1  <- constant  (fhir-to-v2/shared/header.json: "
                          "pieces.msh.segment.set[1] (field \"MSH-9.1\") (via "
                          "fhir-to-v2/appointment.json: segments[0]))"));
  EXPECT_THAT(l, Contains(StartsWith("SCH-25[1].1  <- Bundle.entry[0].resource.status via table "
                                     "appointment-status-to-v2-0278  (fhir-to-v2/appointment.json: "
                                     "#appointment-status (field \"SCH-25.1\"))")));
  EXPECT_THAT(l, Contains(StartsWith("TQ1-7[1]  <- Bundle.entry[0].resource.start via transform "
                                     "fhir-dtm  (fhir-to-v2/appointment.json: ")));
  EXPECT_THAT(l, Contains("PID-3[1].1  <- Bundle.entry[1].resource.identifier[0].value  "
                          "(fhir-to-v2/shared/patient.json: #pid-identifiers.set[0] "
                          "(field \"PID-3.1\") (via fhir-to-v2/appointment.json: segments[5]))"));
  // A rule of the mapping's own after the piece's ("add") is named where it is written.
  EXPECT_THAT(l, Contains(HasSubstr("(fhir-to-v2/appointment.json: segments[0].add[0] (field "
                                    "\"MSH-4.1\"))")));
  EXPECT_THAT(l, Contains(HasSubstr("via table fhir-system-to-v2-assigning-authority")));
  // Each located element is written in the output.
  auto out = hl7v2::Message::parse(traced->output);
  ASSERT_TRUE(out);
  for (const auto& e : trace.elements) {
    auto p = hl7v2::parse_path(e);
    ASSERT_TRUE(p) << e;
    EXPECT_FALSE(out->get(*p).empty()) << e;
  }
}

TEST(MappingsTrace, NoSinkNoEvents) {
  // The default options trace nothing (and the translation is the same as ever).
  Options o;
  EXPECT_EQ(o.trace, nullptr);
  TraceEvent e{"entry[0].resource.status", "SCH-25[1].1", "table t", "f.json: resources[0]"};
  EXPECT_EQ(to_string(e),
            "entry[0].resource.status  <- SCH-25[1].1 via table t  (f.json: resources[0])");
  EXPECT_EQ(to_string(TraceEvent{"a", "", "constant", "r"}), "a  <- constant  (r)");
}

// What was not written, and why (`translate --explain`).
struct CollectSkips final : TraceSink {
  std::vector<std::string> lines;
  void on(const TraceEvent&) override {}
  void on_skipped(const SkipEvent& e) override { lines.push_back(to_string(e)); }
};

// The sample room_pl9_only with its AIL segment replaced by `ail`, translated with and without
// --explain (the same output both ways): the Bundle and the skipped rules.
void explain_room(const std::string& ail, std::string& output, std::vector<std::string>& skipped) {
  std::string text = testing::read_file(kCases / "room_pl9_only.hl7");
  const auto at = text.find("AIL|1|A|");
  ASSERT_NE(at, std::string::npos);
  const auto end = text.find_first_of("\r\n", at);
  text.replace(at, end - at, ail);
  auto msg = hl7v2::Message::parse(text);
  ASSERT_TRUE(msg);
  CollectSkips skips;
  Options o;
  o.trace = &skips;
  auto explained = engine().v2_to_fhir(*msg, o);
  ASSERT_TRUE(explained);
  auto plain = engine().v2_to_fhir(*msg);
  ASSERT_TRUE(plain);
  EXPECT_EQ(explained->output, plain->output);
  output = plain->output;
  skipped = std::move(skips.lines);
}

TEST(MappingsExplain, ARoomWithoutItsIdentifiersIsNamedWithTheConditionThatFailed) {
  // AIL-3 empty (only a location type in AIL-4): no room, site or name, so no Location.
  std::string output;
  std::vector<std::string> skipped;
  ASSERT_NO_FATAL_FAILURE(explain_room("AIL|1|A||CLINIC^Clinic room^L", output, skipped));
  EXPECT_THAT(output, ::testing::Not(HasSubstr("\"Location\"")));
  EXPECT_THAT(skipped,
              Contains("resource location (Location) for AIL not written: when any(present "
                       "AIL-3.1, present AIL-3.2, present AIL-3.9, present AIL-3.4.1) did not "
                       "hold  (v2-to-fhir/siu.json: #location)"));
  // An element skipped by its condition is named by its path in the output.
  EXPECT_THAT(skipped, Contains(AllOf(StartsWith("entry["), HasSubstr(" not written: when "),
                                      HasSubstr("(v2-to-fhir/siu.json: #appointment"))));
}

TEST(MappingsExplain, ARoomSentAsPl2OnlyNamesTheSourcesThatWereEmpty) {
  // AIL-3 with a room (PL.2) and no point of care (PL.1): the Location is written, its
  // identifier from PL.2; the PL.1 identifier rule is skipped by its condition, and every rule
  // that ran without a value says which of its sources were empty.
  std::string output;
  std::vector<std::string> skipped;
  ASSERT_NO_FATAL_FAILURE(explain_room("AIL|1|A|^Room 4", output, skipped));
  EXPECT_THAT(output, HasSubstr("\"resourceType\":\"Location\""));
  const auto& l = skipped;
  EXPECT_THAT(l, Contains(AllOf(HasSubstr(".resource.identifier[+] for AIL not written: when "
                                          "present AIL-3.1 did not hold"),
                                HasSubstr("(v2-to-fhir/siu.json: #location.set[0] (path "
                                          "\"identifier[+]\"))"))));
  // The participant's status: AIL-12 empty, so its else applied; nothing to explain. The
  // patient's birth time, middle names ...: the sources that were empty.
  EXPECT_THAT(l, Contains(AllOf(StartsWith("entry[1].resource.name[0].given[1] for PID-5[1] not "
                                           "written: PID-5[1].3 empty  "),
                                HasSubstr("#patient-names.set[3]"))));
  EXPECT_THAT(l, Contains(HasSubstr("entry[0].resource.minutesDuration not written: SCH-9[1] "
                                    "empty, else TQ1-6.1 empty, else SCH-11[1].3 empty")));
  for (const auto& line : l) {
    EXPECT_THAT(line, Not(HasSubstr("Room 4"))) << "explain carries a value";
    EXPECT_THAT(line, Not(HasSubstr("9434765919"))) << "explain carries a value";
  }
}

TEST(MappingsExplain, FhirToV2NamesSkippedSegmentsAndFields) {
  auto in = fhir::parse(testing::read_file(kCases / "fhir_booked_bundle.json"));
  ASSERT_TRUE(in);
  CollectSkips skips;
  Options o;
  o.trace = &skips;
  o.message_time = "2025-06-02T09:00:00+01:00";
  auto explained = engine().fhir_to_v2(in->root(), nullptr, o);
  ASSERT_TRUE(explained);
  o.trace = nullptr;
  EXPECT_EQ(explained->output, engine().fhir_to_v2(in->root(), nullptr, o)->output);
  EXPECT_THAT(skips.lines, Contains(AllOf(HasSubstr(" not written: when "),
                                          HasSubstr("(fhir-to-v2/appointment.json: segments["))));
  // A field rule that ran without a value names the paths it found empty.
  EXPECT_THAT(skips.lines, Contains(MatchesRegex(".* not written: .* empty  \\(fhir-to-v2/.*")));
}

TEST(MappingsExplain, SkipEventText) {
  EXPECT_EQ(to_string(SkipEvent{"resource location (Location)", "AIL[2]", "present AIL-3.1",
                                "f.json: resources[6]"}),
            "resource location (Location) for AIL[2] not written: when present AIL-3.1 did not "
            "hold  (f.json: resources[6])");
  EXPECT_EQ(to_string(SkipEvent{"SCH-7", "", "absent x", ""}),
            "SCH-7 not written: when absent x did not hold");
}

}  // namespace
}  // namespace fcpgw::mappings
