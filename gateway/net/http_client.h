#pragma once
// A synchronous HTTP/1.1 client for one origin: keeps its connection alive between requests,
// speaks TLS (server certificate and host name checked, optional client certificate) and
// bounds every wait. For FHIR delivery; one client per worker thread, no locks. Nothing here
// throws.

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gateway/net/tls.h"

namespace fcpgw::gateway::net {

/// An http:// or https:// URL taken apart.
struct HttpUrl {
  bool tls = false;
  std::string host;  ///< without brackets for IPv6 literals
  std::uint16_t port = 0;
  std::string path;  ///< without a trailing slash; "" for the root

  /// Parses "http[s]://host[:port][/path]"; no user info, query or fragment. nullopt and
  /// `error` (what is wrong) otherwise.
  [[nodiscard]] static std::optional<HttpUrl> parse(std::string_view url, std::string& error);
  /// "host:port" ("[::1]:8080"), for messages and the Host header.
  [[nodiscard]] std::string authority() const;
  /// "http://host:port/path", never with credentials.
  [[nodiscard]] std::string str() const;
};

struct HttpClientOptions {
  HttpUrl origin;                            ///< scheme, host and port (path unused)
  std::chrono::milliseconds connect_timeout{5'000};   ///< resolve, connect, TLS handshake
  std::chrono::milliseconds response_timeout{30'000};  ///< write the request, read the response
  std::string server_name;                  ///< checked in the certificate; "" = host
  std::size_t max_response_bytes = 8 * 1024 * 1024;
};

struct HttpRequest {
  std::string method = "POST";
  std::string target;  ///< origin-form: "/fhir/$process-message"
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct HttpResponse {
  enum class Status : std::uint8_t {
    ok,              ///< `code`, `headers` and `body` hold the answer
    connect_failed,  ///< not resolved, refused, unreachable
    tls_failed,      ///< TLS set-up or handshake (certificate, name, protocol)
    timeout,         ///< no connection or no complete answer in time
    closed,          ///< the peer closed or reset the connection before a complete answer
    io_error,        ///< another read/write failure
    bad_answer,      ///< not HTTP, or larger than max_response_bytes
  };
  Status status = Status::ok;
  int code = 0;  ///< HTTP status
  std::vector<std::pair<std::string, std::string>> headers;  ///< names in lower case
  std::string body;
  std::string error;  ///< what failed, naming the origin
  /// True when the whole request was written: the receiver may have acted on it.
  bool request_sent = false;

  [[nodiscard]] bool ok() const noexcept { return status == Status::ok; }
  /// The first header of that (lower-case) name, or "".
  [[nodiscard]] std::string_view header(std::string_view name) const noexcept;
};

class HttpClient {
 public:
  /// `tls_context` (required for an https origin) must outlive the client; it may be shared
  /// by several clients.
  HttpClient(HttpClientOptions options, ssl::context* tls_context);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  /// Sends one request and reads its answer, connecting first when needed. When a kept
  /// connection turns out to be closed by the peer before any byte of an answer (its idle
  /// timeout), connects again and sends once more. The connection is kept when both sides
  /// allow keep-alive, and closed after any failure.
  HttpResponse send(const HttpRequest& request);
  void close();

 private:
  struct Streams;
  HttpResponse fail(HttpResponse::Status status, std::string error, bool sent = false);
  HttpResponse connect();
  HttpResponse exchange(const HttpRequest& request);

  HttpClientOptions options_;
  ssl::context* tls_context_;
  boost::asio::io_context ioc_;
  std::unique_ptr<Streams> streams_;
  bool answer_started_ = false;
};

/// The pause a Retry-After header asks for: delta-seconds or an HTTP-date (relative to
/// `now`). nullopt when absent or unreadable; a date in the past gives zero.
[[nodiscard]] std::optional<std::chrono::milliseconds> parse_retry_after(
    std::string_view value, std::chrono::system_clock::time_point now);

}  // namespace fcpgw::gateway::net
