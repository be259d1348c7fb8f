#pragma once
// Which peers a listener accepts: IPv4/IPv6 addresses and CIDR ranges from config
// (Listener::allow). An empty list accepts every peer. IPv4 peers seen as IPv4-mapped IPv6
// addresses (::ffff:a.b.c.d, as on a dual-stack socket) match IPv4 entries, and the reverse.

#include <array>
#include <boost/asio/ip/address.hpp>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace fcpgw::gateway::net {

class AllowList {
 public:
  /// A list that accepts every peer.
  AllowList() = default;

  /// Parses entries such as "10.0.0.5", "192.168.0.0/16", "::1", "2001:db8::/32". On a bad
  /// entry returns nullopt and sets `error` to a message naming the entry and what is wrong.
  [[nodiscard]] static std::optional<AllowList> parse(std::span<const std::string> entries,
                                                      std::string& error);

  /// True when no entry was given (every peer is accepted).
  [[nodiscard]] bool accepts_any() const noexcept { return ranges_.empty(); }
  /// True when `address` may connect.
  [[nodiscard]] bool allows(const boost::asio::ip::address& address) const noexcept;
  /// Number of entries.
  [[nodiscard]] std::size_t size() const noexcept { return ranges_.size(); }

 private:
  // Every range is held as IPv6; an IPv4 range as its IPv4-mapped form (prefix + 96).
  struct Range {
    std::array<std::uint8_t, 16> bytes{};
    unsigned prefix = 128;
  };
  std::vector<Range> ranges_;
};

}  // namespace fcpgw::gateway::net
