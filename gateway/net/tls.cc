#include "gateway/net/tls.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <boost/asio/ip/address.hpp>
#include <cerrno>
#include <cstring>
#include <fstream>

namespace fcpgw::gateway::net {

namespace {

// Empty when `path` can be opened for reading, else why not.
std::string unreadable(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (f) return {};
  const int e = errno;
  return e != 0 ? std::strerror(e) : "cannot open";
}

bool set_min_version(ssl::context& ctx, const std::string& v, std::string& error) {
  int version = 0;
  if (v == "1.2") {
    version = TLS1_2_VERSION;
  } else if (v == "1.3") {
    version = TLS1_3_VERSION;
  } else {
    error = "tls.min_version: expected \"1.2\" or \"1.3\", got \"" + v + "\"";
    return false;
  }
  if (SSL_CTX_set_min_proto_version(ctx.native_handle(), version) != 1) {
    error = "cannot set the minimum TLS version " + v;
    return false;
  }
  return true;
}

// Loads a certificate chain and its key; `what` names the side ("server", "client").
bool load_identity(ssl::context& ctx, const std::string& cert_file, const std::string& key_file,
                   const std::string& passphrase, std::string& error) {
  boost::system::error_code ec;
  if (const std::string why = unreadable(cert_file); !why.empty()) {
    error = "cannot read certificate file " + cert_file + ": " + why;
    return false;
  }
  if (const std::string why = unreadable(key_file); !why.empty()) {
    error = "cannot read key file " + key_file + ": " + why;
    return false;
  }
  ctx.use_certificate_chain_file(cert_file, ec);
  if (ec) {
    error = "cannot load certificate chain " + cert_file + ": " + describe_tls_error(ec);
    return false;
  }
  // Always install a callback, so that an encrypted key without a passphrase fails instead
  // of prompting on the terminal.
  ctx.set_password_callback(
      [passphrase](std::size_t, ssl::context::password_purpose) { return passphrase; }, ec);
  if (!ec) ctx.use_private_key_file(key_file, ssl::context::pem, ec);
  if (ec) {
    error = "cannot load private key " + key_file + ": " + describe_tls_error(ec);
    return false;
  }
  return true;
}

bool load_ca(ssl::context& ctx, const std::string& ca_file, std::string& error) {
  if (const std::string why = unreadable(ca_file); !why.empty()) {
    error = "cannot read CA file " + ca_file + ": " + why;
    return false;
  }
  boost::system::error_code ec;
  ctx.load_verify_file(ca_file, ec);
  if (ec) {
    error = "cannot load CA file " + ca_file + ": " + describe_tls_error(ec);
    return false;
  }
  return true;
}

constexpr auto kOptions = ssl::context::default_workarounds | ssl::context::no_sslv2 |
                          ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                          ssl::context::no_tlsv1_1 | ssl::context::no_compression |
                          ssl::context::single_dh_use;

}  // namespace

std::string describe_tls_error(const boost::system::error_code& ec) {
  std::string s = ec.message();
  if (ec.category() == boost::asio::error::get_ssl_category()) {
    const char* lib = ERR_lib_error_string(static_cast<unsigned long>(ec.value()));
    if (lib != nullptr && s.find(lib) == std::string::npos) s += std::string(" (") + lib + ")";
  }
  ERR_clear_error();
  return s;
}

// The options and lowest protocol version every context has, server or client.
static bool set_protocol(ssl::context& ctx, const std::string& min_version, std::string& error) {
  boost::system::error_code ec;
  ctx.set_options(kOptions, ec);
  if (ec) {
    error = "cannot set TLS options: " + describe_tls_error(ec);
    return false;
  }
  return set_min_version(ctx, min_version, error);
}

std::optional<ssl::context> make_server_context(const config::Tls& tls, std::string& error) {
  ssl::context ctx(ssl::context::tls_server);
  boost::system::error_code ec;
  if (!set_protocol(ctx, tls.min_version, error)) return std::nullopt;
  if (tls.cert_file.empty() || tls.key_file.empty()) {
    error = "TLS is enabled but tls.cert_file or tls.key_file is not set";
    return std::nullopt;
  }
  if (!load_identity(ctx, tls.cert_file, tls.key_file, tls.key_passphrase, error)) {
    return std::nullopt;
  }
  if (tls.require_client_cert && tls.ca_file.empty()) {
    error = "tls.require_client_cert needs tls.ca_file (the CAs that sign client certificates)";
    return std::nullopt;
  }
  if (!tls.ca_file.empty()) {
    if (!load_ca(ctx, tls.ca_file, error)) return std::nullopt;
    // Tell clients which CAs we accept, so that they pick the right certificate.
    if (STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(tls.ca_file.c_str())) {
      SSL_CTX_set_client_CA_list(ctx.native_handle(), names);
    }
    ERR_clear_error();
    ssl::verify_mode mode = ssl::verify_peer;
    if (tls.require_client_cert) mode |= ssl::verify_fail_if_no_peer_cert;
    ctx.set_verify_mode(mode, ec);
    if (ec) {
      error = "cannot set client certificate verification: " + describe_tls_error(ec);
      return std::nullopt;
    }
  }
  return ctx;
}

std::optional<ssl::context> make_client_context(const ClientTls& tls, std::string& error) {
  ssl::context ctx(ssl::context::tls_client);
  boost::system::error_code ec;
  if (!set_protocol(ctx, tls.min_version, error)) return std::nullopt;
  if (!tls.ca_file.empty()) {
    if (!load_ca(ctx, tls.ca_file, error)) return std::nullopt;
  } else {
    ctx.set_default_verify_paths(ec);
    if (ec) {
      error = "cannot load the system's CA certificates: " + describe_tls_error(ec);
      return std::nullopt;
    }
  }
  if (!tls.cert_file.empty() || !tls.key_file.empty()) {
    if (tls.cert_file.empty() || tls.key_file.empty()) {
      error = "a client certificate needs both a certificate file and a key file";
      return std::nullopt;
    }
    if (!load_identity(ctx, tls.cert_file, tls.key_file, tls.key_passphrase, error)) {
      return std::nullopt;
    }
  }
  ctx.set_verify_mode(ssl::verify_peer, ec);
  if (ec) {
    error = "cannot set server certificate verification: " + describe_tls_error(ec);
    return std::nullopt;
  }
  return ctx;
}

namespace detail {

bool set_sni(SSL* ssl, const std::string& server_name, std::string& error) {
  boost::system::error_code ec;
  (void)boost::asio::ip::make_address(server_name, ec);
  if (!ec || server_name.empty()) return true;  // SNI carries DNS names only
  if (SSL_set_tlsext_host_name(ssl, server_name.c_str()) != 1) {
    error = "cannot set TLS server name " + server_name;
    ERR_clear_error();
    return false;
  }
  return true;
}

}  // namespace detail

}  // namespace fcpgw::gateway::net
