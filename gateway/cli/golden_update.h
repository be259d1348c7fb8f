#pragma once
// Writing the expected files of golden cases (`fcpgw mappings test --update` / `--accept`):
// what a case's translation gave becomes its expected output, warnings or error.

#include <filesystem>
#include <string>
#include <vector>

#include "gateway/cli/golden_cases.h"

namespace fcpgw::gateway {

struct GoldenUpdate {
  std::vector<std::filesystem::path> written;  ///< files written (created or replaced)
  std::vector<std::filesystem::path> removed;  ///< expected files that no longer apply
  /// Why nothing was written (the case fails for a reason no expected file explains, or a
  /// file could not be written: the path and the step that failed); empty on success.
  std::string problem;
};

/// Makes the expected files of `c` record `r.actual`, the result of running it: writes each
/// expected file that disagrees with it (`r.output_differs`, `warnings_differ`, ...), a new
/// case's first ones, and removes those that no longer apply (the expected output of a case
/// that is now rejected, an .expected-warnings.json when there are no warnings). Each file is
/// written to a temporary file in the same folder and renamed over the old one. Nothing is
/// written when `r.broken` (the case would fail anyway) or when the case passed.
///
/// The files are written as a person would: FHIR output as indented JSON, ER7 with the line
/// ends the expected file already uses (LF for a new one), issues as
/// `{"severity", "location", "code"}` objects, one per line.
GoldenUpdate write_golden_expectations(const GoldenCase& c, const GoldenResult& r);

/// The text of an expected-issues file (.expected-error.json, .expected-warnings.json) listing
/// `issues` of severity `severity`.
std::string expected_issues_text(const std::vector<mappings::Issue>& issues,
                                 mappings::Severity severity);

}  // namespace fcpgw::gateway
