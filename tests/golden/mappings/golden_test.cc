// Checks around the golden cases of mappings/golden/<family>/ and the public samples of the
// corpus. The cases themselves are run by the product's runner, `fcpgw mappings test`
// (ctest golden.mappings.cases), which diffs, validates and checks determinism.

#include <gtest/gtest.h>

#include <filesystem>

#include "fhir/json.h"
#include "fhir/validation.h"
#include "hl7v2/message.h"
#include "load_files.h"
#include "mappings/engine.h"

namespace fs = std::filesystem;
using namespace fcpgw;
using mappings::testing::read_file;

namespace {

const mappings::Engine& engine() {
  static const mappings::Engine e = [] {
    auto files = mappings::testing::shipped_mapping_files();
    auto r = mappings::Engine::load(files);
    if (!r) {
      for (const auto& x : r.error()) ADD_FAILURE() << mappings::to_string(x);
      std::abort();
    }
    return *r;
  }();
  return e;
}

fs::path golden_dir(std::string_view family = "appointments") {
  return fs::path(FCPGW_SOURCE_DIR) / "mappings" / "golden" / family;
}

std::vector<std::string> cases(std::string_view input_ext,
                               std::string_view family = "appointments") {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(golden_dir(family))) {
    const std::string name = e.path().filename().string();
    if (!name.ends_with(input_ext)) continue;
    const std::string base = name.substr(0, name.size() - input_ext.size());
    if (base.find('.') != std::string::npos) continue;  // .expected / .previous files
    out.push_back(base);
  }
  std::sort(out.begin(), out.end());
  return out;
}

void expect_valid_fhir(const std::string& json, const std::string& what) {
  auto doc = fhir::parse(json);
  ASSERT_TRUE(doc) << what << ": output is not JSON: " << doc.error().message;
  for (const auto& i : fhir::validate(doc->root()))
    EXPECT_FALSE(i.severity == fhir::Severity::error || i.severity == fhir::Severity::fatal)
        << what << ": " << i.path << ": " << i.message;
}

}  // namespace

TEST(MappingsGolden, CasesExistForEveryEventInBothDirections) {
  EXPECT_GE(cases(".hl7").size(), 10u);
  EXPECT_GE(cases(".json").size(), 6u);
}

TEST(MappingsGolden, ReferralCasesCoverEveryEventBothWays) {
  EXPECT_GE(cases(".hl7", "referrals").size(), 7u);
  EXPECT_GE(cases(".json", "referrals").size(), 6u);
}

TEST(MappingsGolden, EveryCorpusReferralTranslatesAndValidates) {
  const fs::path dir = fs::path(FCPGW_CORPUS_DIR) / "v2";
  int n = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (!name.starts_with("ms_REF-")) continue;
    SCOPED_TRACE(name);
    ++n;
    auto msg = hl7v2::Message::parse(read_file(e.path()));
    ASSERT_TRUE(msg) << msg.error().message;
    for (auto shape :
         {mappings::Options::Bundle::transaction, mappings::Options::Bundle::message}) {
      mappings::Options o;
      o.bundle = shape;
      auto out = engine().v2_to_fhir(*msg, o);
      ASSERT_TRUE(out) << (out.error().empty() ? "" : out.error()[0].message);
      expect_valid_fhir(out->output, name);
    }
  }
  EXPECT_EQ(n, 2);
}

TEST(MappingsGolden, EveryCorpusAppointmentTranslatesAndValidates) {
  const fs::path dir = fs::path(FCPGW_CORPUS_DIR) / "v2";
  int n = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (!(name.starts_with("ms_SIU-") || name == "v2tofhir_SIU-S12.hl7" ||
          name == "corepoint_SIU-S14.hl7"))
      continue;
    SCOPED_TRACE(name);
    ++n;
    auto msg = hl7v2::Message::parse(read_file(e.path()));
    ASSERT_TRUE(msg) << msg.error().message;
    auto out = engine().v2_to_fhir(*msg);
    ASSERT_TRUE(out) << (out.error().empty() ? "" : out.error()[0].message);
    expect_valid_fhir(out->output, name);
  }
  EXPECT_EQ(n, 10);
}
