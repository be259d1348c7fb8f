#pragma once
// A receiver of deliveries: what the dispatcher hands one translated message to, and what it
// learns back. Implementations: directory (one file per delivery), FHIR (HTTP client with a
// keep-alive pool) and MLLP (ACK per message). A destination knows nothing of the journal,
// routes or retries: it makes one attempt and classifies the answer; the dispatcher decides
// what happens next.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "gateway/config/sections.h"

namespace fcpgw::gateway::delivery {

/// One attempt to make.
struct Payload {
  std::int64_t delivery_id = 0;  ///< unique, increasing in the order messages were received
  std::int64_t message_id = 0;   ///< the journal entry it came from
  std::string content_type;      ///< "fhir-json" or "er7"
  std::string body;              ///< the translated message (a FHIR Bundle, an ER7 message)
  std::string message_type;      ///< of the inbound message: "SIU^S12", "Appointment"
  std::string control_id;        ///< of the inbound message: MSH-10, Bundle.identifier
  std::size_t attempt = 1;       ///< 1 for the first attempt
};

/// What one attempt did.
struct Result {
  enum class Kind : std::uint8_t {
    delivered,  ///< the receiver took it (2xx, AA, CA without application ACK wanted)
    transient,  ///< try again later (refused, reset, timeout, 5xx, 408, 429, AE by default)
    permanent,  ///< will never succeed as it is (other 4xx, AR): the dead letter
  };
  Kind kind = Kind::transient;
  /// Short machine-readable outcome: the HTTP status ("201"), the ACK code ("AA"), or one of
  /// "refused", "timeout", "reset", "tls", "io", "bad-answer" for transport failures.
  std::string code;
  /// Readable reason naming the receiver, never patient data ("127.0.0.1:8090: connection
  /// refused", "HTTP 422 from https://ehr.example/fhir").
  std::string reason;
  /// The receiver's answer as received (response body, ACK), bounded; may hold patient data,
  /// so it is stored in the journal and never logged.
  std::string response;
  /// When the receiver asked for a pause (Retry-After on 429/503): wait at least this long.
  std::optional<std::chrono::milliseconds> retry_after;
};

std::string_view to_string(Result::Kind k) noexcept;

class Destination {
 public:
  virtual ~Destination() = default;
  Destination() = default;
  Destination(const Destination&) = delete;
  Destination& operator=(const Destination&) = delete;

  /// The destination's name (the key under `destinations`).
  [[nodiscard]] virtual const std::string& name() const noexcept = 0;
  /// Makes one attempt, blocking the calling thread up to the destination's timeouts; never
  /// throws. Called from up to `concurrency` worker threads at once; `worker` (0-based, below
  /// the concurrency) names the calling worker, so that an implementation can keep one
  /// connection per worker without locks.
  [[nodiscard]] virtual Result deliver(const Payload& payload, std::size_t worker) = 0;
  /// Closes kept connections (at stop, or after a reload removed the destination).
  virtual void close() {}
};

/// Makes the destination described by `config` (its `type` chooses the implementation).
/// nullptr and `error` (naming the destination and the problem: a CA file that does not load,
/// a URL that does not parse) when it cannot be set up.
std::unique_ptr<Destination> make_destination(const config::Destination& config,
                                              std::string& error);

}  // namespace fcpgw::gateway::delivery
