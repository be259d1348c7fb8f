#include "gateway/http/metrics.h"

namespace fcpgw::gateway::http {

using observability::Labels;

HttpMetrics::HttpMetrics(observability::Registry& registry, std::string listener)
    : open_connections(registry.gauge("fcpgw_http_connections_open", "Open HTTP connections",
                                      {{"listener", listener}})),
      refused_max_connections(registry.counter(
          "fcpgw_http_connections_refused_total", "HTTP connections closed at accept",
          {{"listener", listener}, {"reason", "max_connections"}})),
      refused_not_allowed(registry.counter("fcpgw_http_connections_refused_total",
                                           "HTTP connections closed at accept",
                                           {{"listener", listener}, {"reason", "not_allowed"}})),
      body_limit_refusals(registry.counter("fcpgw_http_body_limit_refusals_total",
                                           "HTTP requests refused with 413 (body over the limit)",
                                           {{"listener", listener}})),
      header_limit_refusals(registry.counter(
          "fcpgw_http_header_limit_refusals_total",
          "HTTP requests refused with 431 (header over the limit)", {{"listener", listener}})),
      timeouts(registry.counter("fcpgw_http_timeouts_total",
                                "HTTP connections closed by a read, idle, write or TLS timeout",
                                {{"listener", listener}})),
      tls_handshake_failures(registry.counter("fcpgw_http_tls_handshake_failures_total",
                                              "HTTP connections whose TLS handshake failed",
                                              {{"listener", listener}})),
      accept_errors(registry.counter("fcpgw_http_accept_errors_total",
                                     "Errors of accept() on the HTTP listener (e.g. EMFILE)",
                                     {{"listener", listener}})),
      registry_(registry),
      listener_(std::move(listener)) {
  for (std::size_t r = 0; r < route_count; ++r) {
    durations_[r] = &registry_.histogram(
        "fcpgw_http_request_duration_seconds", "Time from a request's header to its answer written",
        observability::latency_buckets(),
        {{"listener", listener_}, {"route", std::string(route_pattern(static_cast<Route>(r)))}});
  }
}

void HttpMetrics::request(Route route, unsigned status, double seconds) {
  const auto r = static_cast<std::size_t>(route);
  if (status < first_status || status >= first_status + status_span) status = 500;
  auto& slot = requests_[r][status - first_status];
  observability::Counter* c = slot.load(std::memory_order_acquire);
  if (c == nullptr) {
    // The registry gives the same counter for the same labels, so two threads racing here
    // store the same pointer.
    c = &registry_.counter("fcpgw_http_requests_total", "HTTP requests answered",
                           {{"listener", listener_},
                            {"route", std::string(route_pattern(route))},
                            {"status", std::to_string(status)}});
    slot.store(c, std::memory_order_release);
  }
  c->inc();
  durations_[r]->observe(seconds);
}

}  // namespace fcpgw::gateway::http
