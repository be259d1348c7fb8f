#include "gateway/mllp/session.h"

#include <algorithm>
#include <array>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <chrono>
#include <ctime>
#include <exception>
#include <type_traits>
#include <utility>

#include "gateway/net/tls.h"
#include "gateway/observability/log.h"
#include "hl7v2/ack.h"
#include "hl7v2/message.h"
#include "hl7v2/mllp.h"

namespace fcpgw::gateway::mllp::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
using observability::Level;
using observability::log;

// ---------------------------------------------------------------------------------------
// ListenerState

bool ListenerState::add(std::uint64_t id, std::weak_ptr<SessionControl> s) {
  const std::lock_guard lock(mu_);
  if (stopping_) return false;
  sessions_.emplace(id, std::move(s));
  return true;
}

void ListenerState::remove(std::uint64_t id) {
  std::function<void()> done;
  {
    const std::lock_guard lock(mu_);
    sessions_.erase(id);
    if (stopping_ && sessions_.empty()) done = std::exchange(drained_, nullptr);
  }
  if (done) done();
}

void ListenerState::stop(std::function<void()> drained) {
  std::vector<std::shared_ptr<SessionControl>> live;
  {
    const std::lock_guard lock(mu_);
    stopping_ = true;
    for (auto& [id, weak] : sessions_) {
      if (auto s = weak.lock()) live.push_back(std::move(s));
    }
    if (!sessions_.empty()) {
      drained_ = std::move(drained);
      drained = nullptr;
    }
  }
  for (auto& s : live) s->shutdown();
  live.clear();  // a session released here may run remove(), which takes the lock
  if (drained) drained();
}

bool ListenerState::stopping() const {
  const std::lock_guard lock(mu_);
  return stopping_;
}

namespace {

// ---------------------------------------------------------------------------------------
// Helpers

// MSH-7 of the ACKs the listener writes itself: now, UTC.
std::string hl7_now() {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  const std::size_t n = std::strftime(buf, sizeof buf, "%Y%m%d%H%M%S+0000", &tm);
  return std::string(buf, n);
}

// MSH-10 of the ACKs the listener writes itself: unique per process run and connection, and
// at most 20 characters (the 2.5.1 length of MSH-10).
std::string own_control_id(std::uint64_t conn, std::uint64_t seq) {
  char buf[64];
  const auto secs = static_cast<unsigned long long>(std::time(nullptr));
  const int n =
      std::snprintf(buf, sizeof buf, "%llX-%llX-%llX", secs & 0xFFFFFFFFull,
                    static_cast<unsigned long long>(conn), static_cast<unsigned long long>(seq));
  return std::string(buf, static_cast<std::size_t>(n > 20 ? 20 : n));
}

template <class Stream>
constexpr bool is_tls = !std::is_same_v<Stream, beast::tcp_stream>;

// ---------------------------------------------------------------------------------------
// Session

template <class Stream>
class Session : public SessionControl, public std::enable_shared_from_this<Session<Stream>> {
 public:
  Session(std::shared_ptr<ListenerState> state, asio::ip::tcp::socket socket, std::uint64_t id,
          std::string peer)
      : state_(std::move(state)),
        stream_(make_stream(std::move(socket), *state_)),
        id_(id),
        peer_(std::move(peer)),
        decoder_(state_->cfg.max_frame_bytes) {}

  ~Session() override {
    state_->metrics.connections_open.add(-1);
    state_->open.fetch_sub(1, std::memory_order_relaxed);
    log(Level::info, "mllp.close",
        {{"listener", state_->name},
         {"conn", id_},
         {"reason", close_reason_},
         {"frames", frames_},
         {"garbage_bytes", decoder_.garbage_bytes()}});
    state_->remove(id_);
  }

  void run() {
    asio::dispatch(stream_.get_executor(),
                   beast::bind_front_handler(&Session::on_run, this->shared_from_this()));
  }

  void shutdown() override {
    asio::post(stream_.get_executor(), [self = this->shared_from_this()] {
      self->stopping_ = true;
      if (!self->busy_) self->close("stopped");
    });
  }

 private:
  static Stream make_stream(asio::ip::tcp::socket socket, ListenerState& state) {
    if constexpr (is_tls<Stream>) {
      return Stream(std::move(socket), *state.tls);
    } else {
      return Stream(std::move(socket));
    }
  }

  const config::Listener& cfg() const { return state_->cfg.listener; }
  beast::tcp_stream& tcp() { return beast::get_lowest_layer(stream_); }

  void on_run() {
    if constexpr (is_tls<Stream>) {
      tcp().expires_after(cfg().read_timeout);
      stream_.async_handshake(
          asio::ssl::stream_base::server,
          beast::bind_front_handler(&Session::on_handshake, this->shared_from_this()));
    } else {
      do_read();
    }
  }

  void on_handshake(beast::error_code ec) {
    if (ec) {
      if (stopping_ || ec == asio::error::operation_aborted) return;  // closed by stop()
      if (ec == beast::error::timeout) {
        state_->metrics.timeout_handshake.inc();
        close_reason_ = "tls handshake timeout";
      } else {
        close_reason_ = "tls handshake failed";
      }
      state_->metrics.tls_failures.inc();
      const std::string why = net::describe_tls_error(ec);
      log(Level::warn, "mllp.tls_failed",
          {{"listener", state_->name}, {"conn", id_}, {"peer", peer_}, {"error", why}});
      return;
    }
    if (stopping_) return close("stopped");
    do_read();
  }

  void do_read() {
    if (stopping_) return close("stopped");
    reading_in_frame_ = decoder_.in_frame();
    if (reading_in_frame_) {
      tcp().expires_at(frame_deadline_);
    } else {
      tcp().expires_after(cfg().idle_timeout);
    }
    stream_.async_read_some(asio::buffer(buf_),
                            beast::bind_front_handler(&Session::on_read, this->shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t n) {
    if (ec) {
      if (ec == beast::error::timeout) {
        (reading_in_frame_ ? state_->metrics.timeout_read : state_->metrics.timeout_idle).inc();
        close_reason_ = reading_in_frame_ ? "read timeout" : "idle timeout";
        log(Level::info, "mllp.timeout",
            {{"listener", state_->name},
             {"conn", id_},
             {"kind", reading_in_frame_ ? "read" : "idle"},
             {"buffered", static_cast<std::uint64_t>(decoder_.buffered())}});
      } else if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated) {
        close_reason_ = decoder_.in_frame() ? "peer closed inside a frame" : "peer closed";
      } else if (ec != asio::error::operation_aborted) {
        close_reason_ = "read error: " + ec.message();
      }
      return;
    }
    const bool was_in_frame = decoder_.in_frame();
    const std::uint64_t garbage_before = decoder_.garbage_bytes();
    const std::size_t events = decoder_.feed(std::string_view(buf_.data(), n));
    if (decoder_.in_frame() && (!was_in_frame || events > 0)) {
      frame_deadline_ = std::chrono::steady_clock::now() + cfg().read_timeout;
    }
    if (const std::uint64_t g = decoder_.garbage_bytes() - garbage_before; g > 0) {
      state_->metrics.garbage_bytes.inc(g);
      // Once per connection (a noisy peer must not flood the log); the total is in mllp.close.
      if (garbage_before == 0) {
        log(Level::warn, "mllp.garbage", {{"listener", state_->name}, {"conn", id_}, {"bytes", g}});
      }
    }
    process_next();
  }

  // Takes the next decoded event; frames are answered strictly one at a time, in order.
  void process_next() {
    while (auto ev = decoder_.next()) {
      switch (ev->kind) {
        case hl7v2::MllpEvent::Kind::truncated:
          state_->metrics.truncated.inc();
          log(Level::warn, "mllp.truncated",
              {{"listener", state_->name},
               {"conn", id_},
               {"bytes", static_cast<std::uint64_t>(ev->size)}});
          continue;
        case hl7v2::MllpEvent::Kind::oversize:
          return answer_oversize(*ev);
        case hl7v2::MllpEvent::Kind::frame:
          return submit(std::move(ev->payload));
      }
    }
    do_read();
  }

  void submit(std::string payload) {
    ++frames_;
    state_->metrics.frames.inc();
    busy_ = true;
    service::Inbound in;
    in.kind = service::Inbound::Kind::v2;
    in.listener = state_->name;
    in.peer = peer_;
    in.connection = id_;
    in.body = std::move(payload);
    auto done = [self = this->shared_from_this()](service::Answer a) {
      asio::post(self->stream_.get_executor(),
                 [self, a = std::move(a)]() mutable { self->on_answer(std::move(a)); });
    };
    try {
      state_->intake.submit(std::move(in), std::move(done));
    } catch (const std::exception& e) {  // must not cross into the io_context
      log(Level::error, "mllp.intake_failed",
          {{"listener", state_->name}, {"conn", id_}, {"error", e.what()}});
      close("intake failed");
    }
  }

  void on_answer(service::Answer a) {
    state_->metrics.ack(a.code).inc();
    log(Level::info, "mllp.ack",
        {{"listener", state_->name},
         {"conn", id_},
         {"control_id", a.control_id},
         {"type", a.message_type},
         {"code", a.code},
         {"journal_id", a.journal_id},
         {"duplicate", a.duplicate}});
    out_.clear();
    for (const std::string& ack : a.acks) hl7v2::mllp_frame(out_, ack);
    if (out_.empty()) return after_answer();
    do_write();
  }

  // An oversize frame is answered here, without the intake (its bytes are gone).
  void answer_oversize(const hl7v2::MllpEvent& ev) {
    state_->metrics.oversize.inc();
    busy_ = true;
    const hl7v2::OversizeAck a = hl7v2::build_oversize_ack(
        ev.payload, state_->cfg.max_frame_bytes, hl7_now(), own_control_id(id_, ++own_acks_));
    const std::string_view code = hl7v2::to_string(a.code);
    state_->metrics.ack(code).inc();
    log(Level::warn, "mllp.oversize",
        {{"listener", state_->name},
         {"conn", id_},
         {"control_id", a.control_id},
         {"code", code},
         {"limit", static_cast<std::uint64_t>(state_->cfg.max_frame_bytes)}});
    out_.clear();
    hl7v2::mllp_frame(out_, a.ack);
    do_write();
  }

  void do_write() {
    tcp().expires_after(cfg().write_timeout);
    asio::async_write(stream_, asio::buffer(out_),
                      beast::bind_front_handler(&Session::on_write, this->shared_from_this()));
  }

  void on_write(beast::error_code ec, std::size_t) {
    if (ec) {
      if (ec == beast::error::timeout) {
        state_->metrics.timeout_write.inc();
        close_reason_ = "write timeout";
        log(Level::info, "mllp.timeout",
            {{"listener", state_->name}, {"conn", id_}, {"kind", "write"}});
      } else if (ec != asio::error::operation_aborted) {
        close_reason_ = "write error: " + ec.message();
      }
      return;
    }
    after_answer();
  }

  void after_answer() {
    busy_ = false;
    if (stopping_) return close("stopped");
    // A frame that started arriving while we were busy gets its full read_timeout from now:
    // the time the intake took is ours, not the sender's.
    if (decoder_.in_frame()) {
      frame_deadline_ =
          std::max(frame_deadline_, std::chrono::steady_clock::now() + cfg().read_timeout);
    }
    process_next();
  }

  void close(const char* reason) {
    close_reason_ = reason;
    beast::error_code ec;
    tcp().socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    tcp().close();
  }

  std::shared_ptr<ListenerState> state_;
  Stream stream_;
  const std::uint64_t id_;
  const std::string peer_;
  hl7v2::MllpDecoder decoder_;
  std::array<char, 16 * 1024> buf_{};
  std::string out_;
  std::chrono::steady_clock::time_point frame_deadline_{};
  bool reading_in_frame_ = false;
  bool busy_ = false;      // a frame is with the intake or its answer is being written
  bool stopping_ = false;  // finish the frame in flight, then close
  std::uint64_t frames_ = 0;
  std::uint64_t own_acks_ = 0;
  std::string close_reason_ = "closed";
};

}  // namespace

void start_session(std::shared_ptr<ListenerState> state, asio::ip::tcp::socket socket,
                   std::uint64_t id, std::string peer) {
  state->metrics.connections_open.add(1);
  state->metrics.connections_total.inc();
  if (state->tls) {
    auto s = std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(
        state, std::move(socket), id, std::move(peer));
    if (state->add(id, s)) s->run();
  } else {
    auto s =
        std::make_shared<Session<beast::tcp_stream>>(state, std::move(socket), id, std::move(peer));
    if (state->add(id, s)) s->run();
  }
}

}  // namespace fcpgw::gateway::mllp::detail
