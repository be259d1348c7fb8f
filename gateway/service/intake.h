#pragma once
// What a listener hands a message to, and what it gets back. A listener (MLLP or HTTP) frames
// bytes and enforces transport limits; everything about the message itself (parse, validate,
// decide the answer, journal it before answering) happens behind Intake. app/ wires the real
// one (service accept stage + journal); unit tests of the listeners use a fake.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fcpgw::gateway::service {

/// One inbound message.
struct Inbound {
  enum class Kind : std::uint8_t {
    v2,    ///< HL7 v2 ER7 (an MLLP frame's payload, or the body of POST /hl7v2)
    fhir,  ///< FHIR JSON (the body of a POST/PUT under /fhir)
  };
  Kind kind = Kind::v2;
  std::string listener;          ///< the listener's name, e.g. "mllp", "http"
  std::string peer;              ///< "127.0.0.1:53422"
  std::uint64_t connection = 0;  ///< the listener's connection id (for logs)
  std::string client;            ///< authenticated HTTP client name; empty otherwise
  /// HTTP only: the method and the path below /fhir ("POST", "" for /fhir itself,
  /// "Appointment", "Appointment/123", "$process-message").
  std::string method;
  std::string fhir_path;
  std::string body;  ///< the bytes as received
};

/// The answer to one inbound message.
struct Answer {
  /// MLLP: the ACK messages to send, in order, each unframed ER7 (none when the sender asked
  /// for no acknowledgement: MSH-15/16 NE).
  std::vector<std::string> acks;
  /// HTTP: status, media type, body and extra headers (Content-Location, Retry-After).
  unsigned status = 0;
  std::string content_type;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  /// For logs and metrics (never patient data): the answer code ("AA", "AE", "AR", "CA", "CE",
  /// "CR", or the HTTP status as text), the message type ("SIU^S12", "Bundle"), the control id
  /// (MSH-10 / Bundle.identifier) and the journal id (0 when nothing was journaled).
  std::string code;
  std::string message_type;
  std::string control_id;
  std::int64_t journal_id = 0;
  bool duplicate = false;  ///< answered from an earlier identical message; not journaled again
};

using AnswerHandler = std::function<void(Answer)>;

class Intake {
 public:
  virtual ~Intake() = default;
  /// Takes one message: parse, check, journal, decide. `done` runs once, on any thread, after
  /// the journal commit that holds the message (or its failure): post back to your strand.
  virtual void submit(Inbound in, AnswerHandler done) = 0;
  /// GET of a journal entry named by Content-Location (FHIR's asynchronous request pattern):
  /// the HTTP answer for entry `id`, or nullopt when there is none.
  virtual std::optional<Answer> status(std::int64_t id) = 0;
  /// The CapabilityStatement (JSON) of exactly what the gateway accepts.
  virtual std::string capability_statement() const = 0;
  /// True when the gateway can take messages (journal writable); `why` says what is not.
  virtual bool ready(std::string& why) const = 0;
};

}  // namespace fcpgw::gateway::service
