#pragma once
// Bearer-token authentication of HTTP clients. Tokens are compared as SHA-256 digests with
// CRYPTO_memcmp against every configured token, so neither the position of the first differing
// byte nor the length of a token shows in the time taken. Tokens are never logged.

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/config/sections.h"
#include "gateway/http/routes.h"

namespace fcpgw::gateway::http {

/// The token of an `Authorization: Bearer <token>` value (RFC 6750 token68: letters, digits,
/// -._~+/ then any '='), or nullopt when the value is not that.
std::optional<std::string_view> parse_bearer(std::string_view authorization);

class Authenticator {
 public:
  explicit Authenticator(const config::Http& config);

  enum class Verdict {
    allowed,    ///< go on (`client` names the client, empty when no authentication applies)
    missing,    ///< 401, no Authorization header
    malformed,  ///< 401, not a bearer token
    unknown,    ///< 401, a token nobody has
    forbidden,  ///< 403, a known token on a route it may not use
  };
  struct Result {
    Verdict verdict = Verdict::allowed;
    std::string client;
  };

  /// Decides for a request on a route with `access`; `authorization` is the header's value, or
  /// nullopt when the request has none.
  ///  - open routes: always allowed;
  ///  - client routes: allowed for a client's token when clients are configured, else for all;
  ///  - admin routes (/metrics): with an admin token, only that token (a client's: 403); without
  ///    one, as a client route;
  ///  - operations routes (/admin/...): only the admin token; without one, closed (403).
  Result check(Access access, std::optional<std::string_view> authorization) const;

 private:
  using Digest = std::array<unsigned char, 32>;
  static Digest digest(std::string_view token);

  struct Client {
    std::string name;
    Digest digest;
  };
  std::vector<Client> clients_;
  std::optional<Digest> admin_;
};

}  // namespace fcpgw::gateway::http
