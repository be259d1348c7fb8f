#pragma once
// The network destinations. FHIR: POST a transaction Bundle to the base (or a message Bundle
// to [base]/$process-message; a document Bundle to [base]/Bundle, created once for its
// identifier) over HTTP(S) with a kept connection per worker; the mappings' conditional
// creates and updates make a resend harmless. MLLP: one ER7 message per exchange,
// classified by its ACK; the same MSH-10 on every attempt, since the output is translated once.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "gateway/delivery/destination.h"

namespace fcpgw::gateway::delivery {

/// nullptr and `error` (naming the key) when the URL does not parse or TLS cannot be set up.
std::unique_ptr<Destination> make_fhir_destination(const config::Destination& config,
                                                   std::string& error);

std::unique_ptr<Destination> make_mllp_destination(const config::Destination& config,
                                                   std::string& error);

// How answers are classified (pure; used by the destinations, tested on their own).

/// A receiver's HTTP answer: 2xx delivered (in message mode, unless the response message's
/// MessageHeader.response.code says transient-error or fatal-error); 408, 409, 425, 429 and 5xx
/// transient, with the pause of Retry-After; 3xx and other 4xx permanent. The reason names
/// `where` and the OperationOutcome's issue codes, never its text (which may quote data).
Result classify_fhir_answer(int status, std::string_view retry_after_header, std::string body,
                            bool message_mode, const std::string& where,
                            std::chrono::system_clock::time_point now);

/// An ACK to the message whose MSH-10 is `control_id`: AA delivered, CA delivered (or
/// `awaiting_application` set when the destination waits for the application ACK), AE and CE
/// per `on_ae` ("retry" transient, "dead" permanent), AR and CR permanent; an ACK that does
/// not parse, lacks MSA or acknowledges another message is transient ("bad-answer").
Result classify_ack(std::string_view ack, std::string_view control_id, const std::string& on_ae,
                    bool application_ack, const std::string& where, bool& awaiting_application);

/// How a document Bundle (a fit note) is written in transaction mode: POST [base]/Bundle with
/// If-None-Exist on its identifier. nullopt when `body` is not a document Bundle; `error` set
/// when it is one without an identifier (it could not be written once only).
struct DocumentWrite {
  std::string if_none_exist;  ///< "identifier=system%7Cvalue"
};
std::optional<DocumentWrite> document_write(std::string_view body, std::string& error);

/// A failure before any answer (refused, timeout, reset, TLS): transient.
Result transport_failure(std::string code, std::string reason);

}  // namespace fcpgw::gateway::delivery
