#pragma once
// Validation of FHIR R4 resources (JSON) against the official R4 definitions (generated
// tables, see gen/generate.mjs), the R4 invariants the gateway relies on, and UK Core
// identifier rules. Problems in the data are returned as Issues with an element path in
// FHIRPath style (`Appointment.participant[1].status`, inside Bundles
// `Bundle.entry[2].resource.ofType(Patient).identifier[0].value`), never as failures.
//
// Scope: resources in supported_resource_types() are validated fully. A resource of any
// other R4 type (e.g. a Medication inside a Bundle or contained) gets one `information`
// issue ("not validated") and is otherwise skipped; an unknown resourceType is an error.

#include <rapidjson/document.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "fhir/json.h"

namespace fcpgw::fhir {

/// http://hl7.org/fhir/issue-severity
enum class Severity : std::uint8_t { fatal, error, warning, information };

/// The subset of http://hl7.org/fhir/issue-type used here.
enum class IssueType : std::uint8_t {
  invalid,        ///< "invalid": content invalid against the specification
  structure,      ///< "structure": structural issue (unknown element, array vs single, JSON)
  required,       ///< "required": a required element is missing
  value,          ///< "value": element value invalid (primitive format)
  invariant,      ///< "invariant": a constraint (app-1, bdl-7, ...) failed
  code_invalid,   ///< "code-invalid": code not in a required value set
  not_supported,  ///< "not-supported": content not supported (resource type not validated)
  too_costly,     ///< "too-costly": a limit was exceeded
  informational,  ///< "informational"
  business_rule,  ///< "business-rule": UK Core identifier rules (e.g. NHS number check digit)
  too_long,       ///< "too-long": a value is longer than allowed
  not_found,      ///< "not-found": a referenced item does not exist
  duplicate,      ///< "duplicate": an attempt to create a duplicate
  processing,     ///< "processing": a processing failure not covered by the other codes
  exception,      ///< "exception": an unexpected internal failure
  transient,      ///< "transient": a temporary failure; the request may be sent again
};

/// "fatal", "error", "warning", "information".
std::string_view to_string(Severity s) noexcept;
/// The issue-type code: "invalid", "structure", "required", "value", "invariant",
/// "code-invalid", "not-supported", "too-costly", "informational", "business-rule", "too-long",
/// "not-found", "duplicate", "processing", "exception", "transient".
std::string_view to_string(IssueType t) noexcept;
/// The IssueType whose code is `code`, if it is one of the above.
std::optional<IssueType> issue_type_from_string(std::string_view code) noexcept;

/// One problem found in the data.
struct Issue {
  Severity severity = Severity::error;
  IssueType type = IssueType::invalid;
  std::string path;     ///< FHIRPath-style element path; empty when it concerns the whole input
  std::string message;  ///< readable, names the rule (e.g. "app-1: ..."); carries no data values
                        ///< of identifying elements (no NHS numbers, names)
  /// Where, for input that is not FHIR (OperationOutcome.issue.location), e.g. an HL7 v2
  /// position such as `PID-3[1].1`; empty when `path` says it.
  std::string location;
  /// A coded reason (OperationOutcome.issue.details.coding), e.g. an HL7 table 0357 error code
  /// with system `http://terminology.hl7.org/CodeSystem/v2-0357`; empty when there is none.
  std::string details_system;
  std::string details_code;
};

/// True when any issue is fatal or error.
bool has_errors(std::span<const Issue> issues) noexcept;

/// Options for validate().
struct ValidationOptions {
  bool uk_core = true;           ///< apply UK identifier checks (NHS number, ODS, GMC, ...)
  std::size_t max_issues = 200;  ///< stop collecting after this many (adds a too-costly issue)
  /// dom-6 ("a resource should have narrative"): when true, a `warning`/`invariant` for each
  /// DomainResource (not Bundle, not contained) without text.div. Off by default: the
  /// gateway builds resources without narrative on purpose.
  bool narrative = false;
};

/// Validates one resource (root object with resourceType). Appends issues to `out`.
/// Never fails: every problem is an issue. Cost is linear in the size of the resource.
void validate(const rapidjson::Value& resource, std::vector<Issue>& out,
              const ValidationOptions& options = {});

/// Same, returning the issues.
std::vector<Issue> validate(const rapidjson::Value& resource,
                            const ValidationOptions& options = {});

/// Turns a parse failure into an issue (fatal for size/depth, error otherwise; type
/// structure/too-costly; message includes offset and line:column; path when known).
Issue to_issue(const ParseError& e);

/// Parses then validates: parse errors become a single issue; otherwise the validation issues.
std::vector<Issue> parse_and_validate(std::string_view json, const Limits& limits = {},
                                      const ValidationOptions& options = {});

/// Builds an OperationOutcome resource: one issue entry per Issue with severity, code,
/// diagnostics (the message) and expression [path] (omitted when the path is empty).
/// With no issues, a single `information`/`informational` issue "No issues detected".
Document operation_outcome(std::span<const Issue> issues);

/// Same, writing into `out` (set to an object) using `alloc`.
void operation_outcome(std::span<const Issue> issues, rapidjson::Value& out,
                       rapidjson::Document::AllocatorType& alloc);

}  // namespace fcpgw::fhir
