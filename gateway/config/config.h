#pragma once
// Gateway configuration: one JSON file (config/default.json holds the defaults, config/README.md
// documents every key, config/schema.json describes it as JSON Schema), loaded and checked
// once at start-up into an immutable Config. Every problem names the file and the key, e.g.
//   config/site.json: limits.v2.max_segments: expected a positive integer, got "lots"
//   config/site.json: mapings: unknown key (did you mean "mappings"?)
// Unknown keys are errors everywhere, so that a typo never passes silently.

#include <boost/system/result.hpp>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "fhir/json.h"
#include "hl7v2/message.h"
#include "mappings/engine.h"

namespace fcpgw::gateway {

/// One problem in a configuration file. `key` is the dotted path of the offending key
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
  object,            ///< a JSON object whose members are the keys below it
  string,            ///< a JSON string
  directory,         ///< a non-empty string naming an existing directory (relative paths are
                     ///< resolved against the configuration file's directory)
  positive_integer,  ///< a JSON integer in [minimum, maximum]
  string_map,        ///< a JSON object of string -> string (names not fixed)
};

/// One key the loader knows: the single source of truth for the loader, the defaults, the
/// documentation check and the schema check.
struct ConfigKey {
  std::string_view path;  ///< dotted path, e.g. "limits.v2.max_segments"
  ConfigKeyType type;
  std::uint64_t minimum = 0;        ///< positive_integer only
  std::uint64_t maximum = 0;        ///< positive_integer only
  std::uint64_t default_value = 0;  ///< positive_integer only
  std::string_view meaning;         ///< one line, for messages and documentation
};

/// Every key the loader accepts, parents before children.
std::span<const ConfigKey> config_keys() noexcept;

/// A checked configuration. Immutable: made only by defaults() or load(), read through const
/// accessors, cheap to copy.
class ConfigLoader;

class Config {
 public:
  /// The built-in defaults (the same as config/default.json; a test keeps them equal).
  static Config defaults();

  /// Reads and checks the configuration file at `path`. Returns every problem found.
  static boost::system::result<Config, std::vector<ConfigError>> load(const std::string& path);

  /// Checks configuration text. `name` is used in messages; relative directories are resolved
  /// against `base_dir`.
  static boost::system::result<Config, std::vector<ConfigError>> parse(
      std::string_view text, const std::string& name, const std::filesystem::path& base_dir);

  /// Where the configuration came from: the file name as given, or "built-in defaults".
  const std::string& source() const noexcept { return source_; }
  /// `mappings.dir` resolved (absolute when the file's directory was), or nullopt when the
  /// configuration does not set it (then FCPGW_MAPPINGS_DIR or the bundled mappings apply).
  const std::optional<std::string>& mappings_dir() const noexcept { return mappings_dir_; }
  /// `mappings.constants`: overrides for mapping constants, in file order.
  const mappings::Constants& constants() const noexcept { return constants_; }
  /// `limits.v2`: bounds for parsing one HL7 v2 message.
  const hl7v2::Limits& v2_limits() const noexcept { return v2_; }
  /// `limits.fhir`: bounds for parsing one FHIR JSON document.
  const fhir::Limits& fhir_limits() const noexcept { return fhir_; }
  /// `limits.input.max_bytes`: the largest message or JSON document read from an input.
  std::size_t max_input_bytes() const noexcept { return max_input_bytes_; }

  /// Same settings (the source name is not compared).
  friend bool operator==(const Config& a, const Config& b) noexcept;

 private:
  friend class ConfigLoader;
  Config() = default;
  std::string source_;
  std::optional<std::string> mappings_dir_;
  mappings::Constants constants_;
  hl7v2::Limits v2_;
  fhir::Limits fhir_;
  std::size_t max_input_bytes_ = 0;
};

[[noreturn]] void throw_exception_from_error(const std::vector<ConfigError>& e,
                                             const boost::source_location& loc);

}  // namespace fcpgw::gateway
