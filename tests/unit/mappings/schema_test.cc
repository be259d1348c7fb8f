// mappings/schema.json (the JSON Schema editors use) stays in step with the loader: its closed
// sets are exactly the loader's catalogues. (tests/integration/mapping_schema.test.mjs checks
// the shipped files and broken ones against it, and its keys against the loader.)

#include <rapidjson/document.h>

#include <filesystem>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "fhir/definitions.h"
#include "load_files.h"
#include "mappings/plan.h"

using namespace fcpgw;
using namespace fcpgw::mappings;

namespace {

using Names = std::set<std::string, std::less<>>;

class Schema : public ::testing::Test {
 protected:
  void SetUp() override {
    text_ = mappings::testing::read_file(std::filesystem::path(FCPGW_SOURCE_DIR) / "mappings/schema.json");
    doc_.Parse(text_.data(), text_.size());
    ASSERT_FALSE(doc_.HasParseError()) << "mappings/schema.json is not valid JSON";
    ASSERT_TRUE(doc_.IsObject() && doc_.HasMember("definitions"));
  }

  const rapidjson::Value& definition(const char* name) {
    const auto& defs = doc_["definitions"];
    EXPECT_TRUE(defs.HasMember(name)) << name;
    return defs.HasMember(name) ? defs[name] : empty_;
  }
  Names enum_of(const char* name) {
    Names out;
    const auto& d = definition(name);
    EXPECT_TRUE(d.IsObject() && d.HasMember("enum") && d["enum"].IsArray()) << name;
    if (!d.IsObject() || !d.HasMember("enum") || !d["enum"].IsArray()) return out;
    for (const auto& v : d["enum"].GetArray()) {
      EXPECT_TRUE(v.IsString()) << name;
      if (v.IsString()) {
        EXPECT_TRUE(out.emplace(v.GetString()).second) << "twice: " << v.GetString();
      }
    }
    return out;
  }
  Names properties_of(const char* name) {
    Names out;
    const auto& d = definition(name);
    EXPECT_TRUE(d.IsObject() && d.HasMember("properties")) << name;
    if (!d.IsObject() || !d.HasMember("properties")) return out;
    for (auto it = d["properties"].MemberBegin(); it != d["properties"].MemberEnd(); ++it)
      out.emplace(it->name.GetString());
    return out;
  }

  std::string text_;
  rapidjson::Document doc_;
  rapidjson::Value empty_{rapidjson::kObjectType};
};

TEST_F(Schema, TransformsAreTheCatalogueByDirection) {
  Names v2, fhir, v2_args, fhir_args;
  for (const auto& t : transform_catalogue()) {
    if (t.v2_to_fhir) {
      v2.emplace(t.name);
      v2_args.insert(t.args.begin(), t.args.end());
    }
    if (t.fhir_to_v2) {
      fhir.emplace(t.name);
      fhir_args.insert(t.args.begin(), t.args.end());
    }
  }
  ASSERT_FALSE(v2.empty());
  ASSERT_FALSE(fhir.empty());
  EXPECT_EQ(enum_of("v2ToFhirTransform"), v2);
  EXPECT_EQ(enum_of("fhirToV2Transform"), fhir);
  EXPECT_EQ(properties_of("v2ToFhirArgs"), v2_args);
  EXPECT_EQ(properties_of("fhirToV2Args"), fhir_args);
}

TEST_F(Schema, ValidChecksAreTheCatalogueByDirection) {
  Names v2, fhir;
  for (const auto& c : valid_check_catalogue()) {
    if (c.v2_to_fhir) v2.emplace(c.name);
    if (c.fhir_to_v2) fhir.emplace(c.name);
  }
  ASSERT_FALSE(v2.empty());
  ASSERT_FALSE(fhir.empty());
  EXPECT_EQ(enum_of("v2ValidCheck"), v2);
  EXPECT_EQ(enum_of("fhirValidCheck"), fhir);
}

TEST_F(Schema, ResourceTypesAreR4) {
  Names r4;
  for (const auto t : fhir::r4_resource_types()) r4.emplace(t);
  ASSERT_GT(r4.size(), 100u);
  EXPECT_EQ(enum_of("r4ResourceType"), r4);
}

}  // namespace
