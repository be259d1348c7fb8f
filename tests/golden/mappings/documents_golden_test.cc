// Golden cases for fit notes (mappings/golden/fitnotes/) and clinical documents
// (mappings/golden/documents/), both directions, layout as in mappings/golden/README.md, plus
// `<name>.expected-warnings.json` (warnings a successful translation must report) and
// `<name>.expected-error.json` next to FHIR inputs (the issues a rejection must carry). Also the
// corpus MDM messages: every T02 translates and validates; T01 and the malformed T04 are refused.

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

fs::path dir_of(std::string_view family) {
  return fs::path(FCPGW_SOURCE_DIR) / "mappings" / "golden" / family;
}

std::vector<std::string> cases(std::string_view family, std::string_view input_ext) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir_of(family))) {
    const std::string name = e.path().filename().string();
    if (!name.ends_with(input_ext)) continue;
    const std::string base = name.substr(0, name.size() - input_ext.size());
    if (base.find('.') != std::string::npos) continue;
    out.push_back(base);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> segments(std::string_view er7) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : er7) {
    if (c == '\r' || c == '\n') {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

void expect_valid_fhir(const std::string& json, const std::string& what) {
  auto doc = fhir::parse(json);
  ASSERT_TRUE(doc) << what << ": output is not JSON: " << doc.error().message;
  for (const auto& i : fhir::validate(doc->root()))
    EXPECT_FALSE(i.severity == fhir::Severity::error || i.severity == fhir::Severity::fatal)
        << what << ": " << i.path << ": " << i.message;
}

// Every {severity, location, code} of the file must be among `issues`.
void expect_issues(const fs::path& file, const std::vector<mappings::Issue>& issues) {
  rapidjson::Document want;
  want.Parse(read_file(file).c_str());
  ASSERT_TRUE(want.IsArray()) << file << " must hold an array";
  ASSERT_GT(want.Size(), 0u);
  for (const auto& w : want.GetArray()) {
    bool found = false;
    for (const auto& i : issues)
      found =
          found || (i.location == w["location"].GetString() && i.code == w["code"].GetString() &&
                    to_string(i.severity) == w["severity"].GetString());
    EXPECT_TRUE(found) << "missing " << w["severity"].GetString() << " at "
                       << w["location"].GetString() << " [" << w["code"].GetString() << "]";
  }
  for (const auto& i : issues) {
    // No patient data in messages (the NHS numbers and names of the cases).
    EXPECT_EQ(i.message.find("9434765"), std::string::npos) << i.message;
    EXPECT_EQ(i.message.find("Briain"), std::string::npos) << i.message;
  }
}

void v2_to_fhir_cases(std::string_view family) {
  const fs::path dir = dir_of(family);
  for (const auto& name : cases(family, ".hl7")) {
    SCOPED_TRACE(name);
    auto msg = hl7v2::Message::parse(read_file(dir / (name + ".hl7")));
    ASSERT_TRUE(msg) << msg.error().message;
    mappings::Translation t;
    const bool ok = engine().v2_to_fhir(*msg, t);
    const fs::path err = dir / (name + ".expected-error.json");
    if (fs::exists(err)) {
      EXPECT_FALSE(ok) << "expected a rejection";
      expect_issues(err, t.issues);
      continue;
    }
    ASSERT_TRUE(ok) << (t.issues.empty() ? "" : t.issues[0].location + ": " + t.issues[0].message);
    const fs::path warn = dir / (name + ".expected-warnings.json");
    if (fs::exists(warn))
      expect_issues(warn, t.issues);
    else
      for (const auto& i : t.issues)
        EXPECT_NE(i.severity, mappings::Severity::warning) << i.location << ": " << i.message;
    auto got = fhir::parse(t.output);
    ASSERT_TRUE(got) << got.error().message;
    auto want = fhir::parse(read_file(dir / (name + ".expected.json")));
    ASSERT_TRUE(want) << "expected file: " << want.error().message;
    EXPECT_TRUE(fhir::json_equal(got->root(), want->root()))
        << "got:\n"
        << *fhir::to_json(got->root(), fhir::Format::pretty);
    expect_valid_fhir(t.output, name);
    mappings::Translation again;
    ASSERT_TRUE(engine().v2_to_fhir(*msg, again));
    EXPECT_EQ(again.output, t.output);
  }
}

void fhir_to_v2_cases(std::string_view family) {
  const fs::path dir = dir_of(family);
  for (const auto& name : cases(family, ".json")) {
    SCOPED_TRACE(name);
    auto in = fhir::parse(read_file(dir / (name + ".json")));
    ASSERT_TRUE(in);
    auto out = engine().fhir_to_v2(in->root());
    const fs::path err = dir / (name + ".expected-error.json");
    if (fs::exists(err)) {
      ASSERT_FALSE(out) << "expected a rejection";
      expect_issues(err, out.error());
      continue;
    }
    ASSERT_TRUE(out) << (out.error().empty()
                             ? ""
                             : out.error()[0].location + ": " + out.error()[0].message);
    const fs::path warn = dir / (name + ".expected-warnings.json");
    if (fs::exists(warn)) expect_issues(warn, out->issues);
    const auto got = segments(out->output);
    const auto want = segments(read_file(dir / (name + ".expected.hl7")));
    ASSERT_EQ(got.size(), want.size()) << out->output;
    for (std::size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i], want[i]) << "segment " << i + 1;
    auto parsed = hl7v2::Message::parse(out->output);
    ASSERT_TRUE(parsed) << parsed.error().message;
    auto again = engine().fhir_to_v2(in->root());
    ASSERT_TRUE(again);
    EXPECT_EQ(again->output, out->output);
  }
}

}  // namespace

TEST(FitNotesGolden, V2ToFhir) { v2_to_fhir_cases("fitnotes"); }
TEST(FitNotesGolden, FhirToV2) { fhir_to_v2_cases("fitnotes"); }
TEST(DocumentsGolden, V2ToFhir) { v2_to_fhir_cases("documents"); }
TEST(DocumentsGolden, FhirToV2) { fhir_to_v2_cases("documents"); }

TEST(FitNotesGolden, EveryRuleHasARejectionCase) {
  const auto v2 = cases("fitnotes", ".hl7");
  for (const char* c : {"error_missing_advice", "error_missing_period", "error_tick_with_notfit",
                        "error_period_end_before_start", "error_not_yes_no"})
    EXPECT_NE(std::find(v2.begin(), v2.end(), c), v2.end()) << c;
  const auto fh = cases("fitnotes", ".json");
  for (const char* c : {"fhir_error_missing_advice", "fhir_error_missing_period",
                        "fhir_error_tick_with_notfit", "fhir_error_period_end_before_start"})
    EXPECT_NE(std::find(fh.begin(), fh.end(), c), fh.end()) << c;
}

TEST(DocumentsGolden, FitNoteAndLetterShareMdmT02ButNotTheMapping) {
  auto fit =
      hl7v2::Message::parse(read_file(dir_of("fitnotes") / "notfit_gmt_single_condition.hl7"));
  auto letter = hl7v2::Message::parse(read_file(dir_of("documents") / "fcp_letter_tx_lines.hl7"));
  ASSERT_TRUE(fit && letter);
  auto a = engine().v2_to_fhir(*fit);
  auto b = engine().v2_to_fhir(*letter);
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
    auto out = engine().v2_to_fhir(*msg);
    ASSERT_TRUE(out) << (out.error().empty() ? "" : out.error()[0].message);
    EXPECT_EQ(out->mapping, "mdm-to-documentreference");
    expect_valid_fhir(out->output, name);
    // and back: a DocumentReference gives an MDM^T02 that parses.
    auto doc = fhir::parse(out->output);
    ASSERT_TRUE(doc);
    auto back = engine().fhir_to_v2(doc->root());
    ASSERT_TRUE(back) << (back.error().empty() ? "" : back.error()[0].message);
    EXPECT_EQ(back->message_type, "MDM^T02");
    EXPECT_TRUE(hl7v2::Message::parse(back->output));
  }
  EXPECT_EQ(t02, 4);
  // T01 announces a document without its content: DocumentReference needs content, so the
  // gateway refuses it (201 unsupported event) rather than inventing an empty document.
  auto t01 = hl7v2::Message::parse(read_file(dir / "ms_MDM-T01-01.hl7"));
  ASSERT_TRUE(t01);
  auto r01 = engine().v2_to_fhir(*t01);
  ASSERT_FALSE(r01);
  EXPECT_EQ(r01.error()[0].code, "201");
  EXPECT_EQ(r01.error()[0].location, "MSH-9[1].2");
  // The line-wrapped T04 is refused cleanly: as a parse error, or as an unsupported event.
  auto t04 = hl7v2::Message::parse(read_file(dir / "malformed_MDM-T04_wrapped.hl7"));
  if (t04) {
    auto r04 = engine().v2_to_fhir(*t04);
    ASSERT_FALSE(r04);
    EXPECT_FALSE(r04.error().empty());
  } else {
    EXPECT_FALSE(t04.error().message.empty());
  }
}
