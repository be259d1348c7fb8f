#include "gateway/http/auth.h"

#include <gtest/gtest.h>

namespace fcpgw::gateway::http {
namespace {

using V = Authenticator::Verdict;

TEST(ParseBearer, Token68) {
  EXPECT_EQ(parse_bearer("Bearer abc"), "abc");
  EXPECT_EQ(parse_bearer("bearer  abc-._~+/=="), "abc-._~+/==");
  EXPECT_EQ(parse_bearer("  BEARER abc  "), "abc");
  EXPECT_FALSE(parse_bearer("Bearer"));
  EXPECT_FALSE(parse_bearer("Bearer "));
  EXPECT_FALSE(parse_bearer("Bearerabc"));
  EXPECT_FALSE(parse_bearer("Basic abc"));
  EXPECT_FALSE(parse_bearer("Bearer a b"));
  EXPECT_FALSE(parse_bearer("Bearer a=b"));
  EXPECT_FALSE(parse_bearer("Bearer =abc"));
  EXPECT_FALSE(parse_bearer(""));
}

config::Http with(std::vector<config::HttpClient> clients, std::string admin) {
  config::Http c;
  c.clients = std::move(clients);
  c.admin_token = std::move(admin);
  return c;
}

TEST(Authenticator, NoClientsNoAdmin) {
  const Authenticator a(with({}, ""));
  EXPECT_EQ(a.check(Access::client, std::nullopt).verdict, V::allowed);
  EXPECT_EQ(a.check(Access::admin, std::nullopt).verdict, V::allowed);
  EXPECT_EQ(a.check(Access::client, "garbage").verdict, V::allowed);
}

TEST(Authenticator, Clients) {
  const Authenticator a(with({{"a", "tok-a"}, {"b", "tok-b"}}, ""));
  EXPECT_EQ(a.check(Access::open, std::nullopt).verdict, V::allowed);
  EXPECT_EQ(a.check(Access::client, std::nullopt).verdict, V::missing);
  EXPECT_EQ(a.check(Access::client, "Token tok-a").verdict, V::malformed);
  EXPECT_EQ(a.check(Access::client, "Bearer tok-c").verdict, V::unknown);
  EXPECT_EQ(a.check(Access::client, "Bearer tok-").verdict, V::unknown);
  EXPECT_EQ(a.check(Access::client, "Bearer tok-aa").verdict, V::unknown);
  const auto r = a.check(Access::client, "Bearer tok-b");
  EXPECT_EQ(r.verdict, V::allowed);
  EXPECT_EQ(r.client, "b");
  // No admin token: /metrics is a client route.
  EXPECT_EQ(a.check(Access::admin, "Bearer tok-a").verdict, V::allowed);
  EXPECT_EQ(a.check(Access::admin, std::nullopt).verdict, V::missing);
}

TEST(Authenticator, AdminToken) {
  const Authenticator a(with({{"a", "tok-a"}}, "adm"));
  EXPECT_EQ(a.check(Access::admin, "Bearer adm").verdict, V::allowed);
  EXPECT_EQ(a.check(Access::admin, "Bearer tok-a").verdict, V::forbidden);
  EXPECT_EQ(a.check(Access::admin, "Bearer x").verdict, V::unknown);
  EXPECT_EQ(a.check(Access::client, "Bearer adm").verdict, V::forbidden);
  const Authenticator only_admin(with({}, "adm"));
  EXPECT_EQ(only_admin.check(Access::admin, std::nullopt).verdict, V::missing);
  EXPECT_EQ(only_admin.check(Access::client, std::nullopt).verdict, V::allowed);
}

}  // namespace
}  // namespace fcpgw::gateway::http
