// Failures of TLS set-up that need no certificate: each names what is wrong. (Contexts with
// real certificates are exercised by the MLLP service tests.)
#include "gateway/net/tls.h"

#include <gtest/gtest.h>

using namespace fcpgw::gateway;

TEST(Tls, ServerNeedsCertificateAndKey) {
  config::Tls tls;
  tls.enabled = true;
  std::string error;
  EXPECT_FALSE(net::make_server_context(tls, error).has_value());
  EXPECT_EQ(error, "TLS is enabled but tls.cert_file or tls.key_file is not set");
}

TEST(Tls, MissingFileIsNamed) {
  config::Tls tls;
  tls.cert_file = "/nonexistent/server.pem";
  tls.key_file = "/nonexistent/server.key";
  std::string error;
  EXPECT_FALSE(net::make_server_context(tls, error).has_value());
  EXPECT_EQ(error,
            "cannot read certificate file /nonexistent/server.pem: No such file or directory");
}

TEST(Tls, BadMinVersion) {
  config::Tls tls;
  tls.min_version = "1.1";
  std::string error;
  EXPECT_FALSE(net::make_server_context(tls, error).has_value());
  EXPECT_EQ(error, "tls.min_version: expected \"1.2\" or \"1.3\", got \"1.1\"");
  net::ClientTls client;
  client.min_version = "TLSv1";
  EXPECT_FALSE(net::make_client_context(client, error).has_value());
  EXPECT_EQ(error, "tls.min_version: expected \"1.2\" or \"1.3\", got \"TLSv1\"");
}

TEST(Tls, ClientCertificateNeedsKey) {
  net::ClientTls client;
  client.cert_file = "/tmp/x.pem";
  std::string error;
  EXPECT_FALSE(net::make_client_context(client, error).has_value());
  EXPECT_EQ(error, "a client certificate needs both a certificate file and a key file");
}

TEST(Tls, ClientContextWithSystemCas) {
  std::string error;
  EXPECT_TRUE(net::make_client_context(net::ClientTls{}, error).has_value()) << error;
}

TEST(Tls, NotAFileOfCertificates) {
  config::Tls tls;
  tls.cert_file = FCPGW_SOURCE_DIR "/CMakeLists.txt";
  tls.key_file = FCPGW_SOURCE_DIR "/CMakeLists.txt";
  std::string error;
  EXPECT_FALSE(net::make_server_context(tls, error).has_value());
  EXPECT_EQ(error.rfind("cannot load certificate chain " FCPGW_SOURCE_DIR "/CMakeLists.txt: ", 0),
            0u)
      << error;
}
