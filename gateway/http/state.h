#pragma once
// What the listener and its sessions share: the immutable config, the intake, metrics, the
// authenticator, the TLS context, and the set of open sessions (so stop() can reach them).
// Sessions hold it by shared_ptr, so it outlives the HttpServer object if a session does.

#include <atomic>
#include <boost/asio/ssl/context.hpp>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "gateway/config/sections.h"
#include "gateway/http/auth.h"
#include "gateway/http/metrics.h"
#include "gateway/observability/metrics.h"
#include "gateway/service/admin.h"
#include "gateway/service/intake.h"

namespace fcpgw::gateway::http {

/// A session as the server sees it.
class SessionBase {
 public:
  virtual ~SessionBase() = default;
  /// Thread-safe: an idle connection closes now; one with a request in flight closes after
  /// writing its answer.
  virtual void stop() = 0;
};

struct ServerState {
  ServerState(const config::Http& c, service::Intake& i, observability::Registry& r,
              std::shared_ptr<boost::asio::ssl::context> t)
      : config(c), intake(i), registry(r), metrics(r, "http"), auth(c), tls(std::move(t)) {}

  const config::Http config;
  service::Intake& intake;
  service::Admin* admin = nullptr;  ///< the /admin routes; null: 404
  observability::Registry& registry;
  HttpMetrics metrics;
  const Authenticator auth;
  const std::shared_ptr<boost::asio::ssl::context> tls;  ///< null: plain TCP
  const std::string listener_name = "http";

  std::atomic<bool> stopping{false};
  std::atomic<std::uint64_t> next_connection{1};
  std::atomic<std::size_t> open_connections{0};

  void add_session(std::uint64_t id, std::weak_ptr<SessionBase> s) {
    std::lock_guard lock(mu_);
    sessions_.emplace(id, std::move(s));
  }
  void remove_session(std::uint64_t id) {
    std::lock_guard lock(mu_);
    sessions_.erase(id);
  }
  void stop_sessions() {
    // Collected first and released outside the lock: dropping the last reference runs the
    // session's destructor, which calls remove_session.
    std::vector<std::shared_ptr<SessionBase>> live;
    {
      std::lock_guard lock(mu_);
      live.reserve(sessions_.size());
      for (auto& [id, weak] : sessions_) {
        if (auto s = weak.lock()) live.push_back(std::move(s));
      }
    }
    for (auto& s : live) s->stop();
  }

 private:
  std::mutex mu_;
  std::unordered_map<std::uint64_t, std::weak_ptr<SessionBase>> sessions_;
};

}  // namespace fcpgw::gateway::http
