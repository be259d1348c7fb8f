#pragma once
// The routes of the HTTP listener: which path is which route, the methods and media types each
// takes, and who may use it. Pure functions over the request target, so they are unit-tested
// without sockets.

// <ostream> first: boost/core string_view (1.81) uses std::ostream without including it.
#include <ostream>
// clang-format off
#include <boost/beast/http/verb.hpp>
// clang-format on
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace fcpgw::gateway::http {

enum class Route : std::uint8_t {
  unknown,               ///< no route: 404
  fhir_root,             ///< /fhir (Bundle: transaction or message)
  fhir_type,             ///< /fhir/{type} for Appointment, ServiceRequest, Task
  fhir_instance,         ///< /fhir/{type}/{id}
  fhir_process_message,  ///< /fhir/$process-message
  fhir_metadata,         ///< /fhir/metadata
  hl7v2,                 ///< /hl7v2
  journal,               ///< /journal/{id}
  admin,                 ///< /admin/... (operators: journal operations, reload)
  healthz,
  readyz,
  metrics,
};
inline constexpr std::size_t route_count = static_cast<std::size_t>(Route::metrics) + 1;

/// What a request body must be.
enum class BodyKind : std::uint8_t { none, fhir, v2 };

/// Who may use a route when authentication is configured.
enum class Access : std::uint8_t {
  open,    ///< anyone (health probes)
  client,  ///< a configured client's token
  admin,   ///< the admin token (or, when there is none, as configured: see Authenticator)
  operations,  ///< the admin token only; without one the routes are closed (403)
};

struct RouteMatch {
  Route route = Route::unknown;
  /// The target below "/fhir/", with any query ("Appointment/123", "Appointment?identifier=..",
  /// "$process-message"); "" for /fhir itself. Empty for routes outside /fhir.
  std::string_view fhir_path;
  std::int64_t journal_id = 0;  ///< Route::journal only
  /// Route::admin only: the target below "/admin/", with any query ("journal?state=dead").
  std::string_view admin_path;
};

/// Matches an origin-form request target ("/fhir/Task/7?x=y"). FHIR ids must be
/// [A-Za-z0-9.-]{1,64} and journal ids positive decimal integers; anything else is unknown.
RouteMatch match_route(std::string_view target);

/// The route as a pattern for logs and metric labels ("/fhir/{type}/{id}"), never the ids.
std::string_view route_pattern(Route r);
/// True when `method` may be used on `r`.
bool method_allowed(Route r, boost::beast::http::verb method);
/// The value of the Allow header for `r` ("GET", "POST, PUT").
std::string_view allowed_methods(Route r);
BodyKind body_kind(Route r);
Access route_access(Route r);

/// The media type of a Content-Type value without parameters, trimmed ("application/fhir+json"
/// for "Application/FHIR+JSON; charset=utf-8"). Case is compared by the predicates below.
std::string_view media_type(std::string_view content_type);
/// application/fhir+json or application/json (any parameters).
bool is_fhir_media_type(std::string_view content_type);
/// x-application/hl7-v2+er7, application/hl7-v2, application/hl7-v2+er7 or text/plain.
bool is_v2_media_type(std::string_view content_type);

}  // namespace fcpgw::gateway::http
