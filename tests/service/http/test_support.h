#pragma once
// For the HTTP listener's service tests: a fake Intake that records what it is given and
// answers with canned answers (at once or later from another thread), and a small Beast client
// (plain or TLS) whose every operation has a deadline, so a broken server fails a test instead
// of hanging it.

#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "gateway/service/intake.h"

namespace fcpgw::gateway::http::testing {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;
using boost::system::error_code;
using namespace std::chrono_literals;

class FakeIntake : public service::Intake {
 public:
  FakeIntake() {
    fhir_answer.status = 202;
    fhir_answer.content_type = "application/fhir+json";
    fhir_answer.body = R"({"resourceType":"OperationOutcome","issue":[]})";
    fhir_answer.headers = {{"Content-Location", "/journal/1"}};
    v2_answer.status = 200;
    v2_answer.content_type = "x-application/hl7-v2+er7";
    v2_answer.body = "MSH|^~\\&|GW||||20260101||ACK|1|P|2.5.1\rMSA|AA|1\r";
  }
  ~FakeIntake() override {
    for (auto& t : threads_) t.join();
  }

  void submit(service::Inbound in, service::AnswerHandler done) override {
    service::Answer a;
    std::chrono::milliseconds wait;
    {
      std::lock_guard lock(mu_);
      a = in.kind == service::Inbound::Kind::v2 ? v2_answer : fhir_answer;
      wait = delay;
      got_.push_back(std::move(in));
    }
    cv_.notify_all();
    if (wait == 0ms) return done(std::move(a));
    std::lock_guard lock(mu_);
    threads_.emplace_back([wait, a = std::move(a), done = std::move(done)]() mutable {
      std::this_thread::sleep_for(wait);
      done(std::move(a));
    });
  }

  std::optional<service::Answer> status(std::int64_t id) override {
    if (id != 1) return std::nullopt;
    service::Answer a;
    a.status = 200;
    a.content_type = "application/fhir+json";
    a.body = R"({"resourceType":"Bundle","type":"transaction-response"})";
    return a;
  }
  std::string capability_statement() const override {
    return R"({"resourceType":"CapabilityStatement","status":"active"})";
  }
  bool ready(std::string& why) const override {
    std::lock_guard lock(mu_);
    if (!not_ready.empty()) why = not_ready;
    return not_ready.empty();
  }

  std::vector<service::Inbound> got() const {
    std::lock_guard lock(mu_);
    return got_;
  }
  /// Waits until `n` messages were submitted.
  bool wait_for(std::size_t n, std::chrono::milliseconds limit = 5s) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, limit, [&] { return got_.size() >= n; });
  }

  // Set before the server starts (or under no traffic).
  service::Answer fhir_answer;
  service::Answer v2_answer;
  std::chrono::milliseconds delay{0};
  std::string not_ready;

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<service::Inbound> got_;
  std::vector<std::thread> threads_;
};

using Req = bhttp::request<bhttp::string_body>;
using Res = bhttp::response<bhttp::string_body>;

inline Req make_request(bhttp::verb method, std::string target, std::string body = {},
                        std::string content_type = {}) {
  Req req{method, target, 11};
  req.set(bhttp::field::host, "127.0.0.1");
  if (!content_type.empty()) req.set(bhttp::field::content_type, content_type);
  req.body() = std::move(body);
  if (method != bhttp::verb::get || !req.body().empty()) req.prepare_payload();
  return req;
}

/// A client connection; every operation has a deadline (5 s unless told).
template <class Stream = beast::tcp_stream>
class Client {
 public:
  static constexpr bool is_tls = !std::is_same_v<Stream, beast::tcp_stream>;

  explicit Client(unsigned short port, ssl::context* tls = nullptr) : stream_(make(io_, tls)) {
    error_code ec;
    beast::get_lowest_layer(stream_).socket().connect(
        tcp::endpoint(net::ip::make_address("127.0.0.1"), port), ec);
    connect_error = ec;
    if constexpr (is_tls) {
      if (!ec) {
        beast::get_lowest_layer(stream_).expires_after(5s);
        stream_.async_handshake(ssl::stream_base::client, [&](error_code e) { connect_error = e; });
        run();
      }
    }
  }

  error_code write(const Req& req) {
    error_code r;
    beast::get_lowest_layer(stream_).expires_after(5s);
    bhttp::async_write(stream_, req, [&](error_code ec, std::size_t) { r = ec; });
    run();
    return r;
  }
  error_code write_raw(std::string_view bytes) {
    error_code r;
    beast::get_lowest_layer(stream_).expires_after(5s);
    net::async_write(stream_, net::buffer(bytes), [&](error_code ec, std::size_t) { r = ec; });
    run();
    return r;
  }
  error_code read(Res& res, std::chrono::milliseconds limit = 5000ms) {
    error_code r;
    beast::get_lowest_layer(stream_).expires_after(limit);
    bhttp::async_read(stream_, buffer_, res, [&](error_code ec, std::size_t) { r = ec; });
    run();
    return r;
  }
  /// Sends `req` and reads the answer; fails the test on a transport error.
  Res request(const Req& req) {
    Res res;
    error_code ec = write(req);
    EXPECT_FALSE(ec) << ec.message();
    if (!ec) ec = read(res);
    EXPECT_FALSE(ec) << ec.message();
    return res;
  }
  /// Reads until the server closes: true when it did within `limit` (no bytes expected).
  bool closed_by_server(std::chrono::milliseconds limit = 5000ms) {
    error_code r;
    char byte;
    beast::get_lowest_layer(stream_).expires_after(limit);
    stream_.async_read_some(net::buffer(&byte, 1), [&](error_code ec, std::size_t) { r = ec; });
    run();
    return r && r != beast::error::timeout;
  }

  error_code connect_error;

 private:
  static Stream make(net::io_context& io, ssl::context* tls) {
    if constexpr (is_tls) {
      return Stream(io, *tls);
    } else {
      (void)tls;
      return Stream(io);
    }
  }
  void run() {
    io_.restart();
    io_.run();
  }

  net::io_context io_;
  Stream stream_;
  beast::flat_buffer buffer_;
};

using TlsClient = Client<beast::ssl_stream<beast::tcp_stream>>;

}  // namespace fcpgw::gateway::http::testing
