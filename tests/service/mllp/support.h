#pragma once
// In-process harness for the MLLP listener: a real server on 127.0.0.1 port 0 run by its own
// io_context threads, a fake Intake that answers AA (or another code) built with
// hl7v2::build_ack, and a raw blocking socket client with timeouts.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "gateway/mllp/metrics.h"
#include "gateway/mllp/server.h"
#include "gateway/service/intake.h"
#include "hl7v2/ack.h"
#include "hl7v2/message.h"
#include "hl7v2/mllp.h"

namespace fcpgw::test {

using namespace std::chrono_literals;
namespace gw = fcpgw::gateway;

/// A v2 message with control id `id` and no patient data.
inline std::string v2_message(const std::string& id, std::size_t filler = 0) {
  return "MSH|^~\\&|SENDAPP|SENDFAC|FCPGW|GWFAC|20240101120000||ADT^A01^ADT_A01|" + id +
         "|P|2.5.1\rEVN|A01|20240101120000\rPID|1||TEST" + std::string(filler, 'x') + "\r";
}

/// MSA-1 and MSA-2 of an ACK, or {"?", "?"} when it does not parse.
struct AckFields {
  std::string code;
  std::string control_id;
  std::string err_code;  ///< ERR-3.1 of the first ERR
  std::string err_text;  ///< ERR-7 of the first ERR
};
inline AckFields read_ack(const std::string& ack) {
  auto m = hl7v2::Message::parse(ack);
  if (!m) return {"?", "?", "", ""};
  AckFields f;
  if (auto msa = m->find("MSA")) {
    f.code = std::string(msa->field(1));
    f.control_id = std::string(msa->field(2));
  }
  if (auto err = m->find("ERR")) {
    f.err_code = std::string(err->component(3, 1, 1));
    f.err_text = m->unescape(err->field(7));
  }
  return f;
}

class FakeIntake : public gw::service::Intake {
 public:
  ~FakeIntake() override { join(); }

  void submit(gw::service::Inbound in, gw::service::AnswerHandler done) override {
    const auto header = hl7v2::parse_header_lenient(in.body).value_or(hl7v2::MshHeader{});
    gw::service::Answer a;
    hl7v2::AckRequest req;
    std::chrono::milliseconds delay;
    bool thread;
    {
      std::lock_guard lock(mu_);
      req.code = code_;
      delay = delay_fn_ ? delay_fn_(got_.size()) : delay_;
      thread = from_thread_ || delay.count() > 0;
      got_.push_back(in);
    }
    std::string padding;
    {
      std::lock_guard lock(mu_);
      padding.assign(ack_padding_, 'x');
    }
    req.text = padding;
    req.timestamp = "20240101120001+0000";
    req.control_id = "ACK" + header.control_id;
    if (req.code != hl7v2::AckCode::AA) {
      hl7v2::AckError e;
      e.code = hl7v2::ErrorCode::application_internal_error;
      e.diagnostic = "fake failure";
      req.errors.push_back(e);
    }
    a.acks.push_back(hl7v2::build_ack(header, req));
    a.code = std::string(hl7v2::to_string(req.code));
    a.control_id = header.control_id;
    a.message_type = header.message_type;
    cv_.notify_all();
    if (thread) {
      std::lock_guard lock(mu_);
      threads_.emplace_back([delay, done = std::move(done), a = std::move(a)]() mutable {
        std::this_thread::sleep_for(delay);
        done(std::move(a));
      });
    } else {
      done(std::move(a));
    }
  }
  std::optional<gw::service::Answer> status(std::int64_t) override { return std::nullopt; }
  std::string capability_statement() const override { return "{}"; }
  bool ready(std::string&) const override { return true; }

  /// ACKs carry this many bytes of MSA-3 text (to fill socket buffers).
  void pad_acks(std::size_t bytes) {
    std::lock_guard lock(mu_);
    ack_padding_ = bytes;
  }
  void answer_with(hl7v2::AckCode code) {
    std::lock_guard lock(mu_);
    code_ = code;
  }
  void delay(std::chrono::milliseconds d, bool from_thread = true) {
    std::lock_guard lock(mu_);
    delay_ = d;
    from_thread_ = from_thread;
  }
  /// Delay by submission index.
  void delay_by(std::function<std::chrono::milliseconds(std::size_t)> f) {
    std::lock_guard lock(mu_);
    delay_fn_ = std::move(f);
  }
  std::vector<gw::service::Inbound> received() {
    std::lock_guard lock(mu_);
    return got_;
  }
  bool wait_for(std::size_t n, std::chrono::milliseconds timeout = 2s) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return got_.size() >= n; });
  }
  void join() {
    std::vector<std::thread> ts;
    {
      std::lock_guard lock(mu_);
      ts.swap(threads_);
    }
    for (auto& t : ts) t.join();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<gw::service::Inbound> got_;
  hl7v2::AckCode code_ = hl7v2::AckCode::AA;
  std::chrono::milliseconds delay_{0};
  std::function<std::chrono::milliseconds(std::size_t)> delay_fn_;
  bool from_thread_ = false;
  std::size_t ack_padding_ = 0;
  std::vector<std::thread> threads_;
};

/// Fast limits for tests.
inline gw::config::Mllp test_config() {
  gw::config::Mllp c;
  c.listener.host = "127.0.0.1";
  c.listener.port = 0;
  c.listener.idle_timeout = 2000ms;
  c.listener.read_timeout = 200ms;
  c.listener.write_timeout = 200ms;
  c.listener.max_connections = 100;
  c.max_frame_bytes = 64 * 1024;
  return c;
}

/// A server on its own io_context threads. Declaration order matters for destruction:
/// registry and intake outlive the io_context that holds the sessions.
class Harness {
 public:
  explicit Harness(gw::config::Mllp cfg = test_config()) : cfg_(std::move(cfg)) {}
  ~Harness() { shutdown(); }

  /// Starts the server; false and `error` on failure.
  bool start(std::string& error) {
    server_ = std::make_unique<gw::mllp::MllpServer>(ioc_, cfg_, intake, registry);
    if (!server_->start(error)) return false;
    for (int i = 0; i < 2; ++i) threads_.emplace_back([this] { ioc_.run(); });
    return true;
  }
  void start() {
    std::string error;
    if (!start(error)) throw std::runtime_error(error);
  }
  std::uint16_t port() const { return server_->local_endpoint().port(); }
  gw::mllp::MllpServer& server() { return *server_; }
  gw::mllp::MllpMetrics metrics() { return gw::mllp::MllpMetrics::make(registry, "mllp"); }

  /// Waits until `pred` holds (polling), at most `timeout`.
  static bool eventually(const std::function<bool()>& pred,
                         std::chrono::milliseconds timeout = 2s) {
    const auto end = std::chrono::steady_clock::now() + timeout;
    while (!pred()) {
      if (std::chrono::steady_clock::now() > end) return false;
      std::this_thread::sleep_for(5ms);
    }
    return true;
  }

  void shutdown() {
    if (!server_) return;
    intake.join();
    server_->stop();
    work_.reset();
    ioc_.stop();
    for (auto& t : threads_) t.join();
    threads_.clear();
    intake.join();
  }

  gw::observability::Registry registry;
  FakeIntake intake;

 private:
  gw::config::Mllp cfg_;
  boost::asio::io_context ioc_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_ =
      boost::asio::make_work_guard(ioc_);
  std::unique_ptr<gw::mllp::MllpServer> server_;
  std::vector<std::thread> threads_;
};

/// A blocking TCP client on 127.0.0.1 with timeouts (POSIX sockets, so that the tests do not
/// share the code under test).
class RawClient {
 public:
  RawClient() = default;
  explicit RawClient(std::uint16_t port) { connect(port); }
  RawClient(RawClient&& o) noexcept : fd_(std::exchange(o.fd_, -1)), buf_(std::move(o.buf_)) {}
  ~RawClient() { close(); }

  bool connect(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      close();
      return false;
    }
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return true;
  }
  bool is_open() const { return fd_ >= 0; }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  bool send(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }
  bool send_frame(std::string_view message) { return send(hl7v2::mllp_frame(message)); }

  /// The next MLLP frame's payload, or nullopt on timeout or close.
  std::optional<std::string> read_frame(std::chrono::milliseconds timeout = 2s) {
    const auto end = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      const std::size_t sb = buf_.find(hl7v2::mllp_start);
      const std::size_t eb = buf_.find(hl7v2::mllp_end);
      if (sb != std::string::npos && eb != std::string::npos && eb > sb &&
          eb + 1 < buf_.size() + 1) {
        std::string payload = buf_.substr(sb + 1, eb - sb - 1);
        std::size_t after = eb + 1;
        if (after < buf_.size() && buf_[after] == '\r') ++after;
        buf_.erase(0, after);
        return payload;
      }
      if (read_some(end) <= 0) return std::nullopt;
    }
  }

  /// Waits for the peer to close; true when it did within `timeout` (bytes received on the
  /// way are kept in received()).
  bool closed_by_peer(std::chrono::milliseconds timeout = 2s) {
    const auto end = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      const int r = read_some(end);
      if (r == 0) return true;    // orderly close
      if (r == -2) return true;   // reset
      if (r == -1) return false;  // timeout
    }
  }
  const std::string& received() const { return buf_; }

 private:
  // >0 bytes read, 0 closed, -1 timeout, -2 error.
  int read_some(std::chrono::steady_clock::time_point end) {
    if (fd_ < 0) return -2;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        end - std::chrono::steady_clock::now());
    if (left.count() <= 0) return -1;
    pollfd p{fd_, POLLIN, 0};
    const int pr = ::poll(&p, 1, static_cast<int>(left.count()));
    if (pr == 0) return -1;
    if (pr < 0) return -2;
    char tmp[8192];
    const ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
    if (n < 0) return -2;
    buf_.append(tmp, static_cast<std::size_t>(n));
    return static_cast<int>(n);
  }

  int fd_ = -1;
  std::string buf_;
};

}  // namespace fcpgw::test
