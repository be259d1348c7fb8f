#include "gateway/delivery/destination.h"

#include "gateway/delivery/directory.h"
#include "gateway/delivery/network.h"

namespace fcpgw::gateway::delivery {

std::string_view to_string(Result::Kind k) noexcept {
  switch (k) {
    case Result::Kind::delivered:
      return "delivered";
    case Result::Kind::transient:
      return "transient";
    case Result::Kind::permanent:
      return "permanent";
  }
  return {};
}

std::unique_ptr<Destination> make_destination(const config::Destination& config,
                                              std::string& error) {
  if (config.type == "directory") return make_directory_destination(config, error);
  if (config.type == "fhir") return make_fhir_destination(config, error);
  if (config.type == "mllp") return make_mllp_destination(config, error);
  error = "destinations." + config.name + ".type: \"" + config.type +
          "\" is not a destination type (expected directory, fhir or mllp)";
  return nullptr;
}

}  // namespace fcpgw::gateway::delivery
