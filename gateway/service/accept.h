#pragma once
// The accept stage: for one inbound message, everything decided before it is journaled.
// Parse it, check it (the mapping's checks for v2, validation and the mapping's checks for
// FHIR), and say what to store and what to answer once the journal has committed it (and what
// to answer if the commit fails). Pure: no I/O, no clock (the caller passes the time), safe to
// call from many threads at once.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "fhir/json.h"
#include "gateway/service/intake.h"
#include "gateway/service/issues.h"
#include "gateway/service/router.h"
#include "hl7v2/message.h"
#include "mappings/engine.h"

namespace fcpgw::gateway::service {

/// What the accept stage decided for one message.
struct Decision {
  // What the journal keeps besides the bytes.
  std::string content_type;      ///< "er7", "fhir-json" or "unknown"
  std::string message_type;      ///< "SIU^S12", "Appointment", "Bundle"; "" when unreadable
  std::string control_id;        ///< MSH-10, Bundle.identifier.value; "" when none
  std::string sending_facility;  ///< MSH-4 as sent, or the HTTP client name
  std::string dedupe_key;        ///< "" = not deduplicated
  std::string ordering_key;      ///< the appointment, referral or document, else the patient
  bool rejected = false;         ///< stored as rejected, never delivered
  std::vector<Target> targets;   ///< accepted: the deliveries to create with the message
  /// The answer once the message is journaled (HTTP 202 answers get Content-Location from the
  /// journal id afterwards).
  Answer answer;
  /// The answer when the journal cannot take it (AE/CE with 207, HTTP 503).
  Answer failure;
  std::vector<Issue> issues;
};

struct AcceptLimits {
  hl7v2::Limits v2;
  fhir::Limits fhir;
};

class Acceptor {
 public:
  /// With a router, an accepted message gets its deliveries, and a message that no route takes
  /// is refused (AR 200 / 422 not-supported) rather than kept with nowhere to go. Without one
  /// (the desk tools), nothing is routed.
  Acceptor(std::shared_ptr<const mappings::Engine> engine, AcceptLimits limits,
           std::shared_ptr<const Router> router = nullptr);

  /// Decides for `in`. `now` is the HL7 DTM for the ACK's MSH-7 (e.g. "20261204183000+0000").
  /// `ack_id` is the ACK's own MSH-10 (unique per answer).
  Decision accept(const Inbound& in, std::string_view now, std::string_view ack_id) const;

  /// The CapabilityStatement of what accept() takes (JSON).
  std::string capability_statement() const;

 private:
  Decision accept_v2(const Inbound& in, std::string_view now, std::string_view ack_id) const;
  Decision accept_fhir(const Inbound& in) const;

  /// The no-route issue when a router is set and takes nothing; else the targets in `d`.
  bool route(Decision& d) const;

  std::shared_ptr<const mappings::Engine> engine_;
  AcceptLimits limits_;
  std::shared_ptr<const Router> router_;
};

/// The HL7 DTM of `unix_ms` in UTC with its offset: "20261204183000.123+0000".
std::string hl7_timestamp(std::int64_t unix_ms);

/// Serialises an answer's ACKs for the journal (joined by FS, which no ER7 ACK contains) and
/// reads them back.
std::string join_acks(const std::vector<std::string>& acks);
std::vector<std::string> split_acks(std::string_view stored);

}  // namespace fcpgw::gateway::service
