#pragma once
// Shared by the golden-tier tests of mappings/: the engine loaded once from the shipped mapping
// files, the golden case folders (mappings/golden/<family>/) and FHIR validation of an output.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "fhir/json.h"
#include "fhir/validation.h"
#include "load_files.h"
#include "mappings/engine.h"

namespace fcpgw::mappings::testing {

/// The engine with every mapping file and code table in mappings/ (loaded once).
inline const Engine& shipped_engine() {
  static const Engine e = [] {
    auto r = Engine::load(shipped_mapping_files());
    if (!r) {
      for (const auto& err : r.error()) ADD_FAILURE() << to_string(err);
      std::abort();
    }
    return *r;
  }();
  return e;
}

/// mappings/golden/<family>/ in the source tree.
inline std::filesystem::path golden_dir(std::string_view family) {
  return std::filesystem::path(FCPGW_SOURCE_DIR) / "mappings" / "golden" / family;
}

/// Sorted base names of the cases in mappings/golden/<family>/ whose input ends in `input_ext`
/// (".hl7" or ".json"); files with a further dot (.expected.json, .previous.json, ...) are not
/// inputs.
inline std::vector<std::string> golden_case_names(std::string_view family,
                                                  std::string_view input_ext) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(golden_dir(family))) {
    const std::string name = e.path().filename().string();
    if (!name.ends_with(input_ext)) continue;
    const std::string base = name.substr(0, name.size() - input_ext.size());
    if (base.find('.') != std::string::npos) continue;
    out.push_back(base);
  }
  std::sort(out.begin(), out.end());
  return out;
}

/// Adds a failure for each error or fatal issue fhir::validate finds in `resource`.
inline void expect_valid_fhir(const rapidjson::Value& resource) {
  for (const auto& i : fhir::validate(resource))
    EXPECT_FALSE(i.severity == fhir::Severity::error || i.severity == fhir::Severity::fatal)
        << "FHIR validation: " << i.path << ": " << i.message;
}

/// The same for the JSON text `json` (which must parse), naming it `what` in failures.
inline void expect_valid_fhir(const std::string& json, const std::string& what) {
  SCOPED_TRACE(what);
  auto doc = fhir::parse(json);
  ASSERT_TRUE(doc) << "output is not JSON: " << doc.error().message;
  expect_valid_fhir(doc->root());
}

}  // namespace fcpgw::mappings::testing
