#include "gateway/http/routes.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace fcpgw::gateway::http {
namespace {

using boost::beast::http::verb;

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool is_fhir_id(std::string_view id) {
  return !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.';
  });
}

bool is_resource_type(std::string_view t) {
  return t == "Appointment" || t == "ServiceRequest" || t == "Task";
}

bool parse_journal_id(std::string_view s, std::int64_t& out) {
  if (s.empty() || s.size() > 18 || s[0] == '0') return false;
  std::int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  out = v;
  return true;
}

}  // namespace

RouteMatch match_route(std::string_view target) {
  RouteMatch m;
  const std::size_t q = target.find('?');
  const std::string_view path = target.substr(0, q);
  if (path == "/healthz") {
    m.route = Route::healthz;
  } else if (path == "/readyz") {
    m.route = Route::readyz;
  } else if (path == "/metrics") {
    m.route = Route::metrics;
  } else if (path == "/hl7v2") {
    m.route = Route::hl7v2;
  } else if (path == "/fhir" || path == "/fhir/") {
    m.route = Route::fhir_root;
  } else if (path.starts_with("/admin/") && path.size() > 7) {
    m.route = Route::admin;
    m.admin_path = target.substr(7);
  } else if (path.starts_with("/journal/")) {
    if (parse_journal_id(path.substr(9), m.journal_id)) m.route = Route::journal;
  } else if (path.starts_with("/fhir/")) {
    const std::string_view rest = path.substr(6);
    const std::size_t slash = rest.find('/');
    const std::string_view first = rest.substr(0, slash);
    if (slash == std::string_view::npos) {
      if (first == "metadata") {
        m.route = Route::fhir_metadata;
      } else if (first == "$process-message") {
        m.route = Route::fhir_process_message;
      } else if (is_resource_type(first)) {
        m.route = Route::fhir_type;
      }
    } else if (is_resource_type(first) && is_fhir_id(rest.substr(slash + 1))) {
      m.route = Route::fhir_instance;
    }
    if (m.route != Route::unknown && m.route != Route::fhir_metadata) {
      m.fhir_path = target.substr(6);  // with the query: conditional update needs it
    }
  }
  return m;
}

std::string_view route_pattern(Route r) {
  switch (r) {
    case Route::unknown:
      return "unknown";
    case Route::fhir_root:
      return "/fhir";
    case Route::fhir_type:
      return "/fhir/{type}";
    case Route::fhir_instance:
      return "/fhir/{type}/{id}";
    case Route::fhir_process_message:
      return "/fhir/$process-message";
    case Route::fhir_metadata:
      return "/fhir/metadata";
    case Route::hl7v2:
      return "/hl7v2";
    case Route::journal:
      return "/journal/{id}";
    case Route::admin:
      return "/admin";
    case Route::healthz:
      return "/healthz";
    case Route::readyz:
      return "/readyz";
    case Route::metrics:
      return "/metrics";
  }
  return "unknown";
}

bool method_allowed(Route r, verb method) {
  switch (r) {
    case Route::unknown:
      return false;
    case Route::fhir_root:
    case Route::fhir_process_message:
    case Route::hl7v2:
      return method == verb::post;
    case Route::fhir_type:  // create, or conditional update with a query
      return method == verb::post || method == verb::put;
    case Route::fhir_instance:  // update
      return method == verb::put;
    case Route::fhir_metadata:
    case Route::journal:
    case Route::healthz:
    case Route::readyz:
    case Route::metrics:
      return method == verb::get;
    case Route::admin:
      return method == verb::get || method == verb::post;
  }
  return false;
}

std::string_view allowed_methods(Route r) {
  switch (r) {
    case Route::unknown:
      return "";
    case Route::fhir_root:
    case Route::fhir_process_message:
    case Route::hl7v2:
      return "POST";
    case Route::fhir_type:
      return "POST, PUT";
    case Route::fhir_instance:
      return "PUT";
    case Route::admin:
      return "GET, POST";
    default:
      return "GET";
  }
}

BodyKind body_kind(Route r) {
  switch (r) {
    case Route::fhir_root:
    case Route::fhir_type:
    case Route::fhir_instance:
    case Route::fhir_process_message:
      return BodyKind::fhir;
    case Route::hl7v2:
      return BodyKind::v2;
    default:
      return BodyKind::none;
  }
}

Access route_access(Route r) {
  switch (r) {
    case Route::healthz:
    case Route::readyz:
      return Access::open;
    case Route::metrics:
      return Access::admin;
    case Route::admin:
      return Access::operations;
    default:
      return Access::client;
  }
}

std::string_view media_type(std::string_view content_type) {
  std::string_view t = content_type.substr(0, content_type.find(';'));
  const auto space = [](char c) { return c == ' ' || c == '\t'; };
  while (!t.empty() && space(t.front())) t.remove_prefix(1);
  while (!t.empty() && space(t.back())) t.remove_suffix(1);
  return t;
}

bool is_fhir_media_type(std::string_view content_type) {
  const std::string_view t = media_type(content_type);
  return iequals(t, "application/fhir+json") || iequals(t, "application/json");
}

bool is_v2_media_type(std::string_view content_type) {
  const std::string_view t = media_type(content_type);
  return iequals(t, "x-application/hl7-v2+er7") || iequals(t, "application/hl7-v2") ||
         iequals(t, "application/hl7-v2+er7") || iequals(t, "text/plain");
}

}  // namespace fcpgw::gateway::http
