#include "gateway/net/allow_list.h"

#include <boost/system/error_code.hpp>
#include <charconv>

namespace fcpgw::gateway::net {

namespace {

using Bytes = std::array<std::uint8_t, 16>;

Bytes to_v6_bytes(const boost::asio::ip::address& a) {
  if (a.is_v4())
    return boost::asio::ip::make_address_v6(boost::asio::ip::v4_mapped, a.to_v4()).to_bytes();
  return a.to_v6().to_bytes();
}

bool prefix_matches(const Bytes& net, const Bytes& addr, unsigned prefix) noexcept {
  unsigned i = 0;
  for (; prefix >= 8; prefix -= 8, ++i) {
    if (net[i] != addr[i]) return false;
  }
  if (prefix == 0) return true;
  const auto mask = static_cast<std::uint8_t>(0xFF << (8 - prefix));
  return (net[i] & mask) == (addr[i] & mask);
}

bool host_bits_clear(const Bytes& net, unsigned prefix) noexcept {
  for (unsigned bit = prefix; bit < 128; ++bit) {
    if (net[bit / 8] & (0x80 >> (bit % 8))) return false;
  }
  return true;
}

}  // namespace

std::optional<AllowList> AllowList::parse(std::span<const std::string> entries,
                                          std::string& error) {
  AllowList list;
  for (const std::string& entry : entries) {
    const auto fail = [&](std::string_view why) {
      error = "allow entry \"" + entry + "\": " + std::string(why);
      return std::nullopt;
    };
    const std::string_view text = entry;
    const std::size_t slash = text.find('/');
    const std::string addr_text(text.substr(0, slash));
    if (addr_text.find('%') != std::string::npos) {
      return fail("a zone index (%...) is not allowed");
    }
    boost::system::error_code ec;
    const boost::asio::ip::address addr = boost::asio::ip::make_address(addr_text, ec);
    if (ec) return fail("not an IPv4 or IPv6 address");
    const unsigned max_prefix = addr.is_v4() ? 32 : 128;
    unsigned prefix = max_prefix;
    if (slash != std::string_view::npos) {
      const std::string_view p = text.substr(slash + 1);
      const char* end = p.data() + p.size();
      const auto [ptr, perr] = std::from_chars(p.data(), end, prefix);
      if (p.empty() || perr != std::errc() || ptr != end || prefix > max_prefix) {
        return fail("prefix length must be a number from 0 to " + std::to_string(max_prefix));
      }
    }
    Range r;
    r.bytes = to_v6_bytes(addr);
    r.prefix = addr.is_v4() ? prefix + 96 : prefix;
    if (!host_bits_clear(r.bytes, r.prefix)) {
      return fail("address has bits set beyond the /" + std::to_string(prefix) +
                  " prefix (write the network address)");
    }
    list.ranges_.push_back(r);
  }
  return list;
}

bool AllowList::allows(const boost::asio::ip::address& address) const noexcept {
  if (ranges_.empty()) return true;
  const Bytes a = to_v6_bytes(address);
  for (const Range& r : ranges_) {
    if (prefix_matches(r.bytes, a, r.prefix)) return true;
  }
  return false;
}

}  // namespace fcpgw::gateway::net
