#pragma once
// Loading the delivery sections of the configuration: `destinations` (a map of names to
// receivers) and `routes` (an ordered list). Their members are described by their own small
// tables (destination_keys(), route_keys()) that drive loading and the documentation checks,
// as the main key table does for fixed keys. Internal to gateway/config: config.cc calls it with
// a context that reports errors and resolves secrets and files the same way as for every key.

#include <rapidjson/document.h>

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "gateway/config/sections.h"

namespace fcpgw::gateway::config {

/// What the delivery loader borrows from the configuration loader.
class LoadContext {
 public:
  virtual ~LoadContext() = default;
  virtual void error(std::string key, std::string message) = 0;
  /// "env:NAME" / "file:PATH" resolved; "" stays ""; nullopt when it cannot be (error noted).
  virtual std::optional<std::string> secret(const std::string& key, const rapidjson::Value& v) = 0;
  /// A readable file resolved against the configuration's folder; "" stays "".
  virtual std::optional<std::string> file(const std::string& key, const rapidjson::Value& v) = 0;
  /// How a wrong value is shown after "got".
  virtual std::string describe(const rapidjson::Value& v) = 0;
};

/// One documented member of a destination or a route.
struct MemberKey {
  std::string_view name;     ///< e.g. "url", "retry.initial_ms"
  std::string_view applies;  ///< destination types it applies to ("fhir, mllp"), "" = all
  std::string_view meaning;
};
std::span<const MemberKey> destination_keys() noexcept;
std::span<const MemberKey> route_keys() noexcept;

/// The built-in delivery: every accepted message to the `outbox` directory (var/outbox).
Delivery default_delivery();
/// The same as the JSON values of `destinations` and `routes` (config/default.json).
std::string_view default_destinations_json() noexcept;
std::string_view default_routes_json() noexcept;

/// Reads `destinations` (replacing the default destinations).
void load_destinations(const rapidjson::Value& v, Delivery& out, LoadContext& ctx);
/// Reads `routes` (replacing the default routes).
void load_routes(const rapidjson::Value& v, Delivery& out, LoadContext& ctx);
/// Rules between routes and destinations, once both are read.
void check_delivery(const Delivery& d, LoadContext& ctx);

}  // namespace fcpgw::gateway::config
