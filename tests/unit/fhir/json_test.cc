#include "fhir/json.h"

#include <gtest/gtest.h>

#include <cstdint>
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

// The position of a duplicate key is that of the repeated name itself (its opening quote), so
// an editor can jump to it; not the start of the document.
TEST(FhirJson, DuplicateKeyPositionIsTheRepeatedName) {
  const std::string json =
      "{\"resourceType\": \"Appointment\",\n"
      "  \"status\": \"booked\",\n"
      "  \"participant\": [{\"status\": \"accepted\"}],\n"
      "  \"status\": \"cancelled\"}";
  auto r = parse(json);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ParseError::Kind::duplicate_key);
  EXPECT_EQ(r.error().path, "Appointment.status");
  EXPECT_EQ(r.error().offset, json.rfind("\"status\""));
  EXPECT_EQ(r.error().line, 4u);
  EXPECT_EQ(r.error().column, 3u);
  EXPECT_NE(r.error().message.find("at offset " + std::to_string(r.error().offset) +
                                   " (line 4, column 3)"),
            std::string::npos);

  // Nested, with an escaped quote and backslash inside the repeated name, in an array item
  // after a duplicate-free item that uses the same name once.
  const std::string nested =
      R"({"resourceType":"Patient","name":[{"a\\\"b":1},{"given":["x"],"a\\\"b":2,"a\\\"b":3}]})";
  auto n = parse(nested);
  ASSERT_FALSE(n);
  EXPECT_EQ(n.error().path, "Patient.name[1].a\\\"b");
  EXPECT_EQ(n.error().offset, nested.rfind(R"("a\\\"b")"));
  EXPECT_EQ(n.error().line, 1u);
  EXPECT_EQ(n.error().column, n.error().offset + 1);

  // Large objects (the sorted check): the second occurrence, not the first.
  std::string big = "{";
  for (int i = 0; i < 40; ++i) big += "\"k" + std::to_string(i) + "\":1,";
  big += "\n \"k7\":2}";
  auto b = parse(big);
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error().offset, big.rfind("\"k7\""));
  EXPECT_EQ(b.error().line, 2u);
  EXPECT_EQ(b.error().column, 2u);
}

TEST(FhirJson, HugeNumbers) {
  EXPECT_FALSE(parse(R"({"a":1e400})"));
  auto inf = parse(R"({"a":2e308})");  // overflows to inf on RapidJSON's full-precision path
  ASSERT_FALSE(inf);
  EXPECT_EQ(inf.error().kind, ParseError::Kind::malformed);
  EXPECT_EQ(inf.error().offset, 5u);
  auto d = parse(R"({"a":123456789012345678901234567890,"b":-1e-400})");
  ASSERT_TRUE(d);
  EXPECT_TRUE(is_raw_number(d->root()["a"]));
  EXPECT_EQ(raw_number_text(d->root()["a"]), "123456789012345678901234567890");
  EXPECT_EQ(*to_json(d->root()), R"({"a":123456789012345678901234567890,"b":-1e-400})");
  EXPECT_EQ(number_value(d->root()["b"]), 0.0);
  EXPECT_NEAR(*number_value(d->root()["a"]), 1.2345678901234568e29, 1e14);
}

// FHIR R4 JSON: a number keeps its textual representation (precision of decimals, integers
// beyond 2^53), while ordinary numbers stay RapidJSON numbers for code that reads them.
TEST(FhirJson, NumbersKeepTheirText) {
  constexpr std::string_view text =
      R"({"a":[1.50,0.00012000,80.00,1e3,1E+3,-0,-0.0,0,5,-7,1.5,37.0,0.1,)"
      R"(0.10000000000000001,9007199254740993,18446744073709551615,18446744073709551616,)"
      R"(-9223372036854775808,-9223372036854775809,2.5e-7,1.7976931348623157e308]})";
  auto d = parse(text);
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(*to_json(d->root()), text);
  const auto& a = d->root()["a"];
  // ordinary numbers: the writer reproduces them
  for (unsigned i : {6u, 7u, 8u, 9u, 10u, 11u, 12u, 14u, 15u, 17u, 19u, 20u}) {
    EXPECT_TRUE(a[i].IsNumber()) << i;
    EXPECT_TRUE(is_number(a[i])) << i;
    EXPECT_FALSE(is_raw_number(a[i])) << i;
  }
  EXPECT_EQ(a[14].GetInt64(), 9007199254740993);  // exact beyond 2^53
  EXPECT_EQ(a[15].GetUint64(), 18446744073709551615u);
  EXPECT_EQ(a[17].GetInt64(), INT64_MIN);
  // raw numbers: the text is the value
  for (unsigned i : {0u, 1u, 2u, 3u, 4u, 5u, 13u, 16u, 18u}) {
    EXPECT_FALSE(a[i].IsNumber()) << i;
    EXPECT_TRUE(is_raw_number(a[i])) << i;
    EXPECT_TRUE(is_number(a[i])) << i;
  }
  EXPECT_EQ(raw_number_text(a[0]), "1.50");
  EXPECT_EQ(number_text(a[0]), "1.50");
  EXPECT_EQ(number_text(a[11]), "37.0");
  EXPECT_EQ(number_text(a[8]), "5");
  EXPECT_EQ(number_value(a[1]), 0.00012);
  EXPECT_EQ(number_value(a[3]), 1000.0);
  EXPECT_EQ(number_text(d->root()), "");
  EXPECT_EQ(number_value(d->root()), std::nullopt);
  // the pretty writer keeps them too
  auto p = to_json(d->root(), Format::pretty);
  ASSERT_TRUE(p);
  EXPECT_NE(p->find("0.00012000,"), std::string::npos);
  EXPECT_NE(p->find("-9223372036854775809,"), std::string::npos);
}

TEST(FhirJson, NumbersCompareByExactValue) {
  auto eq = [](std::string_view x, std::string_view y) {
    auto a = parse("{\"n\":" + std::string(x) + "}");
    auto b = parse("{\"n\":" + std::string(y) + "}");
    EXPECT_TRUE(a && b) << x << " " << y;
    return json_equal(a->root(), b->root()) && json_equal(b->root(), a->root());
  };
  EXPECT_TRUE(eq("1.50", "1.5"));
  EXPECT_TRUE(eq("1.50", "1.500"));
  EXPECT_TRUE(eq("1", "1.0"));
  EXPECT_TRUE(eq("1", "1.00"));
  EXPECT_TRUE(eq("1e3", "1000"));
  EXPECT_TRUE(eq("0.00012000", "1.2e-4"));
  EXPECT_TRUE(eq("-0", "0"));
  EXPECT_TRUE(eq("-0.0", "0.00"));
  EXPECT_TRUE(eq("123456789012345678901234567890", "1.2345678901234567890123456789e29"));
  EXPECT_FALSE(eq("1.50", "1.51"));
  EXPECT_FALSE(eq("-1.5", "1.50"));
  EXPECT_FALSE(eq("0.1", "0.10000000000000001"));
  EXPECT_FALSE(eq("9007199254740993", "9007199254740992"));
  EXPECT_FALSE(eq("18446744073709551616", "18446744073709551615"));
  EXPECT_FALSE(eq("1.50", "\"1.50\""));  // a number is never a string
  EXPECT_FALSE(eq("1", "true"));
}

TEST(FhirJson, SetNumber) {
  Document d;
  rapidjson::Value v;
  ASSERT_TRUE(set_number(v, "72.50", d.allocator()));
  EXPECT_TRUE(is_raw_number(v));
  d.root().AddMember("a", v, d.allocator());
  rapidjson::Value w;
  ASSERT_TRUE(set_number(w, "72", d.allocator()));
  EXPECT_TRUE(w.IsInt());
  d.root().AddMember("b", w, d.allocator());
  rapidjson::Value x(true);
  for (std::string_view bad : {"", "-", "01", "1.", ".5", "1e", "+1", "1 ", "NaN", "1e400"}) {
    EXPECT_FALSE(set_number(x, bad, d.allocator())) << bad;
    EXPECT_TRUE(x.IsTrue());
  }
  EXPECT_EQ(*to_json(d.root()), R"({"a":72.50,"b":72})");
  // A copy into another document keeps the text.
  Document e;
  e.root().CopyFrom(d.root(), e.allocator());
  EXPECT_EQ(*to_json(e.root()), R"({"a":72.50,"b":72})");
  // A string that merely starts with the mark but is not a number stays a string (and, not
  // being UTF-8, cannot be written in compact form).
  Document f;
  f.root().AddMember("s",
                     rapidjson::Value("\xFF"
                                      "abc",
                                      f.allocator()),
                     f.allocator());
  EXPECT_FALSE(is_number(f.root()["s"]));
  EXPECT_FALSE(to_json(f.root()));
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
