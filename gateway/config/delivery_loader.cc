#include "gateway/config/delivery_loader.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <functional>
#include <set>
#include <variant>
#include <vector>

#include "gateway/common/text.h"

namespace fcpgw::gateway::config {
namespace {

constexpr std::uint64_t kDayMs = 24u * 3600u * 1000u;
constexpr std::uint64_t kTenYearsS = 3650u * 24u * 3600u;

std::string_view view(const rapidjson::Value& v) { return {v.GetString(), v.GetStringLength()}; }

// How a member's value is read.
struct Text {
  bool required;  // non-empty
};
struct Choice {
  std::span<const std::string_view> choices;
};
struct Integer {
  std::uint64_t minimum, maximum;
};
struct Boolean {};
struct File {};
struct Secret {};

using Kind = std::variant<Text, Choice, Integer, Boolean, File, Secret>;

constexpr std::array<std::string_view, 3> kTypes{"directory", "fhir", "mllp"};
constexpr std::array<std::string_view, 2> kOnDead{"hold", "skip"};
constexpr std::array<std::string_view, 2> kModes{"transaction", "message"};
constexpr std::array<std::string_view, 2> kOnAe{"retry", "dead"};

// Where a destination member's value goes.
using Setter = std::function<void(Destination&, const std::string& text, std::uint64_t n, bool b)>;

struct DestinationMember {
  MemberKey doc;
  Kind kind;
  Setter set;
};

template <class M>
Setter text_to(M Destination::*member) {
  return [member](Destination& d, const std::string& s, std::uint64_t, bool) { d.*member = s; };
}
Setter millis_to(Millis Destination::*member) {
  return [member](Destination& d, const std::string&, std::uint64_t n, bool) {
    d.*member = Millis(static_cast<Millis::rep>(n));
  };
}
Setter flag_to(bool Destination::*member) {
  return [member](Destination& d, const std::string&, std::uint64_t, bool b) { d.*member = b; };
}

const std::vector<DestinationMember>& destination_members() {
  static const std::vector<DestinationMember> members{
      {{"type", "", "\"directory\", \"fhir\" or \"mllp\": what receives the deliveries"},
       Choice{kTypes},
       text_to(&Destination::type)},
      {{"concurrency", "", "deliveries in flight at once, each of a different ordering key"},
       Integer{1, 256},
       [](Destination& d, const std::string&, std::uint64_t n, bool) { d.concurrency = n; }},
      {{"on_dead", "",
        "\"hold\": a dead delivery holds back later ones of its ordering key until it is retried "
        "or skipped; \"skip\": they go on"},
       Choice{kOnDead},
       text_to(&Destination::on_dead)},
      {{"retry.initial_ms", "", "first wait before a retry (doubles each time, with jitter)"},
       Integer{1, kDayMs},
       [](Destination& d, const std::string&, std::uint64_t n, bool) {
         d.retry.initial = Millis(static_cast<Millis::rep>(n));
       }},
      {{"retry.max_ms", "", "longest wait between two attempts"},
       Integer{1, kDayMs},
       [](Destination& d, const std::string&, std::uint64_t n, bool) {
         d.retry.max = Millis(static_cast<Millis::rep>(n));
       }},
      {{"retry.max_attempts", "", "attempts before the dead letter; 0 = no count limit"},
       Integer{0, 1'000'000},
       [](Destination& d, const std::string&, std::uint64_t n, bool) { d.retry.max_attempts = n; }},
      {{"retry.max_age_s", "",
        "time after receipt (or an operator's retry) before the dead letter; 0 = no age limit"},
       Integer{0, kTenYearsS},
       [](Destination& d, const std::string&, std::uint64_t n, bool) {
         d.retry.max_age = std::chrono::seconds(static_cast<std::int64_t>(n));
       }},
      {{"path", "directory",
        "the folder that receives one file per delivery (created when missing; relative to the "
        "working directory)"},
       Text{true},
       text_to(&Destination::path)},
      {{"url", "fhir", "the FHIR base URL, http:// or https://"},
       Text{true},
       text_to(&Destination::url)},
      {{"mode", "fhir",
        "\"transaction\": POST the transaction Bundle to the base; \"message\": POST a message "
        "Bundle to [base]/$process-message"},
       Choice{kModes},
       text_to(&Destination::mode)},
      {{"token", "fhir", "bearer token, \"env:NAME\" or \"file:PATH\"; \"\" = none"},
       Secret{},
       text_to(&Destination::token)},
      {{"connect_timeout_ms", "fhir", "resolve, connect and TLS handshake"},
       Integer{1, kDayMs},
       millis_to(&Destination::connect_timeout)},
      {{"response_timeout_ms", "fhir", "send the request and read the whole response"},
       Integer{1, kDayMs},
       millis_to(&Destination::response_timeout)},
      {{"host", "mllp", "the receiver's host name or address"},
       Text{true},
       text_to(&Destination::host)},
      {{"port", "mllp", "the receiver's port"},
       Integer{1, 65535},
       [](Destination& d, const std::string&, std::uint64_t n, bool) {
         d.port = static_cast<std::uint16_t>(n);
       }},
      {{"ack_timeout_ms", "mllp", "connect, send and read the ACK"},
       Integer{1, kDayMs},
       millis_to(&Destination::ack_timeout)},
      {{"on_ae", "mllp", "what an AE (or CE) answer does: \"retry\" or \"dead\""},
       Choice{kOnAe},
       text_to(&Destination::on_ae)},
      {{"application_ack", "mllp",
        "after a CA, wait for the application ACK on the same connection"},
       Boolean{},
       flag_to(&Destination::application_ack)},
      {{"tls", "mllp", "connect with TLS (a fhir destination uses TLS for an https:// url)"},
       Boolean{},
       flag_to(&Destination::tls)},
      {{"ca_file", "fhir, mllp",
        "PEM CAs that sign the receiver's certificate; \"\" = the system's CAs"},
       File{},
       text_to(&Destination::ca_file)},
      {{"cert_file", "fhir, mllp", "client certificate chain for mutual TLS; \"\" = none"},
       File{},
       text_to(&Destination::cert_file)},
      {{"key_file", "fhir, mllp", "the client certificate's private key"},
       File{},
       text_to(&Destination::key_file)},
      {{"key_passphrase", "fhir, mllp", "its passphrase, \"env:NAME\" or \"file:PATH\""},
       Secret{},
       text_to(&Destination::key_passphrase)},
      {{"server_name", "fhir, mllp",
        "the name checked in the receiver's certificate (and sent as SNI); \"\" = the host"},
       Text{false},
       text_to(&Destination::server_name)},
  };
  return members;
}

constexpr std::array kRouteKeys{
    MemberKey{"name", "", "the route's name, in logs, metrics and `fcpgw journal`"},
    MemberKey{"types", "",
              "message kinds it takes: \"SIU\", \"SIU^S12\" or a FHIR resource type "
              "(\"Appointment\", \"Bundle\"); [] = any"},
    MemberKey{"facilities", "", "MSH-4.1 as sent, or the HTTP client's name; [] = any"},
    MemberKey{"mapping", "",
              "the mapping that translates (\"siu-to-fhir\"); \"\" = the one that takes the type"},
    MemberKey{"destinations", "", "names under `destinations`, at least one"},
};

bool applies(std::string_view applies_to, std::string_view type) {
  if (applies_to.empty()) return true;
  for (std::size_t at = 0; at < applies_to.size();) {
    auto comma = applies_to.find(',', at);
    if (comma == std::string_view::npos) comma = applies_to.size();
    std::string_view one = applies_to.substr(at, comma - at);
    while (one.starts_with(' ')) one.remove_prefix(1);
    if (one == type) return true;
    at = comma + 1;
  }
  return false;
}

// Flattens {"retry": {"initial_ms": 5}} into ("retry.initial_ms", value) pairs.
void flatten(const rapidjson::Value& obj, const std::string& prefix,
             std::vector<std::pair<std::string, const rapidjson::Value*>>& out) {
  for (auto m = obj.MemberBegin(); m != obj.MemberEnd(); ++m) {
    const std::string name = prefix + std::string(view(m->name));
    if (name == "retry" && m->value.IsObject()) {
      flatten(m->value, name + ".", out);
    } else {
      out.emplace_back(name, &m->value);
    }
  }
}

bool printable_name(std::string_view s) {
  return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
  });
}

std::string quote_list(std::span<const std::string_view> choices) {
  std::string s;
  for (std::size_t i = 0; i < choices.size(); ++i) {
    if (i > 0) s += i + 1 == choices.size() ? " or " : ", ";
    s += "\"" + std::string(choices[i]) + "\"";
  }
  return s;
}

void read_destination(const std::string& path, const std::string& name, const rapidjson::Value& v,
                      Destination& d, LoadContext& ctx) {
  d = Destination{};
  d.name = name;
  if (!v.IsObject()) return ctx.error(path, "expected an object, got " + ctx.describe(v));
  std::vector<std::pair<std::string, const rapidjson::Value*>> values;
  flatten(v, "", values);
  // The type first: it says which members apply.
  const auto type_it =
      std::find_if(values.begin(), values.end(), [](const auto& p) { return p.first == "type"; });
  if (type_it == values.end()) {
    return ctx.error(path + ".type", "required: " + quote_list(kTypes));
  }
  for (const auto& [member, value] : values) {
    const std::string key = path + "." + member;
    const auto& members = destination_members();
    // Through a reference, not the binding: clang before 16 cannot capture a structured binding.
    const std::string& member_name = member;
    const auto m = std::find_if(members.begin(), members.end(), [&](const DestinationMember& x) {
      return x.doc.name == member_name;
    });
    if (m == members.end()) {
      ctx.error(path + "." + printable(member, 64), "unknown key");
      continue;
    }
    if (member != "type" && !d.type.empty() && !applies(m->doc.applies, d.type)) {
      ctx.error(key, "applies to " + std::string(m->doc.applies) + " destinations, not " + d.type);
      continue;
    }
    std::visit(
        [&, &m = *m, &value = *value](const auto& kind) {
          using K = std::decay_t<decltype(kind)>;
          const auto is_text = value.IsString();
          if constexpr (std::is_same_v<K, Text>) {
            if (!is_text || (kind.required && value.GetStringLength() == 0)) {
              return ctx.error(key, std::string(kind.required ? "expected a non-empty string"
                                                              : "expected a string") +
                                        ", got " + ctx.describe(value));
            }
            m.set(d, std::string(view(value)), 0, false);
          } else if constexpr (std::is_same_v<K, Choice>) {
            if (is_text) {
              for (std::string_view c : kind.choices) {
                if (view(value) == c) return m.set(d, std::string(c), 0, false);
              }
            }
            ctx.error(key, "expected " + quote_list(kind.choices) + ", got " + ctx.describe(value));
          } else if constexpr (std::is_same_v<K, Integer>) {
            if (!value.IsUint64() || value.GetUint64() < kind.minimum ||
                value.GetUint64() > kind.maximum) {
              return ctx.error(key, "expected an integer from " + std::to_string(kind.minimum) +
                                        " to " + std::to_string(kind.maximum) + ", got " +
                                        ctx.describe(value));
            }
            m.set(d, {}, value.GetUint64(), false);
          } else if constexpr (std::is_same_v<K, Boolean>) {
            if (!value.IsBool()) {
              return ctx.error(key, "expected true or false, got " + ctx.describe(value));
            }
            m.set(d, {}, 0, value.IsTrue());
          } else if constexpr (std::is_same_v<K, File>) {
            if (auto f = ctx.file(key, value)) m.set(d, *f, 0, false);
          } else {
            if (auto s = ctx.secret(key, value)) m.set(d, *s, 0, false);
          }
        },
        m->kind);
  }
  // Members each type needs.
  if (d.type == "directory" && d.path.empty()) ctx.error(path + ".path", "required");
  if (d.type == "fhir") {
    if (d.url.empty()) {
      ctx.error(path + ".url", "required");
    } else if (!d.url.starts_with("http://") && !d.url.starts_with("https://")) {
      ctx.error(path + ".url", "expected an http:// or https:// URL");
    }
  }
  if (d.type == "mllp") {
    if (d.host.empty()) ctx.error(path + ".host", "required");
    if (d.port == 0) ctx.error(path + ".port", "required");
  }
  if (!d.cert_file.empty() && d.key_file.empty()) {
    ctx.error(path + ".key_file", "required with cert_file");
  }
  if (d.retry.max < d.retry.initial) {
    ctx.error(path + ".retry.max_ms", "must be at least retry.initial_ms");
  }
}

std::optional<std::vector<std::string>> string_list(const std::string& key,
                                                    const rapidjson::Value& v, LoadContext& ctx) {
  if (!v.IsArray()) {
    ctx.error(key, "expected an array of strings, got " + ctx.describe(v));
    return std::nullopt;
  }
  std::vector<std::string> out;
  for (rapidjson::SizeType i = 0; i < v.Size(); ++i) {
    if (!v[i].IsString() || v[i].GetStringLength() == 0) {
      ctx.error(key + "[" + std::to_string(i) + "]",
                "expected a non-empty string, got " + ctx.describe(v[i]));
      return std::nullopt;
    }
    out.emplace_back(view(v[i]));
  }
  return out;
}

}  // namespace

std::span<const MemberKey> destination_keys() noexcept {
  static const std::vector<MemberKey> keys = [] {
    std::vector<MemberKey> k;
    for (const DestinationMember& m : destination_members()) k.push_back(m.doc);
    return k;
  }();
  return keys;
}

std::span<const MemberKey> route_keys() noexcept { return kRouteKeys; }

namespace {

// The built-in delivery, as it is written in config/default.json.
constexpr std::string_view kDefaultDestinations =
    R"({"outbox": {"type": "directory", "path": "var/outbox"}})";
constexpr std::string_view kDefaultRoutes =
    R"([{"name": "everything-to-outbox", "destinations": ["outbox"]}])";

// Loading the built-in text cannot fail; a context that ignores what never happens.
class BuiltIn final : public LoadContext {
 public:
  void error(std::string, std::string) override {}
  std::optional<std::string> secret(const std::string&, const rapidjson::Value&) override {
    return std::string();
  }
  std::optional<std::string> file(const std::string&, const rapidjson::Value&) override {
    return std::string();
  }
  std::string describe(const rapidjson::Value&) override { return {}; }
};

}  // namespace

std::string_view default_destinations_json() noexcept { return kDefaultDestinations; }
std::string_view default_routes_json() noexcept { return kDefaultRoutes; }

Delivery default_delivery() {
  Delivery d;
  BuiltIn ctx;
  rapidjson::Document destinations, routes;
  destinations.Parse(kDefaultDestinations.data(), kDefaultDestinations.size());
  routes.Parse(kDefaultRoutes.data(), kDefaultRoutes.size());
  load_destinations(destinations, d, ctx);
  load_routes(routes, d, ctx);
  return d;
}

void load_destinations(const rapidjson::Value& v, Delivery& out, LoadContext& ctx) {
  if (!v.IsObject()) {
    return ctx.error("destinations",
                     "expected an object of destination names, got " + ctx.describe(v));
  }
  out.destinations.clear();
  for (auto m = v.MemberBegin(); m != v.MemberEnd(); ++m) {
    const std::string name(view(m->name));
    if (!printable_name(name)) {
      ctx.error("destinations", "a destination name must be 1 to 64 letters, digits, '-' or '_'");
      continue;
    }
    Destination d;
    read_destination("destinations." + name, name, m->value, d, ctx);
    out.destinations.push_back(std::move(d));
  }
}

void load_routes(const rapidjson::Value& v, Delivery& out, LoadContext& ctx) {
  if (!v.IsArray())
    return ctx.error("routes", "expected an array of routes, got " + ctx.describe(v));
  out.routes.clear();
  for (rapidjson::SizeType i = 0; i < v.Size(); ++i) {
    const std::string path = "routes[" + std::to_string(i) + "]";
    const rapidjson::Value& r = v[i];
    if (!r.IsObject()) {
      ctx.error(path, "expected an object, got " + ctx.describe(r));
      continue;
    }
    Route route;
    route.name = "route-" + std::to_string(i + 1);
    for (auto m = r.MemberBegin(); m != r.MemberEnd(); ++m) {
      const std::string member(view(m->name));
      const std::string key = path + "." + member;
      if (member == "name" || member == "mapping") {
        if (!m->value.IsString() || (member == "name" && !printable_name(view(m->value)))) {
          ctx.error(key, member == "name" ? "expected 1 to 64 letters, digits, '-' or '_', got " +
                                                ctx.describe(m->value)
                                          : "expected a string, got " + ctx.describe(m->value));
          continue;
        }
        (member == "name" ? route.name : route.mapping) = std::string(view(m->value));
      } else if (member == "types" || member == "facilities" || member == "destinations") {
        if (auto list = string_list(key, m->value, ctx)) {
          (member == "types"        ? route.types
           : member == "facilities" ? route.facilities
                                    : route.destinations) = std::move(*list);
        }
      } else {
        ctx.error(path + "." + printable(member, 64), "unknown key");
      }
    }
    if (route.destinations.empty()) ctx.error(path + ".destinations", "at least one is required");
    out.routes.push_back(std::move(route));
  }
}

void check_delivery(const Delivery& d, LoadContext& ctx) {
  std::set<std::string> names;
  for (const Destination& x : d.destinations) names.insert(x.name);
  std::set<std::string> route_names;
  for (std::size_t i = 0; i < d.routes.size(); ++i) {
    const Route& r = d.routes[i];
    const std::string path = "routes[" + std::to_string(i) + "]";
    if (!route_names.insert(r.name).second) {
      ctx.error(path + ".name", "\"" + r.name + "\" names two routes");
    }
    for (std::size_t j = 0; j < r.destinations.size(); ++j) {
      if (!names.contains(r.destinations[j])) {
        ctx.error(path + ".destinations[" + std::to_string(j) + "]",
                  "no destination named \"" + r.destinations[j] + "\" under destinations");
      }
    }
  }
}

}  // namespace fcpgw::gateway::config
