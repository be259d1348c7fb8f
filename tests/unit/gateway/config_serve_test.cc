// The configuration of `fcpgw serve`: the listener, TLS, client, journal and log keys (each
// key type at its limit and one past it), secrets (from the environment or a file, never
// echoed), the rules between keys, `--set KEY=VALUE`, equality over every key, the
// production example, and `fcpgw config check`.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include "gateway/cli/config_check.h"
#include "gateway/config/config.h"
#include "test_support.h"

namespace fcpgw::gateway {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::read_file;

const fs::path kSource = FCPGW_SOURCE_DIR;

// A secret value no message may ever hold.
constexpr const char* kSecret = "s3cr3t-Value-7781";

std::string joined(const std::vector<ConfigError>& errors) {
  std::string s;
  for (const ConfigError& e : errors) s += to_string(e) + "\n";
  return s;
}

// Sets an environment variable for the life of the object.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) { ::setenv(name, value, 1); }
  ~ScopedEnv() { ::unsetenv(name_); }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
};

class ServeConfigTest : public testing::TempDirTest {
 protected:
  using Result = boost::system::result<Config, std::vector<ConfigError>>;

  Result parse(const std::string& text, std::vector<std::string> sets = {}) {
    return Config::parse(text, "site.json", dir_, sets);
  }
  // Every error of `text`, one "file: key: message" a line ("(accepted)" when none).
  std::string errors(const std::string& text, std::vector<std::string> sets = {}) {
    auto c = parse(text, std::move(sets));
    return c ? "(accepted)" : joined(c.error());
  }
};

// ---- defaults -------------------------------------------------------------------------------

TEST(ServeConfig, DefaultsWorkOnAFreshMachine) {
  const Config d = Config::defaults();
  EXPECT_TRUE(d.mllp.listener.enabled);
  EXPECT_EQ(d.mllp.listener.host, "127.0.0.1");
  EXPECT_EQ(d.mllp.listener.port, 2575);
  EXPECT_EQ(d.http.listener.host, "127.0.0.1");
  EXPECT_EQ(d.http.listener.port, 8080);
  EXPECT_FALSE(d.mllp.listener.tls.enabled);
  EXPECT_FALSE(d.http.listener.tls.enabled);
  EXPECT_TRUE(d.http.clients.empty());
  EXPECT_TRUE(d.http.admin_token.empty());
  EXPECT_EQ(d.journal.path, "var/journal.db");  // relative to the working directory
  EXPECT_EQ(d.journal.max_bytes, 0u);
  EXPECT_EQ(d.log.level, "info");
  EXPECT_EQ(d.mllp.listener.idle_timeout, std::chrono::minutes(5));
}

TEST_F(ServeConfigTest, JournalPathIsNotResolvedAgainstTheConfigFile) {
  auto c = parse(R"({"journal":{"path":"data/j.db"}})");
  ASSERT_TRUE(c) << joined(c.error());
  EXPECT_EQ(c->journal.path, "data/j.db");
}

// ---- equality: every key counts ---------------------------------------------------------------

TEST(ServeConfig, EqualityComparesTheMemberOfEveryKey) {
  const Config d = Config::defaults();
  for (const ConfigKey& k : config_keys()) {
    if (std::holds_alternative<std::monostate>(k.target)) continue;
    SCOPED_TRACE(std::string(k.path));
    Config c = d;
    std::visit(
        [&](auto at) {
          using F = decltype(at);
          if constexpr (!std::is_same_v<F, std::monostate>) {
            auto& v = at(c);
            using V = std::remove_cvref_t<decltype(v)>;
            if constexpr (std::is_same_v<V, bool>) {
              v = !v;
            } else if constexpr (std::is_integral_v<V>) {
              v = static_cast<V>(v + 1);
            } else if constexpr (std::is_same_v<V, std::string>) {
              v += "x";
            } else if constexpr (std::is_same_v<V, std::optional<std::string>>) {
              v = "elsewhere";
            } else if constexpr (std::is_same_v<V, std::vector<std::string>>) {
              v.push_back("10.0.0.1");
            } else if constexpr (std::is_same_v<V, config::Constants>) {
              v.set("id-base", "https://x.example/Id");
            } else if constexpr (std::is_same_v<V, std::vector<config::HttpClient>>) {
              v.push_back({"a", "t"});
            } else {
              v += V(1);  // a duration
            }
          }
        },
        k.target);
    EXPECT_FALSE(c == d);
  }
}

// ---- key types at the limit and one past it ---------------------------------------------------

TEST_F(ServeConfigTest, PortZeroAndTopAreAcceptedOnePastIsRefused) {
  auto zero = parse(R"({"listeners":{"mllp":{"port":0},"http":{"port":65535}}})");
  ASSERT_TRUE(zero) << joined(zero.error());
  EXPECT_EQ(zero->mllp.listener.port, 0);
  EXPECT_EQ(zero->http.listener.port, 65535);
  EXPECT_EQ(errors(R"({"listeners":{"http":{"port":65536}}})"),
            "site.json: listeners.http.port: expected a port number (0 to 65535, 0 = any free "
            "port), got 65536\n");
}

TEST_F(ServeConfigTest, DurationsAndCountsAtTheirBounds) {
  auto c = parse(
      R"({"listeners":{"mllp":{"idle_timeout_ms":1,"read_timeout_ms":86400000}},
          "journal":{"group_max_wait_us":0,"max_bytes":0,"retention_s":1}})");
  ASSERT_TRUE(c) << joined(c.error());
  EXPECT_EQ(c->mllp.listener.idle_timeout, std::chrono::milliseconds(1));
  EXPECT_EQ(c->mllp.listener.read_timeout, std::chrono::hours(24));
  EXPECT_EQ(c->journal.group_max_wait, std::chrono::microseconds(0));
  EXPECT_EQ(c->journal.retention, std::chrono::seconds(1));
  EXPECT_EQ(errors(R"({"listeners":{"mllp":{"idle_timeout_ms":0}}})"),
            "site.json: listeners.mllp.idle_timeout_ms: expected a whole number of milliseconds "
            "of at least 1, got 0\n");
  EXPECT_EQ(errors(R"({"journal":{"group_max_wait_us":1000001}})"),
            "site.json: journal.group_max_wait_us: expected a whole number of microseconds no "
            "greater than 1000000, got 1000001\n");
  EXPECT_EQ(errors(R"({"journal":{"max_bytes":-1}})"),
            "site.json: journal.max_bytes: expected a non-negative integer, got -1\n");
}

TEST_F(ServeConfigTest, EnumerationsTakeEachChoiceAndNothingElse) {
  for (const char* v : {"1.2", "1.3"}) {
    auto c = parse(std::string(R"({"listeners":{"http":{"tls":{"min_version":")") + v + "\"}}}}");
    ASSERT_TRUE(c) << joined(c.error());
    EXPECT_EQ(c->http.listener.tls.min_version, v);
  }
  for (const char* v : {"debug", "info", "warn", "error"}) {
    auto c = parse(std::string(R"({"log":{"level":")") + v + "\"}}");
    ASSERT_TRUE(c) << joined(c.error());
    EXPECT_EQ(c->log.level, v);
  }
  EXPECT_EQ(errors(R"({"listeners":{"http":{"tls":{"min_version":"1.1"}}}})"),
            "site.json: listeners.http.tls.min_version: expected \"1.2\" or \"1.3\", got "
            "\"1.1\"\n");
  EXPECT_EQ(errors(R"({"log":{"level":"INFO"}})"),
            "site.json: log.level: expected \"debug\", \"info\", \"warn\" or \"error\", got "
            "\"INFO\"\n");
}

TEST_F(ServeConfigTest, AllowListTakesAddressesAndRangesAtTheirPrefixLimits) {
  auto c = parse(
      R"({"listeners":{"mllp":{"allow":["10.0.0.1","10.0.0.0/8","0.0.0.0/0","192.0.2.0/32",
          "::1","fd00::/8","::/128"]}}})");
  ASSERT_TRUE(c) << joined(c.error());
  EXPECT_EQ(c->mllp.listener.allow.size(), 7u);
  EXPECT_EQ(c->mllp.listener.allow[1], "10.0.0.0/8");
  EXPECT_EQ(errors(R"({"listeners":{"mllp":{"allow":["10.0.0.1","10.0.0.0/33","::/129",
                      "host.example","10.0.0.0/",5]}}})"),
            "site.json: listeners.mllp.allow[1]: expected an IP address or CIDR range "
            "(\"10.0.0.0/8\", \"::1\"), got \"10.0.0.0/33\"\n"
            "site.json: listeners.mllp.allow[2]: expected an IP address or CIDR range "
            "(\"10.0.0.0/8\", \"::1\"), got \"::/129\"\n"
            "site.json: listeners.mllp.allow[3]: expected an IP address or CIDR range "
            "(\"10.0.0.0/8\", \"::1\"), got \"host.example\"\n"
            "site.json: listeners.mllp.allow[4]: expected an IP address or CIDR range "
            "(\"10.0.0.0/8\", \"::1\"), got \"10.0.0.0/\"\n"
            "site.json: listeners.mllp.allow[5]: expected an IP address or CIDR range "
            "(\"10.0.0.0/8\", \"::1\"), got 5\n");
}

TEST_F(ServeConfigTest, TlsFilesAreResolvedAgainstTheConfigFilesDirectoryAndMustBeReadable) {
  file("site/tls/server.crt", "CERT");
  file("site/tls/server.key", "KEY");
  const std::string cfg = file("site/gw.json", R"({"listeners":{"mllp":{"tls":{
      "enabled":true,"cert_file":"tls/server.crt","key_file":"tls/server.key"}}}})");
  auto c = Config::load(cfg);
  ASSERT_TRUE(c) << joined(c.error());
  EXPECT_TRUE(fs::equivalent(c->mllp.listener.tls.cert_file, dir_ / "site/tls/server.crt"));
  EXPECT_TRUE(fs::path(c->mllp.listener.tls.key_file).is_absolute());

  fs::create_directories(dir_ / "adir");
  EXPECT_EQ(errors(R"({"listeners":{"mllp":{"tls":{"ca_file":"none.pem"}}}})"),
            "site.json: listeners.mllp.tls.ca_file: expected a readable file, but \"" +
                (dir_ / "none.pem").string() + "\" does not exist\n");
  EXPECT_EQ(errors(R"({"listeners":{"mllp":{"tls":{"ca_file":"adir"}}}})"),
            "site.json: listeners.mllp.tls.ca_file: expected a readable file, but \"" +
                (dir_ / "adir").string() + "\" is a directory\n");
  if (::geteuid() != 0) {  // root reads anything
    const std::string locked = file("locked.pem", "x");
    fs::permissions(locked, fs::perms::none);
    EXPECT_THAT(errors(R"({"listeners":{"mllp":{"tls":{"ca_file":"locked.pem"}}}})"),
                HasSubstr("cannot be read"));
  }
}

// ---- secrets ----------------------------------------------------------------------------------

TEST_F(ServeConfigTest, SecretFromTheEnvironment) {
  ScopedEnv env("FCPGW_TEST_ADMIN", kSecret);
  auto c = parse(R"({"listeners":{"http":{"admin_token":"env:FCPGW_TEST_ADMIN"}}})");
  ASSERT_TRUE(c) << joined(c.error());
  EXPECT_EQ(c->http.admin_token, kSecret);
  EXPECT_EQ(errors(R"({"listeners":{"http":{"admin_token":"env:FCPGW_TEST_UNSET_VAR"}}})"),
            "site.json: listeners.http.admin_token: environment variable FCPGW_TEST_UNSET_VAR "
            "is not set\n");
  ScopedEnv empty("FCPGW_TEST_EMPTY", "");
  EXPECT_EQ(errors(R"({"listeners":{"http":{"admin_token":"env:FCPGW_TEST_EMPTY"}}})"),
            "site.json: listeners.http.admin_token: environment variable FCPGW_TEST_EMPTY is "
            "empty\n");
  EXPECT_THAT(errors(R"({"listeners":{"http":{"admin_token":"env:1BAD NAME"}}})"),
              AllOf(HasSubstr("expected an environment variable name"), Not(HasSubstr("1BAD"))));
}

TEST_F(ServeConfigTest, SecretFromAFileWithoutItsTrailingNewline) {
  file("secrets/pass", std::string(kSecret) + "\r\n");
  auto c = parse(R"({"listeners":{"mllp":{"tls":{"key_passphrase":"file:secrets/pass"}}}})");
  ASSERT_TRUE(c) << joined(c.error());
  EXPECT_EQ(c->mllp.listener.tls.key_passphrase, kSecret);
  EXPECT_EQ(errors(R"({"listeners":{"mllp":{"tls":{"key_passphrase":"file:secrets/none"}}}})"),
            "site.json: listeners.mllp.tls.key_passphrase: expected a readable file, but \"" +
                (dir_ / "secrets/none").string() + "\" does not exist\n");
  file("secrets/blank", "\n");
  EXPECT_EQ(errors(R"({"listeners":{"mllp":{"tls":{"key_passphrase":"file:secrets/blank"}}}})"),
            "site.json: listeners.mllp.tls.key_passphrase: secret file \"" +
                (dir_ / "secrets/blank").string() + "\" is empty\n");
}

TEST_F(ServeConfigTest, LiteralSecretsAreRefusedWithoutBeingEchoed) {
  const std::string e = errors(std::string(R"({"listeners":{"http":{"admin_token":")") + kSecret +
                               R"(","clients":{"ehr":")" + kSecret + "\"}}}}");
  EXPECT_EQ(e,
            "site.json: listeners.http.admin_token: a secret must not be written in the "
            "configuration: give \"env:NAME\" (an environment variable) or \"file:PATH\" (a file "
            "holding it)\n"
            "site.json: listeners.http.clients.ehr: a secret must not be written in the "
            "configuration: give \"env:NAME\" (an environment variable) or \"file:PATH\" (a file "
            "holding it)\n");
  // Nor a number that could be one.
  EXPECT_EQ(errors(R"({"listeners":{"http":{"admin_token":778123}}})"),
            "site.json: listeners.http.admin_token: expected a secret reference (\"env:NAME\" "
            "(an environment variable) or \"file:PATH\" (a file holding it)), got a number\n");
}

TEST_F(ServeConfigTest, ClientsInFileOrderEachWithItsOwnToken) {
  ScopedEnv a("FCPGW_TEST_TOKEN_A", kSecret);
  ScopedEnv b("FCPGW_TEST_TOKEN_B", "other-token");
  file("b.token", "file-token\n");
  auto c = parse(R"({"listeners":{"http":{"clients":{"ehr":"env:FCPGW_TEST_TOKEN_A",
      "portal":"file:b.token","lab":"env:FCPGW_TEST_TOKEN_B"}}}})");
  ASSERT_TRUE(c) << joined(c.error());
  ASSERT_EQ(c->http.clients.size(), 3u);
  EXPECT_EQ(c->http.clients[0], (config::HttpClient{"ehr", kSecret}));
  EXPECT_EQ(c->http.clients[1], (config::HttpClient{"portal", "file-token"}));
  EXPECT_EQ(c->http.clients[2].name, "lab");
  // Two clients with one token could not be told apart; the message names no token.
  const std::string dup = errors(R"({"listeners":{"http":{"clients":{
      "ehr":"env:FCPGW_TEST_TOKEN_A","again":"env:FCPGW_TEST_TOKEN_A"}}}})");
  EXPECT_EQ(dup, "site.json: listeners.http.clients.again: has the same token as client \"ehr\"\n");
  EXPECT_EQ(errors(R"({"listeners":{"http":{"clients":{"ehr":""}}}})"),
            "site.json: listeners.http.clients.ehr: a client needs a token: \"env:NAME\" or "
            "\"file:PATH\"\n");
  EXPECT_EQ(errors(R"({"listeners":{"http":{"clients":{"":"env:FCPGW_TEST_TOKEN_A"}}}})"),
            "site.json: listeners.http.clients: a client name is empty\n");
}

TEST_F(ServeConfigTest, NoMessageEverHoldsASecretValue) {
  ScopedEnv env("FCPGW_TEST_TOKEN", kSecret);
  file("tok", kSecret);
  const std::vector<std::string> texts = {
      R"({"listeners":{"http":{"clients":{"a":"env:FCPGW_TEST_TOKEN","b":"file:tok"}}}})",
      R"({"listeners":{"http":{"clients":{"a":"env:FCPGW_TEST_TOKEN"},"admin_token":5}}})",
      R"({"listeners":{"http":{"admin_token":"env:FCPGW_TEST_TOKEN","prot":1}}})",
      std::string(R"({"listeners":{"http":{"admin_token":")") + kSecret + "\"}}}",
      std::string(R"({"listeners":{"mllp":{"tls":{"key_passphrase":")") + kSecret + "\"}}}}",
  };
  for (const std::string& t : texts) {
    SCOPED_TRACE(t);
    auto c = parse(t);
    ASSERT_FALSE(c);
    EXPECT_THAT(joined(c.error()), Not(HasSubstr(kSecret)));
  }
  auto s = parse("{}", {std::string("listeners.http.admin_token=") + kSecret});
  ASSERT_FALSE(s);
  EXPECT_THAT(joined(s.error()), AllOf(HasSubstr("--set: listeners.http.admin_token: a secret "
                                                 "must not be written"),
                                       Not(HasSubstr(kSecret))));
}

// ---- rules between keys -----------------------------------------------------------------------

TEST_F(ServeConfigTest, TlsNeedsACertificateAndKeyAndClientCertsNeedTlsAndACa) {
  EXPECT_EQ(errors(R"({"listeners":{"mllp":{"tls":{"enabled":true}}}})"),
            "site.json: listeners.mllp.tls.cert_file: required when listeners.mllp.tls.enabled "
            "is true\n"
            "site.json: listeners.mllp.tls.key_file: required when listeners.mllp.tls.enabled is "
            "true\n");
  EXPECT_EQ(errors(R"({"listeners":{"http":{"tls":{"require_client_cert":true}}}})"),
            "site.json: listeners.http.tls.require_client_cert: needs "
            "listeners.http.tls.enabled to be true\n"
            "site.json: listeners.http.tls.ca_file: required when "
            "listeners.http.tls.require_client_cert is true\n");
  file("c.pem", "x");
  auto ok = parse(R"({"listeners":{"http":{"tls":{"enabled":true,"cert_file":"c.pem",
      "key_file":"c.pem","ca_file":"c.pem","require_client_cert":true}}}})");
  EXPECT_TRUE(ok) << joined(ok.error());
}

// ---- --set ------------------------------------------------------------------------------------

TEST_F(ServeConfigTest, SetOverridesNumbersStringsArraysAndMapMembers) {
  auto c = parse(R"({"listeners":{"mllp":{"port":3000}}})",
                 {"listeners.mllp.port=0", "journal.path=/tmp/j.db",
                  R"(listeners.http.allow=["10.0.0.0/8","::1"])", "listeners.http.enabled=false",
                  "listeners.mllp.tls.min_version=1.3", R"(log.level="warn")",
                  "mappings.constants.fcp.codesystem-base=https://x.example",
                  "listeners.http.port=1", "listeners.http.port=2"});
  ASSERT_TRUE(c) << joined(c.error());
  EXPECT_EQ(c->mllp.listener.port, 0);
  EXPECT_EQ(c->journal.path, "/tmp/j.db");
  EXPECT_EQ(c->http.listener.allow, (std::vector<std::string>{"10.0.0.0/8", "::1"}));
  EXPECT_FALSE(c->http.listener.enabled);
  EXPECT_EQ(c->mllp.listener.tls.min_version, "1.3");
  EXPECT_EQ(c->log.level, "warn");
  ASSERT_EQ(c->constants().values.size(), 1u);
  EXPECT_EQ(c->constants().values[0],
            std::make_pair(std::string("fcp.codesystem-base"), std::string("https://x.example")));
  EXPECT_EQ(c->http.listener.port, 2);  // the last one wins
}

TEST_F(ServeConfigTest, SetReplacesABadValueInTheFileAndItsOwnBadValuesSaySo) {
  EXPECT_EQ(errors(R"({"listeners":{"mllp":{"port":"x"}}})", {"listeners.mllp.port=1"}),
            "(accepted)");
  EXPECT_EQ(errors(R"({"listeners":5})", {"listeners.mllp.port=1"}), "(accepted)");
  EXPECT_EQ(errors("{}", {"listeners.mllp.port=abc"}),
            "--set: listeners.mllp.port: expected a port number (0 to 65535, 0 = any free port), "
            "got \"abc\"\n");
  EXPECT_EQ(errors("{}", {"listeners.mllp.port=65536"}),
            "--set: listeners.mllp.port: expected a port number (0 to 65535, 0 = any free port), "
            "got 65536\n");
  EXPECT_EQ(errors("{}", {"listeners.mllp.tls.enabled=true"}),
            "site.json: listeners.mllp.tls.cert_file: required when listeners.mllp.tls.enabled "
            "is true\n"
            "site.json: listeners.mllp.tls.key_file: required when listeners.mllp.tls.enabled is "
            "true\n");
  EXPECT_EQ(errors("{}", {R"(listeners.mllp={"prot":1})"}),
            "--set: listeners.mllp.prot: unknown key (did you mean \"port\"?)\n");
}

TEST_F(ServeConfigTest, SetUnknownKeysAndMalformedOverridesAreErrors) {
  EXPECT_EQ(errors("{}", {"listeners.mllp.prot=1"}),
            "--set: listeners.mllp.prot: unknown key (did you mean \"port\"?)\n");
  EXPECT_EQ(errors("{}", {"jornal.path=x"}),
            "--set: jornal.path: unknown key (did you mean \"journal.path\"?)\n");
  EXPECT_EQ(errors("{}", {"journal.paht=x"}),
            "--set: journal.paht: unknown key (did you mean \"path\"?)\n");
  EXPECT_EQ(errors("{}", {"journal.path"}),
            "--set: expected KEY=VALUE (e.g. listeners.mllp.port=0), got \"journal.path\"\n");
  EXPECT_EQ(errors("{}", {"=5"}),
            "--set: expected KEY=VALUE (e.g. listeners.mllp.port=0), got \"=5\"\n");
  EXPECT_EQ(errors("{}", {"listeners..port=5"}),
            "--set: listeners..port: unknown key (did you mean \"listeners.mllp.port\"?)\n");
  // Every bad override is reported, and the file is not read until they are right.
  auto c = parse(R"({"x":1})", {"a=1", "b"});
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().size(), 2u) << joined(c.error());
}

TEST_F(ServeConfigTest, SetWorksWithoutAFile) {
  const std::vector<std::string> sets = {"listeners.mllp.port=0", "listeners.http.port=0",
                                         "journal.path=" + path("j.db")};
  auto c = Config::load("", sets);
  ASSERT_TRUE(c) << joined(c.error());
  EXPECT_EQ(c->source(), "built-in defaults");
  EXPECT_EQ(c->mllp.listener.port, 0);
  EXPECT_EQ(c->journal.path, path("j.db"));
  EXPECT_TRUE(*Config::load("") == Config::defaults());
}

// ---- the production example -------------------------------------------------------------------

TEST_F(ServeConfigTest, ProductionExampleLoadsWithItsSecretsAndFilesInPlace) {
  const std::string text = read_file(kSource / "config/production-example.json");
  const std::string cfg = file("etc/fcpgw.json", text);
  fs::create_directories(dir_ / "etc/mappings");
  for (const char* f : {"tls/mllp.crt", "tls/mllp.key", "tls/pas-clients-ca.crt", "tls/https.crt",
                        "tls/https.key"}) {
    file(std::string("etc/") + f, "PEM");
  }
  file("etc/secrets/fitnote-portal.token", "portal-token\n");
  file("etc/secrets/admin.token", "admin-token\n");
  ScopedEnv pass("FCPGW_MLLP_KEY_PASSPHRASE", "passphrase");
  ScopedEnv ehr("FCPGW_TOKEN_EHR", "ehr-token");
  auto c = Config::load(cfg);
  ASSERT_TRUE(c) << joined(c.error());
  EXPECT_TRUE(c->mllp.listener.tls.require_client_cert);
  EXPECT_EQ(c->mllp.listener.tls.key_passphrase, "passphrase");
  EXPECT_EQ(c->http.listener.tls.min_version, "1.3");
  ASSERT_EQ(c->http.clients.size(), 2u);
  EXPECT_EQ(c->http.clients[1].token, "portal-token");
  EXPECT_EQ(c->http.admin_token, "admin-token");
  EXPECT_FALSE(*c == Config::defaults());
}

// ---- fcpgw config check -----------------------------------------------------------------------

TEST_F(ServeConfigTest, ConfigCheckSaysOkWithASummaryAndNoSecrets) {
  ScopedEnv env("FCPGW_TEST_TOKEN", kSecret);
  const std::string cfg = file("gw.json", R"({"listeners":{"http":{"port":0,
      "clients":{"a":"env:FCPGW_TEST_TOKEN"},"admin_token":"env:FCPGW_TEST_TOKEN"},
      "mllp":{"host":"::1","allow":["::1"]}}})");
  std::ostringstream out, err;
  const std::vector<std::string> sets = {"journal.path=/tmp/x.db"};
  EXPECT_EQ(run_config_check(cfg, sets, out, err), 0);
  EXPECT_EQ(err.str(), "");
  EXPECT_EQ(out.str(), cfg +
                           ": ok\nmllp [::1]:2575 allow=1; http 127.0.0.1:0 clients=1 admin-token; "
                           "journal /tmp/x.db; log info\n");
  EXPECT_THAT(out.str(), Not(HasSubstr(kSecret)));
}

TEST_F(ServeConfigTest, ConfigCheckPrintsEveryProblemAndExits2) {
  const std::string cfg = file("gw.json", R"({"listeners":{"mllp":{"port":-1},"htp":{}}})");
  std::ostringstream out, err;
  EXPECT_EQ(run_config_check(cfg, {}, out, err), 2);
  EXPECT_EQ(out.str(), "");
  EXPECT_EQ(err.str(), "fcpgw: " + cfg +
                           ": listeners.mllp.port: expected a port number (0 to 65535, 0 = any "
                           "free port), got -1\n"
                           "fcpgw: " +
                           cfg + ": listeners.htp: unknown key (did you mean \"http\"?)\n");
  std::ostringstream out2, err2;
  EXPECT_EQ(run_config_check(path("none.json"), {}, out2, err2), 2);
  EXPECT_EQ(err2.str(), "fcpgw: " + path("none.json") + ": no such file\n");
}

}  // namespace
}  // namespace fcpgw::gateway
