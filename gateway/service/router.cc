#include "gateway/service/router.h"

#include <algorithm>

#include "mappings/engine.h"

namespace fcpgw::gateway::service {

Router::Router(const config::Delivery& delivery) : delivery_(delivery) {}

bool Router::type_matches(std::string_view pattern, std::string_view message_type) {
  if (pattern == message_type) return true;
  // A family: the message type up to its event ("SIU" of "SIU^S12"; "Bundle" of
  // "Bundle/message").
  const auto cut = message_type.find_first_of("^/");
  return cut != std::string_view::npos && message_type.substr(0, cut) == pattern;
}

std::vector<Target> Router::route(std::string_view message_type,
                                  std::string_view facility) const {
  // MSH-4 is an HD: routes name its first component (the namespace id / ODS code).
  const std::string_view facility_id = facility.substr(0, facility.find('^'));
  std::vector<Target> out;
  for (const config::Route& r : delivery_.routes) {
    const bool type_ok =
        r.types.empty() || std::any_of(r.types.begin(), r.types.end(), [&](const std::string& p) {
          return type_matches(p, message_type);
        });
    const bool facility_ok =
        r.facilities.empty() ||
        std::find(r.facilities.begin(), r.facilities.end(), facility_id) != r.facilities.end();
    if (!type_ok || !facility_ok) continue;
    for (const std::string& name : r.destinations) {
      const auto d =
          std::find_if(delivery_.destinations.begin(), delivery_.destinations.end(),
                       [&](const config::Destination& x) { return x.name == name; });
      out.push_back({name, r.name, r.mapping, d == delivery_.destinations.end() || d->on_dead != "skip"});
    }
  }
  return out;
}

std::vector<std::string> check_routes(const config::Delivery& delivery,
                                      const mappings::Engine& engine) {
  std::vector<std::string> problems;
  for (std::size_t i = 0; i < delivery.routes.size(); ++i) {
    const std::string& want = delivery.routes[i].mapping;
    if (want.empty()) continue;
    const auto loaded = engine.mappings();
    if (std::any_of(loaded.begin(), loaded.end(),
                    [&](const mappings::MappingInfo& m) { return m.name == want; })) {
      continue;
    }
    std::string names;
    for (const mappings::MappingInfo& m : loaded) names += (names.empty() ? "" : ", ") + m.name;
    problems.push_back("routes[" + std::to_string(i) + "].mapping: no mapping named \"" + want +
                       "\" (loaded: " + names + ")");
  }
  return problems;
}

}  // namespace fcpgw::gateway::service
