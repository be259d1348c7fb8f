#include "gateway/mllp/server.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <chrono>
#include <utility>

#include "gateway/mllp/session.h"
#include "gateway/net/allow_list.h"
#include "gateway/net/tls.h"
#include "gateway/observability/log.h"

namespace fcpgw::gateway::mllp {

namespace asio = boost::asio;
using asio::ip::tcp;
using observability::Level;
using observability::log;

namespace {

// "127.0.0.1:2575", "[2001:db8::1]:2575"; IPv4-mapped IPv6 shown as IPv4.
std::string address_text(const asio::ip::address& a) {
  if (a.is_v6() && a.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6()).to_string();
  }
  return a.to_string();
}

std::string endpoint_text(const tcp::endpoint& e) {
  const std::string a = address_text(e.address());
  const bool v6 = a.find(':') != std::string::npos;
  return (v6 ? "[" + a + "]" : a) + ":" + std::to_string(e.port());
}

}  // namespace

// The accept loop, on its own strand; shared with its pending handler.
struct MllpServer::Acceptor : std::enable_shared_from_this<MllpServer::Acceptor> {
  Acceptor(asio::io_context& ioc, std::shared_ptr<detail::ListenerState> st, net::AllowList al)
      : ioc(ioc), state(std::move(st)), allow(std::move(al)), acceptor(asio::make_strand(ioc)) {}

  asio::io_context& ioc;
  std::shared_ptr<detail::ListenerState> state;
  net::AllowList allow;
  tcp::acceptor acceptor;
  asio::steady_timer retry{acceptor.get_executor()};
  std::uint64_t next_id = 0;

  void do_accept() {
    acceptor.async_accept(
        asio::make_strand(ioc),
        [self = shared_from_this()](boost::system::error_code ec, tcp::socket socket) {
          self->on_accept(ec, std::move(socket));
        });
  }

  void on_accept(boost::system::error_code ec, tcp::socket socket) {
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
      // Out of descriptors and the like: say so, and try again shortly rather than spin.
      log(Level::error, "mllp.accept_failed", {{"listener", state->name}, {"error", ec.message()}});
      retry.expires_after(std::chrono::milliseconds(100));
      retry.async_wait([self = shared_from_this()](boost::system::error_code e) {
        if (!e && self->acceptor.is_open()) self->do_accept();
      });
      return;
    }
    if (state->stopping()) return;
    admit(std::move(socket));
    do_accept();
  }

  void admit(tcp::socket socket) {
    boost::system::error_code ec;
    const tcp::endpoint remote = socket.remote_endpoint(ec);
    if (ec) return;  // already gone
    const std::uint64_t id = ++next_id;
    if (!allow.allows(remote.address())) {
      state->metrics.refused_allow.inc();
      log(Level::warn, "mllp.refused",
          {{"listener", state->name},
           {"reason", "allow_list"},
           {"address", address_text(remote.address())}});
      socket.close(ec);
      return;
    }
    const std::size_t max = state->cfg.listener.max_connections;
    if (state->open.load(std::memory_order_relaxed) >= max) {
      state->metrics.refused_limit.inc();
      log(Level::warn, "mllp.refused",
          {{"listener", state->name},
           {"reason", "max_connections"},
           {"address", address_text(remote.address())},
           {"limit", static_cast<std::uint64_t>(max)}});
      socket.close(ec);
      return;
    }
    state->open.fetch_add(1, std::memory_order_relaxed);
    const std::string peer = endpoint_text(remote);
    log(Level::info, "mllp.accept", {{"listener", state->name}, {"conn", id}, {"peer", peer}});
    detail::start_session(state, std::move(socket), id, peer);
  }
};

MllpServer::MllpServer(asio::io_context& ioc, const config::Mllp& cfg, service::Intake& intake,
                       observability::Registry& registry, std::string name)
    : ioc_(ioc),
      state_(std::make_shared<detail::ListenerState>(name, cfg, intake,
                                                     MllpMetrics::make(registry, name))) {}

MllpServer::~MllpServer() { stop(); }

bool MllpServer::start(std::string& error) {
  const config::Listener& l = state_->cfg.listener;
  const std::string where = "mllp listener " + l.host + ":" + std::to_string(l.port);
  auto allow = net::AllowList::parse(l.allow, error);
  if (!allow) {
    error = where + ": " + error;
    return false;
  }
  if (l.tls.enabled) {
    state_->tls = net::make_server_context(l.tls, error);
    if (!state_->tls) {
      error = where + ": " + error;
      return false;
    }
  }
  boost::system::error_code ec;
  const asio::ip::address address = asio::ip::make_address(l.host, ec);
  if (ec) {
    error = where + ": host must be an IPv4 or IPv6 address (\"0.0.0.0\" or \"::\" for all)";
    return false;
  }
  auto acc = std::make_shared<Acceptor>(ioc_, state_, std::move(*allow));
  const tcp::endpoint endpoint(address, l.port);
  const auto fail = [&](const char* what) {
    error = where + ": cannot " + what + ": " + ec.message();
    return false;
  };
  acc->acceptor.open(endpoint.protocol(), ec);
  if (ec) return fail("open a socket");
  acc->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (ec) return fail("set SO_REUSEADDR");
  acc->acceptor.bind(endpoint, ec);
  if (ec) return fail("bind");
  acc->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail("listen");
  endpoint_ = acc->acceptor.local_endpoint(ec);
  if (ec) return fail("read the bound address");
  acceptor_ = acc;
  log(Level::info, "mllp.listen",
      {{"listener", state_->name},
       {"address", endpoint_text(endpoint_)},
       {"tls", l.tls.enabled},
       {"max_connections", static_cast<std::uint64_t>(l.max_connections)}});
  asio::dispatch(acc->acceptor.get_executor(), [acc] { acc->do_accept(); });
  return true;
}

tcp::endpoint MllpServer::local_endpoint() const { return endpoint_; }

void MllpServer::stop(std::function<void()> drained) {
  if (stopped_.exchange(true)) return;
  if (acceptor_) {
    log(Level::info, "mllp.stop",
        {{"listener", state_->name},
         {"open", static_cast<std::uint64_t>(state_->open.load(std::memory_order_relaxed))}});
    // Close on the acceptor's strand: its pending accept ends with operation_aborted.
    asio::post(acceptor_->acceptor.get_executor(), [acc = acceptor_] {
      boost::system::error_code ec;
      acc->acceptor.close(ec);
      acc->retry.cancel();
    });
  }
  state_->stop(std::move(drained));
}

std::size_t MllpServer::open_connections() const noexcept {
  return state_->open.load(std::memory_order_relaxed);
}

}  // namespace fcpgw::gateway::mllp
