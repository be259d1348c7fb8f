#include "gateway/http/server.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <chrono>

#include "gateway/http/session.h"
#include "gateway/http/state.h"
#include "gateway/observability/log.h"

namespace fcpgw::gateway::http {
namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using boost::system::error_code;
using observability::Level;
using observability::log;

/// After accept() fails (EMFILE, ENFILE, ENOBUFS), wait this long before trying again, so a
/// process out of descriptors does not spin.
constexpr std::chrono::milliseconds accept_retry_delay{100};

std::string endpoint_text(const tcp::endpoint& ep) {
  const auto a = ep.address();
  if (a.is_v6()) return "[" + a.to_string() + "]:" + std::to_string(ep.port());
  return a.to_string() + ":" + std::to_string(ep.port());
}

/// A v4-mapped v6 address (a v4 peer on a dual-stack socket) as the v4 address it is.
net::ip::address plain_address(const net::ip::address& a) {
  if (a.is_v6() && a.to_v6().is_v4_mapped()) {
    return net::ip::make_address_v4(net::ip::v4_mapped, a.to_v6());
  }
  return a;
}

}  // namespace

class HttpServer::Acceptor : public std::enable_shared_from_this<HttpServer::Acceptor> {
 public:
  Acceptor(net::io_context& ioc, std::shared_ptr<ServerState> state, AllowFn allow)
      : ioc_(ioc),
        acceptor_(net::make_strand(ioc)),
        retry_(acceptor_.get_executor()),
        state_(std::move(state)),
        allow_(std::move(allow)) {}

  std::string open() {
    const auto& l = state_->config.listener;
    error_code ec;
    tcp::endpoint ep;
    const auto address = net::ip::make_address(l.host, ec);
    if (!ec) {
      ep = tcp::endpoint(address, l.port);
    } else {
      tcp::resolver resolver(ioc_);
      const auto results =
          resolver.resolve(l.host, std::to_string(l.port),
                           tcp::resolver::passive | tcp::resolver::numeric_service, ec);
      if (ec || results.empty()) {
        return "resolve " + l.host + ": " + (ec ? ec.message() : "no address");
      }
      ep = results.begin()->endpoint();
    }
    const std::string where = l.host + ":" + std::to_string(l.port);
    if (acceptor_.open(ep.protocol(), ec); ec) return "open " + where + ": " + ec.message();
    if (acceptor_.set_option(net::socket_base::reuse_address(true), ec); ec) {
      return "set_option " + where + ": " + ec.message();
    }
    if (acceptor_.bind(ep, ec); ec) return "bind " + where + ": " + ec.message();
    if (acceptor_.listen(net::socket_base::max_listen_connections, ec); ec) {
      return "listen " + where + ": " + ec.message();
    }
    local_ = acceptor_.local_endpoint(ec);
    if (ec) return "local_endpoint " + where + ": " + ec.message();
    log(Level::info, "http.listen",
        {{"address", endpoint_text(local_)}, {"tls", state_->tls != nullptr}});
    net::dispatch(acceptor_.get_executor(),
                  boost::beast::bind_front_handler(&Acceptor::do_accept, shared_from_this()));
    return {};
  }

  tcp::endpoint local_endpoint() const { return local_; }
  std::size_t open_connections() const { return state_->open_connections.load(); }

  void stop() {
    if (state_->stopping.exchange(true)) return;
    net::post(acceptor_.get_executor(), [self = shared_from_this()] {
      error_code ignored;
      self->acceptor_.close(ignored);
      self->retry_.cancel();
      log(Level::info, "http.stop", {{"open_connections", self->open_connections()}});
    });
    state_->stop_sessions();
  }

 private:
  void do_accept() {
    if (state_->stopping) return;
    acceptor_.async_accept(net::make_strand(ioc_), boost::beast::bind_front_handler(
                                                       &Acceptor::on_accept, shared_from_this()));
  }

  void on_accept(error_code ec, tcp::socket socket) {
    if (ec) {
      if (ec == net::error::operation_aborted || state_->stopping) return;
      state_->metrics.accept_errors.inc();
      log(Level::error, "http.accept_error", {{"error", ec.message()}});
      retry_.expires_after(accept_retry_delay);
      retry_.async_wait([self = shared_from_this()](error_code e) {
        if (!e) self->do_accept();
      });
      return;
    }
    if (state_->stopping) return;  // the socket closes here
    accept(std::move(socket));
    do_accept();
  }

  void accept(tcp::socket socket) {
    error_code ec;
    const tcp::endpoint remote = socket.remote_endpoint(ec);
    if (ec) return;  // gone already
    const std::string peer = endpoint_text(remote);
    if (allow_ && !allow_(plain_address(remote.address()))) {
      state_->metrics.refused_not_allowed.inc();
      log(Level::warn, "http.refused", {{"peer", peer}, {"reason", "not_allowed"}});
      socket.close(ec);
      return;
    }
    if (state_->open_connections.load() >= state_->config.listener.max_connections) {
      state_->metrics.refused_max_connections.inc();
      log(Level::warn, "http.refused", {{"peer", peer}, {"reason", "max_connections"}});
      socket.close(ec);
      return;
    }
    const std::uint64_t id = state_->next_connection.fetch_add(1);
    log(Level::debug, "http.accept", {{"conn", id}, {"peer", peer}});
    start_session(state_, std::move(socket), id, peer);
  }

  net::io_context& ioc_;
  tcp::acceptor acceptor_;
  net::steady_timer retry_;
  std::shared_ptr<ServerState> state_;
  AllowFn allow_;
  tcp::endpoint local_;
};

HttpServer::HttpServer(net::io_context& ioc, const config::Http& config, service::Intake& intake,
                       observability::Registry& registry, std::shared_ptr<net::ssl::context> tls,
                       AllowFn allow, service::Admin* admin)
    : acceptor_(std::make_shared<Acceptor>(
          ioc,
          [&] {
            auto state = std::make_shared<ServerState>(config, intake, registry, std::move(tls));
            state->admin = admin;
            return state;
          }(),
          std::move(allow))) {}

HttpServer::~HttpServer() { stop(); }

std::string HttpServer::start() { return acceptor_->open(); }

tcp::endpoint HttpServer::local_endpoint() const { return acceptor_->local_endpoint(); }

void HttpServer::stop() { acceptor_->stop(); }

std::size_t HttpServer::open_connections() const { return acceptor_->open_connections(); }

}  // namespace fcpgw::gateway::http
