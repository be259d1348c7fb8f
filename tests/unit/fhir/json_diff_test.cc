#include "fhir/json_diff.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "fhir/json.h"

using namespace fcpgw::fhir;

namespace {

std::vector<std::string> diff_lines(const char* expected, const char* got,
                                    const JsonDiffOptions& o = {}) {
  auto e = parse(expected);
  auto g = parse(got);
  EXPECT_TRUE(e && g);
  std::vector<std::string> out;
  if (!e || !g) return out;
  for (const auto& d : json_diff(e->root(), g->root(), o)) out.push_back(to_string(d));
  return out;
}

using Lines = std::vector<std::string>;

TEST(FhirJsonDiff, EqualValuesGiveNothingWhateverTheMemberOrder) {
  EXPECT_EQ(diff_lines(R"({"a":1,"b":{"c":[1,2],"d":"x"}})", R"({"b":{"d":"x","c":[1,2]},"a":1})"),
            Lines{});
}

TEST(FhirJsonDiff, NumbersCompareByDecimalValue) {
  EXPECT_EQ(diff_lines(R"({"v":1.50,"w":1,"x":-0})", R"({"v":1.5,"w":1.0,"x":0})"), Lines{});
  EXPECT_EQ(diff_lines(R"({"v":0.1})", R"({"v":0.10000000000000001})"),
            Lines{"v: expected 0.1, got 0.10000000000000001"});
  EXPECT_EQ(diff_lines(R"({"v":1})", R"({"v":"1"})"), Lines{"v: expected 1, got \"1\""});
}

TEST(FhirJsonDiff, ChangedValueNamesTheElementPath) {
  EXPECT_EQ(diff_lines(R"({"entry":[{"resource":{"status":"booked"}}]})",
                       R"({"entry":[{"resource":{"status":"cancelled"}}]})"),
            Lines{R"(entry[0].resource.status: expected "booked", got "cancelled")"});
}

TEST(FhirJsonDiff, AddedAndMissingMembersAndArrayItems) {
  EXPECT_EQ(
      diff_lines(R"({"id":[{"v":"1"}],"gone":true})", R"({"id":[{"v":"1"},{"v":"2"}],"new":1})"),
      (Lines{R"(+ id[1]: {"v":"2"})", "- gone: true", "+ new: 1"}));
  EXPECT_EQ(diff_lines(R"({"a":[1,2,3]})", R"({"a":[1]})"), (Lines{"- a[1]: 2", "- a[2]: 3"}));
}

TEST(FhirJsonDiff, ArraysAreInOrderAndAligned) {
  // Order matters; a moved item is one missing and one added, not two changes.
  EXPECT_EQ(diff_lines(R"({"a":["x","y"]})", R"({"a":["y","x"]})"),
            (Lines{R"(- a[0]: "x")", R"(+ a[1]: "x")"}));
  // Items that differ in place pair up.
  EXPECT_EQ(diff_lines(R"({"a":["x","y"]})", R"({"a":["x","z"]})"),
            Lines{R"(a[1]: expected "y", got "z")"});
}

TEST(FhirJsonDiff, AnInsertedItemIsOneAddedItem) {
  const char* want = R"({"identifier":[{"system":"nhs","value":"1"},{"system":"mr","value":"2"},)"
                     R"({"system":"local","value":"3"}]})";
  const char* got = R"({"identifier":[{"system":"ubrn","value":"9"},{"system":"nhs","value":"1"},)"
                    R"({"system":"mr","value":"2"},{"system":"local","value":"4"}]})";
  // One added, and the changed one is compared member by member at its place in the output.
  EXPECT_EQ(diff_lines(want, got), (Lines{R"(+ identifier[0]: {"system":"ubrn","value":"9"})",
                                          R"(identifier[3].value: expected "3", got "4")"}));
  // A removed one likewise, at its place in the expected file.
  EXPECT_EQ(diff_lines(got, want), (Lines{R"(- identifier[0]: {"system":"ubrn","value":"9"})",
                                          R"(identifier[2].value: expected "4", got "3")"}));
}

TEST(FhirJsonDiff, LongArraysArePairedByPosition) {
  std::string a = R"({"a":[)", b = R"({"a":[)";
  for (int i = 0; i < 600; ++i) {
    a += (i ? "," : "") + std::to_string(i);
    b += (i ? "," : "") + std::to_string(i + 1);
  }
  a += "]}";
  b += "]}";
  JsonDiffOptions o;
  o.max_differences = 1000;
  EXPECT_EQ(diff_lines(a.c_str(), b.c_str(), o).size(), 600u);
}

TEST(FhirJsonDiff, TypeChangeIsOneDifferenceAtThatPath) {
  EXPECT_EQ(diff_lines(R"({"a":{"b":1}})", R"({"a":[1]})"),
            Lines{R"(a: expected {"b":1}, got [1])"});
}

TEST(FhirJsonDiff, OddMemberNamesAreQuoted) {
  EXPECT_EQ(diff_lines(R"({"a b":{"c.d":1}})", R"({"a b":{"c.d":2}})"),
            Lines{R"(["a b"]["c.d"]: expected 1, got 2)"});
}

TEST(FhirJsonDiff, RootValue) {
  rapidjson::Value a(1), b(2);
  auto d = json_diff(a, b);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(to_string(d[0]), "(root): expected 1, got 2");
}

TEST(FhirJsonDiff, LimitsAtAndOnePast) {
  JsonDiffOptions o;
  o.max_differences = 2;
  EXPECT_EQ(diff_lines(R"({"a":[1,2]})", R"({"a":[3,4]})", o).size(), 2u);
  EXPECT_EQ(diff_lines(R"({"a":[1,2,3]})", R"({"a":[4,5,6]})", o).size(), 2u);
  o = {};
  o.max_value_chars = 5;
  // "abc" is 5 characters of JSON (kept whole), "abcd" is 6 (shortened).
  EXPECT_EQ(diff_lines(R"({"a":"abc"})", R"({"a":"abcd"})", o),
            Lines{R"(a: expected "abc", got "abcd...)"});
}

TEST(FhirJsonDiff, ShorteningKeepsUtf8Whole) {
  JsonDiffOptions o;
  o.max_value_chars = 3;  // would cut inside the two bytes of U+00E2
  auto lines = diff_lines(R"({"a":"x"})", "{\"a\":\"S\xC3\xA2n\"}", o);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0], "a: expected \"x\", got \"S...");
}

}  // namespace
