#pragma once
// Gateway configuration: one JSON file (config/default.json holds the defaults, config/README.md
// documents every key, config/schema.json describes it as JSON Schema), loaded and checked
// once at start-up into an immutable Config. Every problem names the file and the key, e.g.
//   config/site.json: limits.v2.max_segments: expected a positive integer, got "lots"
//   config/site.json: mapings: unknown key (did you mean "mappings"?)
//   --set: listeners.mllp.prot: unknown key (did you mean "port"?)
// Unknown keys are errors everywhere, so that a typo never passes silently.
//
// The values live in plain per-section structs (sections.h); the key table (config_keys())
// says for each key its type, bounds and where its value lives, and drives loading, the
// defaults, equality and the documentation checks: adding a key is one row in config.cc plus
// its line in config/README.md and config/schema.json.

#include <boost/system/result.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "gateway/config/sections.h"

namespace fcpgw::gateway {

/// One problem in a configuration. `file` is the file name, or "--set" for a problem with a
/// command-line override. `key` is the dotted path of the offending key
/// (`limits.v2.max_segments`), empty for problems with the file as a whole (unreadable,
/// malformed JSON).
struct ConfigError {
  std::string file;
  std::string key;
  std::string message;
};
/// "file: key: message" (key omitted when empty).
std::string to_string(const ConfigError& e);

/// The kinds of value a configuration key holds.
enum class ConfigKeyType : std::uint8_t {
  object,                ///< a JSON object whose members are the keys below it
  string,                ///< a JSON string of at least `minimum` characters
  directory,             ///< a non-empty string naming an existing directory (relative paths are
                         ///< resolved against the configuration file's directory)
  positive_integer,      ///< a JSON integer in [minimum, maximum], minimum >= 1
  non_negative_integer,  ///< a JSON integer in [minimum, maximum], 0 allowed (0 = none)
  duration,              ///< a JSON integer in [minimum, maximum]; the unit ends the key name
                         ///< (`_ms`, `_us`, `_s`)
  port,                  ///< a JSON integer in [0, 65535]; 0 binds an ephemeral port
  boolean,               ///< true or false
  enumeration,           ///< a JSON string, one of `choices`
  string_list,           ///< a JSON array of IP addresses or CIDR ranges
  file,                  ///< a string naming a readable file (relative to the configuration
                         ///< file's directory); "" = none
  secret,                ///< "env:NAME" or "file:PATH", resolved at load; "" = none. Literal
                         ///< secrets are refused, and a secret's value is never in a message
  string_map,            ///< a JSON object of string -> string (names not fixed)
  client_map,            ///< a JSON object of client name -> secret (names not fixed)
};

class Config;

/// Where a key's value lives in a Config (a function returning a reference to the member), by
/// the type of the member. Objects and annotations ($schema) hold no value.
using ConfigTarget =
    std::variant<std::monostate, bool& (*)(Config&), std::uint16_t& (*)(Config&),
                 std::uint64_t& (*)(Config&), std::chrono::microseconds& (*)(Config&),
                 std::chrono::milliseconds& (*)(Config&), std::chrono::seconds& (*)(Config&),
                 std::string& (*)(Config&), std::optional<std::string>& (*)(Config&),
                 std::vector<std::string>& (*)(Config&), config::Constants& (*)(Config&),
                 std::vector<config::HttpClient>& (*)(Config&)>;

/// One key the loader knows: the single source of truth for the loader, the defaults, the
/// documentation check and the schema check.
struct ConfigKey {
  std::string_view path;  ///< dotted path, e.g. "limits.v2.max_segments"
  ConfigKeyType type;
  ConfigTarget target;                        ///< where the value lives
  std::uint64_t minimum = 0;                  ///< integers: lowest; string: shortest
  std::uint64_t maximum = 0;                  ///< integers: highest
  std::span<const std::string_view> choices;  ///< enumeration only
  std::string_view meaning;                   ///< one line, for messages and documentation
};

/// Every key the loader accepts, parents before children.
std::span<const ConfigKey> config_keys() noexcept;

/// The built-in default of `key` as JSON text (`2575`, `"127.0.0.1"`, `false`, `[]`, `{}`), or
/// nullopt for objects and keys without a default (`mappings.dir`, `$schema`).
std::optional<std::string> default_json(const ConfigKey& key);

class ConfigLoader;

/// A checked configuration: one public member per section, filled from the defaults and the
/// file. Made only by defaults() or load()/parse(); handed out as const.
class Config {
 public:
  config::Mappings mappings;  ///< mappings.*
  config::Limits limits;      ///< limits.*
  config::Mllp mllp;          ///< listeners.mllp.*
  config::Http http;          ///< listeners.http.*
  config::Journal journal;    ///< journal.*
  config::Log log;            ///< log.*
  /// destinations.* and routes (delivery_loader.h reads them; config/README.md documents
  /// their members).
  config::Delivery delivery;

  /// The built-in defaults (the same as config/default.json; a test keeps them equal).
  static Config defaults();

  /// Reads and checks the configuration file at `path` (the defaults when `path` is empty),
  /// then applies each `KEY=VALUE` of `sets` (`--set`, in order) before checking. Returns every
  /// problem found.
  static boost::system::result<Config, std::vector<ConfigError>> load(
      const std::string& path, std::span<const std::string> sets = {});

  /// Checks configuration text. `name` is used in messages; relative paths are resolved
  /// against `base_dir`. `sets` as for load().
  static boost::system::result<Config, std::vector<ConfigError>> parse(
      std::string_view text, const std::string& name, const std::filesystem::path& base_dir,
      std::span<const std::string> sets = {});

  /// Where the configuration came from: the file name as given, or "built-in defaults".
  const std::string& source() const noexcept { return source_; }
  /// What load() read, so that a reload reads the same again: the file ("" for the defaults)
  /// and the --set overrides, in order.
  const std::string& file() const noexcept { return file_; }
  const std::vector<std::string>& sets() const noexcept { return sets_; }
  /// `mappings.dir` resolved (absolute when the file's directory was), or nullopt when the
  /// configuration does not set it (then FCPGW_MAPPINGS_DIR or the bundled mappings apply).
  const std::optional<std::string>& mappings_dir() const noexcept { return mappings.dir; }
  /// `mappings.constants`: overrides for mapping constants, in file order.
  const config::Constants& constants() const noexcept { return mappings.constants; }
  /// `limits.v2`: bounds for parsing one HL7 v2 message.
  const config::V2Limits& v2_limits() const noexcept { return limits.v2; }
  /// `limits.fhir`: bounds for parsing one FHIR JSON document.
  const config::FhirLimits& fhir_limits() const noexcept { return limits.fhir; }
  /// `limits.input.max_bytes`: the largest message or JSON document read from an input.
  std::size_t max_input_bytes() const noexcept { return limits.input.max_bytes; }

  /// Same settings in every section (the source name is not compared).
  friend bool operator==(const Config& a, const Config& b) noexcept;

 private:
  friend class ConfigLoader;
  Config() = default;
  std::string source_;
  std::string file_;
  std::vector<std::string> sets_;
};

[[noreturn]] void throw_exception_from_error(const std::vector<ConfigError>& e,
                                             const boost::source_location& loc);

}  // namespace fcpgw::gateway
