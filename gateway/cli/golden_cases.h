#pragma once
// Golden cases of mapping files (`fcpgw mappings test`): finds the cases in a folder, runs each
// through a loaded mappings::Engine and says, readably, what differs from the expected output.
//
// Layout (mappings/golden/README.md): files sharing a base name, in any folder under the root:
//   <name>.hl7  + <name>.expected.json            v2 -> FHIR, Bundle compared as JSON values
//   <name>.hl7  + <name>.expected-error.json      v2 -> FHIR must be rejected with these issues
//   <name>.json + <name>.expected.hl7             FHIR -> v2, compared by segment and field
//   <name>.json + <name>.expected-error.json      FHIR -> v2 must be rejected with these issues
//   <name>.previous.json                          FHIR -> v2: the earlier version (S13/S14, I13)
//   <name>.expected-warnings.json                 issues that must be among the warnings
//   <name>.options.json                           {"bundle": "message"|"transaction",
//                                                  "message-time": "<FHIR instant>"}

#include <boost/system/result.hpp>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "mappings/engine.h"

namespace fcpgw::gateway {

struct GoldenCase {
  enum class Direction : std::uint8_t { v2_to_fhir, fhir_to_v2 };
  /// Path of the case relative to the root, without extension: `appointments/s15_cancelled`.
  std::string name;
  Direction direction = Direction::v2_to_fhir;
  std::filesystem::path input;
  std::optional<std::filesystem::path> expected;           ///< .expected.json / .expected.hl7
  std::optional<std::filesystem::path> expected_error;     ///< .expected-error.json
  std::optional<std::filesystem::path> expected_warnings;  ///< .expected-warnings.json
  std::optional<std::filesystem::path> previous;           ///< .previous.json
  std::optional<std::filesystem::path> options;            ///< .options.json
  /// A layout problem (an expected file without an input, a case without an expected file...):
  /// the case fails with this message without running.
  std::string problem;
};

/// Every case under `dir` (recursively; hidden folders skipped), sorted by name. Fails with a
/// readable message when `dir` is not a readable directory.
boost::system::result<std::vector<GoldenCase>, std::string> discover_golden_cases(
    const std::filesystem::path& dir);

struct GoldenRunOptions {
  /// The message time every case runs with (mappings::Options::message_time), so that no case
  /// depends on the clock; a case's options file may set its own.
  std::string message_time = "2025-06-02T09:00:00+01:00";
  /// v2 -> FHIR outputs must pass the FHIR validator (no error or fatal issue).
  bool validate = true;
  /// Differences listed per case (the count of the rest is given).
  std::size_t max_differences = 40;
};

struct GoldenResult {
  std::string name;
  std::string direction;  ///< "v2 -> FHIR" or "FHIR -> v2"
  std::string mapping;    ///< the mapping that ran, when known
  bool passed = false;
  /// Why it failed, one readable line each (differences, missing issues, validation errors).
  std::vector<std::string> failures;
};

/// Runs one case. Never throws for bad case files: they are reported as failures.
GoldenResult run_golden_case(const mappings::Engine& engine, const GoldenCase& c,
                             const GoldenRunOptions& options = {});

}  // namespace fcpgw::gateway
