#pragma once
// The HTTP listener's metrics, declared in one place. Taken from the registry once at start-up;
// the per-(route, status) request counters are looked up the first time a pair is seen and then
// cached, so the data path only does atomic loads and increments.

#include <array>
#include <atomic>
#include <string>

#include "gateway/http/routes.h"
#include "gateway/observability/metrics.h"

namespace fcpgw::gateway::http {

class HttpMetrics {
 public:
  HttpMetrics(observability::Registry& registry, std::string listener);

  /// One answered request: counts it by route and status, and observes its duration.
  void request(Route route, unsigned status, double seconds);

  observability::Gauge& open_connections;
  observability::Counter& refused_max_connections;  ///< closed at accept: over max_connections
  observability::Counter& refused_not_allowed;      ///< closed at accept: not in the allow list
  observability::Counter& body_limit_refusals;      ///< 413: body over max_body_bytes
  observability::Counter& header_limit_refusals;    ///< 431: header over max_header_bytes
  observability::Counter& timeouts;                 ///< closed by a read/idle/write/TLS timeout
  observability::Counter& tls_handshake_failures;
  observability::Counter& accept_errors;

 private:
  observability::Registry& registry_;
  std::string listener_;
  std::array<observability::Histogram*, route_count> durations_{};
  static constexpr unsigned first_status = 100;
  static constexpr unsigned status_span = 500;  // 100..599
  std::array<std::array<std::atomic<observability::Counter*>, status_span>, route_count>
      requests_{};
};

}  // namespace fcpgw::gateway::http
