// Checks around the golden cases of mappings/golden/<family>/ and the public samples of the
// corpus. The cases themselves are run by the product's runner, `fcpgw mappings test`
// (ctest golden.mappings.cases), which diffs, validates and checks determinism.

#include <gtest/gtest.h>

#include <filesystem>

#include "golden_support.h"
#include "hl7v2/message.h"

namespace fs = std::filesystem;
using namespace fcpgw;
using mappings::testing::expect_valid_fhir;
using mappings::testing::golden_case_names;
using mappings::testing::read_file;
using mappings::testing::shipped_engine;

TEST(MappingsGolden, CasesExistForEveryEventInBothDirections) {
  EXPECT_GE(golden_case_names("appointments", ".hl7").size(), 10u);
  EXPECT_GE(golden_case_names("appointments", ".json").size(), 6u);
}

TEST(MappingsGolden, ReferralCasesCoverEveryEventBothWays) {
  EXPECT_GE(golden_case_names("referrals", ".hl7").size(), 7u);
  EXPECT_GE(golden_case_names("referrals", ".json").size(), 6u);
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
      auto out = shipped_engine().v2_to_fhir(*msg, o);
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
    auto out = shipped_engine().v2_to_fhir(*msg);
    ASSERT_TRUE(out) << (out.error().empty() ? "" : out.error()[0].message);
    expect_valid_fhir(out->output, name);
  }
  EXPECT_EQ(n, 10);
}
