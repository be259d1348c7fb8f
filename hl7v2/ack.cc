#include "hl7v2/ack.h"

#include "hl7v2/builder.h"

namespace fcpgw::hl7v2 {

namespace {

bool valid_delimiters(const Delimiters& d) noexcept {
  const auto ok = [](char c) {
    return c > 0x20 && c < 0x7f &&
           !((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'));
  };
  const char cs[5] = {d.field, d.component, d.repetition, d.escape, d.subcomponent};
  for (int i = 0; i < 5; ++i) {
    if (!ok(cs[i])) return false;
    for (int j = 0; j < i; ++j) {
      if (cs[i] == cs[j]) return false;
    }
  }
  if (d.truncation != '\0') {
    if (!ok(d.truncation)) return false;
    for (char c : cs) {
      if (c == d.truncation) return false;
    }
  }
  return true;
}

void set_number(MessageBuilder& b, Position pos, std::size_t v) {
  if (v != 0) b.set(pos, std::to_string(v));
}

}  // namespace

std::string_view to_string(AckCode c) noexcept {
  switch (c) {
    case AckCode::AA:
      return "AA";
    case AckCode::AE:
      return "AE";
    case AckCode::AR:
      return "AR";
    case AckCode::CA:
      return "CA";
    case AckCode::CE:
      return "CE";
    case AckCode::CR:
      return "CR";
  }
  return "AR";
}

std::string_view error_code_text(ErrorCode c) noexcept {
  switch (c) {
    case ErrorCode::message_accepted:
      return "Message accepted";
    case ErrorCode::segment_sequence_error:
      return "Segment sequence error";
    case ErrorCode::required_field_missing:
      return "Required field missing";
    case ErrorCode::data_type_error:
      return "Data type error";
    case ErrorCode::table_value_not_found:
      return "Table value not found";
    case ErrorCode::value_too_long:
      return "Value too long";
    case ErrorCode::non_conformant_cardinality:
      return "Non-conformant cardinality";
    case ErrorCode::other_error:
      return "Other error";
    case ErrorCode::unsupported_message_type:
      return "Unsupported message type";
    case ErrorCode::unsupported_event_code:
      return "Unsupported event code";
    case ErrorCode::unsupported_processing_id:
      return "Unsupported processing id";
    case ErrorCode::unsupported_version_id:
      return "Unsupported version id";
    case ErrorCode::unknown_key_identifier:
      return "Unknown key identifier";
    case ErrorCode::duplicate_key_identifier:
      return "Duplicate key identifier";
    case ErrorCode::application_record_locked:
      return "Application record locked";
    case ErrorCode::application_internal_error:
      return "Application internal error";
  }
  return {};
}

std::string build_ack(const MshHeader& in, const AckRequest& r) {
  // Echo inbound values raw when they are in usable delimiters; otherwise write them as text.
  const bool echo_raw = valid_delimiters(in.delimiters);
  MessageBuilder b(echo_raw ? in.delimiters : Delimiters{});
  const auto echo = [&](Position pos, std::string_view v) {
    if (echo_raw) {
      b.set_raw(pos, v);
    } else {
      b.set(pos, v);
    }
  };
  b.segment("MSH");
  echo({3}, in.receiving_application);
  echo({4}, in.receiving_facility);
  echo({5}, in.sending_application);
  echo({6}, in.sending_facility);
  b.set(7, r.timestamp);
  b.set({9, 1, 1}, "ACK");
  echo({9, 1, 2}, in.trigger_event);
  b.set({9, 1, 3}, "ACK");
  b.set(10, r.control_id);
  if (!in.processing_id.empty()) {
    echo({11}, in.processing_id);
  } else {
    b.set(11, r.processing_id_fallback);
  }
  // Echo MSH-12 only when it carries a version id (MSH-12.1); otherwise use the fallback so
  // that the ACK itself is always a valid message.
  // Only the first repetition is echoed: a version field that begins with the repetition
  // separator (`MSH|...|~`) would otherwise give an ACK whose own MSH-12 is empty.
  const std::string_view version =
      echo_raw ? nth_part(in.version, in.delimiters.repetition, 1) : std::string_view(in.version);
  if (!(echo_raw ? nth_part(version, in.delimiters.component, 1) : version).empty()) {
    echo({12}, version);
  } else {
    b.set(12, r.version_fallback);
  }
  echo({18}, in.character_set);

  b.segment("MSA");
  b.set(1, to_string(r.code));
  echo({2}, in.control_id);
  b.set(3, r.text);

  for (const AckError& e : r.errors) {
    b.segment("ERR");
    const ErrorLocation& l = e.location;
    if (!l.segment_id.empty()) {
      b.set({2, 1, 1}, l.segment_id);
      set_number(b, {2, 1, 2}, l.segment_sequence);
      set_number(b, {2, 1, 3}, l.field);
      set_number(b, {2, 1, 4}, l.repetition);
      set_number(b, {2, 1, 5}, l.component);
      set_number(b, {2, 1, 6}, l.subcomponent);
    }
    b.set({3, 1, 1}, std::to_string(static_cast<unsigned>(e.code)));
    b.set({3, 1, 2}, error_code_text(e.code));
    b.set({3, 1, 3}, "HL70357");
    const char severity = static_cast<char>(e.severity);
    b.set(4, std::string_view(&severity, 1));
    b.set(5, e.application_code);
    b.set(7, e.diagnostic);
    b.set(8, e.user_message);
  }
  return b.take();
}

AckError to_ack_error(const ParseError& e) {
  AckError a;
  switch (e.code) {
    case ParseErrc::empty:
    case ParseErrc::not_msh:
    case ParseErrc::bad_segment_id:
      a.code = ErrorCode::segment_sequence_error;
      break;
    case ParseErrc::bad_delimiters:
      a.code = ErrorCode::data_type_error;
      break;
    case ParseErrc::missing_required_field:
      a.code = ErrorCode::required_field_missing;
      break;
    case ParseErrc::too_large:
      a.code = ErrorCode::value_too_long;
      break;
    case ParseErrc::too_many_segments:
    case ParseErrc::too_many_fields:
    case ParseErrc::too_many_repetitions:
      a.code = ErrorCode::non_conformant_cardinality;
      break;
  }
  // An unreadable segment id cannot be named in ERL-1; the diagnostic text still says where.
  if (e.code != ParseErrc::bad_segment_id && e.code != ParseErrc::not_msh &&
      e.segment_id.size() == 3) {
    a.location.segment_id = e.segment_id;
    a.location.segment_sequence = e.segment_occurrence != 0 ? e.segment_occurrence : 1;
    a.location.field = e.field;
    a.location.repetition = e.repetition;
    a.location.component = e.component;
  }
  a.severity = Severity::error;
  a.diagnostic = e.message;
  return a;
}

AckCode reject_code_for(const ParseError& e) noexcept {
  return e.header && !e.header->accept_ack_type.empty() ? AckCode::CR : AckCode::AR;
}

OversizeAck build_oversize_ack(std::string_view head, std::size_t limit, std::string_view timestamp,
                               std::string_view control_id) {
  ParseError pe;
  pe.code = ParseErrc::too_large;
  pe.message = "message exceeds the frame limit of " + std::to_string(limit) + " bytes";
  pe.header = parse_header_lenient(head);
  const MshHeader header = pe.header.value_or(MshHeader{});
  AckRequest req;
  req.code = reject_code_for(pe);
  req.timestamp = timestamp;
  req.control_id = control_id;
  req.errors.push_back(to_ack_error(pe));
  return {build_ack(header, req), req.code, header.control_id};
}

}  // namespace fcpgw::hl7v2
