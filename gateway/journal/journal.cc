#include "gateway/journal/journal.h"

namespace fcpgw::gateway::journal {

std::string_view to_string(State s) noexcept {
  switch (s) {
    case State::accepted:
      return "accepted";
    case State::rejected:
      return "rejected";
    case State::delivered:
      return "delivered";
    case State::dead:
      return "dead";
  }
  return {};
}

std::optional<State> state_from_string(std::string_view s) noexcept {
  if (s == "accepted") return State::accepted;
  if (s == "rejected") return State::rejected;
  if (s == "delivered") return State::delivered;
  if (s == "dead") return State::dead;
  return std::nullopt;
}

std::string_view to_string(DeliveryState s) noexcept {
  switch (s) {
    case DeliveryState::waiting:
      return "waiting";
    case DeliveryState::ready:
      return "ready";
    case DeliveryState::delivered:
      return "delivered";
    case DeliveryState::dead:
      return "dead";
  }
  return {};
}

std::optional<DeliveryState> delivery_state_from_string(std::string_view s) noexcept {
  if (s == "waiting") return DeliveryState::waiting;
  if (s == "ready") return DeliveryState::ready;
  if (s == "delivered") return DeliveryState::delivered;
  if (s == "dead") return DeliveryState::dead;
  return std::nullopt;
}

}  // namespace fcpgw::gateway::journal
