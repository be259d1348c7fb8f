// The configuration file: loading and checking (every key's type errors, unknown keys with a
// suggestion, relative directories), agreement of the loader with config/default.json,
// config/schema.json and config/README.md, and the settings reaching the command line (limits
// at the limit and one past it, constants changing the output, precedence of flags).
#include "gateway/config/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "fhir/json.h"
#include "gateway/cli/cli.h"
#include "test_support.h"

namespace fcpgw::gateway {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::read_file;
using testing::run;

const fs::path kSource = FCPGW_SOURCE_DIR;
const fs::path kFitNote = kSource / "mappings/golden/fitnotes/maybefit_four_ticks_tel.hl7";

std::string joined(const std::vector<ConfigError>& errors) {
  std::string s;
  for (const ConfigError& e : errors) s += to_string(e) + "\n";
  return s;
}

class ConfigTest : public testing::TempDirTest {
 protected:
  // Parses `text` as a configuration named "site.json" in the test directory.
  boost::system::result<Config, std::vector<ConfigError>> parse(const std::string& text) {
    return Config::parse(text, "site.json", dir_);
  }

  // The single error `text` gives, as "key: message".
  std::string only_error(const std::string& text) {
    auto c = parse(text);
    if (c) return "(accepted)";
    if (c.error().size() != 1) {
      // Appended, not "(" + ...: GCC 12 reports a bogus -Wrestrict at -O3 for that pattern.
      std::string s(1, '(');
      s.append(std::to_string(c.error().size())).append(" errors)\n").append(joined(c.error()));
      return s;
    }
    return c.error()[0].key + ": " + c.error()[0].message;
  }
};

// JSON text holding `value` (JSON text) at the dotted `path`.
std::string nested(std::string_view path, const std::string& value) {
  std::string open, close;
  std::size_t start = 0;
  for (;;) {
    const std::size_t dot = path.find('.', start);
    const std::string_view name = path.substr(start, dot - start);
    open += "{\"" + std::string(name) + "\":";
    close += "}";
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return open + value + close;
}

// ---- defaults and the files in config/ ------------------------------------------------------

fhir::Document load_json(const fs::path& p) {
  auto d = fhir::parse(read_file(p));
  EXPECT_TRUE(d) << p;
  return d ? std::move(*d) : fhir::Document();
}

std::string_view str(const rapidjson::Value& v) {
  return v.IsString() ? std::string_view(v.GetString(), v.GetStringLength()) : "";
}

// The member at the dotted `path` of `root`, or nullptr.
const rapidjson::Value* at_path(const rapidjson::Value& root, std::string_view path) {
  const rapidjson::Value* v = &root;
  for (;;) {
    const std::size_t dot = path.find('.');
    const std::string name(path.substr(0, dot));
    if (!v->IsObject() || !v->HasMember(name.c_str())) return nullptr;
    v = &(*v)[name.c_str()];
    if (dot == std::string_view::npos) return v;
    path.remove_prefix(dot + 1);
  }
}

TEST(ConfigFiles, DefaultJsonIsExactlyTheBuiltInDefaults) {
  auto c = Config::load((kSource / "config/default.json").string());
  ASSERT_TRUE(c) << joined(c.error());
  EXPECT_TRUE(*c == Config::defaults());
  // ...and it spells out every key that has a default, so that it documents them.
  fhir::Document doc = load_json(kSource / "config/default.json");
  for (const ConfigKey& k : config_keys()) {
    const auto d = default_json(k);
    if (!d) continue;
    SCOPED_TRACE(std::string(k.path));
    const rapidjson::Value* v = at_path(doc.root(), k.path);
    ASSERT_NE(v, nullptr);
    auto expected = fhir::parse("{\"v\":" + *d + "}");
    ASSERT_TRUE(expected) << *d;
    EXPECT_TRUE(fhir::json_equal(*v, expected->root()["v"])) << *d;
  }
}

TEST(ConfigFiles, BuiltInDefaultsMatchTheKeyTable) {
  const Config d = Config::defaults();
  EXPECT_EQ(d.source(), "built-in defaults");
  EXPECT_FALSE(d.mappings_dir());
  EXPECT_TRUE(d.constants().values.empty());
  EXPECT_EQ(d.v2_limits().max_message_bytes, 16u * 1024u * 1024u);
  EXPECT_EQ(d.v2_limits().max_segments, 5000u);
  EXPECT_EQ(d.v2_limits().max_fields_per_segment, 500u);
  EXPECT_EQ(d.v2_limits().max_repetitions_per_field, 1000u);
  EXPECT_EQ(d.fhir_limits().max_bytes, 16u * 1024u * 1024u);
  EXPECT_EQ(d.fhir_limits().max_depth, 64u);
  EXPECT_EQ(d.max_input_bytes(), 16u * 1024u * 1024u);
}

TEST(ConfigFiles, ExampleSiteLoadsWithItsOwnBasesAndTheBundledMappings) {
  auto c = Config::load((kSource / "config/example-site.json").string());
  ASSERT_TRUE(c) << joined(c.error());
  ASSERT_TRUE(c->mappings_dir());
  EXPECT_TRUE(fs::equivalent(*c->mappings_dir(), kSource / "mappings"));
  std::map<std::string, std::string> constants(c->constants().values.begin(),
                                               c->constants().values.end());
  EXPECT_EQ(constants["id-base"], "https://fhir.riverside-pcn.nhs.uk/Id");
  EXPECT_EQ(constants["fcp.codesystem-base"], "https://fhir.riverside-pcn.nhs.uk");
  EXPECT_FALSE(*c == Config::defaults());
}

TEST(ConfigFiles, ReadmeDocumentsEveryKey) {
  const std::string readme = read_file(kSource / "config/README.md");
  for (const ConfigKey& k : config_keys()) {
    EXPECT_THAT(readme, HasSubstr("| `" + std::string(k.path) + "` |")) << k.path;
    // Keys added with the serve sections give their default as JSON in the table.
    if (k.path.starts_with("listeners.") || k.path.starts_with("journal.") ||
        k.path.starts_with("log.")) {
      if (const auto d = default_json(k)) {
        const std::size_t row = readme.find("| `" + std::string(k.path) + "` |");
        const std::size_t end = readme.find('\n', row);
        EXPECT_THAT(readme.substr(row, end - row), HasSubstr("| `" + *d + "` |")) << k.path;
      }
    }
  }
}

// ---- schema.json ----------------------------------------------------------------------------

// Walks the schema's properties; records each key path with its schema.
void schema_keys(const rapidjson::Value& schema, const std::string& prefix,
                 std::map<std::string, const rapidjson::Value*>& out) {
  if (!schema.HasMember("properties")) return;
  for (auto m = schema["properties"].MemberBegin(); m != schema["properties"].MemberEnd(); ++m) {
    const std::string path = (prefix.empty() ? "" : prefix + ".") + std::string(str(m->name));
    out[path] = &m->value;
    schema_keys(m->value, path, out);
  }
}

std::optional<std::uint64_t> uint_member(const rapidjson::Value& v, const char* name) {
  if (!v.HasMember(name) || !v[name].IsUint64()) return std::nullopt;
  return v[name].GetUint64();
}

TEST(ConfigSchema, IsDraft2020_12AndAgreesWithTheLoaderKeyForKey) {
  fhir::Document schema = load_json(kSource / "config/schema.json");
  EXPECT_EQ(str(schema.root()["$schema"]), "https://json-schema.org/draft/2020-12/schema");
  std::map<std::string, const rapidjson::Value*> in_schema;
  schema_keys(schema.root(), "", in_schema);

  std::set<std::string> loader, schema_set;
  for (const ConfigKey& k : config_keys()) loader.insert(std::string(k.path));
  // The delivery sections hold site-chosen names; config_delivery_test checks their members.
  loader.insert("destinations");
  loader.insert("routes");
  for (const auto& [path, s] : in_schema) schema_set.insert(path);
  EXPECT_EQ(loader, schema_set);

  EXPECT_TRUE(schema.root()["additionalProperties"].IsFalse());
  for (const ConfigKey& k : config_keys()) {
    auto it = in_schema.find(std::string(k.path));
    if (it == in_schema.end()) continue;
    const rapidjson::Value& s = *it->second;
    SCOPED_TRACE(std::string(k.path));
    EXPECT_TRUE(s.HasMember("description"));
    switch (k.type) {
      case ConfigKeyType::object:
        EXPECT_EQ(str(s["type"]), "object");
        ASSERT_TRUE(s.HasMember("additionalProperties"));
        EXPECT_TRUE(s["additionalProperties"].IsFalse());  // unknown keys are errors
        break;
      case ConfigKeyType::string:
        EXPECT_EQ(str(s["type"]), "string");
        if (k.minimum > 0) {
          EXPECT_EQ(uint_member(s, "minLength"), k.minimum);
        }
        break;
      case ConfigKeyType::directory:
        EXPECT_EQ(str(s["type"]), "string");
        EXPECT_EQ(uint_member(s, "minLength"), 1u);
        break;
      case ConfigKeyType::positive_integer:
      case ConfigKeyType::non_negative_integer:
      case ConfigKeyType::duration:
      case ConfigKeyType::port:
        EXPECT_EQ(str(s["type"]), "integer");
        EXPECT_EQ(uint_member(s, "minimum"), k.minimum);
        EXPECT_EQ(uint_member(s, "maximum"), k.maximum);
        break;
      case ConfigKeyType::boolean:
        EXPECT_EQ(str(s["type"]), "boolean");
        break;
      case ConfigKeyType::enumeration: {
        EXPECT_EQ(str(s["type"]), "string");
        std::vector<std::string> choices, in_schema_choices;
        for (std::string_view c : k.choices) choices.emplace_back(c);
        for (const auto& c : s["enum"].GetArray()) in_schema_choices.emplace_back(str(c));
        EXPECT_EQ(choices, in_schema_choices);
        break;
      }
      case ConfigKeyType::string_list:
        EXPECT_EQ(str(s["type"]), "array");
        EXPECT_EQ(str(s["items"]["type"]), "string");
        break;
      case ConfigKeyType::file:
      case ConfigKeyType::secret:
        EXPECT_EQ(str(s["type"]), "string");
        break;
      case ConfigKeyType::string_map:
      case ConfigKeyType::client_map:
        EXPECT_EQ(str(s["type"]), "object");
        ASSERT_TRUE(s.HasMember("additionalProperties"));
        EXPECT_EQ(str(s["additionalProperties"]["type"]), "string");
        break;
    }
    // The schema's default is the loader's.
    if (const auto d = default_json(k)) {
      ASSERT_TRUE(s.HasMember("default"));
      auto expected = fhir::parse("{\"v\":" + *d + "}");
      ASSERT_TRUE(expected) << *d;
      EXPECT_TRUE(fhir::json_equal(s["default"], expected->root()["v"])) << *d;
    }
  }
}

// A validator for the part of JSON Schema 2020-12 that config/schema.json uses. Any other
// keyword fails the test, so the schema cannot grow past what is checked here.
void validate(const rapidjson::Value& schema, const rapidjson::Value& v, const std::string& at,
              std::vector<std::string>& problems) {
  static const std::set<std::string> annotations{"$schema",     "$id",     "title",
                                                 "description", "default", "$defs"};
  // `$ref` points into the root's `$defs`: the root is the schema seen at "$".
  static const rapidjson::Value* root = nullptr;
  if (at == "$") root = &schema;
  for (auto m = schema.MemberBegin(); m != schema.MemberEnd(); ++m) {
    const std::string kw(str(m->name));
    const rapidjson::Value& arg = m->value;
    if (annotations.count(kw)) continue;
    if (kw == "type") {
      const std::string_view t = str(arg);
      const bool ok = t == "object"    ? v.IsObject()
                      : t == "string"  ? fhir::is_string(v)
                      : t == "integer" ? v.IsInt64() || v.IsUint64()
                      : t == "boolean" ? v.IsBool()
                      : t == "array"   ? v.IsArray()
                                       : (ADD_FAILURE() << "type " << t, false);
      if (!ok) problems.push_back(at + ": not " + std::string(t));
    } else if (kw == "properties" || kw == "additionalProperties" || kw == "propertyNames") {
      if (!v.IsObject()) continue;
      for (auto p = v.MemberBegin(); p != v.MemberEnd(); ++p) {
        const std::string name(str(p->name));
        const std::string child = at + "." + name;
        const bool declared =
            schema.HasMember("properties") && schema["properties"].HasMember(name.c_str());
        if (kw == "properties" && declared) {
          validate(arg[name.c_str()], p->value, child, problems);
        } else if (kw == "additionalProperties" && !declared) {
          if (arg.IsFalse()) {
            problems.push_back(child + ": not allowed");
          } else if (arg.IsObject()) {
            validate(arg, p->value, child, problems);
          }
        } else if (kw == "propertyNames") {
          validate(arg, p->name, child + " (name)", problems);
        }
      }
    } else if (kw == "items") {
      if (!v.IsArray()) continue;
      for (rapidjson::SizeType i = 0; i < v.Size(); ++i) {
        validate(arg, v[i], at + "[" + std::to_string(i) + "]", problems);
      }
    } else if (kw == "$ref") {
      const std::string_view ref = str(arg);
      ASSERT_TRUE(ref.starts_with("#/$defs/")) << ref;
      const std::string name(ref.substr(8));
      ASSERT_TRUE((*root)["$defs"].HasMember(name.c_str())) << ref;
      validate((*root)["$defs"][name.c_str()], v, at, problems);
    } else if (kw == "required") {
      if (!v.IsObject()) continue;
      for (const auto& name : arg.GetArray()) {
        if (!v.HasMember(name))
          problems.push_back(at + "." + std::string(str(name)) + ": required");
      }
    } else if (kw == "minItems") {
      if (v.IsArray() && v.Size() < arg.GetUint64()) problems.push_back(at + ": too few items");
    } else if (kw == "enum") {
      bool found = false;
      for (const auto& choice : arg.GetArray()) found = found || fhir::json_equal(choice, v);
      if (!found) problems.push_back(at + ": not one of the choices");
    } else if (kw == "minLength") {
      if (v.IsString() && v.GetStringLength() < arg.GetUint64())
        problems.push_back(at + ": too short");
    } else if (kw == "pattern") {
      if (v.IsString() &&
          !std::regex_search(std::string(str(v)), std::regex(std::string(str(arg)))))
        problems.push_back(at + ": does not match the pattern");
    } else if (kw == "minimum" || kw == "maximum") {
      if (v.IsUint64()) {
        const bool ok =
            kw == "minimum" ? v.GetUint64() >= arg.GetUint64() : v.GetUint64() <= arg.GetUint64();
        if (!ok) problems.push_back(at + ": out of range");
      } else if (v.IsInt64() && kw == "minimum") {
        problems.push_back(at + ": out of range");
      }
    } else {
      ADD_FAILURE() << "schema keyword '" << kw << "' is not checked by this test";
    }
  }
}

TEST(ConfigSchema, DefaultAndExampleConfigsFollowTheSchema) {
  fhir::Document schema = load_json(kSource / "config/schema.json");
  for (const fs::directory_entry& e : fs::directory_iterator(kSource / "config")) {
    if (e.path().extension() != ".json" || e.path().filename() == "schema.json") continue;
    SCOPED_TRACE(e.path().string());
    fhir::Document doc = load_json(e.path());
    std::vector<std::string> problems;
    validate(schema.root(), doc.root(), "$", problems);
    EXPECT_TRUE(problems.empty()) << ::testing::PrintToString(problems);
    // ...and the loader takes them too (the production example needs its TLS files and
    // secrets in place: config_serve_test.cc loads it).
    if (e.path().filename() == "production-example.json") continue;
    auto c = Config::load(e.path().string());
    EXPECT_TRUE(c) << (c ? "" : joined(c.error()));
  }
}

TEST_F(ConfigTest, SchemaAndLoaderRejectTheSameMistakes) {
  fhir::Document schema = load_json(kSource / "config/schema.json");
  const std::vector<std::string> bad = {
      R"({"mapings":{}})",
      R"({"limits":{"v2":{"max_segments":"lots"}}})",
      R"({"limits":{"v2":{"max_segments":0}}})",
      R"({"limits":{"fhir":{"max_depth":1001}}})",
      R"({"limits":{"input":{"max_bytes":-1}}})",
      R"({"limits":{"v2":{"max_segment":10}}})",
      R"({"mappings":{"constants":{"id-base":5}}})",
      R"({"mappings":{"dir":""}})",
      R"({"mappings":[]})",
  };
  for (const std::string& text : bad) {
    SCOPED_TRACE(text);
    auto doc = fhir::parse(text);
    ASSERT_TRUE(doc);
    std::vector<std::string> problems;
    validate(schema.root(), doc->root(), "$", problems);
    EXPECT_FALSE(problems.empty());
    EXPECT_FALSE(parse(text));
  }
}

// ---- type errors, key by key ----------------------------------------------------------------

TEST_F(ConfigTest, EveryKeyRejectsValuesOfTheWrongTypeNamingTheKey) {
  for (const ConfigKey& k : config_keys()) {
    const std::string path(k.path);
    std::vector<std::pair<std::string, std::string>> cases;  // value, expected message part
    switch (k.type) {
      case ConfigKeyType::object:
        cases = {{"5", "expected an object, got 5"},
                 {"\"x\"", "expected an object, got \"x\""},
                 {"[]", "expected an object, got an array"},
                 {"null", "expected an object, got null"}};
        break;
      case ConfigKeyType::string:
        if (k.minimum > 0) {
          cases = {{"5", "expected a non-empty string, got 5"},
                   {"\"\"", "expected a non-empty string, got \"\""}};
        } else {
          cases = {{"5", "expected a string, got 5"}, {"{}", "expected a string, got an object"}};
        }
        break;
      case ConfigKeyType::directory:
        cases = {{"5", "expected a directory path (a non-empty string), got 5"},
                 {"\"\"", "expected a directory path (a non-empty string), got \"\""},
                 {"true", "got true"}};
        break;
      case ConfigKeyType::positive_integer:
        cases = {{"\"lots\"", "expected a positive integer, got \"lots\""},
                 {"\"5000\"", "expected a positive integer, got \"5000\""},
                 {"0", "expected a positive integer, got 0"},
                 {"-1", "expected a positive integer, got -1"},
                 {"1.5", "expected a positive integer, got 1.5"},
                 {"1e3", "expected a positive integer, got 1e3"},
                 {"false", "expected a positive integer, got false"},
                 {"null", "expected a positive integer, got null"},
                 {std::to_string(k.maximum + 1), "no greater than " + std::to_string(k.maximum)},
                 {"123456789012345678901234567890", "no greater than"}};
        break;
      case ConfigKeyType::non_negative_integer:
        cases = {{"\"lots\"", "expected a non-negative integer, got \"lots\""},
                 {"-1", "expected a non-negative integer, got -1"},
                 {"1.5", "expected a non-negative integer, got 1.5"},
                 {"null", "expected a non-negative integer, got null"},
                 {std::to_string(k.maximum + 1), "no greater than " + std::to_string(k.maximum)}};
        break;
      case ConfigKeyType::duration:
        cases = {{"\"30s\"", "expected a whole number of"},
                 {"-1", "expected a whole number of"},
                 {"1.5", "expected a whole number of"},
                 {std::to_string(k.maximum + 1), "no greater than " + std::to_string(k.maximum)}};
        break;
      case ConfigKeyType::port:
        cases = {{"\"2575\"", "expected a port number (0 to 65535, 0 = any free port), got"},
                 {"-1", "got -1"},
                 {"65536", "expected a port number (0 to 65535, 0 = any free port), got 65536"},
                 {"99999999999999999999999", "got 99999999999999999999999"}};
        break;
      case ConfigKeyType::boolean:
        cases = {{"\"true\"", "expected true or false, got \"true\""},
                 {"1", "expected true or false, got 1"},
                 {"null", "expected true or false, got null"}};
        break;
      case ConfigKeyType::enumeration:
        cases = {{"\"nope\"", "expected \"" + std::string(k.choices[0]) + "\""},
                 {"1.2", ", got 1.2"},
                 {"[]", "got an array"}};
        break;
      case ConfigKeyType::string_list:
        cases = {
            {"\"10.0.0.1\"", "expected an array of IP addresses or CIDR ranges, got \"10.0.0.1\""},
            {"{}", "got an object"}};
        break;
      case ConfigKeyType::file:
        cases = {{"5", "expected a file path (a string), got 5"},
                 {"\"no-such.pem\"", "expected a readable file, but"}};
        break;
      case ConfigKeyType::secret:
        cases = {{"5", "got a number"},
                 {"\"hunter2\"", "a secret must not be written in the configuration"}};
        break;
      case ConfigKeyType::string_map:
        cases = {{"[]", "expected an object of names to strings, got an array"},
                 {"\"id-base\"", "got \"id-base\""}};
        break;
      case ConfigKeyType::client_map:
        cases = {{"[]", "expected an object of client names to tokens, got an array"},
                 {"\"env:X\"", "got \"env:X\""}};
        break;
    }
    for (const auto& [value, expected] : cases) {
      SCOPED_TRACE(path + " = " + value);
      auto c = parse(nested(path, value));
      ASSERT_FALSE(c);
      ASSERT_EQ(c.error().size(), 1u) << joined(c.error());
      EXPECT_EQ(c.error()[0].file, "site.json");
      EXPECT_EQ(c.error()[0].key, path);
      EXPECT_THAT(c.error()[0].message, HasSubstr(expected));
    }
  }
}

TEST_F(ConfigTest, IntegerLimitsAreAcceptedAtTheirBoundsAndRefusedOnePast) {
  for (const ConfigKey& k : config_keys()) {
    if (k.type != ConfigKeyType::positive_integer &&
        k.type != ConfigKeyType::non_negative_integer && k.type != ConfigKeyType::duration &&
        k.type != ConfigKeyType::port) {
      continue;
    }
    SCOPED_TRACE(std::string(k.path));
    if (k.minimum == 0) {
      EXPECT_TRUE(parse(nested(k.path, "0")));
      EXPECT_FALSE(parse(nested(k.path, "-1")));
      EXPECT_TRUE(parse(nested(k.path, std::to_string(k.maximum))));
      EXPECT_FALSE(parse(nested(k.path, std::to_string(k.maximum + 1))));
      continue;
    }
    EXPECT_TRUE(parse(nested(k.path, std::to_string(k.minimum))));
    EXPECT_TRUE(parse(nested(k.path, std::to_string(k.maximum))));
    EXPECT_FALSE(parse(nested(k.path, std::to_string(k.minimum - 1))));
    EXPECT_FALSE(parse(nested(k.path, std::to_string(k.maximum + 1))));
  }
}

TEST_F(ConfigTest, ConstantValuesMustBeStringsAndNamesNonEmpty) {
  EXPECT_EQ(only_error(R"({"mappings":{"constants":{"id-base":5}}})"),
            "mappings.constants.id-base: expected a string, got 5");
  EXPECT_EQ(only_error(R"({"mappings":{"constants":{"sys.hcpc":null}}})"),
            "mappings.constants.sys.hcpc: expected a string, got null");
  EXPECT_EQ(only_error(R"({"mappings":{"constants":{"":"x"}}})"),
            "mappings.constants: a constant name is empty");
  auto c = parse(
      R"({"mappings":{"constants":{"id-base":"https://a.example/Id","v2.receiving-facility":""}}})");
  ASSERT_TRUE(c) << joined(c.error());
  ASSERT_EQ(c->constants().values.size(), 2u);
  EXPECT_EQ(c->constants().values[0].first, "id-base");
  EXPECT_EQ(c->constants().values[1].second, "");
}

// ---- unknown keys ---------------------------------------------------------------------------

TEST_F(ConfigTest, UnknownKeysAreErrorsWithASuggestion) {
  EXPECT_EQ(only_error(R"({"mapings":{}})"), "mapings: unknown key (did you mean \"mappings\"?)");
  EXPECT_EQ(only_error(R"({"Limits":{}})"), "Limits: unknown key (did you mean \"limits\"?)");
  EXPECT_EQ(only_error(R"({"limits":{"v2":{"max_segment":10}}})"),
            "limits.v2.max_segment: unknown key (did you mean \"max_segments\"?)");
  EXPECT_EQ(only_error(R"({"limits":{"fhir":{"maxDepth":10}}})"),
            "limits.fhir.maxDepth: unknown key (did you mean \"max_depth\"?)");
  EXPECT_EQ(only_error(R"({"mappings":{"directory":"."}})"),
            "mappings.directory: unknown key (did you mean \"dir\"?)");
  // The right name at the wrong level: the full path is suggested.
  EXPECT_EQ(only_error(R"({"limits":{"max_segments":10}})"),
            "limits.max_segments: unknown key (did you mean \"limits.v2.max_segments\"?)");
  EXPECT_EQ(only_error(R"({"constants":{}})"),
            "constants: unknown key (did you mean \"mappings.constants\"?)");
  // Nothing close: no suggestion.
  EXPECT_EQ(only_error(R"({"sockets":[]})"), "sockets: unknown key");
  EXPECT_EQ(only_error(R"({"limits":{"v2":{"timeout_seconds":5}}})"),
            "limits.v2.timeout_seconds: unknown key");
  // A dotted name is not a path.
  EXPECT_EQ(only_error(R"({"limits.v2":{}})"),
            "limits.v2: unknown key (a dotted name is not a path: nest the keys as objects)");
}

TEST_F(ConfigTest, EveryProblemIsReportedNotJustTheFirst) {
  auto c = parse(
      R"({"mapings":{},"limits":{"v2":{"max_segments":"lots","max_fields_per_segment":0}},"x":1})");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().size(), 4u) << joined(c.error());
  EXPECT_EQ(joined(c.error()),
            "site.json: mapings: unknown key (did you mean \"mappings\"?)\n"
            "site.json: limits.v2.max_segments: expected a positive integer, got \"lots\"\n"
            "site.json: limits.v2.max_fields_per_segment: expected a positive integer, got 0\n"
            "site.json: x: unknown key\n");
}

TEST_F(ConfigTest, ControlCharactersInKeysAndValuesAreNotEchoed) {
  const std::string e =
      only_error("{\"lim\\u0000its\":{},\"limits\":{\"v2\":{\"max_segments\":\"a\\u001bb\"}}}");
  EXPECT_THAT(e, Not(HasSubstr(std::string(1, '\0'))));
  auto c = parse("{\"limits\":{\"v2\":{\"max_segments\":\"a\\u001b[2Jb\"}}}");
  ASSERT_FALSE(c);
  EXPECT_THAT(c.error()[0].message, AllOf(HasSubstr("\"a?[2Jb\""), Not(HasSubstr("\x1b"))));
}

// ---- whole-file problems --------------------------------------------------------------------

TEST_F(ConfigTest, FileProblemsNameTheFile) {
  auto missing = Config::load((dir_ / "none.json").string());
  ASSERT_FALSE(missing);
  EXPECT_EQ(to_string(missing.error()[0]), (dir_ / "none.json").string() + ": no such file");
  auto dir = Config::load(dir_.string());
  ASSERT_FALSE(dir);
  EXPECT_THAT(to_string(dir.error()[0]), HasSubstr("is a directory"));

  EXPECT_THAT(only_error("{\"limits\": {\n"), HasSubstr("line 2"));
  EXPECT_THAT(only_error(R"({"limits":{},"limits":{}})"), HasSubstr("duplicate key"));
  EXPECT_EQ(only_error("[]"), ": expected a JSON object at the top level");
  EXPECT_NE(only_error(""), "(accepted)");
}

TEST_F(ConfigTest, EmptyObjectAndBomGiveTheDefaults) {
  auto c = parse("{}");
  ASSERT_TRUE(c);
  EXPECT_TRUE(*c == Config::defaults());
  EXPECT_EQ(c->source(), "site.json");
  auto bom = parse("\xEF\xBB\xBF{\"limits\":{\"v2\":{\"max_segments\":7}}}");
  ASSERT_TRUE(bom) << joined(bom.error());
  EXPECT_EQ(bom->v2_limits().max_segments, 7u);
  // Keys left out keep their defaults.
  EXPECT_EQ(bom->v2_limits().max_fields_per_segment, 500u);
  EXPECT_EQ(bom->fhir_limits().max_depth, 64u);
  EXPECT_EQ(bom->max_input_bytes(), Config::defaults().max_input_bytes());
}

TEST_F(ConfigTest, EachLimitKeySetsItsOwnLimit) {
  auto c = parse(R"({"limits":{"v2":{"max_message_bytes":11,"max_segments":12,
      "max_fields_per_segment":13,"max_repetitions_per_field":14},
      "fhir":{"max_bytes":15,"max_depth":16},"input":{"max_bytes":17}}})");
  ASSERT_TRUE(c) << joined(c.error());
  EXPECT_EQ(c->v2_limits().max_message_bytes, 11u);
  EXPECT_EQ(c->v2_limits().max_segments, 12u);
  EXPECT_EQ(c->v2_limits().max_fields_per_segment, 13u);
  EXPECT_EQ(c->v2_limits().max_repetitions_per_field, 14u);
  EXPECT_EQ(c->fhir_limits().max_bytes, 15u);
  EXPECT_EQ(c->fhir_limits().max_depth, 16u);
  EXPECT_EQ(c->max_input_bytes(), 17u);
}

// ---- mappings.dir ---------------------------------------------------------------------------

TEST_F(ConfigTest, RelativeMappingsDirIsResolvedAgainstTheConfigFilesDirectory) {
  fs::create_directories(dir_ / "site/maps");
  const std::string cfg = file("site/conf/site.json", R"({"mappings":{"dir":"../maps"}})");
  auto c = Config::load(cfg);
  ASSERT_TRUE(c) << joined(c.error());
  ASSERT_TRUE(c->mappings_dir());
  EXPECT_TRUE(fs::path(*c->mappings_dir()).is_absolute());
  EXPECT_TRUE(fs::equivalent(*c->mappings_dir(), dir_ / "site/maps"));
  // Not the current directory: the same text elsewhere points elsewhere.
  const std::string other = file("elsewhere/site.json", R"({"mappings":{"dir":"../maps"}})");
  auto o = Config::load(other);
  ASSERT_FALSE(o);
  EXPECT_EQ(o.error()[0].key, "mappings.dir");
  EXPECT_THAT(o.error()[0].message,
              AllOf(HasSubstr("does not exist"), HasSubstr((dir_ / "maps").string())));
  // Absolute paths stay as they are.
  auto a = parse(nested("mappings.dir", "\"" + (dir_ / "site/maps").string() + "\""));
  ASSERT_TRUE(a) << joined(a.error());
  EXPECT_TRUE(fs::equivalent(*a->mappings_dir(), dir_ / "site/maps"));
  // A file is not a directory.
  file("plain", "x");
  EXPECT_EQ(only_error(R"({"mappings":{"dir":"plain"}})"),
            "mappings.dir: expected an existing directory, but \"" + (dir_ / "plain").string() +
                "\" is not a directory");
}

// ---- through the command line ---------------------------------------------------------------

std::size_t count_segments(const std::string& er7) {
  std::size_t n = 0;
  std::istringstream in(er7);
  std::string line;
  while (std::getline(in, line, '\r')) {
    if (line.find_first_not_of("\n ") != std::string::npos) ++n;
  }
  return n;
}

std::string limit_config(std::string_view path, std::size_t value) {
  return nested(path, std::to_string(value));
}

TEST_F(ConfigTest, CliMessageWithExactlyMaxSegmentsParsesOneMoreIsRefusedWithItsLocation) {
  const std::string msg = read_file(kFitNote);
  const std::size_t n = count_segments(msg);
  ASSERT_GT(n, 10u);
  const std::string cfg = file("c.json", limit_config("limits.v2.max_segments", n));
  const std::string at = file("at.hl7", msg);
  std::string longer = msg;
  if (longer.back() != '\r') longer += '\r';
  longer += "NTE|1||one segment too many\r";
  const std::string over = file("over.hl7", longer);

  auto ok = run({"translate", "--config", cfg, at});
  EXPECT_EQ(ok.code, 0) << ok.err;
  auto refused = run({"translate", "--config", cfg, over});
  EXPECT_EQ(refused.code, 2);
  EXPECT_THAT(refused.err, AllOf(HasSubstr("segment " + std::to_string(n + 1)),
                                 HasSubstr("more than " + std::to_string(n) + " segments"),
                                 HasSubstr("[198]"), HasSubstr(over)));
  // validate reports the same, located, in its OperationOutcome.
  auto v = run({"validate", "--config", cfg, over});
  EXPECT_EQ(v.code, 1);
  EXPECT_THAT(v.out, AllOf(HasSubstr("198"), HasSubstr("segment " + std::to_string(n + 1))));
  // Without the configuration, the default (5000) applies.
  EXPECT_EQ(run({"translate", over}).code, 0);
}

TEST_F(ConfigTest, CliMaxFieldsAndRepetitionsAtTheLimitAndOnePast) {
  const std::string msg = "MSH|^~\\&|A|B|C|D|20250101||ADT^A01|1|P|2.5.1\rZZZ|1|2|3|a~b~c\r";
  const std::string f = file("m.hl7", msg);
  // MSH has 12 fields (MSH-1 is the separator), so the widest segment decides.
  const std::string fields12 =
      file("f12.json", limit_config("limits.v2.max_fields_per_segment", 12));
  const std::string fields11 =
      file("f11.json", limit_config("limits.v2.max_fields_per_segment", 11));
  auto at = run({"validate", "--config", fields12, f});
  EXPECT_THAT(at.out, Not(HasSubstr("198"))) << at.out;
  auto over = run({"validate", "--config", fields11, f});
  EXPECT_THAT(over.out, AllOf(HasSubstr("198"), HasSubstr("MSH-12")));

  const std::string reps3 = file("r3.json", limit_config("limits.v2.max_repetitions_per_field", 3));
  const std::string reps2 = file("r2.json", limit_config("limits.v2.max_repetitions_per_field", 2));
  EXPECT_THAT(run({"validate", "--config", reps3, f}).out, Not(HasSubstr("198")));
  EXPECT_THAT(run({"validate", "--config", reps2, f}).out,
              AllOf(HasSubstr("198"), HasSubstr("ZZZ-4[3]")));
}

TEST_F(ConfigTest, CliV2MessageBytesAtTheLimitAndOnePast) {
  const std::string msg = read_file(kFitNote);
  const std::string f = file("m.hl7", msg);
  const std::string at = file("at.json", limit_config("limits.v2.max_message_bytes", msg.size()));
  const std::string over =
      file("over.json", limit_config("limits.v2.max_message_bytes", msg.size() - 1));
  EXPECT_EQ(run({"translate", "--config", at, f}).code, 0);
  auto r = run({"translate", "--config", over, f});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("[104]"));
}

TEST_F(ConfigTest, CliFhirDepthAndBytesAtTheLimitAndOnePast) {
  // Depth: root 1, code 2, coding (array) 3, its object 4.
  const std::string json = R"({"resourceType":"Basic","code":{"coding":[{"code":"x"}]}})";
  const std::string f = file("r.json", json);
  const std::string d4 = file("d4.json", limit_config("limits.fhir.max_depth", 4));
  const std::string d3 = file("d3.json", limit_config("limits.fhir.max_depth", 3));
  EXPECT_THAT(run({"validate", "--config", d4, f}).out, Not(HasSubstr("nesting exceeds")));
  auto deep = run({"validate", "--config", d3, f});
  EXPECT_EQ(deep.code, 1);
  EXPECT_THAT(deep.out, HasSubstr("nesting exceeds the limit of 3"));

  const std::string b_at = file("b_at.json", limit_config("limits.fhir.max_bytes", json.size()));
  const std::string b_over =
      file("b_over.json", limit_config("limits.fhir.max_bytes", json.size() - 1));
  EXPECT_THAT(run({"validate", "--config", b_at, f}).out, Not(HasSubstr("too-costly")));
  auto big = run({"validate", "--config", b_over, f});
  EXPECT_EQ(big.code, 1);
  EXPECT_THAT(big.out, Not(HasSubstr("No issues detected")));
}

TEST_F(ConfigTest, CliInputBytesFromConfigAndTheFlagWinsOverIt) {
  const std::string json = R"({"resourceType":"Basic","code":{"text":"x"}})";
  const std::string f = file("r.json", json);
  const std::string at = file("at.json", limit_config("limits.input.max_bytes", json.size()));
  const std::string over =
      file("over.json", limit_config("limits.input.max_bytes", json.size() - 1));
  EXPECT_NE(run({"validate", "--config", at, f}).code, 2);
  auto r = run({"validate", "--config", over, f});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("larger than the limit of " + std::to_string(json.size() - 1)));
  // Explicit flag > configuration.
  EXPECT_NE(run({"validate", "--config", over, "--max-input-bytes", "1MiB", f}).code, 2);
  EXPECT_EQ(run({"validate", "--config", at, "--max-input-bytes", "10", f}).code, 2);
}

std::string composition_type_system(const std::string& bundle_json) {
  auto doc = fhir::parse(bundle_json);
  if (!doc) return "(not JSON)";
  for (const auto& e : doc->root()["entry"].GetArray()) {
    const rapidjson::Value& r = e["resource"];
    if (str(r["resourceType"]) == "Composition") {
      return std::string(str(r["type"]["coding"][0]["system"]));
    }
  }
  return "(no Composition)";
}

TEST_F(ConfigTest, CliConstantOverrideChangesTheFitNoteCompositionTypeSystem) {
  auto plain = run({"translate", kFitNote.string()});
  ASSERT_EQ(plain.code, 0) << plain.err;
  EXPECT_EQ(composition_type_system(plain.out),
            "https://fhir.fcpgw.example/CodeSystem/fcp-document-type");

  const std::string cfg = file(
      "c.json",
      R"({"mappings":{"constants":{"fcp.codesystem-base":"https://fhir.riverside-pcn.nhs.uk"}}})");
  auto site = run({"translate", "--config", cfg, kFitNote.string()});
  ASSERT_EQ(site.code, 0) << site.err;
  EXPECT_EQ(composition_type_system(site.out),
            "https://fhir.riverside-pcn.nhs.uk/CodeSystem/fcp-document-type");
  EXPECT_THAT(site.out, Not(HasSubstr("fhir.fcpgw.example")));
}

TEST_F(ConfigTest, CliUnknownConstantIsAConfigErrorNamingTheKey) {
  const std::string cfg = file("c.json", R"({"mappings":{"constants":{"foo":"x"}}})");
  auto r = run({"translate", "--config", cfg, kFitNote.string()});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err,
            "fcpgw: " + cfg + ": mappings.constants.foo: no mapping declares this constant\n");
  EXPECT_EQ(r.out, "");
  const std::string tz =
      file("tz.json", R"({"mappings":{"constants":{"default-timezone":"America/New_York"}}})");
  auto t = run({"translate", "--config", tz, kFitNote.string()});
  EXPECT_EQ(t.code, 2);
  EXPECT_THAT(t.err,
              HasSubstr(tz + ": mappings.constants.default-timezone: unsupported time zone"));
}

TEST_F(ConfigTest, CliBadConfigStopsBeforeAnyInputIsRead) {
  const std::string cfg = file("c.json", R"({"limits":{"v2":{"max_segments":"lots"}}})");
  auto r = run({"translate", "--config", cfg, (dir_ / "no-such.hl7").string()});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err, "fcpgw: " + cfg +
                       ": limits.v2.max_segments: expected a positive integer, got \"lots\"\n");
  auto missing = run({"validate", "--config", (dir_ / "none.json").string(), kFitNote.string()});
  EXPECT_EQ(missing.code, 2);
  EXPECT_THAT(missing.err, HasSubstr("none.json: no such file"));
  EXPECT_EQ(missing.out, "");
}

TEST_F(ConfigTest, CliMappingsDirFromConfigAndTheFlagWinsOverIt) {
  fs::create_directories(dir_ / "empty-maps");
  const std::string cfg = file("c.json", R"({"mappings":{"dir":"empty-maps"}})");
  auto r = run({"translate", "--config", cfg, kFitNote.string()});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err,
              AllOf(HasSubstr("holds no mapping files"), HasSubstr("from mappings.dir in " + cfg)));
  auto flag = run({"translate", "--config", cfg, "--mappings", (kSource / "mappings").string(),
                   kFitNote.string()});
  EXPECT_EQ(flag.code, 0) << flag.err;
}

TEST_F(ConfigTest, CliMappingsTestRunsWithTheConfiguredConstants) {
  const std::string golden = (kSource / "mappings/golden/fitnotes").string();
  auto plain = run({"mappings", "test", "--filter", "maybefit_four_ticks_tel", golden});
  EXPECT_EQ(plain.code, 0) << plain.out << plain.err;
  // The golden cases expect the default id-base: with the site's, the case must differ.
  const std::string cfg = file(
      "c.json", R"({"mappings":{"constants":{"id-base":"https://fhir.riverside-pcn.nhs.uk/Id"}}})");
  auto site =
      run({"mappings", "test", "--config", cfg, "--filter", "maybefit_four_ticks_tel", golden});
  EXPECT_EQ(site.code, 1) << site.out << site.err;
  EXPECT_THAT(site.out, HasSubstr("riverside-pcn"));
}

}  // namespace
}  // namespace fcpgw::gateway
