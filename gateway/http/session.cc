#include "gateway/http/session.h"

#include <algorithm>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <chrono>
#include <optional>
#include <type_traits>

#include "gateway/http/handler.h"
#include "gateway/observability/log.h"

namespace fcpgw::gateway::http {
namespace {

namespace beast = boost::beast;
namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace bhttp = boost::beast::http;
using tcp = boost::asio::ip::tcp;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;
using observability::Level;
using observability::log;

using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

/// Bytes asked for when waiting for a request to start.
constexpr std::size_t first_read_bytes = 4096;
/// After an answer that leaves a request body unread (413, 401 before the body, ...), up to this
/// much of it is read and dropped before closing, so that closing with unread data does not
/// reset the connection before the client has read the answer (a "lingering close").
constexpr std::size_t drain_max_bytes = 1024 * 1024;
constexpr std::chrono::milliseconds drain_max_time{2000};

template <class Stream>
class Session final : public SessionBase, public std::enable_shared_from_this<Session<Stream>> {
 public:
  static constexpr bool is_tls = std::is_same_v<Stream, TlsStream>;

  Session(std::shared_ptr<ServerState> state, tcp::socket socket, std::uint64_t id,
          std::string peer)
      : state_(std::move(state)),
        stream_(make_stream(std::move(socket), *state_)),
        id_(id),
        peer_(std::move(peer)) {
    state_->open_connections.fetch_add(1, std::memory_order_relaxed);
    state_->metrics.open_connections.add(1);
  }

  ~Session() override {
    state_->remove_session(id_);
    state_->open_connections.fetch_sub(1, std::memory_order_relaxed);
    state_->metrics.open_connections.add(-1);
    log(Level::debug, "http.close", {{"conn", id_}, {"requests", requests_}});
  }

  void run() {
    net::dispatch(stream_.get_executor(),
                  beast::bind_front_handler(&Session::on_run, this->shared_from_this()));
  }

  void stop() override {
    net::post(stream_.get_executor(),
              beast::bind_front_handler(&Session::on_stop, this->shared_from_this()));
  }

 private:
  enum class Phase : std::uint8_t { handshake, idle, reading, processing, writing, closing };

  static Stream make_stream(tcp::socket&& socket, ServerState& state) {
    if constexpr (is_tls) {
      return Stream(std::move(socket), *state.tls);
    } else {
      return Stream(std::move(socket));
    }
  }

  beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream_); }
  const config::Listener& limits() const { return state_->config.listener; }
  bool stopping() const { return stop_requested_ || state_->stopping.load(); }

  void on_run() {
    if constexpr (is_tls) {
      phase_ = Phase::handshake;
      lowest().expires_after(limits().read_timeout);
      stream_.async_handshake(
          ssl::stream_base::server,
          beast::bind_front_handler(&Session::on_handshake, this->shared_from_this()));
    } else {
      do_read();
    }
  }

  void on_handshake(error_code ec) {
    if (ec) {
      if (ec == beast::error::timeout) {
        state_->metrics.timeouts.inc();
      } else if (ec != net::error::operation_aborted) {
        state_->metrics.tls_handshake_failures.inc();
      }
      log(Level::debug, "http.tls_handshake_failed", {{"conn", id_}, {"error", ec.message()}});
      return;  // the socket closes with the session
    }
    do_read();
  }

  void on_stop() {
    stop_requested_ = true;
    // A connection waiting for its next request (or still shaking hands) closes now; one with a
    // request in flight finishes it and closes after the answer (see send).
    if (phase_ == Phase::idle || phase_ == Phase::handshake) lowest().cancel();
  }

  // --- reading -----------------------------------------------------------------------------

  void do_read() {
    if (stopping()) return do_close();
    parser_.emplace();
    apply_limits(*parser_, state_->config);
    ex_ = Exchange{.connection = id_, .peer = peer_};
    if (buffer_.size() != 0) return begin_message();  // a pipelined request is already here

    // Between requests the idle timeout applies; the read timeout starts with the first byte.
    phase_ = Phase::idle;
    lowest().expires_after(limits().idle_timeout);
    stream_.async_read_some(
        buffer_.prepare(first_read_bytes),
        beast::bind_front_handler(&Session::on_first_bytes, this->shared_from_this()));
  }

  void on_first_bytes(error_code ec, std::size_t n) {
    if (ec) {
      if (ec == beast::error::timeout) {
        state_->metrics.timeouts.inc();
        log(Level::debug, "http.idle_timeout", {{"conn", id_}});
        return;  // the stream closed itself
      }
      return do_close();
    }
    buffer_.commit(n);
    begin_message();
  }

  void begin_message() {
    phase_ = Phase::reading;
    started_ = Clock::now();
    read_deadline_ = started_ + limits().read_timeout;
    lowest().expires_at(read_deadline_);
    bhttp::async_read_header(
        stream_, buffer_, *parser_,
        beast::bind_front_handler(&Session::on_header, this->shared_from_this()));
  }

  void on_header(error_code ec, std::size_t) {
    if (ec) return on_read_error(ec);
    const auto& req = parser_->get();
    method_ = std::string(req.method_string());
    if (auto refusal = screen(*state_, req, ex_)) {
      // Keep the connection only when nothing of the request is left unread.
      return send(std::move(*refusal),
                  parser_->is_done() && req.keep_alive() && req.version() >= 11);
    }
    if (parser_->is_done()) return on_body({}, 0);
    if (req.version() >= 11 && beast::iequals(req[bhttp::field::expect], "100-continue")) {
      continue_.emplace(bhttp::status::continue_, 11);
      lowest().expires_after(limits().write_timeout);
      return bhttp::async_write(
          stream_, *continue_,
          beast::bind_front_handler(&Session::on_continue_written, this->shared_from_this()));
    }
    read_body();
  }

  void on_continue_written(error_code ec, std::size_t) {
    continue_.reset();
    if (ec) return on_write_error(ec);
    read_body();
  }

  void read_body() {
    lowest().expires_at(read_deadline_);
    bhttp::async_read(stream_, buffer_, *parser_,
                      beast::bind_front_handler(&Session::on_body, this->shared_from_this()));
  }

  void on_body(error_code ec, std::size_t) {
    if (ec) return on_read_error(ec);
    phase_ = Phase::processing;
    lowest().expires_never();  // the intake's time is not the client's
    Request req = parser_->release();
    const bool keep_alive = req.keep_alive() && req.version() >= 11;
    respond(*state_, std::move(req), ex_,
            [self = this->shared_from_this(), keep_alive](Response res) {
              // Any thread: back to this connection's strand.
              net::post(self->stream_.get_executor(),
                        [self, keep_alive, res = std::move(res)]() mutable {
                          self->send(std::move(res), keep_alive);
                        });
            });
  }

  void on_read_error(error_code ec) {
    if (ec == beast::error::timeout) {
      state_->metrics.timeouts.inc();
      log(Level::info, "http.read_timeout", {{"conn", id_}});
      return;  // the stream closed itself; nothing can be written
    }
    if (ex_.route == Route::unknown && parser_ && !parser_->get().target().empty()) {
      ex_.route = match_route(parser_->get().target()).route;  // for the log and metric label
    }
    if (auto res = read_error_response(*state_, ec)) return send(std::move(*res), false);
    // End of stream, a reset, a TLS error, or stop(): nothing to answer.
    if (ec != bhttp::error::end_of_stream && ec != net::error::operation_aborted) {
      log(Level::debug, "http.read_error", {{"conn", id_}, {"error", ec.message()}});
    }
    do_close();
  }

  // --- writing -----------------------------------------------------------------------------

  void send(Response res, bool keep_alive) {
    phase_ = Phase::writing;
    drain_ = parser_ && !parser_->is_done();
    res.keep_alive(keep_alive && !drain_ && !stopping());
    res.set(bhttp::field::server, "fcpgw");
    res.prepare_payload();
    res_.emplace(std::move(res));
    lowest().expires_after(limits().write_timeout);
    bhttp::async_write(stream_, *res_,
                       beast::bind_front_handler(&Session::on_write, this->shared_from_this()));
  }

  void on_write(error_code ec, std::size_t) {
    ++requests_;
    const unsigned status = res_->result_int();
    const double seconds = std::chrono::duration<double>(Clock::now() - started_).count();
    state_->metrics.request(ex_.route, status, seconds);
    log(Level::info, "http.request",
        {{"conn", id_},
         {"method", method_.empty() ? std::string_view("-") : std::string_view(method_)},
         {"route", route_pattern(ex_.route)},
         {"status", static_cast<std::uint64_t>(status)},
         {"duration_ms", seconds * 1000.0},
         {"client", ex_.client},
         {"written", !ec}});
    const bool keep_alive = res_->keep_alive();
    res_.reset();
    method_.clear();
    if (ec) return on_write_error(ec);
    if (!keep_alive || stopping()) return do_close();
    do_read();
  }

  void on_write_error(error_code ec) {
    if (ec == beast::error::timeout) {
      state_->metrics.timeouts.inc();
      log(Level::info, "http.write_timeout", {{"conn", id_}});
    }
    // The stream is closed (timeout) or broken; the session ends with the handler.
  }

  // --- closing -----------------------------------------------------------------------------

  void do_close() {
    phase_ = Phase::closing;
    if constexpr (is_tls) {
      lowest().expires_after(limits().write_timeout);
      stream_.async_shutdown(
          beast::bind_front_handler(&Session::on_shutdown, this->shared_from_this()));
    } else {
      error_code ignored;
      lowest().socket().shutdown(tcp::socket::shutdown_send, ignored);
      if (drain_) {
        drained_ = 0;
        drain_deadline_ =
            Clock::now() + std::min<Clock::duration>(limits().read_timeout, drain_max_time);
        do_drain();
      }
      // else: the socket closes when the last handler lets go of the session.
    }
  }

  void do_drain() {
    buffer_.consume(buffer_.size());
    lowest().expires_at(drain_deadline_);
    lowest().async_read_some(
        buffer_.prepare(16 * 1024),
        beast::bind_front_handler(&Session::on_drain, this->shared_from_this()));
  }

  void on_drain(error_code ec, std::size_t n) {
    drained_ += n;
    if (ec || drained_ >= drain_max_bytes) return;  // closes with the session
    do_drain();
  }

  void on_shutdown(error_code) {}  // whatever the peer did, the socket closes with the session

  std::shared_ptr<ServerState> state_;
  Stream stream_;
  const std::uint64_t id_;
  const std::string peer_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::optional<Response> res_;
  std::optional<bhttp::response<bhttp::empty_body>> continue_;
  Exchange ex_;
  std::string method_;
  Phase phase_ = Phase::idle;
  bool stop_requested_ = false;
  bool drain_ = false;
  std::size_t drained_ = 0;
  std::uint64_t requests_ = 0;
  Clock::time_point started_{};
  Clock::time_point read_deadline_{};
  Clock::time_point drain_deadline_{};
};

template <class Stream>
void launch(std::shared_ptr<ServerState> state, tcp::socket socket, std::uint64_t id,
            std::string peer) {
  auto s = std::make_shared<Session<Stream>>(state, std::move(socket), id, std::move(peer));
  state->add_session(id, s);
  s->run();
}

}  // namespace

void start_session(std::shared_ptr<ServerState> state, tcp::socket socket, std::uint64_t id,
                   std::string peer) {
  if (state->tls) {
    launch<TlsStream>(std::move(state), std::move(socket), id, std::move(peer));
  } else {
    launch<PlainStream>(std::move(state), std::move(socket), id, std::move(peer));
  }
}

}  // namespace fcpgw::gateway::http
