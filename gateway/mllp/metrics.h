#pragma once
// The metrics of one MLLP listener, declared in one place and taken from the registry at
// start-up. All carry the label listener=<name>.

#include <string_view>

#include "gateway/observability/metrics.h"

namespace fcpgw::gateway::mllp {

struct MllpMetrics {
  observability::Gauge& connections_open;
  observability::Counter& connections_total;  ///< accepted and served
  observability::Counter& refused_limit;      ///< closed at once: max_connections reached
  observability::Counter& refused_allow;      ///< closed at once: peer not in the allow list
  observability::Counter& tls_failures;       ///< TLS handshakes that failed
  observability::Counter& frames;             ///< complete frames received
  observability::Counter& oversize;           ///< frames refused for size (answered AR)
  observability::Counter& truncated;          ///< frames cut short by a new start byte
  observability::Counter& garbage_bytes;      ///< bytes outside frames, skipped
  observability::Counter& timeout_idle;       ///< silent between frames for idle_timeout
  observability::Counter& timeout_read;       ///< a frame not finished within read_timeout
  observability::Counter& timeout_write;      ///< an answer not written within write_timeout
  observability::Counter& timeout_handshake;  ///< TLS handshake not done within read_timeout
  observability::Counter& acks_aa;
  observability::Counter& acks_ae;
  observability::Counter& acks_ar;
  observability::Counter& acks_ca;
  observability::Counter& acks_ce;
  observability::Counter& acks_cr;
  observability::Counter& acks_other;  ///< answers with any other code (or none: MSH-15/16 NE)

  /// Registers (or finds) the metrics of listener `name` in `registry`.
  static MllpMetrics make(observability::Registry& registry, std::string_view name);
  /// The counter of answers with MSA-1 `code`.
  observability::Counter& ack(std::string_view code) noexcept;
};

}  // namespace fcpgw::gateway::mllp
