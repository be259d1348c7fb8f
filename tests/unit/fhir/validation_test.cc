#include "fhir/validation.h"

#include <gtest/gtest.h>

#include <string>

#include "fhir/definitions.h"
#include "fhir/definitions_detail.h"
#include "fhir/json.h"
#include "fhir/primitives.h"

using namespace fcpgw::fhir;

namespace {

std::vector<Issue> check(std::string_view json) {
  auto d = parse(json);
  EXPECT_TRUE(d) << (d ? "" : d.error().message);
  if (!d) return {};
  return validate(d->root());
}

// "severity code path" of every issue other than information.
std::vector<std::string> summary(std::string_view json) {
  std::vector<std::string> out;
  for (const Issue& i : check(json))
    if (i.severity != Severity::information)
      out.push_back(std::string(to_string(i.severity)) + " " + std::string(to_string(i.type)) +
                    " " + i.path);
  return out;
}

bool mentions(std::string_view json, std::string_view rule) {
  for (const Issue& i : check(json))
    if (i.message.starts_with(rule)) return true;
  return false;
}

using V = std::vector<std::string>;

constexpr std::string_view kAppt =
    R"({"resourceType":"Appointment","status":"booked","start":"2024-03-05T10:00:00Z",)"
    R"("end":"2024-03-05T10:30:00Z","participant":[{"actor":{"reference":"Patient/1"},)"
    R"("status":"accepted"}]})";

std::string appt_with(std::string_view extra) {
  std::string s(kAppt);
  s.insert(s.size() - 1, std::string(",") + std::string(extra));
  return s;
}

TEST(FhirValidation, ValidAppointment) { EXPECT_EQ(summary(kAppt), V{}); }

TEST(FhirValidation, UnknownElement) {
  EXPECT_EQ(summary(appt_with(R"("colour":"red")")), V{"error structure Appointment.colour"});
  EXPECT_EQ(summary(appt_with(R"("_colour":{"id":"a"})")),
            V{"error structure Appointment._colour"});
}

TEST(FhirValidation, ResourceTypeRequiredAndKnown) {
  EXPECT_EQ(summary(R"({"id":"x"})"), V{"error required resourceType"});
  EXPECT_EQ(summary(R"({"resourceType":"Foo","id":"x"})"), V{"error code-invalid Foo"});
  auto issues = check(R"({"resourceType":"Medication","id":"x"})");
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].severity, Severity::information);
  EXPECT_EQ(issues[0].type, IssueType::not_supported);
}

// A number is not a resource type, whatever its text: -0 is kept as a raw number internally
// (its exact text), which must never reach an issue's text.
TEST(FhirValidation, ResourceTypeGivenAsANumber) {
  for (std::string_view json : {R"({"resourceType":-0})", R"({"resourceType":1.50})",
                                R"({"resourceType":7})", R"({"resourceType":true})"}) {
    SCOPED_TRACE(json);
    EXPECT_EQ(summary(json), V{"error required resourceType"});
    for (const Issue& i : check(json)) {
      EXPECT_EQ(i.message.find('\xFF'), std::string::npos) << i.message;
    }
    auto written = to_json(operation_outcome(check(json)).root());
    ASSERT_TRUE(written);
  }
}

TEST(FhirValidation, Cardinality) {
  EXPECT_EQ(summary(R"({"resourceType":"Appointment","status":"proposed"})"),
            V{"error required Appointment.participant"});
  EXPECT_EQ(summary(R"({"resourceType":"Appointment","status":"proposed","participant":)"
                    R"({"status":"accepted","actor":{"reference":"Patient/1"}}})"),
            V{"error structure Appointment.participant"});
  EXPECT_EQ(summary(appt_with(R"("description":["a"])")),
            V{"error structure Appointment.description"});
  EXPECT_EQ(summary(R"({"resourceType":"Appointment","status":"proposed","participant":)"
                    R"([{"actor":{"reference":"Patient/1"}}]})"),
            V{"error required Appointment.participant[0].status"});
}

TEST(FhirValidation, Ele1Empty) {
  EXPECT_EQ(summary(appt_with(R"("description":"")")),
            V{"error invariant Appointment.description"});
  EXPECT_EQ(summary(appt_with(R"("reasonCode":[])")), V{"error invariant Appointment.reasonCode"});
  EXPECT_EQ(summary(appt_with(R"("meta":{})")), V{"error invariant Appointment.meta"});
}

TEST(FhirValidation, PrimitiveTypes) {
  EXPECT_EQ(summary(appt_with(R"("minutesDuration":0)")),
            V{"error value Appointment.minutesDuration"});
  EXPECT_EQ(summary(appt_with(R"("minutesDuration":"30")")),
            V{"error value Appointment.minutesDuration"});
  EXPECT_EQ(summary(appt_with(R"("priority":-1)")), V{"error value Appointment.priority"});
  EXPECT_EQ(summary(appt_with(R"("priority":2147483648)")), V{"error value Appointment.priority"});
  EXPECT_EQ(summary(appt_with(R"("created":"2024-02-30")")), V{"error value Appointment.created"});
  EXPECT_EQ(summary(appt_with(R"("id":"a_b")")), V{"error value Appointment.id"});
  EXPECT_EQ(summary(R"({"resourceType":"Patient","active":"true"})"),
            V{"error value Patient.active"});
  EXPECT_EQ(summary(R"({"resourceType":"Patient","birthDate":"2024-02-29"})"), V{});
  EXPECT_EQ(summary(R"({"resourceType":"Observation","status":"final","code":{"text":"x"},)"
                    R"("valueQuantity":{"value":"1.5"}})"),
            V{"error value Observation.valueQuantity.value"});
  EXPECT_EQ(
      summary(R"({"resourceType":"Patient","photo":[{"contentType":"image/png","data":"QUJ"}]})"),
      V{"error value Patient.photo[0].data"});
}

TEST(FhirValidation, NumbersKeptAsTextStillValidate) {
  constexpr auto obs = R"({"resourceType":"Observation","status":"final","code":{"text":"x"},)";
  for (std::string_view ok : {"1.50", "0.00012000", "1e3", "-0", "12345678901234567890123"})
    EXPECT_EQ(summary(std::string(obs) + R"("valueQuantity":{"value":)" + std::string(ok) + "}}"),
              V{})
        << ok;
  EXPECT_EQ(summary(std::string(obs) + R"("valueInteger":-0})"), V{});
  for (std::string_view bad : {"1.0", "1.00", "1e2", "2147483648", "99999999999999999999999"})
    EXPECT_EQ(summary(std::string(obs) + R"("valueInteger":)" + std::string(bad) + "}"),
              V{"error value Observation.valueInteger"})
        << bad;
  EXPECT_EQ(summary(std::string(obs) + R"("valueInteger":-2147483648})"), V{});
  EXPECT_EQ(summary(appt_with(R"("minutesDuration":2147483647)")), V{});
  for (std::string_view bad : {"-0", "1.0", "5e1", "2147483648", "18446744073709551616"})
    EXPECT_EQ(summary(appt_with(R"("minutesDuration":)" + std::string(bad))),
              V{"error value Appointment.minutesDuration"})
        << bad;
  EXPECT_EQ(summary(appt_with(R"("priority":0)")), V{});
  EXPECT_EQ(summary(appt_with(R"("priority":-0)")), V{"error value Appointment.priority"});
  // a number where a string is expected, whatever its text
  EXPECT_EQ(summary(std::string(obs) + R"("valueString":1.50})"),
            V{"error value Observation.valueString"});
  EXPECT_EQ(summary(std::string(obs) + R"("valueString":15})"),
            V{"error value Observation.valueString"});
}

TEST(FhirValidation, ChoiceTypes) {
  constexpr auto obs = R"({"resourceType":"Observation","status":"final","code":{"text":"x"},)";
  EXPECT_EQ(summary(std::string(obs) + R"("valueString":"a"})"), V{});
  EXPECT_EQ(summary(std::string(obs) + R"("valueFoo":"a"})"),
            V{"error structure Observation.valueFoo"});
  EXPECT_EQ(summary(std::string(obs) + R"("valueString":"a","valueBoolean":true})"),
            V{"error structure Observation.valueBoolean"});
  EXPECT_EQ(summary(std::string(obs) + R"("effectiveDateTime":"2024-01-01T10:00"})"),
            V{"error value Observation.effectiveDateTime"});
}

TEST(FhirValidation, RequiredBindings) {
  EXPECT_EQ(
      summary(R"({"resourceType":"Appointment","status":"bookd","participant":)"
              R"([{"actor":{"reference":"Patient/1"},"status":"maybe"}]})"),
      (V{"error code-invalid Appointment.status",
         "error code-invalid Appointment.participant[0].status", "error invariant Appointment"}));
  EXPECT_EQ(summary(R"({"resourceType":"Patient","gender":"M"})"),
            V{"error code-invalid Patient.gender"});
  EXPECT_EQ(summary(R"({"resourceType":"Patient","name":[{"use":"nickname","family":"x"}],)"
                    R"("telecom":[{"system":"pager","value":"1","use":"work"}]})"),
            V{});
  EXPECT_EQ(summary(R"({"resourceType":"Patient","telecom":[{"system":"fax2","value":"1"}]})"),
            V{"error code-invalid Patient.telecom[0].system"});
  EXPECT_EQ(summary(R"({"resourceType":"ServiceRequest","status":"active","intent":"order",)"
                    R"("priority":"soon","subject":{"reference":"Patient/1"}})"),
            V{"error code-invalid ServiceRequest.priority"});
  EXPECT_EQ(summary(R"({"resourceType":"Task","status":"requested","intent":"orders"})"),
            V{"error code-invalid Task.intent"});
  EXPECT_EQ(summary(R"({"resourceType":"Bundle","type":"collect"})"),
            V{"error code-invalid Bundle.type"});
  EXPECT_EQ(value_set_contains("http://hl7.org/fhir/ValueSet/appointmentstatus|4.0.1", "noshow"),
            true);
  EXPECT_EQ(value_set_contains("http://hl7.org/fhir/ValueSet/appointmentstatus", "x"), false);
  EXPECT_EQ(value_set_contains("http://hl7.org/fhir/ValueSet/mimetypes", "text/plain"),
            std::nullopt);
}

TEST(FhirValidation, RequiredBindingsOnCodingsCheckTheSystem) {
  constexpr std::string_view head =
      R"({"resourceType":"Condition","subject":{"reference":"Patient/1"},"clinicalStatus":)";
  auto cond = [&](std::string_view status) {
    return std::string(head) + std::string(status) + "}";
  };
  constexpr auto kClin = "http://terminology.hl7.org/CodeSystem/condition-clinical";
  const std::string good =
      std::string(R"({"coding":[{"system":")") + kClin + R"(","code":"active"}]})";
  EXPECT_EQ(summary(cond(good)), V{});
  // right code, wrong system
  EXPECT_EQ(summary(cond(R"({"coding":[{"system":"http://snomed.info/sct","code":"active"}]})")),
            V{"error code-invalid Condition.clinicalStatus"});
  EXPECT_TRUE(mentions(cond(R"({"coding":[{"system":"http://x","code":"active"}]})"),
                       "code is from the wrong code system"));
  // a wrong-system coding next to a right one is fine (another coding satisfies the binding)
  EXPECT_EQ(summary(cond(std::string(R"({"coding":[{"system":"http://x","code":"active"},)") +
                         R"({"system":")" + kClin + R"(","code":"recurrence"}]})")),
            V{});
  // no system: matched by code, with a warning on the coding
  EXPECT_EQ(summary(cond(R"({"coding":[{"code":"active"}]})")),
            V{"warning code-invalid Condition.clinicalStatus.coding[0]"});
  EXPECT_EQ(summary(cond(R"({"coding":[{"code":"bogus"}]})")),
            (V{"warning code-invalid Condition.clinicalStatus.coding[0]",
               "error code-invalid Condition.clinicalStatus"}));
  // right system, code not in the value set
  EXPECT_EQ(
      summary(cond(std::string(R"({"coding":[{"system":")") + kClin + R"(","code":"gone"}]})")),
      V{"error code-invalid Condition.clinicalStatus"});
  EXPECT_TRUE(
      mentions(cond(std::string(R"({"coding":[{"system":")") + kClin + R"(","code":"gone"}]})"),
               "no code from the required value set"));
  // text only: nothing to check
  EXPECT_EQ(summary(cond(R"({"text":"active"})")), V{});
  // the same rules on the other required CodeableConcept binding of the supported types
  EXPECT_EQ(summary(std::string(head) + good + R"(,"verificationStatus":{"coding":[{"system":")" +
                    kClin + R"(","code":"confirmed"}]}})"),
            V{"error code-invalid Condition.verificationStatus"});
}

// (system, code) lookup in the generated tables, including a value set drawn from several
// code systems (all-types = data-types + resource-types + abstract-types).
TEST(FhirDefinitions, ValueSetMatchBySystem) {
  using fcpgw::fhir::detail::CodingMatch;
  const auto& t = fcpgw::fhir::detail::tables();
  std::int16_t all_types = -1, clinical = -1;
  for (std::size_t i = 0; i < t.value_sets.size(); ++i) {
    if (t.value_sets[i].url == "http://hl7.org/fhir/ValueSet/all-types")
      all_types = static_cast<std::int16_t>(i);
    if (t.value_sets[i].url == "http://hl7.org/fhir/ValueSet/condition-clinical")
      clinical = static_cast<std::int16_t>(i);
  }
  ASSERT_GE(all_types, 0);
  ASSERT_GE(clinical, 0);
  auto match = [&](std::int16_t vs, std::string_view sys, std::string_view code) {
    return fcpgw::fhir::detail::value_set_match(t, vs, sys, code);
  };
  EXPECT_EQ(match(all_types, "http://hl7.org/fhir/resource-types", "Patient"),
            CodingMatch::in_value_set);
  EXPECT_EQ(match(all_types, "http://hl7.org/fhir/data-types", "string"),
            CodingMatch::in_value_set);
  EXPECT_EQ(match(all_types, "http://hl7.org/fhir/data-types", "Patient"),
            CodingMatch::wrong_system);
  EXPECT_EQ(match(all_types, "http://hl7.org/fhir/resource-types", "Nope"),
            CodingMatch::not_in_value_set);
  EXPECT_EQ(
      match(clinical, "http://terminology.hl7.org/CodeSystem/condition-clinical", "remission"),
      CodingMatch::in_value_set);
  EXPECT_EQ(match(clinical, "http://hl7.org/fhir/condition-clinical", "remission"),
            CodingMatch::wrong_system);
}

TEST(FhirValidation, Dom6NarrativeOnlyWhenAsked) {
  constexpr std::string_view bare = R"({"resourceType":"Patient","active":true})";
  EXPECT_EQ(summary(bare), V{});  // off by default
  ValidationOptions opt;
  opt.narrative = true;
  auto with = [&](std::string_view json) {
    auto d = parse(json);
    EXPECT_TRUE(d);
    V out;
    for (const Issue& i : validate(d->root(), opt))
      if (i.severity != Severity::information)
        out.push_back(std::string(to_string(i.severity)) + " " + std::string(to_string(i.type)) +
                      " " + i.path + (i.message.starts_with("dom-6") ? " dom-6" : ""));
    return out;
  };
  EXPECT_EQ(with(bare), V{"warning invariant Patient dom-6"});
  EXPECT_EQ(with(R"({"resourceType":"Patient","text":{"status":"generated",)"
                 R"("div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">x</div>"}})"),
            V{});
  // Bundles are not DomainResources; their entries are; contained resources are not checked.
  EXPECT_EQ(with(R"({"resourceType":"Bundle","type":"collection","entry":[{"fullUrl":)"
                 R"("urn:uuid:1","resource":{"resourceType":"Patient","active":true,)"
                 R"("contained":[{"resourceType":"Organization","id":"o","name":"x"}],)"
                 R"("managingOrganization":{"reference":"#o"}}}]})"),
            V{"warning invariant Bundle.entry[0].resource.ofType(Patient) dom-6"});
}

TEST(FhirValidation, PrimitiveExtensions) {
  EXPECT_EQ(
      summary(R"({"resourceType":"Patient","birthDate":"1970-01-01","_birthDate":)"
              R"({"extension":[{"url":"http://x","valueDateTime":"1970-01-01T10:00:00Z"}]}})"),
      V{});
  EXPECT_EQ(summary(R"({"resourceType":"Patient","name":[{"given":[null,"B"],"_given":)"
                    R"([{"extension":[{"url":"http://x","valueString":"A"}]},null]}]})"),
            V{});
  EXPECT_EQ(summary(R"({"resourceType":"Patient","name":[{"given":[null,"B"]}]})"),
            V{"error structure Patient.name[0].given[0]"});
  EXPECT_EQ(summary(R"({"resourceType":"Patient","_birthDate":{"url":"http://x"}})"),
            V{"error structure Patient._birthDate.url"});
  // extension-only primitive satisfies a required element
  EXPECT_EQ(
      summary(
          R"({"resourceType":"Appointment","_status":{"extension":[{"url":"http://x",)"
          R"("valueCode":"a"}]},"participant":[{"actor":{"reference":"Patient/1"},)"
          R"("status":"accepted"}],"start":"2024-03-05T10:00:00Z","end":"2024-03-05T10:30:00Z"})"),
      V{});
}

TEST(FhirValidation, Extensions) {
  EXPECT_EQ(summary(appt_with(R"("extension":[{"url":"http://x"}])")),
            V{"error invariant Appointment.extension[0]"});
  EXPECT_EQ(summary(appt_with(R"("extension":[{"valueString":"a"}])")),
            V{"error required Appointment.extension[0].url"});
  EXPECT_EQ(summary(appt_with(R"("modifierExtension":[{"url":"http://x","valueBoolean":true}])")),
            V{});
}

TEST(FhirValidation, AppointmentInvariants) {
  EXPECT_TRUE(mentions(R"({"resourceType":"Appointment","status":"proposed","participant":)"
                       R"([{"status":"accepted"}]})",
                       "app-1"));
  EXPECT_TRUE(mentions(
      R"({"resourceType":"Appointment","status":"proposed","start":"2024-03-05T10:00:00Z",)"
      R"("participant":[{"actor":{"reference":"Patient/1"},"status":"accepted"}]})",
      "app-2"));
  EXPECT_TRUE(mentions(R"({"resourceType":"Appointment","status":"booked","participant":)"
                       R"([{"actor":{"reference":"Patient/1"},"status":"accepted"}]})",
                       "app-3"));
  EXPECT_FALSE(mentions(R"({"resourceType":"Appointment","status":"waitlist","participant":)"
                        R"([{"actor":{"reference":"Patient/1"},"status":"accepted"}]})",
                        "app-3"));
  EXPECT_EQ(summary(appt_with(R"("cancelationReason":{"text":"x"})")),
            V{"error invariant Appointment.cancelationReason"});
  std::string cancelled = appt_with(R"("cancelationReason":{"text":"x"})");
  cancelled.replace(cancelled.find("booked"), 6, "cancelled");
  EXPECT_EQ(summary(cancelled), V{});
}

TEST(FhirValidation, AppointmentEndNotBeforeStart) {
  const std::string base =
      R"({"resourceType":"Appointment","status":"booked","participant":[{"actor":)"
      R"({"reference":"Patient/1"},"status":"accepted"}],)";
  EXPECT_EQ(summary(base + R"("start":"2024-10-27T01:30:00+01:00","end":"2024-10-27T01:10:00Z"})"),
            V{});  // 00:30Z to 01:10Z: later, across the clock change
  EXPECT_EQ(
      summary(base + R"("start":"2024-10-27T01:30:00+00:00","end":"2024-10-27T01:40:00+01:00"})"),
      V{"error invariant Appointment.end"});
}

TEST(FhirPrimitives, InstantUtcSeconds) {
  EXPECT_EQ(instant_utc_seconds("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(instant_utc_seconds("1970-01-01T01:00:00+01:00"), 0);
  EXPECT_EQ(instant_utc_seconds("2000-03-01T00:00:00.5-00:30"), 951870600);
  EXPECT_FALSE(instant_utc_seconds("2000-03-01"));
}

TEST(FhirValidation, PeriodInvariant) {
  EXPECT_EQ(
      summary(R"({"resourceType":"Encounter","status":"finished","class":{"code":"AMB"},)"
              R"("period":{"start":"2024-03-05T11:00:00+01:00","end":"2024-03-05T10:30:00Z"}})"),
      V{});
  EXPECT_EQ(summary(R"({"resourceType":"Encounter","status":"finished","class":{"code":"AMB"},)"
                    R"("period":{"start":"2024-03-05T11:00:00Z","end":"2024-03-05T10:30:00Z"}})"),
            V{"error invariant Encounter.period"});
  EXPECT_EQ(summary(R"({"resourceType":"Encounter","status":"finished","class":{"code":"AMB"},)"
                    R"("period":{"start":"2024-03","end":"2024-02-28"}})"),
            V{"error invariant Encounter.period"});
}

constexpr std::string_view kPatientRef = R"("subject":{"reference":"Patient/1"})";

TEST(FhirValidation, ConditionInvariants) {
  const std::string base =
      std::string(R"({"resourceType":"Condition",)") + std::string(kPatientRef);
  EXPECT_TRUE(mentions(base + R"(,"abatementDateTime":"2024-01-01"})", "con-4"));
  EXPECT_FALSE(
      mentions(base + R"(,"abatementDateTime":"2024-01-01","clinicalStatus":{"coding":)"
                      R"([{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical",)"
                      R"("code":"resolved"}]}})",
               "con-4"));
  const std::string eie =
      R"(,"verificationStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-ver-status","code":"entered-in-error"}]})";
  EXPECT_TRUE(mentions(
      base + eie +
          R"(,"clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"active"}]}})",
      "con-5"));
  EXPECT_FALSE(mentions(base + eie + "}", "con-5"));
  const std::string problem =
      R"(,"category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-category","code":"problem-list-item"}]}]})";
  auto issues = check(base + problem);
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].severity, Severity::warning);
  EXPECT_TRUE(issues[0].message.starts_with("con-3"));
}

TEST(FhirValidation, ObservationInvariants) {
  constexpr auto obs =
      R"({"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"1-1"}]},)";
  EXPECT_TRUE(mentions(std::string(obs) + R"("valueString":"a","dataAbsentReason":{"text":"x"}})",
                       "obs-6"));
  EXPECT_FALSE(mentions(std::string(obs) + R"("dataAbsentReason":{"text":"x"}})", "obs-6"));
  EXPECT_TRUE(mentions(
      std::string(obs) +
          R"("valueString":"a","component":[{"code":{"coding":[{"system":"http://loinc.org","code":"1-1"}]},"valueString":"b"}]})",
      "obs-7"));
  EXPECT_FALSE(mentions(
      std::string(obs) +
          R"("valueString":"a","component":[{"code":{"coding":[{"system":"http://loinc.org","code":"2-2"}]},"valueString":"b"}]})",
      "obs-7"));
}

TEST(FhirValidation, ContainedAndReferences) {
  const std::string ok =
      R"({"resourceType":"Condition","subject":{"reference":"#p"},"contained":[{"resourceType":"Patient","id":"p"}]})";
  EXPECT_EQ(summary(ok), V{});
  EXPECT_EQ(
      summary(
          R"({"resourceType":"Condition","subject":{"reference":"#q"},"contained":[{"resourceType":"Patient","id":"p"}]})"),
      (V{"error invariant Condition.subject.reference", "error invariant Condition.contained[0]"}));
  EXPECT_EQ(
      summary(
          R"({"resourceType":"Condition","subject":{"reference":"#p"},"contained":[{"resourceType":"Patient","id":"p","contained":[{"resourceType":"Patient","id":"z"}]}]})"),
      (V{"error invariant Condition.contained[0].ofType(Patient).contained"}));
  EXPECT_TRUE(mentions(
      R"({"resourceType":"Condition","subject":{"reference":"#p"},"contained":[{"resourceType":"Patient","id":"p","meta":{"versionId":"1"}}]})",
      "dom-4"));
  EXPECT_TRUE(mentions(
      R"({"resourceType":"Condition","subject":{"reference":"#p"},"contained":[{"resourceType":"Patient","id":"p","meta":{"security":[{"code":"R"}]}}]})",
      "dom-5"));
  EXPECT_EQ(
      summary(
          R"({"resourceType":"Condition","subject":{"reference":"#p"},"contained":[{"resourceType":"Patient","id":"p","gender":"x"}]})"),
      V{"error code-invalid Condition.contained[0].ofType(Patient).gender"});
}

constexpr std::string_view kNhsPatient =
    R"({"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":")";

TEST(FhirValidation, NhsNumber) {
  EXPECT_EQ(summary(std::string(kNhsPatient) + R"(9434765919"}]})"), V{});
  EXPECT_EQ(summary(std::string(kNhsPatient) + R"(9434765918"}]})"),
            V{"error business-rule Patient.identifier[0].value"});
  EXPECT_EQ(summary(std::string(kNhsPatient) + R"(943 476 5919"}]})"),
            V{"error business-rule Patient.identifier[0].value"});
  ValidationOptions no_uk;
  no_uk.uk_core = false;
  auto d = parse(std::string(kNhsPatient) + R"(9434765918"}]})");
  EXPECT_TRUE(validate(d->root(), no_uk).empty());
  EXPECT_EQ(
      summary(
          R"({"resourceType":"Organization","identifier":[{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"y1234"}]})"),
      V{"error business-rule Organization.identifier[0].value"});
}

TEST(FhirValidation, BundlePathsAndRules) {
  EXPECT_EQ(
      summary(
          R"({"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Patient"}},)"
          R"({"fullUrl":"urn:uuid:c757873d-ec9a-4326-a141-556f43239520","resource":{"resourceType":"Patient","identifier":[{"value":""}]}}]})"),
      (V{"error invariant Bundle.entry[0].resource.ofType(Patient)",
         "error invariant Bundle.entry[1].resource.ofType(Patient).identifier[0].value"}));
  EXPECT_EQ(
      summary(
          R"({"resourceType":"Bundle","type":"transaction","entry":[{"resource":{"resourceType":"Patient","active":true}},)"
          R"({"resource":{"resourceType":"Patient","active":true},"request":{"method":"POST"}}]})"),
      (V{"error required Bundle.entry[1].request.url", "error invariant Bundle.entry[0].request"}));
  EXPECT_EQ(
      summary(
          R"({"resourceType":"Bundle","type":"collection","entry":[{"fullUrl":"urn:a","resource":{"resourceType":"Patient","active":true}},)"
          R"({"fullUrl":"urn:a","resource":{"resourceType":"Patient","active":true}}]})"),
      V{"error invariant Bundle.entry[1].fullUrl"});
  EXPECT_TRUE(mentions(
      R"({"resourceType":"Bundle","type":"message","entry":[{"resource":{"resourceType":"Patient","active":true}}]})",
      "bdl-12"));
  EXPECT_EQ(
      summary(
          R"({"resourceType":"Bundle","type":"document","entry":[{"resource":{"resourceType":"Patient","active":true}}]})"),
      (V{"error invariant Bundle.identifier", "error invariant Bundle.timestamp",
         "error invariant Bundle.entry"}));
  EXPECT_TRUE(mentions(R"({"resourceType":"Bundle","type":"collection","total":1})", "bdl-1"));
  EXPECT_TRUE(mentions(
      R"({"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Patient","active":true},"search":{"mode":"match"}}]})",
      "bdl-2"));
  EXPECT_TRUE(mentions(
      R"({"resourceType":"Bundle","type":"transaction-response","entry":[{"resource":{"resourceType":"Patient","active":true}}]})",
      "bdl-4"));
  EXPECT_TRUE(mentions(
      R"({"resourceType":"Bundle","type":"collection","entry":[{"fullUrl":"urn:x"}]})", "bdl-5"));
  EXPECT_TRUE(mentions(
      R"({"resourceType":"Bundle","type":"collection","entry":[{"fullUrl":"http://a/Patient/1/_history/2","resource":{"resourceType":"Patient","active":true}}]})",
      "bdl-8"));
  // an unsupported type inside a Bundle is information only
  EXPECT_EQ(
      summary(
          R"({"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Medication","id":"m"}}]})"),
      V{});
}

TEST(FhirValidation, OtherInvariants) {
  EXPECT_TRUE(mentions(
      R"({"resourceType":"ServiceRequest","status":"active","intent":"order","subject":{"reference":"Patient/1"},"orderDetail":[{"text":"x"}]})",
      "prr-1"));
  EXPECT_TRUE(mentions(R"({"resourceType":"Patient","contact":[{"gender":"male"}]})", "pat-1"));
  EXPECT_TRUE(mentions(R"({"resourceType":"Organization","active":true})", "org-1"));
  EXPECT_TRUE(mentions(R"({"resourceType":"Patient","telecom":[{"value":"1"}]})", "cpt-2"));
  EXPECT_TRUE(mentions(
      R"({"resourceType":"Task","status":"requested","intent":"order","authoredOn":"2024-02-02T00:00:00Z","lastModified":"2024-02-01T00:00:00Z"})",
      "inv-1"));
  EXPECT_TRUE(mentions(
      R"({"resourceType":"Composition","status":"final","type":{"text":"x"},"date":"2024","author":[{"display":"a"}],"title":"t","section":[{"title":"s"}]})",
      "cmp-1"));
}

TEST(FhirValidation, MaxIssues) {
  ValidationOptions o;
  o.max_issues = 3;
  auto d = parse(R"({"resourceType":"Patient","a":1,"b":1,"c":1,"d":1,"e":1})");
  auto issues = validate(d->root(), o);
  ASSERT_EQ(issues.size(), 4u);
  EXPECT_EQ(issues.back().type, IssueType::too_costly);
}

TEST(FhirValidation, OperationOutcomeShape) {
  std::vector<Issue> issues(3);
  issues[0].severity = Severity::error;
  issues[0].type = IssueType::code_invalid;
  issues[0].path = "Appointment.status";
  issues[0].message = "bad";
  issues[1].severity = Severity::warning;
  issues[1].type = IssueType::invariant;
  issues[1].message = "w";
  // An issue about non-FHIR input: a v2 location and a coded reason (HL7 table 0357).
  issues[2].severity = Severity::error;
  issues[2].type = IssueType::required;
  issues[2].message = "SCH-1 and SCH-2 are both empty";
  issues[2].location = "SCH-1[1].1";
  issues[2].details_system = "http://terminology.hl7.org/CodeSystem/v2-0357";
  issues[2].details_code = "101";
  Document oo = operation_outcome(issues);
  auto expected = parse(R"({"resourceType":"OperationOutcome","issue":[
    {"severity":"error","code":"code-invalid","diagnostics":"bad","expression":["Appointment.status"]},
    {"severity":"warning","code":"invariant","diagnostics":"w"},
    {"severity":"error","code":"required","diagnostics":"SCH-1 and SCH-2 are both empty",
     "location":["SCH-1[1].1"],
     "details":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v2-0357","code":"101"}]}}]})");
  EXPECT_TRUE(json_equal(oo.root(), expected->root()));
  EXPECT_TRUE(validate(oo.root()).empty());
  Document empty = operation_outcome({});
  auto expected_empty = parse(R"({"resourceType":"OperationOutcome","issue":[
    {"severity":"information","code":"informational","diagnostics":"No issues detected"}]})");
  EXPECT_TRUE(json_equal(empty.root(), expected_empty->root()));
}

TEST(FhirValidation, IssueTypeCodesRoundTrip) {
  for (auto t : {IssueType::invalid, IssueType::structure, IssueType::required, IssueType::value,
                 IssueType::invariant, IssueType::code_invalid, IssueType::not_supported,
                 IssueType::too_costly, IssueType::informational, IssueType::business_rule,
                 IssueType::too_long, IssueType::not_found, IssueType::duplicate,
                 IssueType::processing, IssueType::exception}) {
    EXPECT_EQ(issue_type_from_string(to_string(t)), t) << to_string(t);
  }
  EXPECT_FALSE(issue_type_from_string("no-such-code").has_value());
  EXPECT_FALSE(issue_type_from_string("").has_value());
}

TEST(FhirValidation, ParseErrorsBecomeIssues) {
  auto issues = parse_and_validate("{\"resourceType\":");
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].severity, Severity::error);
  EXPECT_EQ(issues[0].type, IssueType::structure);
  Limits l;
  l.max_bytes = 4;
  issues = parse_and_validate("{\"a\":1}", l);
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].severity, Severity::fatal);
  EXPECT_EQ(issues[0].type, IssueType::too_costly);
  issues = parse_and_validate(R"({"resourceType":"Patient","id":"a","id":"b"})");
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].path, "Patient.id");
}

TEST(FhirDefinitions, Lookup) {
  EXPECT_TRUE(is_supported_resource_type("Appointment"));
  EXPECT_FALSE(is_supported_resource_type("Medication"));
  EXPECT_TRUE(is_r4_resource_type("Medication"));
  EXPECT_FALSE(is_r4_resource_type("Foo"));
  auto e = find_element("Appointment.participant", "status");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->min, 1u);
  EXPECT_FALSE(e->many);
  EXPECT_EQ(e->value_set, "http://hl7.org/fhir/ValueSet/participationstatus");
  auto v = find_element("Observation", "valueQuantity");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->type, "Quantity");
  EXPECT_EQ(v->name, "value[x]");
  EXPECT_FALSE(find_element("Observation", "valueFoo"));
}

}  // namespace
