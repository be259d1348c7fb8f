#pragma once
// TLS contexts for listeners (server side, from config::Tls) and for outbound connections
// (the MLLP client, later delivery). Failures are returned as readable text naming the file
// and OpenSSL's reason; nothing here throws.

#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/system/error_code.hpp>
#include <optional>
#include <string>

#include "gateway/config/sections.h"

namespace fcpgw::gateway::net {

namespace ssl = boost::asio::ssl;

/// A server context: TLS `tls.min_version` or later, the certificate chain and key (with the
/// passphrase when set), and, when `tls.ca_file` is set, verification of client certificates
/// against it (required when `tls.require_client_cert`). nullopt and `error` on failure.
[[nodiscard]] std::optional<ssl::context> make_server_context(const config::Tls& tls,
                                                              std::string& error);

/// What an outbound TLS connection uses.
struct ClientTls {
  std::string ca_file;         ///< PEM CAs to verify the server; empty = the system's default
  std::string cert_file;       ///< client certificate chain for mutual TLS (optional)
  std::string key_file;        ///< its private key (required with cert_file)
  std::string key_passphrase;  ///< empty = none
  std::string min_version = "1.2";
};

/// A client context that verifies the server's certificate chain. The host name is checked
/// per connection by prepare_client_stream(). nullopt and `error` on failure.
[[nodiscard]] std::optional<ssl::context> make_client_context(const ClientTls& tls,
                                                              std::string& error);

/// Sets SNI (for a DNS name) and host name verification (DNS name or IP address) on a client
/// stream before its handshake. False and `error` on failure.
/// `SslStream` is an ssl::stream or a beast::ssl_stream.
template <class SslStream>
bool prepare_client_stream(SslStream& stream, const std::string& server_name, std::string& error);

/// Text for a TLS/OpenSSL error code, with the library's reason when there is one.
[[nodiscard]] std::string describe_tls_error(const boost::system::error_code& ec);

// ---------------------------------------------------------------------------------------

namespace detail {
bool set_sni(SSL* ssl, const std::string& server_name, std::string& error);
}

template <class SslStream>
bool prepare_client_stream(SslStream& stream, const std::string& server_name, std::string& error) {
  if (!detail::set_sni(stream.native_handle(), server_name, error)) return false;
  boost::system::error_code ec;
  stream.set_verify_mode(ssl::verify_peer, ec);
  if (!ec) stream.set_verify_callback(ssl::host_name_verification(server_name), ec);
  if (ec) {
    error = "cannot set up verification of " + server_name + ": " + describe_tls_error(ec);
    return false;
  }
  return true;
}

}  // namespace fcpgw::gateway::net
