#pragma once
// Routes: which destinations an accepted message goes to (config `routes`). A message takes
// every route that matches; each of the route's destinations gets one delivery. Pure and
// immutable once built; a reload builds a new one.

#include <string>
#include <string_view>
#include <vector>

#include "gateway/config/sections.h"

namespace fcpgw::mappings {
class Engine;
}

namespace fcpgw::gateway::service {

/// One delivery to create.
struct Target {
  std::string destination;
  std::string route;
  std::string mapping;  ///< "" = the mapping that takes the message type
  bool hold_on_dead = true;
};

class Router {
 public:
  explicit Router(const config::Delivery& delivery);

  /// The deliveries for a message of `message_type` ("SIU^S12", "Appointment",
  /// "Bundle/transaction") from `facility` (MSH-4 as sent, or the HTTP client's name).
  [[nodiscard]] std::vector<Target> route(std::string_view message_type,
                                          std::string_view facility) const;

  /// Whether `pattern` (a route's `types` entry) takes `message_type`: "SIU" takes every SIU
  /// event, "SIU^S12" only that one, "Bundle" every Bundle, "Bundle/message" only messages.
  [[nodiscard]] static bool type_matches(std::string_view pattern, std::string_view message_type);

 private:
  config::Delivery delivery_;
};

/// Rules between routes and the loaded mappings: a route's `mapping` must be one of them.
/// One line per problem ("routes[1].mapping: no mapping named ..."); empty when all is well.
std::vector<std::string> check_routes(const config::Delivery& delivery,
                                      const mappings::Engine& engine);

}  // namespace fcpgw::gateway::service
