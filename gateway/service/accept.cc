#include "gateway/service/accept.h"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <utility>

#include "fhir/validation.h"
#include "gateway/common/text.h"
#include "hl7v2/ack.h"
#include "hl7v2/path.h"

namespace fcpgw::gateway::service {

namespace {

constexpr std::string_view kFhirJson = "application/fhir+json";
constexpr std::string_view kEr7 = "x-application/hl7-v2+er7";
constexpr char kAckSeparator = '\x1c';

bool is_enhanced(const hl7v2::MshHeader& h) {
  return !h.accept_ack_type.empty() || !h.application_ack_type.empty();
}

// MSH-15 / MSH-16 (table 0155): whether an acknowledgement of this outcome is wanted. An empty
// value in enhanced mode: the commit acknowledgement is always sent (AL), the application
// acknowledgement never (NE).
bool wanted(std::string_view condition, bool success, bool empty_means_always) {
  if (condition.empty()) return empty_means_always;
  if (condition == "NE") return false;
  if (condition == "ER") return !success;
  if (condition == "SU") return success;
  return true;  // AL, or a value outside the table: answer rather than stay silent
}

// An ACK that parses back whatever the inbound header held: built from the header as sent,
// else (should the echo ever make it unreadable) from a header without the echoed fields.
std::string make_ack(const hl7v2::MshHeader& inbound, hl7v2::AckRequest request) {
  std::string ack = hl7v2::build_ack(inbound, request);
  if (hl7v2::Message::parse(ack)) return ack;
  hl7v2::MshHeader clean;
  clean.control_id = inbound.control_id;
  ack = hl7v2::build_ack(clean, request);
  if (hl7v2::Message::parse(ack)) return ack;
  clean.control_id.clear();
  return hl7v2::build_ack(clean, request);
}

// "PID-3 (segment 4, byte 812)" / "segment 2 'ZZ' (byte 40)" / "byte 0".
std::string parse_location(const hl7v2::ParseError& e) {
  const std::string byte = "byte " + std::to_string(e.byte_offset);
  std::string id;
  for (char c : e.segment_id.substr(0, 8)) {
    id.push_back(
        static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x7F ? c : '?');
  }
  if (e.segment_index == 0) return byte;
  if (e.field > 0 && !id.empty()) {
    std::string loc = id + "-" + std::to_string(e.field);
    if (e.repetition > 0) loc += "[" + std::to_string(e.repetition) + "]";
    if (e.component > 0) loc += "." + std::to_string(e.component);
    return loc + " (segment " + std::to_string(e.segment_index) + ", " + byte + ")";
  }
  std::string loc = "segment " + std::to_string(e.segment_index);
  if (!id.empty()) loc += " '" + id + "'";
  return loc + " (" + byte + ")";
}

bool unsupported(const std::vector<Issue>& issues) {
  for (const Issue& i : issues) {
    const auto c = static_cast<int>(i.code);
    if ((i.severity == fhir::Severity::error || i.severity == fhir::Severity::fatal) && c >= 200 &&
        c <= 203) {
      return true;
    }
  }
  return false;
}

std::string first_nonempty(const hl7v2::Message& m, std::initializer_list<std::string_view> paths) {
  for (std::string_view p : paths) {
    auto path = hl7v2::parse_path(p);
    if (!path) continue;
    std::string v = m.text(*path);
    if (!v.empty()) return std::string(p.substr(0, 3)) + "|" + v;
  }
  return {};
}

std::string_view str(const rapidjson::Value& v, const char* name) {
  if (!v.IsObject()) return {};
  auto it = v.FindMember(name);
  if (it == v.MemberEnd() || !fhir::is_string(it->value)) return {};
  return {it->value.GetString(), it->value.GetStringLength()};
}

Answer http_answer(unsigned status, std::string body, std::string_view code) {
  Answer a;
  a.status = status;
  a.content_type = std::string(kFhirJson);
  a.body = std::move(body);
  a.code = code.empty() ? std::to_string(status) : std::string(code);
  return a;
}

Issue plain_issue(fhir::Severity s, fhir::IssueType t, std::string message) {
  Issue i;
  i.severity = s;
  i.type = t;
  i.message = std::move(message);
  return i;
}

}  // namespace

std::string hl7_timestamp(std::int64_t unix_ms) {
  const std::time_t secs = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d%02d%02d%02d%02d%02d.%03d+0000", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(unix_ms % 1000));
  return buf;
}

std::string join_acks(const std::vector<std::string>& acks) {
  std::string out;
  for (const std::string& a : acks) {
    if (!out.empty()) out.push_back(kAckSeparator);
    out += a;
  }
  return out;
}

std::vector<std::string> split_acks(std::string_view stored) {
  std::vector<std::string> out;
  while (!stored.empty()) {
    const auto at = stored.find(kAckSeparator);
    out.emplace_back(stored.substr(0, at));
    if (at == std::string_view::npos) break;
    stored.remove_prefix(at + 1);
  }
  return out;
}

Acceptor::Acceptor(std::shared_ptr<const mappings::Engine> engine, AcceptLimits limits,
                   std::shared_ptr<const Router> router)
    : engine_(std::move(engine)), limits_(limits), router_(std::move(router)) {}

bool Acceptor::route(Decision& d) const {
  if (!router_) return true;
  d.targets = router_->route(d.message_type, d.sending_facility);
  if (!d.targets.empty()) return true;
  Issue i = plain_issue(fhir::Severity::error, fhir::IssueType::not_supported,
                        "no route takes " + printable(d.message_type, 40) +
                            " from this sender; see the gateway's routes");
  i.about_v2 = d.content_type == "er7";
  i.code = hl7v2::ErrorCode::unsupported_message_type;
  d.issues.push_back(std::move(i));
  return false;
}

Decision Acceptor::accept(const Inbound& in, std::string_view now, std::string_view ack_id) const {
  return in.kind == Inbound::Kind::v2 ? accept_v2(in, now, ack_id) : accept_fhir(in);
}

Decision Acceptor::accept_v2(const Inbound& in, std::string_view now,
                             std::string_view ack_id) const {
  Decision d;
  d.content_type = "er7";
  const bool over_http = in.listener != "mllp" && !in.method.empty();
  auto msg = hl7v2::Message::parse(in.body, limits_.v2);

  hl7v2::MshHeader header;
  bool parsed = false;
  bool refused = false;  // not processed at all: unreadable, or a type no mapping takes
  if (!msg) {
    const hl7v2::ParseError& e = msg.error();
    d.issues.push_back(from_parse_error(e, parse_location(e)));
    if (e.header) {
      header = *e.header;
    } else if (auto h = hl7v2::parse_header_lenient(in.body)) {
      header = std::move(*h);
    } else {
      d.content_type = "unknown";
    }
    refused = true;
  } else {
    parsed = true;
    header = msg->header();
    mappings::Translation t;
    const bool ok = engine_->v2_to_fhir(*msg, t);
    for (const mappings::Issue& i : t.issues) d.issues.push_back(from_mapping(i, true));
    if (!ok && !has_errors(d.issues)) {
      d.issues.push_back(plain_issue(fhir::Severity::error, fhir::IssueType::processing,
                                     "message not translated"));
      d.issues.back().about_v2 = true;
      d.issues.back().code = hl7v2::ErrorCode::application_internal_error;
    }
    refused = !ok && unsupported(d.issues);
    d.rejected = !ok;
    d.ordering_key = first_nonempty(
        *msg, {"SCH-2.1", "SCH-1.1", "RF1-6.1", "RF1-11.1", "TXA-12.1", "TXA-16.1", "PID-3.1"});
  }
  if (refused) d.rejected = true;
  d.message_type =
      header.message_code.empty()
          ? std::string()
          : header.message_code + (header.trigger_event.empty() ? "" : "^" + header.trigger_event);
  d.control_id = header.control_id;
  d.sending_facility = header.sending_facility;
  if (parsed && !d.rejected && !route(d)) {
    refused = true;
    d.rejected = true;
  }
  if (parsed && !d.rejected && !header.control_id.empty()) {
    d.dedupe_key = "v2|" + header.sending_application + "|" + header.sending_facility + "|" +
                   header.control_id;
  }

  // Only errors go into ERR: warnings are for the desk tools.
  std::vector<Issue> errors;
  for (const Issue& i : d.issues)
    if (i.severity == fhir::Severity::error || i.severity == fhir::Severity::fatal)
      errors.push_back(i);

  hl7v2::AckRequest req;
  req.timestamp = now;
  req.control_id = ack_id;
  const bool enhanced = is_enhanced(header);
  const bool success = !d.rejected;
  if (enhanced) {
    // Commit acknowledgement: CA once journaled (even when the mapping's checks failed: the
    // application acknowledgement says that), CR for a message that cannot be processed.
    if (wanted(header.accept_ack_type, !refused, true)) {
      req.code = refused ? hl7v2::AckCode::CR : hl7v2::AckCode::CA;
      req.errors = refused ? to_ack_errors(errors) : std::vector<hl7v2::AckError>{};
      d.answer.acks.push_back(make_ack(header, req));
    }
    if (!refused && wanted(header.application_ack_type, success, false)) {
      req.code = success ? hl7v2::AckCode::AA : hl7v2::AckCode::AE;
      req.errors = to_ack_errors(errors);
      d.answer.acks.push_back(make_ack(header, req));
    }
  } else {
    req.code = success ? hl7v2::AckCode::AA : refused ? hl7v2::AckCode::AR : hl7v2::AckCode::AE;
    req.errors = to_ack_errors(errors);
    d.answer.acks.push_back(make_ack(header, req));
  }
  d.answer.code = enhanced ? (refused ? "CR" : "CA") : std::string(hl7v2::to_string(req.code));
  if (enhanced && !refused && !success) d.answer.code = "CA+AE";
  d.answer.message_type = d.message_type;
  d.answer.control_id = d.control_id;

  // If the journal cannot store it: AE (CE) with 207, so that the sender resends later.
  Issue down = plain_issue(fhir::Severity::error, fhir::IssueType::transient,
                           "the gateway could not store the message; send it again later");
  down.about_v2 = true;
  down.code = hl7v2::ErrorCode::application_internal_error;
  hl7v2::AckRequest fail;
  fail.timestamp = now;
  fail.control_id = ack_id;
  fail.code = enhanced ? hl7v2::AckCode::CE : hl7v2::AckCode::AE;
  fail.errors = to_ack_errors(std::span<const Issue>(&down, 1));
  d.failure.acks.push_back(make_ack(header, fail));
  d.failure.code = std::string(hl7v2::to_string(fail.code));
  d.failure.message_type = d.message_type;
  d.failure.control_id = d.control_id;

  if (over_http) {
    // POST /hl7v2: the ACK is the body; the status says the same as MSA-1.
    d.answer.status = success ? 202 : refused ? 400 : 422;
    d.answer.content_type = std::string(kEr7);
    d.answer.body = join_acks(d.answer.acks);
    d.failure.status = 503;
    d.failure.content_type = std::string(kEr7);
    d.failure.body = join_acks(d.failure.acks);
    d.failure.headers.emplace_back("Retry-After", "5");
  }
  return d;
}

Decision Acceptor::accept_fhir(const Inbound& in) const {
  Decision d;
  d.content_type = "fhir-json";
  d.sending_facility = in.client;
  d.failure = http_answer(503,
                          operation_outcome_json(std::vector<Issue>{plain_issue(
                              fhir::Severity::error, fhir::IssueType::transient,
                              "the gateway could not store the request; send it again later")}),
                          "503");
  d.failure.headers.emplace_back("Retry-After", "5");

  auto reject = [&](unsigned status) {
    d.rejected = true;
    d.answer = http_answer(status, operation_outcome_json(d.issues), "");
    return d;
  };

  auto doc = fhir::parse(in.body, limits_.fhir);
  if (!doc) {
    d.content_type = "unknown";
    d.issues.push_back(
        plain_issue(fhir::Severity::error, fhir::IssueType::structure, doc.error().message));
    return reject(400);
  }
  const rapidjson::Value& root = doc->root();
  const std::string_view type = str(root, "resourceType");
  d.message_type = std::string(type);
  if (type.empty()) {
    d.issues.push_back(plain_issue(fhir::Severity::error, fhir::IssueType::required,
                                   "resourceType: a string naming the resource is required"));
    return reject(400);
  }

  // The path says what may be posted there.
  const std::string& path = in.fhir_path;
  const auto slash = path.find('/');
  const std::string_view path_type = std::string_view(path).substr(0, slash);
  const std::string_view path_id =
      slash == std::string::npos ? std::string_view() : std::string_view(path).substr(slash + 1);
  const std::string_view bundle_type = type == "Bundle" ? str(root, "type") : std::string_view();
  if (type == "Bundle") d.message_type += "/" + std::string(bundle_type);
  std::string wrong;
  if (path.empty()) {
    if (type != "Bundle" ||
        (bundle_type != "transaction" && bundle_type != "message" && bundle_type != "batch")) {
      wrong = "POST to the base takes a transaction, batch or message Bundle";
    }
  } else if (path == "$process-message") {
    if (bundle_type != "message") wrong = "$process-message takes a message Bundle";
  } else if (path_type != type) {
    wrong = "the resource is a " + std::string(type).substr(0, 40) + ", but the URL names " +
            std::string(path_type);
  } else if (in.method == "PUT" && path_id != str(root, "id")) {
    wrong = "PUT: the resource id must equal the id in the URL";
  } else if (in.method == "PUT" && path_id.empty()) {
    wrong = "PUT needs an id in the URL";
  }
  if (!wrong.empty()) {
    d.issues.push_back(plain_issue(fhir::Severity::error, fhir::IssueType::invalid, wrong));
    return reject(400);
  }

  for (const fhir::Issue& i : fhir::validate(root)) d.issues.push_back(from_fhir(i));
  if (has_errors(d.issues)) return reject(422);

  if (type == "Bundle") {
    if (const auto it = root.FindMember("identifier");
        it != root.MemberEnd() && it->value.IsObject()) {
      d.control_id = std::string(str(it->value, "value"));
      if (!d.control_id.empty()) {
        d.dedupe_key =
            "fhir|" + in.client + "|" + std::string(str(it->value, "system")) + "|" + d.control_id;
      }
    }
  } else {
    d.control_id = std::string(str(root, "id"));
  }

  // The mapping's own checks: what it cannot translate is refused now, not at delivery.
  for (Issue& i : check_fhir_mapping(*engine_, root)) d.issues.push_back(std::move(i));
  if (has_errors(d.issues)) return reject(422);
  d.ordering_key = std::string(type) + "|" + d.control_id;
  if (!route(d)) return reject(422);

  std::vector<Issue> shown = d.issues;
  shown.push_back(plain_issue(fhir::Severity::information, fhir::IssueType::informational,
                              "accepted: journaled for delivery"));
  d.answer = http_answer(202, operation_outcome_json(shown), "202");
  d.answer.message_type = d.message_type;
  d.answer.control_id = d.control_id;
  return d;
}

std::string Acceptor::capability_statement() const {
  // What accept() takes: exactly the routes of the HTTP listener.
  return R"({"resourceType":"CapabilityStatement","status":"active","date":"2026-12-01",)"
         R"("kind":"instance","software":{"name":"fcpgw"},)"
         R"("implementation":{"description":"fcpgw FHIR R4 / HL7 v2 gateway: accepts, journals )"
         R"(and forwards; writes are answered 202 Accepted with Content-Location"},)"
         R"("fhirVersion":"4.0.1","format":["application/fhir+json","json"],)"
         R"("rest":[{"mode":"server","resource":[)"
         R"({"type":"Appointment","interaction":[{"code":"create"},{"code":"update"}]},)"
         R"({"type":"ServiceRequest","interaction":[{"code":"create"},{"code":"update"}]},)"
         R"({"type":"Task","interaction":[{"code":"create"},{"code":"update"}]}],)"
         R"("interaction":[{"code":"transaction"},{"code":"batch"}],)"
         R"("operation":[{"name":"process-message",)"
         R"("definition":"http://hl7.org/fhir/OperationDefinition/MessageHeader-process-message"}]}]})";
}

}  // namespace fcpgw::gateway::service
