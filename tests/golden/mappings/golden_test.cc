// Golden cases in mappings/golden/<family>/ (layout: mappings/golden/README.md) and the
// public SIU samples of the corpus.

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

// The message time every case runs with (MSH-7 when a resource carries no time of its own).
constexpr const char* kMessageTime = "2025-06-02T09:00:00+01:00";

// Per-case options: `<name>.options.json` ({"bundle": "message"}), see golden/README.md.
mappings::Options case_options(const fs::path& dir, const std::string& name) {
  mappings::Options o;
  o.message_time = kMessageTime;
  const fs::path p = dir / (name + ".options.json");
  if (fs::exists(p)) {
    rapidjson::Document d;
    d.Parse(read_file(p).c_str());
    if (d.IsObject() && d.HasMember("bundle") && d["bundle"].IsString() &&
        std::string_view(d["bundle"].GetString()) == "message")
      o.bundle = mappings::Options::Bundle::message;
  }
  return o;
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

}  // namespace

TEST(MappingsGolden, CasesExistForEveryEventInBothDirections) {
  EXPECT_GE(cases(".hl7").size(), 10u);
  EXPECT_GE(cases(".json").size(), 6u);
}

static void v2_to_fhir_cases(std::string_view family) {
  const auto golden_dir = [&] { return ::golden_dir(family); };
  for (const auto& name : cases(".hl7", family)) {
    SCOPED_TRACE(name);
    const mappings::Options opt = case_options(golden_dir(), name);
    auto msg = hl7v2::Message::parse(read_file(golden_dir() / (name + ".hl7")));
    ASSERT_TRUE(msg) << msg.error().message;
    auto out = engine().v2_to_fhir(*msg, opt);
    const fs::path err = golden_dir() / (name + ".expected-error.json");
    if (fs::exists(err)) {
      ASSERT_FALSE(out) << "expected a rejection";
      rapidjson::Document want;
      want.Parse(read_file(err).c_str());
      ASSERT_TRUE(want.IsArray()) << "expected-error file must hold an array";
      for (const auto& w : want.GetArray()) {
        bool found = false;
        for (const auto& i : out.error())
          found =
              found || (i.location == w["location"].GetString() && i.code == w["code"].GetString());
        EXPECT_TRUE(found) << "missing issue at " << w["location"].GetString();
      }
      for (const auto& i : out.error()) EXPECT_EQ(i.message.find("943476591"), std::string::npos);
      continue;
    }
    ASSERT_TRUE(out) << (out.error().empty()
                             ? ""
                             : out.error()[0].location + ": " + out.error()[0].message);
    auto got = fhir::parse(out->output);
    ASSERT_TRUE(got) << got.error().message;
    auto want = fhir::parse(read_file(golden_dir() / (name + ".expected.json")));
    ASSERT_TRUE(want) << "expected file: " << want.error().message;
    EXPECT_TRUE(fhir::json_equal(got->root(), want->root()))
        << "got:\n"
        << *fhir::to_json(got->root(), fhir::Format::pretty);
    expect_valid_fhir(out->output, name);
    // Idempotent: the same message twice gives the same bytes.
    auto again = engine().v2_to_fhir(*msg, opt);
    ASSERT_TRUE(again);
    EXPECT_EQ(again->output, out->output);
  }
}

static void fhir_to_v2_cases(std::string_view family) {
  const auto golden_dir = [&] { return ::golden_dir(family); };
  for (const auto& name : cases(".json", family)) {
    SCOPED_TRACE(name);
    const mappings::Options opt = case_options(golden_dir(), name);
    auto in = fhir::parse(read_file(golden_dir() / (name + ".json")));
    ASSERT_TRUE(in);
    std::optional<fhir::Document> prev;
    const fs::path pp = golden_dir() / (name + ".previous.json");
    if (fs::exists(pp)) prev = *fhir::parse(read_file(pp));
    auto out = engine().fhir_to_v2(in->root(), prev ? &prev->root() : nullptr, opt);
    ASSERT_TRUE(out) << (out.error().empty() ? "" : out.error()[0].message);
    const auto got = segments(out->output);
    const auto want = segments(read_file(golden_dir() / (name + ".expected.hl7")));
    ASSERT_EQ(got.size(), want.size()) << out->output;
    for (std::size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i], want[i]) << "segment " << i + 1;
    // The output parses as v2 and a retry repeats MSH-10.
    auto parsed = hl7v2::Message::parse(out->output);
    ASSERT_TRUE(parsed) << parsed.error().message;
    auto again = engine().fhir_to_v2(in->root(), prev ? &prev->root() : nullptr, opt);
    ASSERT_TRUE(again);
    EXPECT_EQ(again->output, out->output);
  }
}

TEST(MappingsGolden, V2ToFhir) { v2_to_fhir_cases("appointments"); }
TEST(MappingsGolden, FhirToV2) { fhir_to_v2_cases("appointments"); }
TEST(MappingsGolden, ReferralsV2ToFhir) { v2_to_fhir_cases("referrals"); }
TEST(MappingsGolden, ReferralsFhirToV2) { fhir_to_v2_cases("referrals"); }

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
