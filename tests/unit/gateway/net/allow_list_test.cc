#include "gateway/net/allow_list.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using fcpgw::gateway::net::AllowList;

namespace {

AllowList parse_ok(std::vector<std::string> entries) {
  std::string error;
  auto list = AllowList::parse(entries, error);
  EXPECT_TRUE(list.has_value()) << error;
  return list ? *list : AllowList{};
}

std::string parse_error(std::vector<std::string> entries) {
  std::string error;
  EXPECT_FALSE(AllowList::parse(entries, error).has_value());
  return error;
}

boost::asio::ip::address ip(const char* text) { return boost::asio::ip::make_address(text); }

}  // namespace

TEST(AllowList, EmptyAcceptsEveryone) {
  const AllowList list = parse_ok({});
  EXPECT_TRUE(list.accepts_any());
  EXPECT_TRUE(list.allows(ip("203.0.113.9")));
  EXPECT_TRUE(list.allows(ip("2001:db8::1")));
}

TEST(AllowList, SingleAddresses) {
  const AllowList list = parse_ok({"10.1.2.3", "2001:db8::7"});
  EXPECT_EQ(list.size(), 2u);
  EXPECT_TRUE(list.allows(ip("10.1.2.3")));
  EXPECT_FALSE(list.allows(ip("10.1.2.4")));
  EXPECT_TRUE(list.allows(ip("2001:db8::7")));
  EXPECT_FALSE(list.allows(ip("2001:db8::8")));
}

TEST(AllowList, Ipv4Cidr) {
  const AllowList list = parse_ok({"192.168.0.0/16", "10.0.0.0/31"});
  EXPECT_TRUE(list.allows(ip("192.168.0.1")));
  EXPECT_TRUE(list.allows(ip("192.168.255.255")));
  EXPECT_FALSE(list.allows(ip("192.169.0.0")));
  EXPECT_TRUE(list.allows(ip("10.0.0.1")));
  EXPECT_FALSE(list.allows(ip("10.0.0.2")));
}

TEST(AllowList, Ipv4PrefixNotOnByteBoundary) {
  const AllowList list = parse_ok({"172.16.0.0/12"});
  EXPECT_TRUE(list.allows(ip("172.16.0.1")));
  EXPECT_TRUE(list.allows(ip("172.31.255.254")));
  EXPECT_FALSE(list.allows(ip("172.32.0.1")));
  EXPECT_FALSE(list.allows(ip("172.15.255.255")));
}

TEST(AllowList, Ipv6Cidr) {
  const AllowList list = parse_ok({"2001:db8::/32", "fe80::/10"});
  EXPECT_TRUE(list.allows(ip("2001:db8:ffff::1")));
  EXPECT_FALSE(list.allows(ip("2001:db9::1")));
  EXPECT_TRUE(list.allows(ip("febf::1")));
  EXPECT_FALSE(list.allows(ip("fec0::1")));
}

TEST(AllowList, ZeroPrefixMatchesItsFamily) {
  const AllowList v4 = parse_ok({"0.0.0.0/0"});
  EXPECT_TRUE(v4.allows(ip("8.8.8.8")));
  EXPECT_TRUE(v4.allows(ip("::ffff:8.8.8.8")));
  EXPECT_FALSE(v4.allows(ip("2001:db8::1")));
  const AllowList v6 = parse_ok({"::/0"});
  EXPECT_TRUE(v6.allows(ip("2001:db8::1")));
  EXPECT_TRUE(v6.allows(ip("8.8.8.8")));  // as ::ffff:8.8.8.8
}

TEST(AllowList, Ipv4MappedPeersMatchIpv4Entries) {
  const AllowList list = parse_ok({"127.0.0.0/8"});
  EXPECT_TRUE(list.allows(ip("::ffff:127.0.0.1")));
  EXPECT_FALSE(list.allows(ip("::ffff:128.0.0.1")));
  EXPECT_FALSE(list.allows(ip("::1")));
  const AllowList mapped = parse_ok({"::ffff:10.0.0.0/104"});
  EXPECT_TRUE(mapped.allows(ip("10.9.9.9")));
  EXPECT_FALSE(mapped.allows(ip("11.0.0.1")));
}

TEST(AllowList, Loopbacks) {
  const AllowList list = parse_ok({"::1"});
  EXPECT_TRUE(list.allows(ip("::1")));
  EXPECT_FALSE(list.allows(ip("127.0.0.1")));
}

TEST(AllowList, ErrorsNameTheEntry) {
  EXPECT_EQ(parse_error({"10.0.0.1", "10.0.0.300"}),
            "allow entry \"10.0.0.300\": not an IPv4 or IPv6 address");
  EXPECT_EQ(parse_error({"example.org"}),
            "allow entry \"example.org\": not an IPv4 or IPv6 address");
  EXPECT_EQ(parse_error({""}), "allow entry \"\": not an IPv4 or IPv6 address");
  EXPECT_EQ(parse_error({"10.0.0.0/33"}),
            "allow entry \"10.0.0.0/33\": prefix length must be a number from 0 to 32");
  EXPECT_EQ(parse_error({"::/129"}),
            "allow entry \"::/129\": prefix length must be a number from 0 to 128");
  EXPECT_EQ(parse_error({"10.0.0.0/"}),
            "allow entry \"10.0.0.0/\": prefix length must be a number from 0 to 32");
  EXPECT_EQ(parse_error({"10.0.0.0/8x"}),
            "allow entry \"10.0.0.0/8x\": prefix length must be a number from 0 to 32");
  EXPECT_EQ(parse_error({"10.0.0.0/-1"}),
            "allow entry \"10.0.0.0/-1\": prefix length must be a number from 0 to 32");
  EXPECT_EQ(parse_error({"fe80::1%eth0"}),
            "allow entry \"fe80::1%eth0\": a zone index (%...) is not allowed");
}

TEST(AllowList, HostBitsBeyondThePrefixAreRefused) {
  EXPECT_EQ(parse_error({"10.1.2.3/8"}),
            "allow entry \"10.1.2.3/8\": address has bits set beyond the /8 prefix (write the "
            "network address)");
  EXPECT_EQ(parse_error({"2001:db8::1/64"}),
            "allow entry \"2001:db8::1/64\": address has bits set beyond the /64 prefix (write "
            "the network address)");
}
