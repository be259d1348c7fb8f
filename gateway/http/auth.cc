#include "gateway/http/auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <cctype>

namespace fcpgw::gateway::http {

std::optional<std::string_view> parse_bearer(std::string_view v) {
  const auto space = [](char c) { return c == ' ' || c == '\t'; };
  while (!v.empty() && space(v.front())) v.remove_prefix(1);
  while (!v.empty() && space(v.back())) v.remove_suffix(1);
  constexpr std::string_view scheme = "bearer";
  if (v.size() <= scheme.size() || !space(v[scheme.size()])) return std::nullopt;
  for (std::size_t i = 0; i < scheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(v[i])) != scheme[i]) return std::nullopt;
  }
  v.remove_prefix(scheme.size());
  while (!v.empty() && space(v.front())) v.remove_prefix(1);
  std::size_t i = 0;
  while (i < v.size() &&
         (std::isalnum(static_cast<unsigned char>(v[i])) || v[i] == '-' || v[i] == '.' ||
          v[i] == '_' || v[i] == '~' || v[i] == '+' || v[i] == '/')) {
    ++i;
  }
  if (i == 0) return std::nullopt;
  while (i < v.size() && v[i] == '=') ++i;
  if (i != v.size()) return std::nullopt;
  return v;
}

Authenticator::Digest Authenticator::digest(std::string_view token) {
  Digest d{};
  unsigned int len = 0;
  // EVP_Digest with SHA-256 only fails on allocation failure; a zero digest then matches no
  // real token's digest in practice, and the request is refused as unknown.
  if (EVP_Digest(token.data(), token.size(), d.data(), &len, EVP_sha256(), nullptr) != 1) {
    d.fill(0);
  }
  return d;
}

Authenticator::Authenticator(const config::Http& config) {
  for (const auto& c : config.clients) clients_.push_back({c.name, digest(c.token)});
  if (!config.admin_token.empty()) admin_ = digest(config.admin_token);
}

Authenticator::Result Authenticator::check(Access access,
                                           std::optional<std::string_view> authorization) const {
  if (access == Access::open) return {};
  if (access == Access::operations && !admin_) return {Verdict::forbidden, {}};
  const bool admin_route =
      (access == Access::admin || access == Access::operations) && admin_.has_value();
  if (!admin_route && clients_.empty()) return {};
  if (!authorization) return {Verdict::missing, {}};
  const auto token = parse_bearer(*authorization);
  if (!token) return {Verdict::malformed, {}};

  const Digest presented = digest(*token);
  // Every configured digest is compared, whatever matched before.
  const Client* client = nullptr;
  for (const auto& c : clients_) {
    if (CRYPTO_memcmp(c.digest.data(), presented.data(), presented.size()) == 0) client = &c;
  }
  const bool is_admin =
      admin_ && CRYPTO_memcmp(admin_->data(), presented.data(), presented.size()) == 0;

  if (admin_route) {
    if (is_admin) return {Verdict::allowed, "admin"};
    return {client ? Verdict::forbidden : Verdict::unknown, {}};
  }
  if (client) return {Verdict::allowed, client->name};
  return {is_admin ? Verdict::forbidden : Verdict::unknown, {}};
}

}  // namespace fcpgw::gateway::http
