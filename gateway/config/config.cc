#include "gateway/config/config.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <system_error>
#include <tuple>
#include <type_traits>
#include <utility>

#include "fhir/json.h"
#include "gateway/common/files.h"
#include "gateway/common/text.h"
#include "gateway/config/delivery_loader.h"
#include "hl7v2/base/edit_distance.h"

namespace fcpgw::gateway {

namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t kMaxBytes = std::uint64_t{1} << 31;  // 2 GiB: beyond is not a message
constexpr std::uint64_t kMaxConfigFileBytes = 1024u * 1024u;
constexpr std::uint64_t kMaxSecretFileBytes = 64u * 1024u;
constexpr std::uint64_t kDay = 24u * 3600u;
constexpr std::uint64_t kDayMs = kDay * 1000u;
constexpr std::uint64_t kTenYears = 3650u * kDay;

constexpr std::string_view kTlsVersions[] = {"1.2", "1.3"};
constexpr std::string_view kLogLevels[] = {"debug", "info", "warn", "error"};

using T = ConfigKeyType;

// Where a key's value lives: a function returning a reference to the member.
#define FCPGW_AT(member)     \
  +[](Config & c) -> auto& { \
    return c.member;         \
  }

// The keys every listener has, under `prefix` (listeners.mllp, listeners.http), its members
// under `l` (mllp.listener, http.listener).
#define FCPGW_LISTENER_KEYS(prefix, l, what)                                                    \
  {prefix ".enabled",                                                                           \
   T::boolean,                                                                                  \
   FCPGW_AT(l.enabled),                                                                         \
   0,                                                                                           \
   0,                                                                                           \
   {},                                                                                          \
   "whether the " what " listener runs"},                                                       \
      {prefix ".host",                                                                          \
       T::string,                                                                               \
       FCPGW_AT(l.host),                                                                        \
       1,                                                                                       \
       0,                                                                                       \
       {},                                                                                      \
       "address to listen on (127.0.0.1 for this machine only, 0.0.0.0 or :: for every one)"},  \
      {prefix ".port",                                                                          \
       T::port,                                                                                 \
       FCPGW_AT(l.port),                                                                        \
       0,                                                                                       \
       65535,                                                                                   \
       {},                                                                                      \
       "TCP port; 0 binds an ephemeral port"},                                                  \
      {prefix ".allow",                                                                         \
       T::string_list,                                                                          \
       FCPGW_AT(l.allow),                                                                       \
       0,                                                                                       \
       0,                                                                                       \
       {},                                                                                      \
       "peers allowed to connect: IPv4/IPv6 addresses or CIDR ranges; empty = any peer"},       \
      {prefix ".max_connections",                                                               \
       T::positive_integer,                                                                     \
       FCPGW_AT(l.max_connections),                                                             \
       1,                                                                                       \
       1'000'000,                                                                               \
       {},                                                                                      \
       "most connections open at once; more are refused"},                                      \
      {prefix ".idle_timeout_ms",                                                               \
       T::duration,                                                                             \
       FCPGW_AT(l.idle_timeout),                                                                \
       1,                                                                                       \
       kDayMs,                                                                                  \
       {},                                                                                      \
       "a connection with nothing received for this long is closed, in milliseconds"},          \
      {prefix ".read_timeout_ms",                                                               \
       T::duration,                                                                             \
       FCPGW_AT(l.read_timeout),                                                                \
       1,                                                                                       \
       kDayMs,                                                                                  \
       {},                                                                                      \
       "a message started must arrive whole within this, in milliseconds"},                     \
      {prefix ".write_timeout_ms",                                                              \
       T::duration,                                                                             \
       FCPGW_AT(l.write_timeout),                                                               \
       1,                                                                                       \
       kDayMs,                                                                                  \
       {},                                                                                      \
       "an answer must be written within this, in milliseconds"},                               \
      {prefix ".tls", T::object, {}, 0, 0, {}, "TLS of the " what " listener"},                 \
      {prefix ".tls.enabled",                                                                   \
       T::boolean,                                                                              \
       FCPGW_AT(l.tls.enabled),                                                                 \
       0,                                                                                       \
       0,                                                                                       \
       {},                                                                                      \
       "whether connections use TLS (needs cert_file and key_file)"},                           \
      {prefix ".tls.cert_file",                                                                 \
       T::file,                                                                                 \
       FCPGW_AT(l.tls.cert_file),                                                               \
       0,                                                                                       \
       0,                                                                                       \
       {},                                                                                      \
       "PEM certificate chain (relative to this file's directory)"},                            \
      {prefix ".tls.key_file",                                                                  \
       T::file,                                                                                 \
       FCPGW_AT(l.tls.key_file),                                                                \
       0,                                                                                       \
       0,                                                                                       \
       {},                                                                                      \
       "PEM private key (relative to this file's directory)"},                                  \
      {prefix ".tls.key_passphrase",                                                            \
       T::secret,                                                                               \
       FCPGW_AT(l.tls.key_passphrase),                                                          \
       0,                                                                                       \
       0,                                                                                       \
       {},                                                                                      \
       "passphrase of the private key: \"env:NAME\" or \"file:PATH\"; \"\" = none"},            \
      {prefix ".tls.ca_file",                                                                   \
       T::file,                                                                                 \
       FCPGW_AT(l.tls.ca_file),                                                                 \
       0,                                                                                       \
       0,                                                                                       \
       {},                                                                                      \
       "PEM certificates of the CAs that sign client certificates (mutual TLS)"},               \
      {prefix ".tls.require_client_cert",                                                       \
       T::boolean,                                                                              \
       FCPGW_AT(l.tls.require_client_cert),                                                     \
       0,                                                                                       \
       0,                                                                                       \
       {},                                                                                      \
       "mutual TLS: refuse a client without a valid certificate (needs ca_file)"},              \
  {                                                                                             \
    prefix ".tls.min_version", T::enumeration, FCPGW_AT(l.tls.min_version), 0, 0, kTlsVersions, \
        "oldest TLS version accepted: \"1.2\" or \"1.3\""                                       \
  }

// The single list of keys. The defaults are the member initialisers of sections.h;
// config/default.json, config/schema.json and config/README.md are checked against this list
// by the unit tests.
constexpr ConfigKey kKeys[] = {
    {"$schema",
     T::string,
     {},
     0,
     0,
     {},
     "URI of the JSON Schema the file follows, for editors; not used by fcpgw"},
    {"mappings", T::object, {}, 0, 0, {}, "the mapping files and their constants"},
    {"mappings.dir",
     T::directory,
     FCPGW_AT(mappings.dir),
     0,
     0,
     {},
     "directory of mapping files and code tables (relative to this file's directory)"},
    {"mappings.constants",
     T::string_map,
     FCPGW_AT(mappings.constants),
     0,
     0,
     {},
     "overrides for constants declared by the mapping files (name -> value)"},
    {"limits", T::object, {}, 0, 0, {}, "bounds applied to untrusted input"},
    {"limits.v2", T::object, {}, 0, 0, {}, "bounds for parsing one HL7 v2 message"},
    {"limits.v2.max_message_bytes",
     T::positive_integer,
     FCPGW_AT(limits.v2.max_message_bytes),
     1,
     kMaxBytes,
     {},
     "largest HL7 v2 message parsed, in bytes"},
    {"limits.v2.max_segments",
     T::positive_integer,
     FCPGW_AT(limits.v2.max_segments),
     1,
     1'000'000,
     {},
     "most segments in one HL7 v2 message"},
    {"limits.v2.max_fields_per_segment",
     T::positive_integer,
     FCPGW_AT(limits.v2.max_fields_per_segment),
     1,
     100'000,
     {},
     "highest field number in any one segment"},
    {"limits.v2.max_repetitions_per_field",
     T::positive_integer,
     FCPGW_AT(limits.v2.max_repetitions_per_field),
     1,
     1'000'000,
     {},
     "most repetitions in any one field"},
    {"limits.fhir", T::object, {}, 0, 0, {}, "bounds for parsing one FHIR JSON document"},
    {"limits.fhir.max_bytes",
     T::positive_integer,
     FCPGW_AT(limits.fhir.max_bytes),
     1,
     kMaxBytes,
     {},
     "largest FHIR JSON document parsed, in bytes"},
    {"limits.fhir.max_depth",
     T::positive_integer,
     FCPGW_AT(limits.fhir.max_depth),
     1,
     1000,
     {},
     "deepest nesting of JSON objects and arrays (the root object is depth 1)"},
    {"limits.input", T::object, {}, 0, 0, {}, "bounds for reading inputs (files, standard input)"},
    {"limits.input.max_bytes",
     T::positive_integer,
     FCPGW_AT(limits.input.max_bytes),
     1,
     kMaxBytes,
     {},
     "largest message or JSON document read from one input; a larger one is refused unread"},
    {"listeners", T::object, {}, 0, 0, {}, "the network listeners of `fcpgw serve`"},
    {"listeners.mllp", T::object, {}, 0, 0, {}, "HL7 v2 over MLLP"},
    FCPGW_LISTENER_KEYS("listeners.mllp", mllp.listener, "MLLP"),
    {"listeners.mllp.max_frame_bytes",
     T::positive_integer,
     FCPGW_AT(mllp.max_frame_bytes),
     1,
     kMaxBytes,
     {},
     "largest MLLP frame read, in bytes; a larger one closes the connection"},
    {"listeners.http", T::object, {}, 0, 0, {}, "FHIR and HL7 v2 over HTTP, /metrics, /admin"},
    FCPGW_LISTENER_KEYS("listeners.http", http.listener, "HTTP"),
    {"listeners.http.max_body_bytes",
     T::positive_integer,
     FCPGW_AT(http.max_body_bytes),
     1,
     kMaxBytes,
     {},
     "largest request body read, in bytes; a larger one is answered 413"},
    {"listeners.http.max_header_bytes",
     T::positive_integer,
     FCPGW_AT(http.max_header_bytes),
     1,
     1024u * 1024u,
     {},
     "largest request line and headers, in bytes; larger is answered 431"},
    {"listeners.http.clients",
     T::client_map,
     FCPGW_AT(http.clients),
     0,
     0,
     {},
     "clients allowed in, name -> bearer token (\"env:NAME\" or \"file:PATH\"); {} = no "
     "authentication"},
    {"listeners.http.admin_token",
     T::secret,
     FCPGW_AT(http.admin_token),
     0,
     0,
     {},
     "bearer token for /metrics and /admin (\"env:NAME\" or \"file:PATH\"); \"\" = /metrics "
     "open, /admin closed"},
    {"journal", T::object, {}, 0, 0, {}, "the journal of received messages (SQLite)"},
    {"journal.path",
     T::string,
     FCPGW_AT(journal.path),
     1,
     0,
     {},
     "database file (relative to the working directory, not to this file)"},
    {"journal.group_max_messages",
     T::positive_integer,
     FCPGW_AT(journal.group_max_messages),
     1,
     1'000'000,
     {},
     "most messages committed together"},
    {"journal.group_max_wait_us",
     T::duration,
     FCPGW_AT(journal.group_max_wait),
     0,
     1'000'000,
     {},
     "wait for more messages before committing a small group, in microseconds; 0 = none"},
    {"journal.duplicate_window_s",
     T::duration,
     FCPGW_AT(journal.duplicate_window),
     1,
     kTenYears,
     {},
     "a message whose control id was seen within this many seconds is a duplicate"},
    {"journal.retention_s",
     T::duration,
     FCPGW_AT(journal.retention),
     1,
     kTenYears,
     {},
     "finished messages older than this many seconds are deleted"},
    {"journal.max_bytes",
     T::non_negative_integer,
     FCPGW_AT(journal.max_bytes),
     0,
     std::uint64_t{1} << 50,
     {},
     "size limit of the database file, in bytes; 0 = no limit"},
    {"log", T::object, {}, 0, 0, {}, "the structured log (one JSON object per line)"},
    {"log.level", T::enumeration, FCPGW_AT(log.level), 0, 0, kLogLevels,
     "least severe level written: \"debug\", \"info\", \"warn\" or \"error\""},
};

#undef FCPGW_LISTENER_KEYS
#undef FCPGW_AT

static_assert(std::is_same_v<std::size_t, std::uint64_t>,
              "size_t members are held as std::uint64_t& in ConfigTarget");

const ConfigKey* find_key(std::string_view path) {
  for (const ConfigKey& k : kKeys)
    if (k.path == path) return &k;
  return nullptr;
}

std::string_view parent_of(std::string_view path) {
  const auto dot = path.rfind('.');
  return dot == std::string_view::npos ? std::string_view() : path.substr(0, dot);
}

std::string_view leaf_of(std::string_view path) {
  const auto dot = path.rfind('.');
  return dot == std::string_view::npos ? path : path.substr(dot + 1);
}

// Key names are echoed through printable() (gateway/input.h), at most this long: config text
// may hold anything.
constexpr std::size_t kMaxNameEcho = 64;

std::string join(std::string_view prefix, std::string_view name) {
  std::string r(prefix);
  if (!r.empty()) r += '.';
  r += printable(name, kMaxNameEcho);
  return r;
}

// Keys are compared ignoring ASCII case.
std::size_t distance(std::string_view a, std::string_view b) {
  return base::edit_distance(a, b, true);
}

// The key the writer of `name` (under `prefix`) probably meant: the nearest sibling, else a key
// of that name elsewhere (given by its full path).
std::optional<std::string> suggestion(std::string_view prefix, std::string_view name) {
  const ConfigKey* best = nullptr;
  std::size_t best_d = 0;
  for (const ConfigKey& k : kKeys) {
    if (parent_of(k.path) != prefix) continue;
    const std::size_t d = distance(name, leaf_of(k.path));
    if (best == nullptr || d < best_d) {
      best = &k;
      best_d = d;
    }
  }
  if (best != nullptr && best_d <= std::max<std::size_t>(2, name.size() / 3)) {
    return std::string(leaf_of(best->path));
  }
  // An abbreviation or a longer spelling ("directory" for "dir").
  for (const ConfigKey& k : kKeys) {
    const std::string_view leaf = leaf_of(k.path);
    if (parent_of(k.path) != prefix || std::min(leaf.size(), name.size()) < 3) continue;
    if (distance(name.substr(0, leaf.size()), leaf) == 0 ||
        distance(leaf.substr(0, name.size()), name) == 0) {
      return std::string(leaf);
    }
  }
  for (const ConfigKey& k : kKeys) {
    if (distance(name, leaf_of(k.path)) <= 1) return std::string(k.path);
  }
  return std::nullopt;
}

// How a value is shown after "got" (configuration, not patient data, but still bounded).
std::string describe(const rapidjson::Value& v) {
  if (fhir::is_number(v)) return printable(fhir::number_text(v), 40);
  if (v.IsString()) {
    // Appended, not "\"" + ...: GCC 12 reports a bogus -Wrestrict at -O3 for that pattern.
    std::string quoted(1, '"');
    quoted.append(printable(std::string_view(v.GetString(), v.GetStringLength()), 40));
    quoted.push_back('"');
    return quoted;
  }
  if (v.IsTrue()) return "true";
  if (v.IsFalse()) return "false";
  if (v.IsNull()) return "null";
  if (v.IsObject()) return "an object";
  return "an array";
}

std::string_view view(const rapidjson::Value& v) {
  return std::string_view(v.GetString(), v.GetStringLength());
}

}  // namespace

std::string to_string(const ConfigError& e) {
  std::string s = e.file + ": ";
  if (!e.key.empty()) s += e.key + ": ";
  return s + e.message;
}

std::span<const ConfigKey> config_keys() noexcept { return kKeys; }

namespace {

// The type a ConfigTarget alternative refers to (void for std::monostate).
template <class F>
struct target_of {
  using type = void;
};
template <class R>
struct target_of<R& (*)(Config&)> {
  using type = R;
};
template <class F>
using target_t = typename target_of<F>::type;

template <class D>
constexpr bool is_duration = false;
template <class Rep, class Period>
constexpr bool is_duration<std::chrono::duration<Rep, Period>> = true;

template <class D>
std::string_view unit_name() {
  if constexpr (std::is_same_v<D, std::chrono::microseconds>) return "microseconds";
  if constexpr (std::is_same_v<D, std::chrono::milliseconds>) return "milliseconds";
  return "seconds";
}

std::string json_quote(std::string_view s) {
  std::string r(1, '"');
  for (const char c : s) {
    if (c == '"' || c == '\\') r.push_back('\\');
    r.push_back(c);
  }
  r.push_back('"');
  return r;
}

bool is_env_name(std::string_view s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

// An IPv4 or IPv6 address, optionally with a /prefix length.
bool is_address_or_range(std::string_view s) {
  const auto slash = s.find('/');
  const std::string address(s.substr(0, slash));
  unsigned char buf[sizeof(in6_addr)];
  const bool v4 = ::inet_pton(AF_INET, address.c_str(), buf) == 1;
  const bool v6 = !v4 && ::inet_pton(AF_INET6, address.c_str(), buf) == 1;
  if (!v4 && !v6) return false;
  if (slash == std::string_view::npos) return true;
  const std::string_view bits = s.substr(slash + 1);
  if (bits.empty() || bits.size() > 3 ||
      !std::all_of(bits.begin(), bits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return false;
  }
  return std::stoul(std::string(bits)) <= (v4 ? 32u : 128u);
}

// Secrets are never echoed: a wrong value is described by its JSON type only.
std::string kind_of(const rapidjson::Value& v) {
  if (fhir::is_number(v)) return "a number";
  if (v.IsString()) return "a string";
  if (v.IsBool()) return "a boolean";
  if (v.IsNull()) return "null";
  if (v.IsObject()) return "an object";
  return "an array";
}

bool is_string_like(ConfigKeyType t) {
  return t == T::string || t == T::directory || t == T::enumeration || t == T::file ||
         t == T::secret;
}

}  // namespace

std::optional<std::string> default_json(const ConfigKey& key) {
  Config d = Config::defaults();
  return std::visit(
      [&](auto at) -> std::optional<std::string> {
        using V = target_t<decltype(at)>;
        if constexpr (std::is_void_v<V>) {
          return std::nullopt;
        } else {
          const V& v = at(d);
          if constexpr (std::is_same_v<V, bool>) {
            return v ? "true" : "false";
          } else if constexpr (std::is_integral_v<V>) {
            return std::to_string(v);
          } else if constexpr (is_duration<V>) {
            return std::to_string(v.count());
          } else if constexpr (std::is_same_v<V, std::string>) {
            return json_quote(v);
          } else if constexpr (std::is_same_v<V, std::optional<std::string>>) {
            if (!v) return std::nullopt;
            return json_quote(*v);
          } else if constexpr (std::is_same_v<V, std::vector<std::string>>) {
            std::string r = "[";
            for (const std::string& s : v) r += (r.size() > 1 ? ", " : "") + json_quote(s);
            return r + "]";
          } else if constexpr (std::is_same_v<V, config::Constants>) {
            std::string r = "{";
            for (const auto& [n, s] : v.values) {
              r += (r.size() > 1 ? ", " : "") + json_quote(n) + ": " + json_quote(s);
            }
            return r + "}";
          } else {
            // Clients: their tokens are secrets, and the default has none.
            return v.empty() ? std::optional<std::string>("{}") : std::nullopt;
          }
        }
      },
      key.target);
}

// Walks a parsed configuration against kKeys, starting from the defaults.
class ConfigLoader {
 public:
  ConfigLoader(std::string name, fs::path base_dir)
      : name_(std::move(name)), base_dir_(std::move(base_dir)) {
    config_.source_ = name_;
  }

  static Config defaults() {
    Config c;
    c.source_ = "built-in defaults";
    c.delivery = config::default_delivery();
    return c;
  }

  // `destinations` and `routes` hold names chosen by the site: their members are read by the
  // delivery loader (delivery_loader.h) with this loader's errors, secrets and files.
  class DeliveryContext final : public config::LoadContext {
   public:
    explicit DeliveryContext(ConfigLoader& loader) : loader_(loader) {}
    void error(std::string key, std::string message) override {
      loader_.error(std::move(key), std::move(message));
    }
    std::optional<std::string> secret(const std::string& key, const rapidjson::Value& v) override {
      return loader_.secret(key, v);
    }
    std::optional<std::string> file(const std::string& key, const rapidjson::Value& v) override {
      if (!fhir::is_string(v)) {
        loader_.error(key, "expected a file path (a string), got " + gateway::describe(v));
        return std::nullopt;
      }
      if (v.GetStringLength() == 0) return std::string();
      auto p = loader_.readable_file(key, view(v), "a file");
      if (!p) return std::nullopt;
      return p->string();
    }
    std::string describe(const rapidjson::Value& v) override { return gateway::describe(v); }

   private:
    ConfigLoader& loader_;
  };

  static bool is_delivery_path(std::string_view path) {
    return path == "routes" || path == "destinations" || path.starts_with("destinations.");
  }

  // `--set destinations.NAME.MEMBER=VALUE`, `--set destinations.NAME={...}`,
  // `--set routes=[...]`: written into the document; the section's defaults are written first
  // when the file has none, so that one member can be changed.
  bool apply_delivery_set(fhir::Document& doc, std::string_view path, std::string_view text) {
    rapidjson::Value value;
    fhir::Limits limits;
    limits.max_bytes = kMaxConfigFileBytes;
    limits.max_depth = 32;
    std::string wrapped = "{\"v\":";
    wrapped.append(text).append("}");
    if (auto d = fhir::parse(wrapped, limits)) {
      value.CopyFrom(d->root()["v"], doc.allocator());
    } else {
      value.SetString(text.data(), static_cast<rapidjson::SizeType>(text.size()), doc.allocator());
    }
    std::vector<std::string_view> names;
    for (std::string_view rest = path;;) {
      const auto dot = rest.find('.');
      names.push_back(rest.substr(0, dot));
      if (dot == std::string_view::npos) break;
      rest.remove_prefix(dot + 1);
    }
    if (std::any_of(names.begin(), names.end(), [](std::string_view n) { return n.empty(); })) {
      errors_.push_back({"--set", printable(path, kMaxNameEcho), "unknown key"});
      return false;
    }
    rapidjson::Value* at = &doc.root();
    for (std::size_t i = 0; i < names.size(); ++i) {
      const bool last = i + 1 == names.size();
      rapidjson::Value name(names[i].data(), static_cast<rapidjson::SizeType>(names[i].size()),
                            doc.allocator());
      auto m = at->FindMember(name);
      if (m == at->MemberEnd() && i == 0 && !last) {
        auto defaults = fhir::parse(config::default_destinations_json(), limits);
        rapidjson::Value copy;
        copy.CopyFrom(defaults->root(), doc.allocator());
        at->AddMember(name, copy, doc.allocator());
        m = at->MemberEnd() - 1;
      } else if (m == at->MemberEnd()) {
        rapidjson::Value child(rapidjson::kObjectType);
        if (last) child = std::move(value);
        at->AddMember(name, child, doc.allocator());
        m = at->MemberEnd() - 1;
        at = &m->value;
        continue;
      }
      if (last) {
        m->value = std::move(value);
      } else if (!m->value.IsObject()) {
        m->value.SetObject();
      }
      at = &m->value;
    }
    overridden_.emplace_back(path);
    return true;
  }

  // Applies one `--set KEY=VALUE` to `doc`; false (with the error recorded) when it is
  // malformed or names no key.
  bool apply_set(fhir::Document& doc, std::string_view set) {
    const auto eq = set.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      errors_.push_back({"--set", "",
                         "expected KEY=VALUE (e.g. listeners.mllp.port=0), got \"" +
                             printable(set, kMaxNameEcho) + "\""});
      return false;
    }
    const std::string_view path = set.substr(0, eq);
    const std::string_view text = set.substr(eq + 1);
    if (is_delivery_path(path)) return apply_delivery_set(doc, path, text);
    // The key itself, or a member of a map key (constant names hold dots).
    const ConfigKey* key = find_key(path);
    std::string_view member;
    if (key == nullptr) {
      for (const ConfigKey& k : kKeys) {
        if ((k.type == T::string_map || k.type == T::client_map) && path.size() > k.path.size() &&
            path.starts_with(k.path) && path[k.path.size()] == '.') {
          key = &k;
          member = path.substr(k.path.size() + 1);
        }
      }
    }
    if (key == nullptr || printable(path, kMaxNameEcho) != path || path.find("..") != path.npos) {
      std::string msg = "unknown key";
      if (auto s = suggestion(parent_of(path), leaf_of(path)))
        msg += " (did you mean \"" + *s + "\"?)";
      errors_.push_back({"--set", printable(path, kMaxNameEcho), std::move(msg)});
      return false;
    }
    // The value: JSON when it reads as JSON, else the text as a string. Keys holding strings
    // take the text as it is unless it is quoted (so 1.2 stays "1.2").
    const bool wants_string = member.empty() ? is_string_like(key->type) : true;
    rapidjson::Value value;
    fhir::Limits limits;
    limits.max_bytes = kMaxConfigFileBytes;
    limits.max_depth = 32;
    std::optional<fhir::Document> parsed;
    if (!wants_string || text.starts_with('"')) {
      std::string wrapped = "{\"v\":";
      wrapped.append(text).append("}");
      if (auto d = fhir::parse(wrapped, limits)) parsed = std::move(*d);
    }
    if (parsed) {
      value.CopyFrom(parsed->root()["v"], doc.allocator());
    } else {
      value.SetString(text.data(), static_cast<rapidjson::SizeType>(text.size()), doc.allocator());
    }
    // Into the document, creating (or replacing by) objects on the way.
    rapidjson::Value* at = &doc.root();
    std::vector<std::string_view> names;
    for (std::string_view rest = key->path;;) {
      const auto dot = rest.find('.');
      names.push_back(rest.substr(0, dot));
      if (dot == std::string_view::npos) break;
      rest.remove_prefix(dot + 1);
    }
    if (!member.empty()) names.push_back(member);
    for (std::size_t i = 0; i < names.size(); ++i) {
      const bool last = i + 1 == names.size();
      rapidjson::Value name(names[i].data(), static_cast<rapidjson::SizeType>(names[i].size()),
                            doc.allocator());
      auto m = at->FindMember(name);
      if (m == at->MemberEnd()) {
        rapidjson::Value child(rapidjson::kObjectType);
        if (last) child = std::move(value);
        at->AddMember(name, child, doc.allocator());
        m = at->MemberEnd() - 1;
      } else if (last) {
        m->value = std::move(value);
      } else if (!m->value.IsObject()) {
        m->value.SetObject();
      }
      at = &m->value;
    }
    overridden_.emplace_back(path);
    return true;
  }

  void object(const rapidjson::Value& obj, std::string_view prefix) {
    for (auto m = obj.MemberBegin(); m != obj.MemberEnd(); ++m) {
      const std::string_view name = view(m->name);
      if (prefix.empty() && (name == "destinations" || name == "routes")) {
        DeliveryContext ctx(*this);
        if (name == "destinations") {
          config::load_destinations(m->value, config_.delivery, ctx);
        } else {
          config::load_routes(m->value, config_.delivery, ctx);
        }
        continue;
      }
      const std::string path = join(prefix, name);
      const ConfigKey* key =
          name.find('.') == std::string_view::npos && printable(name, kMaxNameEcho) == name
              ? find_key(path)
              : nullptr;
      if (key == nullptr) {
        std::string msg = "unknown key";
        if (name.find('.') != std::string_view::npos && find_key(path) != nullptr) {
          msg += " (a dotted name is not a path: nest the keys as objects)";
        } else if (auto s = suggestion(prefix, name)) {
          msg += " (did you mean \"" + *s + "\"?)";
        }
        error(path, msg);
        continue;
      }
      value(*key, m->value);
    }
  }

  // Rules between keys, once every key has been read.
  void cross_checks() {
    listener_checks("listeners.mllp", config_.mllp.listener);
    listener_checks("listeners.http", config_.http.listener);
    DeliveryContext ctx(*this);
    config::check_delivery(config_.delivery, ctx);
  }

  Config finish() && { return std::move(config_); }
  std::vector<ConfigError>& errors() { return errors_; }
  void error(std::string key, std::string message) {
    errors_.push_back({from_set(key) ? "--set" : name_, std::move(key), std::move(message)});
  }

 private:
  // Whether `key` is, or is under, a key given with --set.
  bool from_set(std::string_view key) const {
    return std::any_of(overridden_.begin(), overridden_.end(), [&](const std::string& p) {
      return key == p || (key.size() > p.size() && key.starts_with(p) &&
                          (key[p.size()] == '.' || key[p.size()] == '['));
    });
  }

  void listener_checks(const std::string& prefix, const config::Listener& l) {
    const std::string tls = prefix + ".tls";
    if (l.tls.enabled && l.tls.cert_file.empty()) {
      error(tls + ".cert_file", "required when " + tls + ".enabled is true");
    }
    if (l.tls.enabled && l.tls.key_file.empty()) {
      error(tls + ".key_file", "required when " + tls + ".enabled is true");
    }
    if (l.tls.require_client_cert && !l.tls.enabled) {
      error(tls + ".require_client_cert", "needs " + tls + ".enabled to be true");
    }
    if (l.tls.require_client_cert && l.tls.ca_file.empty()) {
      error(tls + ".ca_file", "required when " + tls + ".require_client_cert is true");
    }
  }

  template <class V>
  V& at(const ConfigKey& key) {
    return std::get<V& (*)(Config&)>(key.target)(config_);
  }

  void value(const ConfigKey& key, const rapidjson::Value& v) {
    const std::string path(key.path);
    switch (key.type) {
      case T::object:
        if (!v.IsObject()) return error(path, "expected an object, got " + describe(v));
        return object(v, key.path);
      case T::string:
        return string(key, v);
      case T::directory:
        return directory(key, v);
      case T::positive_integer:
      case T::non_negative_integer:
      case T::duration:
      case T::port:
        return integer(key, v);
      case T::boolean:
        if (!v.IsBool()) return error(path, "expected true or false, got " + describe(v));
        at<bool>(key) = v.IsTrue();
        return;
      case T::enumeration:
        return enumeration(key, v);
      case T::string_list:
        return address_list(key, v);
      case T::file:
        return file(key, v);
      case T::secret:
        if (auto s = secret(path, v)) at<std::string>(key) = std::move(*s);
        return;
      case T::string_map:
        return string_map(key, v);
      case T::client_map:
        return client_map(key, v);
    }
  }

  void string(const ConfigKey& key, const rapidjson::Value& v) {
    const std::string path(key.path);
    if (!fhir::is_string(v) || v.GetStringLength() < key.minimum) {
      return error(path, std::string(key.minimum > 0 ? "expected a non-empty string, got "
                                                     : "expected a string, got ") +
                             describe(v));
    }
    if (std::holds_alternative<std::monostate>(key.target)) return;  // an annotation
    if (view(v).find('\0') != std::string_view::npos) {
      return error(path, "expected a string without NUL bytes");
    }
    at<std::string>(key) = std::string(view(v));
  }

  void directory(const ConfigKey& key, const rapidjson::Value& v) {
    const std::string path(key.path);
    if (!fhir::is_string(v) || v.GetStringLength() == 0) {
      return error(path, "expected a directory path (a non-empty string), got " + describe(v));
    }
    const std::string_view text = view(v);
    if (text.find('\0') != std::string_view::npos) {
      return error(path, "expected a directory path, got a string holding a NUL byte");
    }
    const fs::path resolved = (base_dir_ / fs::path(std::string(text))).lexically_normal();
    std::error_code ec;
    if (!fs::is_directory(resolved, ec)) {
      return error(path, "expected an existing directory, but \"" + resolved.string() + "\" " +
                             (fs::exists(resolved, ec) ? "is not a directory" : "does not exist"));
    }
    at<std::optional<std::string>>(key) = resolved.string();
  }

  // What an integer key expects, for messages.
  static std::string expected_integer(const ConfigKey& key) {
    const std::string at_least = " of at least " + std::to_string(key.minimum);
    switch (key.type) {
      case T::port:
        return "expected a port number (0 to 65535, 0 = any free port)";
      case T::duration: {
        const std::string_view unit = std::visit(
            [](auto f) -> std::string_view {
              using V = target_t<decltype(f)>;
              if constexpr (is_duration<V>) return unit_name<V>();
              return "units";
            },
            key.target);
        return "expected a whole number of " + std::string(unit) +
               (key.minimum > 0 ? at_least : std::string());
      }
      case T::non_negative_integer:
        return "expected a non-negative integer" + (key.minimum > 0 ? at_least : std::string());
      default:
        return "expected a positive integer" + (key.minimum > 1 ? at_least : std::string());
    }
  }

  void set_integer(const ConfigKey& key, std::uint64_t n) {
    std::visit(
        [&](auto f) {
          using V = target_t<decltype(f)>;
          if constexpr (std::is_same_v<V, std::uint64_t> || std::is_same_v<V, std::uint16_t>) {
            f(config_) = static_cast<V>(n);
          } else if constexpr (is_duration<V>) {
            f(config_) = V(static_cast<typename V::rep>(n));
          }
        },
        key.target);
  }

  void integer(const ConfigKey& key, const rapidjson::Value& v) {
    const std::string path(key.path);
    const std::string expected = expected_integer(key);
    const std::string too_big = key.type == T::port
                                    ? expected
                                    : expected + " no greater than " + std::to_string(key.maximum);
    if (v.IsUint64()) {
      const std::uint64_t n = v.GetUint64();
      if (n < key.minimum) return error(path, expected + ", got " + describe(v));
      if (n > key.maximum) return error(path, too_big + ", got " + describe(v));
      return set_integer(key, n);
    }
    // Digits only, but beyond 64 bits (kept as a raw number by the parser).
    const std::string_view raw = fhir::raw_number_text(v);
    if (!raw.empty() &&
        std::all_of(raw.begin(), raw.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return error(path, too_big + ", got " + describe(v));
    }
    error(path, expected + ", got " + describe(v));
  }

  void enumeration(const ConfigKey& key, const rapidjson::Value& v) {
    if (fhir::is_string(v)) {
      for (const std::string_view choice : key.choices) {
        if (view(v) == choice) {
          at<std::string>(key) = std::string(choice);
          return;
        }
      }
    }
    std::string expected = "expected ";
    for (std::size_t i = 0; i < key.choices.size(); ++i) {
      if (i > 0) expected += i + 1 == key.choices.size() ? " or " : ", ";
      expected += json_quote(key.choices[i]);
    }
    error(std::string(key.path), expected + ", got " + describe(v));
  }

  void address_list(const ConfigKey& key, const rapidjson::Value& v) {
    const std::string path(key.path);
    if (!v.IsArray()) {
      return error(path, "expected an array of IP addresses or CIDR ranges, got " + describe(v));
    }
    std::vector<std::string> list;
    bool ok = true;
    for (rapidjson::SizeType i = 0; i < v.Size(); ++i) {
      const rapidjson::Value& e = v[i];
      if (!fhir::is_string(e) || !is_address_or_range(view(e))) {
        error(path + "[" + std::to_string(i) + "]",
              "expected an IP address or CIDR range (\"10.0.0.0/8\", \"::1\"), got " + describe(e));
        ok = false;
        continue;
      }
      list.emplace_back(view(e));
    }
    if (ok) at<std::vector<std::string>>(key) = std::move(list);
  }

  // A path relative to the configuration file's directory, or nullopt (with the error
  // recorded) when it is not a readable file.
  std::optional<fs::path> readable_file(const std::string& path, std::string_view text,
                                        std::string_view what) {
    if (text.find('\0') != std::string_view::npos) {
      error(path, "expected " + std::string(what) + " path, got a string holding a NUL byte");
      return std::nullopt;
    }
    const fs::path resolved = (base_dir_ / fs::path(std::string(text))).lexically_normal();
    std::error_code ec;
    const auto status = fs::status(resolved, ec);
    std::string why;
    if (!fs::exists(status)) {
      why = "does not exist";
    } else if (fs::is_directory(status)) {
      why = "is a directory";
    } else if (!std::ifstream(resolved, std::ios::binary)) {
      why = "cannot be read";
    }
    if (!why.empty()) {
      error(path, "expected a readable file, but \"" + resolved.string() + "\" " + why);
      return std::nullopt;
    }
    return resolved;
  }

  void file(const ConfigKey& key, const rapidjson::Value& v) {
    const std::string path(key.path);
    if (!fhir::is_string(v))
      return error(path, "expected a file path (a string), got " + describe(v));
    if (v.GetStringLength() == 0) {
      at<std::string>(key).clear();
      return;
    }
    if (auto p = readable_file(path, view(v), "a file")) at<std::string>(key) = p->string();
  }

  // Resolves a secret reference; nullopt (with the error recorded) when it cannot be. No
  // message holds the secret, nor the text of a value that might be one.
  std::optional<std::string> secret(const std::string& path, const rapidjson::Value& v) {
    static constexpr std::string_view kHow =
        "give \"env:NAME\" (an environment variable) or \"file:PATH\" (a file holding it)";
    if (!fhir::is_string(v)) {
      error(path,
            "expected a secret reference (" + std::string(kHow.substr(5)) + "), got " + kind_of(v));
      return std::nullopt;
    }
    const std::string_view text = view(v);
    if (text.empty()) return std::string();
    if (text.starts_with("env:")) {
      const std::string_view name = text.substr(4);
      if (!is_env_name(name)) {
        error(path, "expected an environment variable name (letters, digits, _) after \"env:\"");
        return std::nullopt;
      }
      const char* value = std::getenv(std::string(name).c_str());
      if (value == nullptr || *value == '\0') {
        error(path, "environment variable " + std::string(name) +
                        (value == nullptr ? " is not set" : " is empty"));
        return std::nullopt;
      }
      return std::string(value);
    }
    if (text.starts_with("file:")) {
      if (text.size() == 5) {
        error(path, "expected a file path after \"file:\"");
        return std::nullopt;
      }
      auto p = readable_file(path, text.substr(5), "a secret file");
      if (!p) return std::nullopt;
      std::string s;
      if (auto why = read_bounded_file(*p, kMaxSecretFileBytes, s)) {
        error(path, "secret file \"" + p->string() + "\": " + *why);
        return std::nullopt;
      }
      while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
      if (s.empty()) {
        error(path, "secret file \"" + p->string() + "\" is empty");
        return std::nullopt;
      }
      return s;
    }
    error(path, "a secret must not be written in the configuration: " + std::string(kHow));
    return std::nullopt;
  }

  // The printable, non-empty name of a map member, or nullopt (with the error recorded).
  std::optional<std::string> member_name(const std::string& path, std::string_view name,
                                         std::string_view what) {
    if (name.empty()) {
      error(path, "a " + std::string(what) + " name is empty");
      return std::nullopt;
    }
    if (printable(name, kMaxNameEcho) != name) {
      error(path + "." + printable(name, kMaxNameEcho),
            "a " + std::string(what) + " name must be printable ASCII");
      return std::nullopt;
    }
    return std::string(name);
  }

  void string_map(const ConfigKey& key, const rapidjson::Value& v) {
    const std::string path(key.path);
    if (!v.IsObject()) {
      return error(path, "expected an object of names to strings, got " + describe(v));
    }
    config::Constants& constants = at<config::Constants>(key);
    constants.values.clear();
    for (auto m = v.MemberBegin(); m != v.MemberEnd(); ++m) {
      auto name = member_name(path, view(m->name), "constant");
      if (!name) continue;
      if (!fhir::is_string(m->value)) {
        error(path + "." + *name, "expected a string, got " + describe(m->value));
        continue;
      }
      constants.set(std::move(*name), std::string(view(m->value)));
    }
  }

  void client_map(const ConfigKey& key, const rapidjson::Value& v) {
    const std::string path(key.path);
    if (!v.IsObject()) {
      return error(path, "expected an object of client names to tokens, got " + describe(v));
    }
    std::vector<config::HttpClient>& clients = at<std::vector<config::HttpClient>>(key);
    clients.clear();
    for (auto m = v.MemberBegin(); m != v.MemberEnd(); ++m) {
      auto name = member_name(path, view(m->name), "client");
      if (!name) continue;
      const std::string where = path + "." + *name;
      auto token = secret(where, m->value);
      if (!token) continue;
      if (token->empty()) {
        error(where, "a client needs a token: " + std::string("\"env:NAME\" or \"file:PATH\""));
        continue;
      }
      const auto same =
          std::find_if(clients.begin(), clients.end(),
                       [&](const config::HttpClient& c) { return c.token == *token; });
      if (same != clients.end()) {
        error(where, "has the same token as client \"" + same->name + "\"");
        continue;
      }
      clients.push_back({std::move(*name), std::move(*token)});
    }
  }

  std::string name_;
  fs::path base_dir_;
  Config config_ = defaults();
  std::vector<ConfigError> errors_;
  std::vector<std::string> overridden_;  // paths given with --set
};

Config Config::defaults() { return ConfigLoader::defaults(); }

boost::system::result<Config, std::vector<ConfigError>> Config::parse(
    std::string_view text, const std::string& name, const fs::path& base_dir,
    std::span<const std::string> sets) {
  ConfigLoader loader(name, base_dir);
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  fhir::Limits limits;
  limits.max_bytes = kMaxConfigFileBytes;
  limits.max_depth = 32;
  auto doc = fhir::parse(text, limits);
  if (!doc) {
    loader.error("", doc.error().kind == fhir::ParseError::Kind::not_an_object
                         ? "expected a JSON object at the top level"
                         : doc.error().message);
    return std::move(loader.errors());
  }
  for (const std::string& set : sets) loader.apply_set(*doc, set);
  if (!loader.errors().empty()) return std::move(loader.errors());
  loader.object(doc->root(), "");
  if (loader.errors().empty()) loader.cross_checks();
  if (!loader.errors().empty()) return std::move(loader.errors());
  Config c = std::move(loader).finish();
  c.sets_.assign(sets.begin(), sets.end());
  return c;
}

boost::system::result<Config, std::vector<ConfigError>> Config::load(
    const std::string& path, std::span<const std::string> sets) {
  std::error_code ec;
  if (path.empty()) return parse("{}", "built-in defaults", fs::current_path(ec), sets);
  auto fail = [&](std::string message) {
    return std::vector<ConfigError>{{path, "", std::move(message)}};
  };
  const fs::path p(path);
  const auto status = fs::status(p, ec);
  if (!fs::exists(status)) return fail("no such file");
  if (fs::is_directory(status)) return fail("is a directory, not a file");
  std::string text;
  if (auto why = read_bounded_file(p, kMaxConfigFileBytes, text)) return fail(std::move(*why));
  const fs::path absolute = fs::absolute(p, ec);
  auto c = parse(text, path, (ec ? p : absolute).parent_path(), sets);
  if (c) c->file_ = (ec ? p : absolute).string();
  return c;
}

bool operator==(const Config& a, const Config& b) noexcept {
  return std::tie(a.mappings, a.limits, a.mllp, a.http, a.journal, a.log, a.delivery) ==
         std::tie(b.mappings, b.limits, b.mllp, b.http, b.journal, b.log, b.delivery);
}

void throw_exception_from_error(const std::vector<ConfigError>& e, const boost::source_location&) {
  std::string text;
  for (const ConfigError& x : e) {
    if (!text.empty()) text += '\n';
    text += to_string(x);
  }
  throw std::runtime_error(text.empty() ? "bad configuration" : text);
}

}  // namespace fcpgw::gateway
