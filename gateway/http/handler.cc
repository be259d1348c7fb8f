#include "gateway/http/handler.h"

#include <algorithm>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/field.hpp>
#include <cstdint>
#include <limits>
#include <utility>

#include "gateway/http/outcome.h"

namespace fcpgw::gateway::http {
namespace bhttp = boost::beast::http;
using bhttp::field;
using bhttp::status;

namespace {

constexpr std::string_view fhir_json = "application/fhir+json";
constexpr std::string_view v2_er7 = "x-application/hl7-v2+er7";

Response text_response(unsigned version, status s, std::string_view content_type,
                       std::string body) {
  Response res{s, version};
  res.set(field::content_type, content_type);
  res.body() = std::move(body);
  return res;
}

Response unauthorized(unsigned version, std::string_view challenge, std::string_view why) {
  Response res = error_response(version, status::unauthorized, "login", why);
  res.set(field::www_authenticate, challenge);
  return res;
}

/// A header value from the intake is copied only when it cannot split the answer.
bool safe_header(std::string_view name, std::string_view value) {
  if (name.empty()) return false;
  for (char c : name) {
    if (c <= ' ' || c == ':' || c == 0x7F) return false;
  }
  for (char c : value) {
    if (c == '\r' || c == '\n' || c == '\0') return false;
  }
  // The session owns framing and connection management.
  const field f = bhttp::string_to_field(name);
  return f != field::content_length && f != field::transfer_encoding && f != field::connection;
}

Response from_answer(unsigned version, BodyKind kind, service::Answer a) {
  if (a.status < 100 || a.status > 599) {
    return error_response(version, status::internal_server_error, "exception",
                          "the gateway produced no valid answer status");
  }
  Response res{static_cast<status>(a.status), version};
  if (!a.content_type.empty()) {
    res.set(field::content_type, a.content_type);
  } else if (!a.body.empty()) {
    res.set(field::content_type, kind == BodyKind::v2 ? v2_er7 : fhir_json);
  }
  for (const auto& [name, value] : a.headers) {
    if (safe_header(name, value)) res.insert(name, value);
  }
  res.body() = std::move(a.body);
  return res;
}

}  // namespace

Response error_response(unsigned version, status s, std::string_view issue_code,
                        std::string_view diagnostics) {
  return text_response(version, s, fhir_json, operation_outcome("error", issue_code, diagnostics));
}

std::optional<Response> screen(const ServerState& state, const RequestHeader& req, Exchange& ex) {
  const unsigned v = req.version();
  const RouteMatch m = match_route(req.target());
  ex.route = m.route;
  ex.fhir_path = std::string(m.fhir_path);
  ex.journal_id = m.journal_id;
  ex.admin_path = std::string(m.admin_path);
  if (m.route == Route::unknown || (m.route == Route::admin && state.admin == nullptr)) {
    return error_response(v, status::not_found, "not-found", "no such path on this gateway");
  }
  if (!method_allowed(m.route, req.method())) {
    Response res = error_response(v, status::method_not_allowed, "not-supported",
                                  "method not allowed on " + std::string(route_pattern(m.route)));
    res.set(field::allow, allowed_methods(m.route));
    return res;
  }

  std::optional<std::string_view> authorization;
  if (auto it = req.find(field::authorization); it != req.end()) authorization = it->value();
  auto verdict = state.auth.check(route_access(m.route), authorization);
  switch (verdict.verdict) {
    case Authenticator::Verdict::allowed:
      ex.client = std::move(verdict.client);
      break;
    case Authenticator::Verdict::missing:
      return unauthorized(v, "Bearer", "a bearer token is required");
    case Authenticator::Verdict::malformed:
      return unauthorized(v, R"(Bearer error="invalid_request")",
                          "the Authorization header is not a bearer token");
    case Authenticator::Verdict::unknown:
      return unauthorized(v, R"(Bearer error="invalid_token")", "the bearer token is not known");
    case Authenticator::Verdict::forbidden:
      if (route_access(m.route) == Access::operations && state.config.admin_token.empty()) {
        return error_response(v, status::forbidden, "forbidden",
                              "the admin API is closed: set listeners.http.admin_token");
      }
      return error_response(v, status::forbidden, "forbidden",
                            "this token may not use " + std::string(route_pattern(m.route)));
  }

  const BodyKind kind = body_kind(m.route);
  if (kind != BodyKind::none) {
    const auto it = req.find(field::content_type);
    const std::string_view ct =
        it == req.end() ? std::string_view{} : std::string_view(it->value());
    const bool ok = kind == BodyKind::fhir ? is_fhir_media_type(ct) : is_v2_media_type(ct);
    if (!ok) {
      std::string why = kind == BodyKind::fhir
                            ? "Content-Type must be application/fhir+json or application/json"
                            : "Content-Type must be x-application/hl7-v2+er7, "
                              "application/hl7-v2 or text/plain";
      if (it == req.end()) {
        why += " (none was given)";
      } else {
        why += " (got '" + std::string(media_type(ct).substr(0, 100)) + "')";
      }
      return error_response(v, status::unsupported_media_type, "not-supported", why);
    }
  }
  return std::nullopt;
}

void respond(ServerState& state, Request&& req, const Exchange& ex,
             std::function<void(Response)> reply) {
  const unsigned v = req.version();
  switch (ex.route) {
    case Route::healthz:
      return reply(text_response(v, status::ok, "text/plain", "ok"));
    case Route::readyz: {
      std::string why;
      if (state.intake.ready(why))
        return reply(text_response(v, status::ok, "text/plain", "ready"));
      return reply(error_response(v, status::service_unavailable, "transient",
                                  why.empty() ? "not ready" : why));
    }
    case Route::metrics:
      return reply(
          text_response(v, status::ok, "text/plain; version=0.0.4", state.registry.render()));
    case Route::fhir_metadata:
      return reply(text_response(v, status::ok, fhir_json, state.intake.capability_statement()));
    case Route::journal: {
      auto answer = state.intake.status(ex.journal_id);
      if (!answer) {
        return reply(error_response(v, status::not_found, "not-found", "no such journal entry"));
      }
      return reply(from_answer(v, BodyKind::fhir, std::move(*answer)));
    }
    case Route::admin: {
      if (state.admin == nullptr) break;
      service::AdminRequest a;
      a.method = std::string(req.method_string());
      const auto q = ex.admin_path.find('?');
      a.path = ex.admin_path.substr(0, q);
      if (q != std::string::npos) a.query = ex.admin_path.substr(q + 1);
      state.admin->handle(std::move(a), [v, reply = std::move(reply)](service::Answer answer) {
        reply(from_answer(v, BodyKind::none, std::move(answer)));
      });
      return;
    }
    case Route::fhir_root:
    case Route::fhir_type:
    case Route::fhir_instance:
    case Route::fhir_process_message:
    case Route::hl7v2: {
      const BodyKind kind = body_kind(ex.route);
      service::Inbound in;
      in.kind = kind == BodyKind::v2 ? service::Inbound::Kind::v2 : service::Inbound::Kind::fhir;
      in.listener = state.listener_name;
      in.peer = ex.peer;
      in.connection = ex.connection;
      in.client = ex.client;
      in.method = std::string(req.method_string());
      in.fhir_path = ex.fhir_path;
      in.body = std::move(req.body());
      state.intake.submit(std::move(in),
                          [v, kind, reply = std::move(reply)](service::Answer a) mutable {
                            reply(from_answer(v, kind, std::move(a)));
                          });
      return;
    }
    case Route::unknown:
      break;
  }
  reply(error_response(v, status::not_found, "not-found", "no such path on this gateway"));
}

void apply_limits(RequestParser& parser, const config::Http& config) {
  parser.body_limit(config.max_body_bytes);
  parser.header_limit(static_cast<std::uint32_t>(
      std::min<std::size_t>(config.max_header_bytes, std::numeric_limits<std::uint32_t>::max())));
}

std::optional<Response> read_error_response(ServerState& state, boost::beast::error_code ec) {
  const unsigned v = 11;
  if (ec == bhttp::error::body_limit) {
    state.metrics.body_limit_refusals.inc();
    return error_response(
        v, status::payload_too_large, "too-costly",
        "the body is larger than " + std::to_string(state.config.max_body_bytes) + " bytes");
  }
  if (ec == bhttp::error::header_limit) {
    state.metrics.header_limit_refusals.inc();
    return error_response(
        v, status::request_header_fields_too_large, "too-costly",
        "the header is larger than " + std::to_string(state.config.max_header_bytes) + " bytes");
  }
  if (ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category() &&
      ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message) {
    return error_response(v, status::bad_request, "structure",
                          "not an HTTP/1.1 request: " + ec.message());
  }
  return std::nullopt;
}

}  // namespace fcpgw::gateway::http
