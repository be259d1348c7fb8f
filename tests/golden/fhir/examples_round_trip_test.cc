// Every official R4 example (npm hl7.fhir.r4.examples 4.0.1) of a resource type the gateway
// validates must parse, validate with no errors, and write back to equal JSON (compact and
// pretty) in which every number keeps its exact text (80.00 stays 80.00, as FHIR requires). Bundles
// may hold resources of any type: those outside our list are reported as `information` (not
// validated) and do not count as errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "fhir/definitions.h"
#include "fhir/json.h"
#include "fhir/validation.h"
#include "number_tokens.h"

namespace fs = std::filesystem;
using namespace fcpgw::fhir;
using fcpgw::fhir::testing::number_tokens;

namespace {

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

fs::path examples_dir() { return fs::path(FCPGW_PEERS_DIR) / "node_modules/hl7.fhir.r4.examples"; }

TEST(FhirExamples, RoundTripAndValidate) {
  const fs::path dir = examples_dir();
  if (!fs::exists(dir)) GTEST_SKIP() << "examples not installed: " << dir;
  std::map<std::string, int> per_type;
  int checked = 0, failures = 0, numbers = 0, kept_as_text = 0;
  Writer writer;
  Limits limits;
  limits.max_bytes = 64u * 1024u * 1024u;  // two definitional Bundles are ~20 MB
  for (const auto& entry : fs::directory_iterator(dir)) {
    const auto name = entry.path().filename().string();
    if (entry.path().extension() != ".json" || name == "package.json" || name.starts_with("."))
      continue;
    const std::string type = name.substr(0, name.find('-'));
    if (!is_supported_resource_type(type)) continue;
    const std::string text = read_file(entry.path());
    auto doc = parse(text, limits);
    if (!doc) {
      ADD_FAILURE() << name << ": " << doc.error().message;
      ++failures;
      continue;
    }
    if (doc->resource_type() != type) continue;  // e.g. package metadata
    ++checked;
    ++per_type[type];
    const auto issues = validate(doc->root());
    for (const Issue& i : issues) {
      if (i.severity == Severity::error || i.severity == Severity::fatal) {
        ADD_FAILURE() << name << ": " << to_string(i.type) << " at " << i.path << ": " << i.message;
        ++failures;
      }
    }
    const auto tokens = number_tokens(text);
    numbers += static_cast<int>(tokens.size());
    for (Format f : {Format::compact, Format::pretty}) {
      auto out = writer.write(doc->root(), f);
      ASSERT_TRUE(out) << name;
      // Textual preservation: the same number tokens, byte for byte, in the same order.
      EXPECT_EQ(number_tokens(*out), tokens) << name << (f == Format::pretty ? " (pretty)" : "");
      auto again = parse(*out, limits);
      ASSERT_TRUE(again) << name << ": " << again.error().message;
      EXPECT_TRUE(json_equal(doc->root(), again->root())) << name;
    }
    for (const auto& t : tokens)
      kept_as_text += t.find_first_of(".eE") != std::string_view::npos && t.back() == '0';
  }
  std::string summary;
  for (const auto& [t, n] : per_type) summary += t + "=" + std::to_string(n) + " ";
  std::cout << "[ examples ] " << checked << " checked, " << numbers << " numbers (" << kept_as_text
            << " with trailing zeros): " << summary << "\n";
  EXPECT_GE(checked, 240);  // 245 examples of our types in 4.0.1
  EXPECT_EQ(failures, 0);
  EXPECT_GT(kept_as_text, 0);  // the check above would catch a writer that drops zeros
}

}  // namespace
