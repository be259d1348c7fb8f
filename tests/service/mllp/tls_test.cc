// The MLLP listener over TLS, with certificates made for the test by the openssl CLI: a test
// CA, a server certificate for localhost / 127.0.0.1 and a client certificate for mutual TLS.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "gateway/cli/send.h"
#include "gateway/mllp/client.h"
#include "support.h"

using namespace fcpgw::test;
namespace gw = fcpgw::gateway;
namespace fs = std::filesystem;

namespace {

class MllpTls : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ =
        new fs::path(fs::temp_directory_path() / ("fcpgw-mllp-tls-" + std::to_string(::getpid())));
    fs::create_directories(*dir_);
    const std::string d = dir_->string();
    std::ofstream(d + "/server.ext")
        << "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n";
    std::ofstream(d + "/client.ext") << "extendedKeyUsage=clientAuth\n";
    const std::string ec = " -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
    const std::string cmd =
        "cd " + d + " && (" + "openssl req -x509" + ec +
        " -keyout ca.key -out ca.pem -days 2 -subj /CN=fcpgw-test-ca" + " && openssl req" + ec +
        " -keyout server.key -out server.csr -subj /CN=localhost" +
        " && openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial" +
        " -out server.pem -days 2 -extfile server.ext" + " && openssl req" + ec +
        " -keyout client.key -out client.csr -subj /CN=test-client" +
        " && openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial" +
        " -out client.pem -days 2 -extfile client.ext" +
        " && openssl pkey -in server.key -aes256 -passout pass:secret -out server-enc.key" +
        ") >openssl.log 2>&1";
    ok_ = std::system(cmd.c_str()) == 0;
  }
  static void TearDownTestSuite() {
    std::error_code e;
    fs::remove_all(*dir_, e);
    delete dir_;
  }
  void SetUp() override { ASSERT_TRUE(ok_) << "openssl failed; see " << *dir_ << "/openssl.log"; }

  static std::string file(const char* name) { return (*dir_ / name).string(); }

  static gw::config::Mllp tls_config(bool require_client_cert) {
    auto cfg = test_config();
    cfg.listener.tls.enabled = true;
    cfg.listener.tls.cert_file = file("server.pem");
    cfg.listener.tls.key_file = file("server.key");
    if (require_client_cert) {
      cfg.listener.tls.ca_file = file("ca.pem");
      cfg.listener.tls.require_client_cert = true;
    }
    return cfg;
  }
  static gw::mllp::ClientOptions client_options(std::uint16_t port, bool with_cert) {
    gw::mllp::ClientOptions o;
    o.host = "127.0.0.1";
    o.port = port;
    o.timeout = 2000ms;
    o.tls = true;
    o.tls_files.ca_file = file("ca.pem");
    if (with_cert) {
      o.tls_files.cert_file = file("client.pem");
      o.tls_files.key_file = file("client.key");
    }
    return o;
  }

  static inline fs::path* dir_ = nullptr;
  static inline bool ok_ = false;
};

}  // namespace

TEST_F(MllpTls, MessageOverTls) {
  Harness h(tls_config(false));
  h.start();
  auto o = client_options(h.port(), false);
  o.server_name = "localhost";
  gw::mllp::MllpClient client(o);
  for (const char* id : {"T1", "T2"}) {  // one connection, two messages
    const auto r = client.send(v2_message(id));
    ASSERT_TRUE(r.ok()) << r.error;
    EXPECT_EQ(read_ack(r.ack).control_id, id);
  }
  EXPECT_EQ(h.metrics().connections_total.value(), 1u);
}

TEST_F(MllpTls, ServerCertificateCheckedAgainstTheIpAddress) {
  Harness h(tls_config(false));
  h.start();
  gw::mllp::MllpClient client(client_options(h.port(), false));  // server_name = host
  const auto r = client.send(v2_message("T3"));
  ASSERT_TRUE(r.ok()) << r.error;
}

TEST_F(MllpTls, WrongServerNameIsRefusedByTheClient) {
  Harness h(tls_config(false));
  h.start();
  auto o = client_options(h.port(), false);
  o.server_name = "other.example";
  gw::mllp::MllpClient client(o);
  const auto r = client.send(v2_message("T4"));
  EXPECT_EQ(r.status, gw::mllp::SendResult::Status::tls_failed) << r.error;
  EXPECT_NE(r.error.find("certificate verify failed"), std::string::npos) << r.error;
  EXPECT_EQ(h.intake.received().size(), 0u);
}

TEST_F(MllpTls, MutualTlsWithClientCertificate) {
  Harness h(tls_config(true));
  h.start();
  gw::mllp::MllpClient client(client_options(h.port(), true));
  const auto r = client.send(v2_message("T5"));
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(read_ack(r.ack).code, "AA");
}

TEST_F(MllpTls, ClientWithoutCertificateIsRefusedWhenRequired) {
  Harness h(tls_config(true));
  h.start();
  gw::mllp::MllpClient client(client_options(h.port(), false));
  const auto r = client.send(v2_message("T6"));
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(Harness::eventually([&] { return h.metrics().tls_failures.value() == 1; }));
  EXPECT_EQ(h.intake.received().size(), 0u);
}

TEST_F(MllpTls, PlainClientAgainstTlsListenerIsDropped) {
  Harness h(tls_config(false));
  h.start();
  RawClient c(h.port());
  ASSERT_TRUE(c.send_frame(v2_message("T7")));
  EXPECT_TRUE(c.closed_by_peer(1000ms));
  EXPECT_EQ(c.received().find("MSA"), std::string::npos);
  EXPECT_TRUE(Harness::eventually([&] { return h.metrics().tls_failures.value() == 1; }));
  EXPECT_EQ(h.intake.received().size(), 0u);
}

TEST_F(MllpTls, EncryptedKeyWithPassphrase) {
  auto cfg = tls_config(false);
  cfg.listener.tls.key_file = file("server-enc.key");
  cfg.listener.tls.key_passphrase = "secret";
  Harness h(cfg);
  h.start();
  gw::mllp::MllpClient client(client_options(h.port(), false));
  const auto r = client.send(v2_message("T8"));
  ASSERT_TRUE(r.ok()) << r.error;

  cfg.listener.tls.key_passphrase = "wrong";
  Harness bad(cfg);
  std::string error;
  EXPECT_FALSE(bad.start(error));
  EXPECT_EQ(
      error.rfind(
          "mllp listener 127.0.0.1:0: cannot load private key " + file("server-enc.key") + ": ", 0),
      0u)
      << error;
}

TEST_F(MllpTls, Tls13Minimum) {
  auto cfg = tls_config(false);
  cfg.listener.tls.min_version = "1.3";
  Harness h(cfg);
  h.start();
  auto o = client_options(h.port(), false);
  gw::mllp::MllpClient ok_client(o);
  EXPECT_TRUE(ok_client.send(v2_message("T9")).ok());
}

TEST_F(MllpTls, SendCommandOverMutualTls) {
  Harness h(tls_config(true));
  h.start();
  const std::string path = file("send-one.hl7");
  std::ofstream(path, std::ios::binary) << v2_message("T10");
  gw::cli::SendOptions o;
  o.port = h.port();
  o.timeout = 2000ms;
  o.tls = true;
  o.ca_file = file("ca.pem");
  o.cert_file = file("client.pem");
  o.key_file = file("client.key");
  o.server_name = "localhost";
  const std::vector<std::string> files{path};
  std::ostringstream out, err;
  EXPECT_EQ(gw::cli::run_send(files, o, out, err), 0) << err.str();
  EXPECT_EQ(out.str(), path + ": T10: AA\n");

  o.cert_file.clear();  // without a client certificate: refused, a connection failure
  o.key_file.clear();
  out.str("");
  EXPECT_EQ(gw::cli::run_send(files, o, out, err), 3);
  EXPECT_EQ(out.str(), "");
}
