#include "gateway/net/http_client.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <cctype>
#include <charconv>
#include <ctime>

namespace fcpgw::gateway::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;
using Status = HttpResponse::Status;

// ---------------------------------------------------------------------------------------
// URLs

std::optional<HttpUrl> HttpUrl::parse(std::string_view url, std::string& error) {
  HttpUrl u;
  std::string_view rest;
  if (url.starts_with("https://")) {
    u.tls = true;
    rest = url.substr(8);
  } else if (url.starts_with("http://")) {
    rest = url.substr(7);
  } else {
    error = "expected a URL starting with http:// or https://";
    return std::nullopt;
  }
  const std::size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash);
  if (authority.find('@') != std::string_view::npos) {
    error = "user names and passwords do not belong in the URL (use the token)";
    return std::nullopt;
  }
  if (path.find_first_of("?#") != std::string_view::npos) {
    error = "a FHIR base URL has no query or fragment";
    return std::nullopt;
  }
  std::string_view port_text;
  if (authority.starts_with('[')) {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      error = "unclosed [ in the host";
      return std::nullopt;
    }
    u.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        error = "unexpected text after the host";
        return std::nullopt;
      }
      port_text = after.substr(1);
    }
  } else {
    const std::size_t colon = authority.rfind(':');
    u.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (u.host.empty()) {
    error = "no host";
    return std::nullopt;
  }
  u.port = u.tls ? 443 : 80;
  if (!port_text.empty() || authority.ends_with(':')) {
    unsigned p = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), p);
    if (ec != std::errc{} || end != port_text.data() + port_text.size() || p == 0 || p > 65535) {
      error = "the port must be from 1 to 65535";
      return std::nullopt;
    }
    u.port = static_cast<std::uint16_t>(p);
  }
  while (path.ends_with('/')) path.remove_suffix(1);
  u.path = std::string(path);
  return u;
}

std::string HttpUrl::authority() const {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::string HttpUrl::str() const {
  return (tls ? "https://" : "http://") + authority() + path;
}

std::string_view HttpResponse::header(std::string_view name) const noexcept {
  for (const auto& [k, v] : headers) {
    if (k == name) return v;
  }
  return {};
}

// ---------------------------------------------------------------------------------------
// The client

struct HttpClient::Streams {
  std::unique_ptr<beast::tcp_stream> plain;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> tls;
  beast::flat_buffer buffer;

  beast::tcp_stream& lowest() { return tls ? beast::get_lowest_layer(*tls) : *plain; }
  template <class F>
  void visit(F&& f) {
    if (tls) {
      f(*tls);
    } else {
      f(*plain);
    }
  }
};

namespace {

std::string ms(std::chrono::milliseconds d) { return std::to_string(d.count()) + " ms"; }

bool is_closed(const beast::error_code& ec) {
  return ec == asio::error::eof || ec == asio::error::connection_reset ||
         ec == asio::error::broken_pipe || ec == asio::ssl::error::stream_truncated ||
         ec == http::error::end_of_stream || ec == http::error::partial_message;
}

}  // namespace

HttpClient::HttpClient(HttpClientOptions options, ssl::context* tls_context)
    : options_(std::move(options)), tls_context_(tls_context) {}

HttpClient::~HttpClient() { close(); }

void HttpClient::close() {
  if (!streams_) return;
  beast::error_code ec;
  streams_->lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
  streams_->lowest().close();
  streams_.reset();
  ioc_.restart();
  ioc_.run();  // let cancelled handlers finish, so the next connect starts clean
}

HttpResponse HttpClient::fail(Status status, std::string error, bool sent) {
  close();
  HttpResponse r;
  r.status = status;
  r.error = std::move(error);
  r.request_sent = sent;
  return r;
}

HttpResponse HttpClient::connect() {
  close();
  const std::string where = options_.origin.authority();
  const auto timeout = options_.connect_timeout;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  if (options_.origin.tls && tls_context_ == nullptr) {
    return fail(Status::tls_failed, "no TLS context for https://" + where);
  }

  tcp::resolver resolver(ioc_);
  beast::error_code ec;
  tcp::resolver::results_type results;
  bool resolved = false;
  resolver.async_resolve(options_.origin.host, std::to_string(options_.origin.port),
                         [&](beast::error_code e, tcp::resolver::results_type r) {
                           ec = e;
                           results = std::move(r);
                           resolved = true;
                         });
  ioc_.restart();
  ioc_.run_for(timeout);
  if (!resolved) {
    resolver.cancel();
    ioc_.restart();
    ioc_.run();
    return fail(Status::timeout, "cannot connect to " + where + ": name not resolved within " +
                                     ms(timeout));
  }
  if (ec) return fail(Status::connect_failed, "cannot resolve " + where + ": " + ec.message());

  streams_ = std::make_unique<Streams>();
  if (options_.origin.tls) {
    streams_->tls = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(ioc_, *tls_context_);
  } else {
    streams_->plain = std::make_unique<beast::tcp_stream>(ioc_);
  }
  beast::tcp_stream& tcp = streams_->lowest();
  tcp.expires_at(deadline);
  tcp.async_connect(results, [&](beast::error_code e, const tcp::endpoint&) { ec = e; });
  ioc_.restart();
  ioc_.run();
  if (ec == beast::error::timeout) {
    return fail(Status::timeout, "cannot connect to " + where + ": no answer within " + ms(timeout));
  }
  if (ec) return fail(Status::connect_failed, "cannot connect to " + where + ": " + ec.message());
  tcp.socket().set_option(tcp::no_delay(true), ec);

  if (options_.origin.tls) {
    const std::string name =
        options_.server_name.empty() ? options_.origin.host : options_.server_name;
    std::string error;
    if (!prepare_client_stream(*streams_->tls, name, error)) {
      return fail(Status::tls_failed, "TLS with " + where + ": " + error);
    }
    tcp.expires_at(deadline);
    streams_->tls->async_handshake(ssl::stream_base::client, [&](beast::error_code e) { ec = e; });
    ioc_.restart();
    ioc_.run();
    if (ec == beast::error::timeout) {
      return fail(Status::timeout, "TLS handshake with " + where + " not done within " + ms(timeout));
    }
    if (ec) {
      return fail(Status::tls_failed,
                  "TLS handshake with " + where + " failed: " + describe_tls_error(ec));
    }
  }
  tcp.expires_never();
  return {};
}

HttpResponse HttpClient::send(const HttpRequest& request) {
  const bool reused = streams_ != nullptr;
  if (!reused) {
    HttpResponse r = connect();
    if (!r.ok()) return r;
  }
  HttpResponse r = exchange(request);
  // A kept connection that the receiver closed meanwhile answers nothing: it did not take
  // the request. Send it once more on a new connection.
  if (reused && r.status == Status::closed && !answer_started_) {
    r = connect();
    if (!r.ok()) return r;
    r = exchange(request);
  }
  return r;
}

HttpResponse HttpClient::exchange(const HttpRequest& request) {
  answer_started_ = false;
  const std::string where = options_.origin.authority();
  const auto timeout = options_.response_timeout;
  const auto deadline = std::chrono::steady_clock::now() + timeout;

  http::request<http::string_body> req;
  req.method_string(request.method);
  req.target(request.target);
  req.version(11);
  req.set(http::field::host, where);
  req.set(http::field::user_agent, "fcpgw");
  for (const auto& [k, v] : request.headers) req.set(k, v);
  req.body() = request.body;
  req.keep_alive(true);
  req.prepare_payload();

  beast::error_code ec;
  beast::tcp_stream& tcp = streams_->lowest();
  tcp.expires_at(deadline);
  streams_->visit([&](auto& s) {
    http::async_write(s, req, [&](beast::error_code e, std::size_t) { ec = e; });
  });
  ioc_.restart();
  ioc_.run();
  if (ec == beast::error::timeout) {
    return fail(Status::timeout, "cannot send to " + where + ": not written within " + ms(timeout));
  }
  if (ec && is_closed(ec)) return fail(Status::closed, where + " closed the connection");
  if (ec) return fail(Status::io_error, "cannot send to " + where + ": " + ec.message());

  http::response_parser<http::string_body> parser;
  parser.body_limit(options_.max_response_bytes);
  parser.header_limit(64 * 1024);
  if (request.method == "HEAD") parser.skip(true);
  tcp.expires_at(deadline);
  streams_->visit([&](auto& s) {
    http::async_read(s, streams_->buffer, parser,
                     [&](beast::error_code e, std::size_t) { ec = e; });
  });
  ioc_.restart();
  ioc_.run();
  answer_started_ = parser.got_some();
  if (ec == beast::error::timeout) {
    return fail(Status::timeout, "no answer from " + where + " within " + ms(timeout), true);
  }
  if (ec == http::error::body_limit || ec == http::error::header_limit) {
    return fail(Status::bad_answer,
                "the answer from " + where + " is larger than " +
                    std::to_string(options_.max_response_bytes) + " bytes",
                true);
  }
  if (ec && is_closed(ec)) {
    return fail(Status::closed,
                where + " closed the connection " +
                    (answer_started_ ? "in the middle of its answer" : "without answering"),
                true);
  }
  if (ec) {
    return fail(Status::bad_answer, "unreadable answer from " + where + ": " + ec.message(), true);
  }
  tcp.expires_never();

  auto res = parser.release();
  HttpResponse r;
  r.request_sent = true;
  r.code = static_cast<int>(res.result_int());
  for (const auto& f : res) {
    std::string name(f.name_string());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    r.headers.emplace_back(std::move(name), std::string(f.value()));
  }
  r.body = std::move(res.body());
  if (!res.keep_alive()) close();
  return r;
}

// ---------------------------------------------------------------------------------------

std::optional<std::chrono::milliseconds> parse_retry_after(
    std::string_view value, std::chrono::system_clock::time_point now) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  if (std::isdigit(static_cast<unsigned char>(value.front()))) {
    std::uint64_t s = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), s);
    if (ec != std::errc{} || end != value.data() + value.size()) return std::nullopt;
    constexpr std::uint64_t kDay = 24 * 3600;
    return std::chrono::milliseconds(std::min(s, kDay) * 1000);
  }
  // IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT" (the form RFC 9110 requires senders to use).
  std::tm tm{};
  const std::string text(value);
  const char* end = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (end == nullptr || *end != '\0') return std::nullopt;
  const std::time_t t = timegm(&tm);
  if (t == static_cast<std::time_t>(-1)) return std::nullopt;
  const auto at = std::chrono::system_clock::from_time_t(t);
  if (at <= now) return std::chrono::milliseconds(0);
  return std::chrono::duration_cast<std::chrono::milliseconds>(at - now);
}

}  // namespace fcpgw::gateway::net
