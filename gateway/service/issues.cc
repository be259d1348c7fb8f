#include "gateway/service/issues.h"

#include <algorithm>

#include "hl7v2/path.h"

namespace fcpgw::gateway::service {

namespace {

constexpr std::string_view kV2_0357 = "http://terminology.hl7.org/CodeSystem/v2-0357";

hl7v2::Severity ack_severity(fhir::Severity s) {
  switch (s) {
    case fhir::Severity::fatal:
      return hl7v2::Severity::fatal;
    case fhir::Severity::error:
      return hl7v2::Severity::error;
    case fhir::Severity::warning:
      return hl7v2::Severity::warning;
    case fhir::Severity::information:
      return hl7v2::Severity::information;
  }
  return hl7v2::Severity::error;
}

fhir::Severity from_mapping_severity(mappings::Severity s) {
  switch (s) {
    case mappings::Severity::error:
      return fhir::Severity::error;
    case mappings::Severity::warning:
      return fhir::Severity::warning;
    case mappings::Severity::information:
      return fhir::Severity::information;
  }
  return fhir::Severity::error;
}

// `PID-3[1].1` -> ERR-2; nullopt when the text is not a v2 path.
std::optional<hl7v2::ErrorLocation> structured(std::string_view text) {
  auto p = hl7v2::parse_path(text);
  if (!p) return std::nullopt;
  hl7v2::ErrorLocation l;
  l.segment_id = std::string(p->segment.data(), p->segment.size());
  l.segment_sequence = p->occurrence;
  l.field = p->field;
  l.repetition = p->repetition_given ? p->repetition : 0;
  l.component = p->component;
  l.subcomponent = p->subcomponent;
  return l;
}

}  // namespace

bool has_errors(std::span<const Issue> issues) noexcept {
  return std::any_of(issues.begin(), issues.end(), [](const Issue& i) {
    return i.severity == fhir::Severity::error || i.severity == fhir::Severity::fatal;
  });
}

hl7v2::ErrorCode error_code(const hl7v2::ParseError& e) { return hl7v2::to_ack_error(e).code; }

fhir::IssueType issue_type(hl7v2::ErrorCode c) noexcept {
  using C = hl7v2::ErrorCode;
  using T = fhir::IssueType;
  switch (c) {
    case C::segment_sequence_error:
    case C::non_conformant_cardinality:
      return T::structure;
    case C::required_field_missing:
      return T::required;
    case C::data_type_error:
      return T::value;
    case C::table_value_not_found:
      return T::code_invalid;
    case C::value_too_long:
      return T::too_long;
    case C::unsupported_message_type:
    case C::unsupported_event_code:
    case C::unsupported_processing_id:
    case C::unsupported_version_id:
      return T::not_supported;
    case C::unknown_key_identifier:
      return T::not_found;
    case C::duplicate_key_identifier:
      return T::duplicate;
    case C::application_internal_error:
      return T::exception;
    default:
      return T::processing;
  }
}

Issue from_parse_error(const hl7v2::ParseError& e, std::string location) {
  const hl7v2::AckError a = hl7v2::to_ack_error(e);
  Issue i;
  i.severity = fhir::Severity::error;
  i.code = a.code;
  i.type = issue_type(a.code);
  if (!a.location.segment_id.empty()) i.v2 = a.location;
  i.location = std::move(location);
  i.message = e.message;
  i.about_v2 = true;
  return i;
}

Issue from_mapping(const mappings::Issue& m, bool v2_input) {
  Issue i;
  i.severity = from_mapping_severity(m.severity);
  i.message = m.message;
  i.rule = m.rule;
  i.about_v2 = v2_input;
  if (v2_input) {
    // The mapping engine gives table 0357 codes as text for v2 input.
    int n = 0;
    for (char c : m.code) n = (c >= '0' && c <= '9') ? n * 10 + (c - '0') : -1000000;
    i.code = n > 0 ? static_cast<hl7v2::ErrorCode>(n) : hl7v2::ErrorCode::other_error;
    i.type = issue_type(i.code);
    i.location = m.location;
    i.v2 = structured(m.location);
  } else {
    i.type = fhir::issue_type_from_string(m.code).value_or(fhir::IssueType::processing);
    i.code = i.type == fhir::IssueType::not_supported
                 ? hl7v2::ErrorCode::unsupported_message_type
                 : hl7v2::ErrorCode::application_internal_error;
    i.path = m.location;
  }
  return i;
}

std::vector<Issue> check_fhir_translation(std::string_view json) {
  std::vector<Issue> out;
  auto doc = fhir::parse(json);
  if (!doc) {
    Issue i;
    i.type = fhir::IssueType::exception;
    i.message = "the FHIR translation is not valid JSON";
    out.push_back(std::move(i));
    return out;
  }
  for (const fhir::Issue& f : fhir::validate(doc->root())) {
    out.push_back(from_fhir(f));
    out.back().message = "in the FHIR translation: " + f.message;
  }
  return out;
}

std::vector<Issue> check_fhir_mapping(const mappings::Engine& engine,
                                      const rapidjson::Value& resource) {
  mappings::Options options;
  options.message_time = "2000-01-01T00:00:00+00:00";  // not kept: only the checks matter here
  std::vector<Issue> out;
  auto t = engine.fhir_to_v2(resource, nullptr, options);
  for (const mappings::Issue& i : t ? t->issues : t.error()) out.push_back(from_mapping(i, false));
  if (!t && !has_errors(out)) {
    Issue i;
    i.type = fhir::IssueType::processing;
    i.message = "resource not translated";
    out.push_back(std::move(i));
  }
  return out;
}

Issue from_fhir(const fhir::Issue& f) {
  Issue i;
  i.severity = f.severity;
  i.type = f.type;
  i.path = f.path;
  i.location = f.location;
  i.message = f.message;
  i.code = hl7v2::ErrorCode::application_internal_error;
  return i;
}

std::vector<fhir::Issue> to_fhir_issues(std::span<const Issue> issues) {
  std::vector<fhir::Issue> out;
  out.reserve(issues.size());
  for (const Issue& i : issues) {
    fhir::Issue f;
    f.severity = i.severity;
    f.type = i.type;
    f.path = i.path;
    f.location = i.location;
    f.message = i.message;
    if (!i.rule.empty()) f.message += " (rule " + i.rule + ")";
    if (i.about_v2) {
      f.details_system = std::string(kV2_0357);
      f.details_code = std::to_string(static_cast<int>(i.code));
    }
    out.push_back(std::move(f));
  }
  return out;
}

std::string operation_outcome_json(std::span<const Issue> issues) {
  const std::vector<fhir::Issue> f = to_fhir_issues(issues);
  fhir::Writer w;
  auto text = w.write(fhir::operation_outcome(f).root(), fhir::Format::compact);
  return text ? std::string(*text) : std::string();
}

std::vector<hl7v2::AckError> to_ack_errors(std::span<const Issue> issues) {
  std::vector<hl7v2::AckError> out;
  for (const Issue& i : issues) {
    hl7v2::AckError a;
    if (i.v2) a.location = *i.v2;
    a.code = i.code;
    a.severity = ack_severity(i.severity);
    a.diagnostic = i.message;
    if (!i.rule.empty()) a.diagnostic += " (rule " + i.rule + ")";
    std::string where = !i.location.empty() ? i.location : i.path;
    a.user_message = where.empty() ? i.message : where + ": " + i.message;
    out.push_back(std::move(a));
  }
  return out;
}

std::string to_text(const Issue& i) {
  std::string s(fhir::to_string(i.severity));
  s += ": ";
  const std::string& where = !i.location.empty() ? i.location : i.path;
  s += where.empty() ? std::string("(message)") : where;
  s += ": " + i.message;
  if (i.about_v2) {
    s += " [" + std::to_string(static_cast<int>(i.code)) + "]";
  } else {
    s += " [" + std::string(fhir::to_string(i.type)) + "]";
  }
  if (!i.rule.empty()) s += " (rule " + i.rule + ")";
  return s;
}

}  // namespace fcpgw::gateway::service
