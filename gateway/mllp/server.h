#pragma once
// The MLLP listener: accepts connections on config::Mllp.listener, enforces the allow list and
// max_connections, and runs one session per connection (optional TLS, idle/read/write
// timeouts, max_frame_bytes). Each complete frame goes to service::Intake; its ACKs are written
// back framed, in order, one frame at a time per connection.
//
//   MllpServer server(ioc, cfg.mllp, intake, registry);
//   if (std::string error; !server.start(error)) { ... }   // binds; accepting from here on
//   ... ioc.run() on one or more threads ...
//   server.stop([&] { /* every session closed */ });         // graceful drain

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "gateway/config/sections.h"
#include "gateway/observability/metrics.h"
#include "gateway/service/intake.h"

namespace fcpgw::gateway::mllp {

namespace detail {
struct ListenerState;
}

class MllpServer {
 public:
  /// A listener named `name` (in logs, metrics and Inbound::listener). Nothing is opened
  /// until start(). `intake` and `registry` must outlive every session.
  MllpServer(boost::asio::io_context& ioc, const config::Mllp& cfg, service::Intake& intake,
             observability::Registry& registry, std::string name = "mllp");
  /// Stops accepting (as stop() without waiting); sessions still open run to their end.
  ~MllpServer();
  MllpServer(const MllpServer&) = delete;
  MllpServer& operator=(const MllpServer&) = delete;

  /// Checks the allow list, builds the TLS context, binds host:port (port 0: an ephemeral
  /// port) and starts accepting. False and `error` (naming the address or file) on failure.
  [[nodiscard]] bool start(std::string& error);

  /// The bound address (valid after a successful start()).
  [[nodiscard]] boost::asio::ip::tcp::endpoint local_endpoint() const;

  /// Stops accepting; every session answers the frame it is processing, if any, then closes
  /// (frames not yet started or not yet received whole are dropped: the sender has no ACK
  /// for them and will resend). `drained` runs once, on an io_context thread or on the
  /// caller's, when the last session has closed. Any thread; later calls do nothing.
  void stop(std::function<void()> drained = {});

  /// Connections open now.
  [[nodiscard]] std::size_t open_connections() const noexcept;

 private:
  struct Acceptor;
  boost::asio::io_context& ioc_;
  std::shared_ptr<detail::ListenerState> state_;
  std::shared_ptr<Acceptor> acceptor_;
  boost::asio::ip::tcp::endpoint endpoint_;
  std::atomic<bool> stopped_{false};
};

}  // namespace fcpgw::gateway::mllp
