// Checks around the golden cases for fit notes (mappings/golden/fitnotes/) and clinical
// documents (mappings/golden/documents/): every fit-note rule has a rejection case, and the two
// MDM^T02 mappings are told apart. Also the corpus MDM messages: every T02 translates and
// validates; T01 and the malformed T04 are refused. The cases themselves run through
// `fcpgw mappings test` (ctest golden.mappings.cases; layout in mappings/golden/README.md).

#include <gtest/gtest.h>

#include <filesystem>

#include "fhir/json.h"
#include "golden_support.h"
#include "hl7v2/message.h"

namespace fs = std::filesystem;
using namespace fcpgw;
using mappings::testing::expect_valid_fhir;
using mappings::testing::golden_case_names;
using mappings::testing::golden_dir;
using mappings::testing::read_file;
using mappings::testing::shipped_engine;

// The cases themselves (both directions, expected errors and warnings, validation, same bytes
// twice) run through `fcpgw mappings test` as ctest golden.mappings.cases.

TEST(FitNotesGolden, EveryRuleHasARejectionCase) {
  const auto v2 = golden_case_names("fitnotes", ".hl7");
  for (const char* c : {"error_missing_advice", "error_missing_period", "error_tick_with_notfit",
                        "error_period_end_before_start", "error_not_yes_no"})
    EXPECT_NE(std::find(v2.begin(), v2.end(), c), v2.end()) << c;
  const auto fh = golden_case_names("fitnotes", ".json");
  for (const char* c : {"fhir_error_missing_advice", "fhir_error_missing_period",
                        "fhir_error_tick_with_notfit", "fhir_error_period_end_before_start"})
    EXPECT_NE(std::find(fh.begin(), fh.end(), c), fh.end()) << c;
}

TEST(DocumentsGolden, FitNoteAndLetterShareMdmT02ButNotTheMapping) {
  auto fit =
      hl7v2::Message::parse(read_file(golden_dir("fitnotes") / "notfit_gmt_single_condition.hl7"));
  auto letter =
      hl7v2::Message::parse(read_file(golden_dir("documents") / "fcp_letter_tx_lines.hl7"));
  ASSERT_TRUE(fit && letter);
  auto a = shipped_engine().v2_to_fhir(*fit);
  auto b = shipped_engine().v2_to_fhir(*letter);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->mapping, "mdm-fitnote-to-fhir");
  EXPECT_EQ(b->mapping, "mdm-to-documentreference");
}

TEST(DocumentsGolden, CorpusMdmMessages) {
  const fs::path dir = fs::path(FCPGW_CORPUS_DIR) / "v2";
  int t02 = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (!(name.starts_with("ms_MDM-T02-") || name == "v2tofhir_MDM-T02.hl7")) continue;
    SCOPED_TRACE(name);
    ++t02;
    auto msg = hl7v2::Message::parse(read_file(e.path()));
    ASSERT_TRUE(msg) << msg.error().message;
    auto out = shipped_engine().v2_to_fhir(*msg);
    if (const auto txa = msg->find("TXA"); txa && txa->field(17) == "IP") {
      // A draft (TXA-17 IP) must not reach a patient record: FITNOTE.md's status table applies
      // to every document, so it is refused at TXA-17.
      ASSERT_FALSE(out);
      EXPECT_EQ(out.error()[0].location, "TXA-17");
      EXPECT_EQ(out.error()[0].code, "207");
      continue;
    }
    if (name == "v2tofhir_MDM-T02.hl7") {
      // The IG's example holds the placeholder "<Base64 encoded>" as its PDF: corrupt base64
      // is refused at the ED data rather than filed as a document without its content.
      ASSERT_FALSE(out);
      EXPECT_EQ(out.error()[0].location, "OBX[4]-5[1].5");
      EXPECT_EQ(out.error()[0].code, "102");
      continue;
    }
    ASSERT_TRUE(out) << (out.error().empty() ? "" : out.error()[0].message);
    EXPECT_EQ(out->mapping, "mdm-to-documentreference");
    expect_valid_fhir(out->output, name);
    // and back: a DocumentReference gives an MDM^T02 that parses.
    auto doc = fhir::parse(out->output);
    ASSERT_TRUE(doc);
    auto back = shipped_engine().fhir_to_v2(doc->root());
    ASSERT_TRUE(back) << (back.error().empty() ? "" : back.error()[0].message);
    EXPECT_EQ(back->message_type, "MDM^T02");
    EXPECT_TRUE(hl7v2::Message::parse(back->output));
  }
  EXPECT_EQ(t02, 4);
  // T01 announces a document without its content: DocumentReference needs content, so the
  // gateway refuses it (201 unsupported event) rather than inventing an empty document.
  auto t01 = hl7v2::Message::parse(read_file(dir / "ms_MDM-T01-01.hl7"));
  ASSERT_TRUE(t01);
  auto r01 = shipped_engine().v2_to_fhir(*t01);
  ASSERT_FALSE(r01);
  EXPECT_EQ(r01.error()[0].code, "201");
  EXPECT_EQ(r01.error()[0].location, "MSH-9[1].2");
  // The line-wrapped T04 is refused cleanly: as a parse error, or as an unsupported event.
  auto t04 = hl7v2::Message::parse(read_file(dir / "malformed_MDM-T04_wrapped.hl7"));
  if (t04) {
    auto r04 = shipped_engine().v2_to_fhir(*t04);
    ASSERT_FALSE(r04);
    EXPECT_FALSE(r04.error().empty());
  } else {
    EXPECT_FALSE(t04.error().message.empty());
  }
}
