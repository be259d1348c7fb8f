#include "gateway/mllp/metrics.h"

#include <string>

namespace fcpgw::gateway::mllp {

MllpMetrics MllpMetrics::make(observability::Registry& r, std::string_view name) {
  using observability::Labels;
  const std::string l(name);
  const auto with = [&](const char* key, const char* value) {
    return Labels{{"listener", l}, {key, value}};
  };
  const Labels base{{"listener", l}};
  constexpr const char* refused = "fcpgw_mllp_connections_refused_total";
  constexpr const char* refused_help = "MLLP connections closed at once, by reason";
  constexpr const char* timeouts = "fcpgw_mllp_timeouts_total";
  constexpr const char* timeouts_help = "MLLP connections closed by a timeout, by kind";
  constexpr const char* acks = "fcpgw_mllp_acks_total";
  constexpr const char* acks_help = "MLLP answers sent, by MSA-1 code";
  return MllpMetrics{
      .connections_open = r.gauge("fcpgw_mllp_connections_open", "MLLP connections open now", base),
      .connections_total =
          r.counter("fcpgw_mllp_connections_total", "MLLP connections accepted", base),
      .refused_limit = r.counter(refused, refused_help, with("reason", "max_connections")),
      .refused_allow = r.counter(refused, refused_help, with("reason", "allow_list")),
      .tls_failures = r.counter("fcpgw_mllp_tls_handshake_failures_total",
                                "MLLP TLS handshakes that failed", base),
      .frames = r.counter("fcpgw_mllp_frames_total", "MLLP frames received whole", base),
      .oversize = r.counter("fcpgw_mllp_oversize_frames_total",
                            "MLLP frames over max_frame_bytes, answered AR", base),
      .truncated = r.counter("fcpgw_mllp_truncated_frames_total",
                             "MLLP frames cut short by a new start byte", base),
      .garbage_bytes = r.counter("fcpgw_mllp_garbage_bytes_total",
                                 "Bytes received outside MLLP frames and skipped", base),
      .timeout_idle = r.counter(timeouts, timeouts_help, with("kind", "idle")),
      .timeout_read = r.counter(timeouts, timeouts_help, with("kind", "read")),
      .timeout_write = r.counter(timeouts, timeouts_help, with("kind", "write")),
      .timeout_handshake = r.counter(timeouts, timeouts_help, with("kind", "handshake")),
      .acks_aa = r.counter(acks, acks_help, with("code", "AA")),
      .acks_ae = r.counter(acks, acks_help, with("code", "AE")),
      .acks_ar = r.counter(acks, acks_help, with("code", "AR")),
      .acks_ca = r.counter(acks, acks_help, with("code", "CA")),
      .acks_ce = r.counter(acks, acks_help, with("code", "CE")),
      .acks_cr = r.counter(acks, acks_help, with("code", "CR")),
      .acks_other = r.counter(acks, acks_help, with("code", "other")),
  };
}

observability::Counter& MllpMetrics::ack(std::string_view code) noexcept {
  if (code == "AA") return acks_aa;
  if (code == "AE") return acks_ae;
  if (code == "AR") return acks_ar;
  if (code == "CA") return acks_ca;
  if (code == "CE") return acks_ce;
  if (code == "CR") return acks_cr;
  return acks_other;
}

}  // namespace fcpgw::gateway::mllp
