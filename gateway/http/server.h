#pragma once
// The HTTP listener of `fcpgw serve`: FHIR R4 and HL7 v2 over HTTP/1.1 (plain or TLS), the
// journal status of accepted work, health probes and metrics. It frames requests and enforces
// transport limits (connections, allow list, header and body size, timeouts, bearer tokens);
// what a message means is decided behind service::Intake.
//
// app/ builds the TLS context (net/tls.h) and the allow list (net/allow_list.h) and passes them
// in, so this room depends on neither:
//
//   HttpServer http(ioc, cfg.http, intake, registry, tls_ctx_or_null,
//                   [&allow](const auto& a) { return allow.allows(a); });
//   if (auto err = http.start(); !err.empty()) { /* refuse to start: err names host:port */ }
//   ...
//   http.stop();  // drain: no new connections, in-flight requests finish, then close

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <functional>
#include <memory>
#include <string>

#include "gateway/config/sections.h"
#include "gateway/observability/metrics.h"
#include "gateway/service/admin.h"
#include "gateway/service/intake.h"

namespace fcpgw::gateway::http {

class HttpServer {
 public:
  /// True when a peer may connect; null = any peer.
  using AllowFn = std::function<bool(const boost::asio::ip::address&)>;

  /// Nothing is opened yet. `config` is copied; `intake` and `registry` must outlive the server
  /// and its sessions. `tls` null = plain TCP. Handlers run on `ioc`'s threads, one strand per
  /// connection.
  HttpServer(boost::asio::io_context& ioc, const config::Http& config, service::Intake& intake,
             observability::Registry& registry, std::shared_ptr<boost::asio::ssl::context> tls,
             AllowFn allow, service::Admin* admin = nullptr);
  /// Calls stop().
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  /// Opens, binds and listens on config.listener.host:port (port 0: an ephemeral port) and
  /// starts accepting. Returns "" on success, else what failed ("bind 127.0.0.1:8080: Address
  /// already in use").
  std::string start();

  /// The bound address (the real port when 0 was asked for). Valid after a successful start().
  boost::asio::ip::tcp::endpoint local_endpoint() const;

  /// Thread-safe, idempotent. Stops accepting; idle connections close now; a connection with a
  /// request in flight answers it (Connection: close) and then closes.
  void stop();

  /// Connections open now.
  std::size_t open_connections() const;

 private:
  class Acceptor;
  std::shared_ptr<Acceptor> acceptor_;
};

}  // namespace fcpgw::gateway::http
