// The delivery sections of the configuration: destinations (each type, its members, limits,
// secrets), routes, the rules between them, --set into them, the defaults, and the docs and
// schema agreeing with the member tables.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "fhir/json.h"
#include "gateway/config/config.h"
#include "gateway/config/delivery_loader.h"
#include "test_support.h"

namespace fcpgw::gateway {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::read_file;

const fs::path kSource = FCPGW_SOURCE_DIR;

class DeliveryConfigTest : public testing::TempDirTest {
 protected:
  using Result = boost::system::result<Config, std::vector<ConfigError>>;
  Result parse(const std::string& text, std::vector<std::string> sets = {}) {
    return Config::parse(text, "site.json", dir_, sets);
  }
  std::string errors(const std::string& text, std::vector<std::string> sets = {}) {
    auto c = parse(text, std::move(sets));
    if (c) return "(accepted)";
    std::string s;
    for (const ConfigError& e : c.error()) s += to_string(e) + "\n";
    return s;
  }
};

TEST(DeliveryConfig, DefaultRoutesEverythingToTheOutbox) {
  const Config d = Config::defaults();
  ASSERT_EQ(d.delivery.destinations.size(), 1u);
  EXPECT_EQ(d.delivery.destinations[0].name, "outbox");
  EXPECT_EQ(d.delivery.destinations[0].type, "directory");
  EXPECT_EQ(d.delivery.destinations[0].path, "var/outbox");
  EXPECT_EQ(d.delivery.destinations[0].concurrency, 4u);
  EXPECT_EQ(d.delivery.destinations[0].on_dead, "hold");
  ASSERT_EQ(d.delivery.routes.size(), 1u);
  EXPECT_TRUE(d.delivery.routes[0].types.empty());
  EXPECT_EQ(d.delivery.routes[0].destinations, std::vector<std::string>{"outbox"});
}

TEST_F(DeliveryConfigTest, EveryTypeLoadsWithItsMembers) {
  const std::string ca = file("ca.pem", "x");
  ::setenv("FCPGW_TEST_EHR_TOKEN", "tok-1", 1);
  auto c = parse(R"({
    "destinations": {
      "ehr": {"type": "fhir", "url": "https://ehr.example/fhir", "mode": "message",
              "token": "env:FCPGW_TEST_EHR_TOKEN", "ca_file": "ca.pem", "concurrency": 8,
              "connect_timeout_ms": 100, "response_timeout_ms": 200, "on_dead": "skip",
              "retry": {"initial_ms": 50, "max_ms": 60, "max_attempts": 3, "max_age_s": 0}},
      "practice": {"type": "mllp", "host": "10.0.0.5", "port": 2576, "tls": true,
                   "ack_timeout_ms": 900, "on_ae": "dead", "application_ack": true,
                   "server_name": "gp.example"},
      "files": {"type": "directory", "path": "/srv/out"}
    },
    "routes": [
      {"name": "appointments", "types": ["SIU", "Appointment"], "facilities": ["A81001"],
       "mapping": "siu-to-fhir", "destinations": ["ehr", "files"]},
      {"destinations": ["practice"]}
    ]})");
  ::unsetenv("FCPGW_TEST_EHR_TOKEN");
  ASSERT_TRUE(c) << errors("{}");
  const auto& ds = c->delivery.destinations;
  ASSERT_EQ(ds.size(), 3u);
  EXPECT_EQ(ds[0].name, "ehr");
  EXPECT_EQ(ds[0].url, "https://ehr.example/fhir");
  EXPECT_EQ(ds[0].mode, "message");
  EXPECT_EQ(ds[0].token, "tok-1");
  EXPECT_EQ(ds[0].ca_file, (dir_ / "ca.pem").string());
  EXPECT_EQ(ds[0].concurrency, 8u);
  EXPECT_EQ(ds[0].connect_timeout.count(), 100);
  EXPECT_EQ(ds[0].response_timeout.count(), 200);
  EXPECT_EQ(ds[0].on_dead, "skip");
  EXPECT_EQ(ds[0].retry.initial.count(), 50);
  EXPECT_EQ(ds[0].retry.max.count(), 60);
  EXPECT_EQ(ds[0].retry.max_attempts, 3u);
  EXPECT_EQ(ds[0].retry.max_age.count(), 0);
  EXPECT_EQ(ds[1].host, "10.0.0.5");
  EXPECT_EQ(ds[1].port, 2576);
  EXPECT_TRUE(ds[1].tls);
  EXPECT_TRUE(ds[1].application_ack);
  EXPECT_EQ(ds[1].on_ae, "dead");
  EXPECT_EQ(ds[1].ack_timeout.count(), 900);
  EXPECT_EQ(ds[1].server_name, "gp.example");
  EXPECT_EQ(ds[2].path, "/srv/out");
  const auto& rs = c->delivery.routes;
  ASSERT_EQ(rs.size(), 2u);
  EXPECT_EQ(rs[0].name, "appointments");
  EXPECT_EQ(rs[0].types, (std::vector<std::string>{"SIU", "Appointment"}));
  EXPECT_EQ(rs[0].facilities, std::vector<std::string>{"A81001"});
  EXPECT_EQ(rs[0].mapping, "siu-to-fhir");
  EXPECT_EQ(rs[1].name, "route-2");
  EXPECT_FALSE(*c == Config::defaults());
}

TEST_F(DeliveryConfigTest, MistakesNameTheKeyAndWhatWasExpected) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {R"({"destinations": {"x": {"path": "a"}}})", "destinations.x.type: required"},
      {R"({"destinations": {"x": {"type": "ftp"}}})",
       R"(destinations.x.type: expected "directory", "fhir" or "mllp", got "ftp")"},
      {R"({"destinations": {"x": {"type": "directory"}}})", "destinations.x.path: required"},
      {R"({"destinations": {"x": {"type": "fhir", "url": "ftp://a"}}})",
       "destinations.x.url: expected an http:// or https:// URL"},
      {R"({"destinations": {"x": {"type": "mllp", "host": "h"}}})", "destinations.x.port: required"},
      {R"({"destinations": {"x": {"type": "mllp", "host": "h", "port": 65536}}})",
       "destinations.x.port: expected an integer from 1 to 65535, got 65536"},
      {R"({"destinations": {"x": {"type": "directory", "path": "a", "url": "http://b"}}})",
       "destinations.x.url: applies to fhir destinations, not directory"},
      {R"({"destinations": {"x": {"type": "directory", "path": "a", "colour": 1}}})",
       "destinations.x.colour: unknown key"},
      {R"({"destinations": {"x": {"type": "directory", "path": "a", "concurrency": 0}}})",
       "destinations.x.concurrency: expected an integer from 1 to 256, got 0"},
      {R"({"destinations": {"x": {"type": "directory", "path": "a",
                                  "retry": {"initial_ms": 10, "max_ms": 5}}}})",
       "destinations.x.retry.max_ms: must be at least retry.initial_ms"},
      {R"({"destinations": {"x": {"type": "fhir", "url": "http://a", "token": "literal"}}})",
       "destinations.x.token: a secret must not be written in the configuration"},
      {R"({"destinations": {"x": {"type": "fhir", "url": "http://a", "ca_file": "nope.pem"}}})",
       "destinations.x.ca_file: expected a readable file"},
      {R"({"destinations": {"a b": {"type": "directory", "path": "a"}}})",
       "destinations: a destination name must be"},
      {R"({"routes": [{"destinations": ["nowhere"]}]})",
       R"(routes[0].destinations[0]: no destination named "nowhere" under destinations)"},
      {R"({"routes": [{"types": ["SIU"]}]})", "routes[0].destinations: at least one is required"},
      {R"({"routes": [{"destinations": ["outbox"], "type": "SIU"}]})",
       "routes[0].type: unknown key"},
      {R"({"routes": [{"destinations": ["outbox"], "types": "SIU"}]})",
       "routes[0].types: expected an array of strings"},
      {R"({"routes": [{"name": "a", "destinations": ["outbox"]},
                      {"name": "a", "destinations": ["outbox"]}]})",
       R"(routes[1].name: "a" names two routes)"},
      {R"({"routes": {}})", "routes: expected an array of routes"},
      {R"({"destinations": []})", "destinations: expected an object of destination names"},
  };
  for (const auto& [text, expected] : cases) {
    SCOPED_TRACE(text);
    EXPECT_THAT(errors(text), HasSubstr("site.json: " + expected));
  }
}

TEST_F(DeliveryConfigTest, SecretsAreNeverEchoed) {
  const std::string text =
      R"({"destinations": {"x": {"type": "fhir", "url": "http://a", "token": "s3cr3t-Q"}}})";
  EXPECT_THAT(errors(text), Not(HasSubstr("s3cr3t-Q")));
}

TEST_F(DeliveryConfigTest, SetReachesMembersAndWholeSections) {
  auto c = parse("{}", {"destinations.outbox.path=/tmp/elsewhere",
                        "destinations.outbox.retry.max_attempts=7",
                        R"(destinations.ehr={"type":"fhir","url":"http://127.0.0.1:9/fhir"})",
                        R"(routes=[{"types":["SIU"],"destinations":["ehr","outbox"]}])"});
  ASSERT_TRUE(c) << errors("{}");
  ASSERT_EQ(c->delivery.destinations.size(), 2u);
  EXPECT_EQ(c->delivery.destinations[0].path, "/tmp/elsewhere");
  EXPECT_EQ(c->delivery.destinations[0].retry.max_attempts, 7u);
  EXPECT_EQ(c->delivery.destinations[1].url, "http://127.0.0.1:9/fhir");
  ASSERT_EQ(c->delivery.routes.size(), 1u);
  EXPECT_EQ(c->delivery.routes[0].types, std::vector<std::string>{"SIU"});
  // A mistake made with --set is reported as such.
  EXPECT_THAT(errors("{}", {"destinations.outbox.concurrency=lots"}),
              HasSubstr("--set: destinations.outbox.concurrency: expected an integer"));
}

TEST(DeliveryConfigDocs, ReadmeAndSchemaDescribeEveryMember) {
  const std::string readme = read_file(kSource / "config/README.md");
  auto schema = fhir::parse(read_file(kSource / "config/schema.json"));
  ASSERT_TRUE(schema);
  const rapidjson::Value& defs = schema->root()["$defs"];
  std::set<std::string> in_schema;
  for (auto m = defs["destination"]["properties"].MemberBegin();
       m != defs["destination"]["properties"].MemberEnd(); ++m) {
    const std::string name(m->name.GetString());
    if (name == "retry") {
      for (auto r = m->value["properties"].MemberBegin(); r != m->value["properties"].MemberEnd();
           ++r) {
        in_schema.insert("retry." + std::string(r->name.GetString()));
      }
    } else {
      in_schema.insert(name);
    }
  }
  std::set<std::string> in_table;
  for (const config::MemberKey& k : config::destination_keys()) {
    in_table.insert(std::string(k.name));
    EXPECT_THAT(readme, HasSubstr("| `destinations.<name>." + std::string(k.name) + "` |"));
  }
  EXPECT_EQ(in_schema, in_table);
  std::set<std::string> route_schema, route_table;
  for (auto m = defs["route"]["properties"].MemberBegin(); m != defs["route"]["properties"].MemberEnd();
       ++m) {
    route_schema.insert(m->name.GetString());
  }
  for (const config::MemberKey& k : config::route_keys()) {
    route_table.insert(std::string(k.name));
    EXPECT_THAT(readme, HasSubstr("| `routes[]." + std::string(k.name) + "` |"));
  }
  EXPECT_EQ(route_schema, route_table);
}

}  // namespace
}  // namespace fcpgw::gateway
