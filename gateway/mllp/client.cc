#include "gateway/mllp/client.h"

#include <array>
#include <optional>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

namespace fcpgw::gateway::mllp {

namespace asio = boost::asio;
namespace beast = boost::beast;
using asio::ip::tcp;
using Status = SendResult::Status;

struct MllpClient::Streams {
  std::unique_ptr<beast::tcp_stream> plain;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> tls;

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

}  // namespace

MllpClient::MllpClient(ClientOptions options)
    : options_(std::move(options)), decoder_(options_.max_ack_bytes) {}

MllpClient::~MllpClient() { close(); }

std::string MllpClient::target() const {
  const bool v6 = options_.host.find(':') != std::string::npos;
  return (v6 ? "[" + options_.host + "]" : options_.host) + ":" + std::to_string(options_.port);
}

bool MllpClient::is_open() const noexcept {
  return streams_ != nullptr && streams_->lowest().socket().is_open();
}

void MllpClient::close() {
  if (!streams_) return;
  beast::error_code ec;
  streams_->lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
  streams_->lowest().close();
  streams_.reset();
  // Let the cancelled operations' handlers run, so the next connect starts clean.
  ioc_.restart();
  ioc_.run();
}

SendResult MllpClient::fail(Status status, std::string error) {
  close();
  SendResult r;
  r.status = status;
  r.error = std::move(error);
  return r;
}

SendResult MllpClient::connect() {
  close();
  const auto deadline = std::chrono::steady_clock::now() + options_.timeout;
  if (options_.tls && !ctx_) {
    std::string error;
    ctx_ = net::make_client_context(options_.tls_files, error);
    if (!ctx_) return fail(Status::tls_failed, "TLS set-up for " + target() + ": " + error);
  }

  // Resolve (no socket timeout applies: bound it by running the loop for the timeout).
  tcp::resolver resolver(ioc_);
  beast::error_code ec;
  tcp::resolver::results_type results;
  bool resolved = false;
  resolver.async_resolve(options_.host, std::to_string(options_.port),
                         [&](beast::error_code e, tcp::resolver::results_type r) {
                           ec = e;
                           results = std::move(r);
                           resolved = true;
                         });
  ioc_.restart();
  ioc_.run_for(options_.timeout);
  if (!resolved) {
    resolver.cancel();
    ioc_.restart();
    ioc_.run();
    return fail(Status::timeout, "cannot connect to " + target() + ": name not resolved within " +
                                     ms(options_.timeout));
  }
  if (ec) return fail(Status::connect_failed, "cannot resolve " + target() + ": " + ec.message());

  streams_ = std::make_unique<Streams>();
  if (options_.tls) {
    streams_->tls = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(ioc_, *ctx_);
  } else {
    streams_->plain = std::make_unique<beast::tcp_stream>(ioc_);
  }
  beast::tcp_stream& tcp = streams_->lowest();
  tcp.expires_at(deadline);
  tcp.async_connect(results, [&](beast::error_code e, const tcp::endpoint&) { ec = e; });
  ioc_.restart();
  ioc_.run();
  if (ec == beast::error::timeout) {
    return fail(Status::timeout,
                "cannot connect to " + target() + ": no answer within " + ms(options_.timeout));
  }
  if (ec)
    return fail(Status::connect_failed, "cannot connect to " + target() + ": " + ec.message());

  if (options_.tls) {
    const std::string name = options_.server_name.empty() ? options_.host : options_.server_name;
    std::string error;
    if (!net::prepare_client_stream(*streams_->tls, name, error)) {
      return fail(Status::tls_failed, "TLS with " + target() + ": " + error);
    }
    tcp.expires_at(deadline);
    streams_->tls->async_handshake(asio::ssl::stream_base::client,
                                   [&](beast::error_code e) { ec = e; });
    ioc_.restart();
    ioc_.run();
    if (ec == beast::error::timeout) {
      return fail(Status::timeout,
                  "TLS handshake with " + target() + " not done within " + ms(options_.timeout));
    }
    if (ec) {
      return fail(Status::tls_failed,
                  "TLS handshake with " + target() + " failed: " + net::describe_tls_error(ec));
    }
  }
  tcp.expires_never();
  return {};
}

SendResult MllpClient::send(std::string_view message) {
  const bool reused = is_open();
  if (!reused) {
    SendResult r = connect();
    if (!r.ok()) return r;
  }
  SendResult r = exchange(message);
  // A kept connection the peer has meanwhile closed (its idle timeout) fails at once and
  // answers nothing: the message was not taken. Try once more on a new connection.
  if (reused && r.status == Status::closed && !answer_started_) {
    r = connect();
    if (!r.ok()) return r;
    r = exchange(message);
  }
  return r;
}

SendResult MllpClient::exchange(std::string_view message) {
  answer_started_ = false;
  const auto deadline = std::chrono::steady_clock::now() + options_.timeout;
  decoder_.reset();  // an answer left from an earlier exchange is not this one's
  SendResult r = write_frame(message, deadline);
  if (!r.ok()) return r;
  return read_frame(deadline);
}

SendResult MllpClient::receive() {
  if (!is_open()) return fail(Status::closed, "no connection to " + target());
  answer_started_ = false;
  return read_frame(std::chrono::steady_clock::now() + options_.timeout);
}

SendResult MllpClient::post(std::string_view message) {
  if (!is_open()) return fail(Status::closed, "no connection to " + target());
  return write_frame(message, std::chrono::steady_clock::now() + options_.timeout);
}

SendResult MllpClient::write_frame(std::string_view message,
                                   std::chrono::steady_clock::time_point deadline) {
  const std::string out = hl7v2::mllp_frame(message);
  beast::error_code ec;
  beast::tcp_stream& tcp = streams_->lowest();
  tcp.expires_at(deadline);
  streams_->visit([&](auto& s) {
    asio::async_write(s, asio::buffer(out), [&](beast::error_code e, std::size_t) { ec = e; });
  });
  ioc_.restart();
  ioc_.run();
  if (ec == beast::error::timeout) {
    return fail(Status::timeout,
                "cannot send to " + target() + ": not written within " + ms(options_.timeout));
  }
  if (ec == asio::error::broken_pipe || ec == asio::error::connection_reset) {
    return fail(Status::closed, target() + " closed the connection");
  }
  if (ec) return fail(Status::io_error, "cannot send to " + target() + ": " + ec.message());
  tcp.expires_never();
  return {};
}

SendResult MllpClient::read_frame(std::chrono::steady_clock::time_point deadline) {
  beast::error_code ec;
  beast::tcp_stream& tcp = streams_->lowest();
  const auto take = [&]() -> std::optional<SendResult> {
    while (auto ev = decoder_.next()) {
      if (ev->kind == hl7v2::MllpEvent::Kind::frame) {
        SendResult r;
        r.ack = std::move(ev->payload);
        return r;
      }
      if (ev->kind == hl7v2::MllpEvent::Kind::oversize) {
        return fail(Status::bad_answer, "the answer from " + target() + " is larger than " +
                                            std::to_string(options_.max_ack_bytes) + " bytes");
      }
      // truncated: a frame cut short by a new one; wait for the new one.
    }
    return std::nullopt;
  };
  if (auto r = take()) return std::move(*r);  // a frame that came with the previous one
  std::array<char, 16 * 1024> buf{};
  for (;;) {
    std::size_t n = 0;
    tcp.expires_at(deadline);
    streams_->visit([&](auto& s) {
      s.async_read_some(asio::buffer(buf), [&](beast::error_code e, std::size_t k) {
        ec = e;
        n = k;
      });
    });
    ioc_.restart();
    ioc_.run();
    if (ec == beast::error::timeout) {
      return fail(Status::timeout, "no ACK from " + target() + " within " + ms(options_.timeout));
    }
    if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated ||
        ec == asio::error::connection_reset) {
      return fail(Status::closed, target() + " closed the connection without an ACK");
    }
    if (ec) return fail(Status::io_error, "cannot read from " + target() + ": " + ec.message());
    answer_started_ = true;
    decoder_.feed(std::string_view(buf.data(), n));
    if (auto r = take()) {
      tcp.expires_never();
      return std::move(*r);
    }
  }
}

}  // namespace fcpgw::gateway::mllp
