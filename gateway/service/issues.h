#pragma once
// One vocabulary for problems in the data, whichever side they come from (an HL7 v2 parse
// error, a mapping check, a FHIR validation rule), and its two renderings: an OperationOutcome
// for HTTP and FHIR answers, and ERR segments for ACKs. Every conversion between issue kinds
// is here and nowhere else.

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "fhir/validation.h"
#include "hl7v2/ack.h"
#include "hl7v2/message.h"
#include "mappings/engine.h"

namespace fcpgw::gateway::service {

struct Issue {
  fhir::Severity severity = fhir::Severity::error;
  /// HL7 table 0357 (ERR-3, and OperationOutcome.issue.details for v2 input).
  hl7v2::ErrorCode code = hl7v2::ErrorCode::other_error;
  /// FHIR issue-type (OperationOutcome.issue.code).
  fhir::IssueType type = fhir::IssueType::processing;
  /// v2 input: the structured location (ERR-2), when the problem sits in a segment.
  std::optional<hl7v2::ErrorLocation> v2;
  /// v2 input: the readable location (`PID-3[1].1`, `segment 4 (byte 812)`), else empty.
  std::string location;
  /// FHIR input: the element path (`Bundle.entry[1].resource.ofType(Patient).birthDate`).
  std::string path;
  /// What is wrong; never patient data.
  std::string message;
  /// The mapping rule or validation rule that raised it, when there is one.
  std::string rule;
  /// True when the problem is about HL7 v2 input (0357 code is meaningful).
  bool about_v2 = false;
};

/// True when any issue is fatal or error.
bool has_errors(std::span<const Issue> issues) noexcept;

/// The table 0357 code of a parse error (the one table: hl7v2::to_ack_error).
hl7v2::ErrorCode error_code(const hl7v2::ParseError& e);
/// The FHIR issue type that best names a table 0357 code.
fhir::IssueType issue_type(hl7v2::ErrorCode c) noexcept;

/// A v2 parse error; `location` is the readable position (the caller knows the framing).
Issue from_parse_error(const hl7v2::ParseError& e, std::string location);
/// An issue raised by a mapping; `v2_input` says which side the mapping read.
Issue from_mapping(const mappings::Issue& i, bool v2_input);
/// An issue raised by the FHIR validator (or the JSON reader).
Issue from_fhir(const fhir::Issue& i);

/// The FHIR a mapping produced, checked as `fcpgw validate` checks FHIR input: one issue per
/// problem, its message saying it is in the translation. `translate` refuses a translation with
/// errors and `validate` reports them, so the two agree.
std::vector<Issue> check_fhir_translation(std::string_view json);

/// The checks of the mapping that would translate this FHIR input to v2 (its rejects and
/// checks; no mapping for the resource is an error too), as issues: what `translate` refuses,
/// the acceptor and `validate` report. Warnings and information are kept.
std::vector<Issue> check_fhir_mapping(const mappings::Engine& engine,
                                      const rapidjson::Value& resource);

/// Rendering 1: OperationOutcome.issue entries (location and 0357 details for v2 input).
std::vector<fhir::Issue> to_fhir_issues(std::span<const Issue> issues);
/// The OperationOutcome as compact JSON text.
std::string operation_outcome_json(std::span<const Issue> issues);
/// Rendering 2: ERR segments (ERR-2 location, ERR-3 code, ERR-4 severity, ERR-7/8 text).
std::vector<hl7v2::AckError> to_ack_errors(std::span<const Issue> issues);

/// One line for a person: "error: PID-3[1].1: <message> [102] (rule ...)".
std::string to_text(const Issue& i);

}  // namespace fcpgw::gateway::service
