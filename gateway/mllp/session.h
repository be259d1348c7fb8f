#pragma once
// The per-connection side of the MLLP listener. Not for use outside gateway/mllp: the server
// creates sessions; everything a session shares with its server is in ListenerState.

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "gateway/config/sections.h"
#include "gateway/mllp/metrics.h"
#include "gateway/service/intake.h"

namespace fcpgw::gateway::mllp::detail {

/// What a session can be told from outside its strand.
class SessionControl {
 public:
  virtual ~SessionControl() = default;
  /// Finish the frame being answered, if any, then close. Any thread.
  virtual void shutdown() = 0;
};

/// State shared by a server and its sessions; lives as long as the longest of them.
struct ListenerState {
  ListenerState(std::string n, const config::Mllp& c, service::Intake& i, MllpMetrics m)
      : name(std::move(n)), cfg(c), intake(i), metrics(m) {}

  const std::string name;
  const config::Mllp cfg;
  service::Intake& intake;
  MllpMetrics metrics;
  std::optional<boost::asio::ssl::context> tls;  ///< set when cfg.listener.tls.enabled

  std::atomic<std::size_t> open{0};  ///< sessions alive

  /// Registers a new session before it starts; false once stopping (then do not start it).
  bool add(std::uint64_t id, std::weak_ptr<SessionControl> s);
  /// Called by a session's destructor.
  void remove(std::uint64_t id);
  /// Stops: every session finishes its frame in flight and closes; `drained` runs once when
  /// the last one is gone (at once, on the calling thread, if there are none).
  void stop(std::function<void()> drained);
  bool stopping() const;

 private:
  mutable std::mutex mu_;
  std::unordered_map<std::uint64_t, std::weak_ptr<SessionControl>> sessions_;
  bool stopping_ = false;
  std::function<void()> drained_;
};

/// Starts a session on an accepted socket (already counted in state->open).
void start_session(std::shared_ptr<ListenerState> state, boost::asio::ip::tcp::socket socket,
                   std::uint64_t id, std::string peer);

}  // namespace fcpgw::gateway::mllp::detail
