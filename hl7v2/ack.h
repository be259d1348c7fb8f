#pragma once
// Acknowledgements (ACK with MSA and ERR) and the HL7 error codes of table 0357.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "hl7v2/message.h"

namespace fcpgw::hl7v2 {

/// MSA-1 acknowledgement code (table 0008).
enum class AckCode : std::uint8_t {
  AA,  ///< original mode: application accept
  AE,  ///< original mode: application error
  AR,  ///< original mode: application reject
  CA,  ///< enhanced mode: commit accept
  CE,  ///< enhanced mode: commit error
  CR,  ///< enhanced mode: commit reject
};
/// The two-letter code, e.g. "AA".
[[nodiscard]] std::string_view to_string(AckCode c) noexcept;

/// HL7 error condition codes (table 0357).
enum class ErrorCode : std::uint16_t {
  message_accepted = 0,
  segment_sequence_error = 100,
  required_field_missing = 101,
  data_type_error = 102,
  table_value_not_found = 103,
  value_too_long = 104,
  non_conformant_cardinality = 198,
  other_error = 199,
  unsupported_message_type = 200,
  unsupported_event_code = 201,
  unsupported_processing_id = 202,
  unsupported_version_id = 203,
  unknown_key_identifier = 204,
  duplicate_key_identifier = 205,
  application_record_locked = 206,
  application_internal_error = 207,
};
/// The table 0357 display text, e.g. "Required field missing"; empty for an unknown value.
[[nodiscard]] std::string_view error_code_text(ErrorCode c) noexcept;

/// ERR-4 severity (table 0516).
enum class Severity : char { error = 'E', warning = 'W', information = 'I', fatal = 'F' };

/// ERR-2 location (ERL): `SEG^seq^field^rep^comp^sub`; zeros are left empty.
struct ErrorLocation {
  std::string segment_id;            ///< ERL-1
  std::size_t segment_sequence = 0;  ///< ERL-2: nth occurrence of that segment id
  std::size_t field = 0;             ///< ERL-3
  std::size_t repetition = 0;        ///< ERL-4
  std::size_t component = 0;         ///< ERL-5
  std::size_t subcomponent = 0;      ///< ERL-6
};

/// One ERR segment.
struct AckError {
  ErrorLocation location;                   ///< ERR-2 (omitted when segment_id empty)
  ErrorCode code = ErrorCode::other_error;  ///< ERR-3
  Severity severity = Severity::error;      ///< ERR-4
  std::string application_code;             ///< ERR-5.1 (optional)
  std::string diagnostic;                   ///< ERR-7 (escaped on write)
  std::string user_message;                 ///< ERR-8 (escaped on write)
};

/// What the receiver decides; the inbound header supplies the rest.
struct AckRequest {
  // Owned, not views: a request is often filled from temporaries ("ACK" + id), and a view of
  // one dangles before build_ack() reads it.
  AckCode code = AckCode::AA;    ///< MSA-1
  std::string timestamp;         ///< MSH-7, given by the caller (e.g. "20240101120000+0000")
  std::string control_id;        ///< MSH-10 of the ACK
  std::string text;              ///< MSA-3 (deprecated; optional)
  std::vector<AckError> errors;  ///< ERR segments, in order
  std::string_view version_fallback = "2.5.1";    ///< MSH-12 when the inbound had none
  std::string_view processing_id_fallback = "P";  ///< MSH-11 when the inbound had none
};

/// Builds an ACK for `inbound` in the inbound delimiters: MSH-3/4 <- inbound MSH-5/6,
/// MSH-5/6 <- inbound MSH-3/4, MSH-7 the given time, MSH-9 `ACK^<event>^ACK`, MSH-10 the
/// given control id, MSH-11/12/18 echoed; MSA-1 code, MSA-2 inbound MSH-10, MSA-3 text;
/// then one ERR per error. Segments end in CR.
[[nodiscard]] std::string build_ack(const MshHeader& inbound, const AckRequest& request);

/// The ERR content for a parse failure: location from the error, table 0357 code
/// (100 segment sequence, 101 required field missing, 102 data type, 104 value too long,
/// 198 cardinality), severity E, and the error message as diagnostic text.
[[nodiscard]] AckError to_ack_error(const ParseError& e);

/// The MSA-1 code for rejecting a message that failed to parse: AR, or CR when the inbound
/// asked for enhanced acknowledgement (MSH-15 present).
[[nodiscard]] AckCode reject_code_for(const ParseError& e) noexcept;

/// The answer to a message refused unread because it is over `limit` bytes (an MLLP frame over
/// the listener's limit): `head` is what was read of it. AR (CR in enhanced mode) with ERR 104,
/// echoing what can be read of its MSH.
struct OversizeAck {
  std::string ack;             ///< the ACK (ER7, segments end in CR)
  AckCode code = AckCode::AR;  ///< its MSA-1
  std::string control_id;      ///< the refused message's MSH-10 as far as it was read ("" if not)
};
[[nodiscard]] OversizeAck build_oversize_ack(std::string_view head, std::size_t limit,
                                             std::string_view timestamp,
                                             std::string_view control_id);

}  // namespace fcpgw::hl7v2
