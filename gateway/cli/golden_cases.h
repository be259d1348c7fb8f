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
//   constants.json (a folder's settings, not a case) {"<constant>": "<value>", ...}: mapping
//                                                  constants for the cases in the folder and below
//   tables/<id>.json (a folder's code tables, not cases) ConceptMaps for the cases in the
//                                                  folder and below, over the mappings' own

#include <boost/system/result.hpp>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
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
  /// Mapping constants set by the `constants.json` files of the case's folder and the folders
  /// above it (up to the root), the nearer folder winning: applied over the site's own.
  struct Constant {
    std::string name, value;
    std::string file;  ///< the constants.json that sets it, relative to the root
    bool operator<(const Constant& o) const {
      return std::tie(name, value, file) < std::tie(o.name, o.value, o.file);
    }
  };
  std::vector<Constant> constants;
  /// Code tables from the `tables/` folders of the case's folder and the folders above it, the
  /// nearer folder winning for a file name: each replaces the mappings' table of that file
  /// name (`tables/<id>.json`), or adds one. Sorted by file name.
  std::vector<std::filesystem::path> tables;
  /// A layout problem (an expected file without an input, a bad constants.json...): the case
  /// fails with this message without running.
  std::string problem;
  /// The input has no expected file yet: the case runs and fails with "no expected result"
  /// (`mappings test --update` writes one).
  bool is_new = false;

  /// Where the expected files of the case are, or would be: the input without its extension.
  std::filesystem::path base() const;
};

/// The name of a folder's constants file (reserved: never read as a case).
inline constexpr std::string_view kGoldenConstantsFile = "constants.json";
/// The name of a folder's code tables folder (reserved: its files are never read as cases).
inline constexpr std::string_view kGoldenTablesFolder = "tables";

/// Every case under `dir` (recursively; hidden folders skipped), sorted by name, with the
/// constants of its folders. Fails with a readable message when `dir` is not a readable
/// directory.
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

/// What a case's translation gave, as its expected files would record it.
struct GoldenActual {
  bool rejected = false;
  std::string output;                   ///< FHIR JSON (compact) or ER7 (segments end in CR)
  std::vector<mappings::Issue> issues;  ///< the errors when rejected, else the warnings
};

struct GoldenResult {
  std::string name;
  std::string direction;  ///< "v2 -> FHIR" or "FHIR -> v2"
  std::string mapping;    ///< the mapping that ran, when known
  bool passed = false;
  /// Why it failed, one readable line each (differences, missing issues, validation errors).
  std::vector<std::string> failures;
  /// The translation's result, when it ran.
  std::optional<GoldenActual> actual;
  /// Which expected files disagree with `actual` (each false when the case passes).
  bool output_differs = false;   ///< .expected.json / .expected.hl7 (or it is missing)
  bool warnings_differ = false;  ///< .expected-warnings.json
  bool errors_differ = false;    ///< .expected-error.json
  bool outcome_differs = false;  ///< rejected where a result is expected, or the reverse
  /// A failure that no expected file explains (invalid output, different output on a second
  /// run, patient data in an issue, a case file that cannot be read): writing the actual
  /// result would not make the case pass.
  bool broken = false;
};

/// Runs one case. Never throws for bad case files: they are reported as failures. Each
/// difference from the expected output names, at its end, the mapping rule that wrote the
/// element (from the translation's trace).
GoldenResult run_golden_case(const mappings::Engine& engine, const GoldenCase& c,
                             const GoldenRunOptions& options = {});

}  // namespace fcpgw::gateway
