#include "fhir/json.h"

#include <gtest/gtest.h>

#include <string>

using namespace fcpgw::fhir;

namespace {

std::string nested(std::size_t depth) {
  // depth 1 = the root object; each further level is an array
  std::string s = "{\"a\":";
  for (std::size_t i = 1; i < depth; ++i) s += "[";
  s += "1";
  for (std::size_t i = 1; i < depth; ++i) s += "]";
  return s + "}";
}

TEST(FhirJson, ParsesObject) {
  auto d = parse(R"({"resourceType":"Patient","active":true})");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->resource_type(), "Patient");
}

TEST(FhirJson, DepthAtLimitAndOnePast) {
  Limits l;
  l.max_depth = 10;
  EXPECT_TRUE(parse(nested(10), l));
  auto r = parse(nested(11), l);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ParseError::Kind::too_deep);
  EXPECT_EQ(r.error().offset, 14u);  // the 11th level's opening bracket
  EXPECT_NE(r.error().message.find("offset 14"), std::string::npos);
}

TEST(FhirJson, DefaultDepthIs64) {
  EXPECT_TRUE(parse(nested(64)));
  EXPECT_FALSE(parse(nested(65)));
}

TEST(FhirJson, DeepNestingDoesNotRecurse) {
  Limits l;
  l.max_depth = 2000000;
  std::string s(1000000, '[');
  auto r = parse("{\"a\":" + s, l);  // iterative parser: no stack overflow
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ParseError::Kind::malformed);
}

TEST(FhirJson, SizeAtLimitAndOnePast) {
  Limits l;
  l.max_bytes = 20;
  const std::string ok = R"({"a":"0123456789ab"})";  // 20 bytes
  ASSERT_EQ(ok.size(), 20u);
  EXPECT_TRUE(parse(ok, l));
  auto r = parse(ok + " ", l);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ParseError::Kind::too_large);
  EXPECT_NE(r.error().message.find("limit is 20"), std::string::npos);
}

TEST(FhirJson, MalformedHasOffsetLineAndColumn) {
  auto r = parse("{\n  \"a\": 1,\n  \"b\" 2\n}");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ParseError::Kind::malformed);
  EXPECT_EQ(r.error().line, 3u);
  EXPECT_EQ(r.error().column, 7u);
  EXPECT_EQ(r.error().message,
            "malformed JSON at offset 18 (line 3, column 7): Missing a colon after a name of "
            "object member.");
}

TEST(FhirJson, TrailingGarbageAndNul) {
  EXPECT_FALSE(parse("{} x"));
  EXPECT_FALSE(parse(std::string("{}\0x", 4)));
  EXPECT_FALSE(parse("{\"a\":1,}"));
  EXPECT_FALSE(parse("{\"a\":NaN}"));
  EXPECT_FALSE(parse(""));
}

TEST(FhirJson, InvalidUtf8) {
  auto r = parse("{\"a\":\"\xC3\x28\"}");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ParseError::Kind::invalid_utf8);
}

TEST(FhirJson, LoneLowSurrogateEscape) {
  auto r = parse(R"({"a":"x\ude00"})");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ParseError::Kind::invalid_utf8);
  EXPECT_FALSE(parse(R"({"a\udc00":1})"));
  EXPECT_FALSE(parse(R"({"a":"\ud800"})"));
  auto ok = parse(R"({"a":"\ud83d\ude00 \ud7ff \ue000"})");
  ASSERT_TRUE(ok);
  EXPECT_TRUE(to_json(ok->root()));
}

TEST(FhirJson, RootMustBeObject) {
  auto r = parse("[1]");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ParseError::Kind::not_an_object);
}

TEST(FhirJson, DuplicateKeysReportedWithPath) {
  auto r =
      parse(R"({"resourceType":"Patient","name":[{"family":"a"},{"given":["x"],"given":["y"]}]})");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ParseError::Kind::duplicate_key);
  EXPECT_EQ(r.error().path, "Patient.name[1].given");
  // large objects use the sorted check
  std::string big = "{";
  for (int i = 0; i < 40; ++i) big += "\"k" + std::to_string(i) + "\":1,";
  big += "\"k7\":2}";
  auto r2 = parse(big);
  ASSERT_FALSE(r2);
  EXPECT_EQ(r2.error().path, "$.k7");
}

TEST(FhirJson, HugeNumbers) {
  EXPECT_FALSE(parse(R"({"a":1e400})"));
  auto inf = parse(R"({"a":2e308})");  // overflows to inf on RapidJSON's full-precision path
  ASSERT_FALSE(inf);
  EXPECT_EQ(inf.error().kind, ParseError::Kind::malformed);
  EXPECT_EQ(inf.error().offset, 5u);
  auto d = parse(R"({"a":123456789012345678901234567890})");
  ASSERT_TRUE(d);
  EXPECT_TRUE(d->root()["a"].IsDouble());
}

TEST(FhirJson, WriteCompactAndPretty) {
  auto d = parse(R"({ "resourceType" : "Patient", "active" : true, "x": [1, 2.5] })");
  ASSERT_TRUE(d);
  Writer w;
  auto c = w.write(d->root());
  ASSERT_TRUE(c);
  EXPECT_EQ(*c, R"({"resourceType":"Patient","active":true,"x":[1,2.5]})");
  auto p = w.write(d->root(), Format::pretty);
  ASSERT_TRUE(p);
  EXPECT_NE(p->find("\n    \"resourceType\": \"Patient\""), std::string_view::npos);
  auto again = parse(*p);
  ASSERT_TRUE(again);
  EXPECT_TRUE(json_equal(d->root(), again->root()));
  std::string out = "x";
  ASSERT_TRUE(w.append(d->root(), out));
  EXPECT_EQ(out[0], 'x');
  EXPECT_EQ(out.substr(1), R"({"resourceType":"Patient","active":true,"x":[1,2.5]})");
  EXPECT_EQ(*to_json(d->root()), out.substr(1));
}

TEST(FhirJson, WriteRejectsNaN) {
  Document d;
  d.root().AddMember("n", rapidjson::Value(std::numeric_limits<double>::quiet_NaN()),
                     d.allocator());
  Writer w;
  EXPECT_FALSE(w.write(d.root()));
}

TEST(FhirJson, JsonEqualIgnoresMemberOrder) {
  auto a = parse(R"({"a":1,"b":[1,2]})"), b = parse(R"({"b":[1,2],"a":1.0})"),
       c = parse(R"({"b":[2,1],"a":1})");
  EXPECT_TRUE(json_equal(a->root(), b->root()));
  EXPECT_FALSE(json_equal(a->root(), c->root()));
}

TEST(FhirJson, CloneIsDeep) {
  auto a = parse(R"({"a":"x"})");
  Document b = a->clone();
  a->root()["a"].SetString("y", a->allocator());
  EXPECT_STREQ(b.root()["a"].GetString(), "x");
}

}  // namespace
