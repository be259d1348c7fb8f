#pragma once
// What the listener answers, apart from how bytes move: the checks made as soon as a request's
// header is in (route, method, authentication, media type), and the answer of each route
// (intake submission, metadata, journal status, probes, metrics). The session calls these and
// owns the transport: reading, writing, timeouts, keep-alive.

#include <boost/beast/core/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "gateway/http/routes.h"
#include "gateway/http/state.h"

namespace fcpgw::gateway::http {

using Request = boost::beast::http::request<boost::beast::http::string_body>;
using RequestHeader = boost::beast::http::request_header<>;
using Response = boost::beast::http::response<boost::beast::http::string_body>;
using RequestParser = boost::beast::http::request_parser<boost::beast::http::string_body>;

/// Sets the configured body and header limits on a fresh parser (one per request).
void apply_limits(RequestParser& parser, const config::Http& config);

/// The answer to a request that could not be read: 413 for a body over the limit, 431 for a
/// header over it, 400 for bytes that are not an HTTP/1.1 request; nullopt when there is no one
/// to answer (end of stream, reset, cancelled). Counts the limit refusals. The connection
/// closes after the answer.
std::optional<Response> read_error_response(ServerState& state, boost::beast::error_code ec);

/// What the handler knows about one request beyond its bytes.
struct Exchange {
  std::uint64_t connection = 0;
  std::string peer;
  Route route = Route::unknown;
  std::string fhir_path;
  std::int64_t journal_id = 0;
  std::string admin_path;  ///< below /admin/, with the query
  std::string client;      ///< authenticated client name; empty without authentication
};

/// An error answer: status and an OperationOutcome with one issue (severity error).
Response error_response(unsigned version, boost::beast::http::status status,
                        std::string_view issue_code, std::string_view diagnostics);

/// The checks made on the header alone, before the body is read (so a refused request's body is
/// never read): unknown path 404, wrong method 405 with Allow, authentication 401/403, media
/// type 415. Returns the refusal, or nullopt with `ex` filled (route, ids, client).
std::optional<Response> screen(const ServerState& state, const RequestHeader& req, Exchange& ex);

/// Answers a screened request. `reply` is called exactly once, on this thread or on any other
/// (intake answers come from the journal's thread): the caller posts back to its strand.
void respond(ServerState& state, Request&& req, const Exchange& ex,
             std::function<void(Response)> reply);

}  // namespace fcpgw::gateway::http
