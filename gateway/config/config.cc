#include "gateway/config/config.h"

#include <algorithm>
#include <cctype>
#include <stdexcept>
#include <system_error>
#include <utility>

#include "gateway/common/files.h"
#include "gateway/common/text.h"

namespace fcpgw::gateway {

namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t kMiB = 1024u * 1024u;
constexpr std::uint64_t kMaxBytes = std::uint64_t{1} << 31;  // 2 GiB: beyond is not a message
constexpr std::uintmax_t kMaxConfigFileBytes = 1024u * 1024u;

using T = ConfigKeyType;

// The single list of keys. Defaults here are the built-in defaults; config/default.json,
// config/schema.json and config/README.md are checked against this list by the unit tests.
constexpr ConfigKey kKeys[] = {
    {"$schema", T::string, 0, 0, 0,
     "URI of the JSON Schema the file follows, for editors; not used by fcpgw"},
    {"mappings", T::object, 0, 0, 0, "the mapping files and their constants"},
    {"mappings.dir", T::directory, 0, 0, 0,
     "directory of mapping files and code tables (relative to this file's directory)"},
    {"mappings.constants", T::string_map, 0, 0, 0,
     "overrides for constants declared by the mapping files (name -> value)"},
    {"limits", T::object, 0, 0, 0, "bounds applied to untrusted input"},
    {"limits.v2", T::object, 0, 0, 0, "bounds for parsing one HL7 v2 message"},
    {"limits.v2.max_message_bytes", T::positive_integer, 1, kMaxBytes, 16 * kMiB,
     "largest HL7 v2 message parsed, in bytes"},
    {"limits.v2.max_segments", T::positive_integer, 1, 1'000'000, 5000,
     "most segments in one HL7 v2 message"},
    {"limits.v2.max_fields_per_segment", T::positive_integer, 1, 100'000, 500,
     "highest field number in any one segment"},
    {"limits.v2.max_repetitions_per_field", T::positive_integer, 1, 1'000'000, 1000,
     "most repetitions in any one field"},
    {"limits.fhir", T::object, 0, 0, 0, "bounds for parsing one FHIR JSON document"},
    {"limits.fhir.max_bytes", T::positive_integer, 1, kMaxBytes, 16 * kMiB,
     "largest FHIR JSON document parsed, in bytes"},
    {"limits.fhir.max_depth", T::positive_integer, 1, 1000, 64,
     "deepest nesting of JSON objects and arrays (the root object is depth 1)"},
    {"limits.input", T::object, 0, 0, 0, "bounds for reading inputs (files, standard input)"},
    {"limits.input.max_bytes", T::positive_integer, 1, kMaxBytes, 16 * kMiB,
     "largest message or JSON document read from one input; a larger one is refused unread"},
};

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

// Case-insensitive Levenshtein distance (keys are short).
std::size_t distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      const bool same = std::tolower(static_cast<unsigned char>(a[i - 1])) ==
                        std::tolower(static_cast<unsigned char>(b[j - 1]));
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (same ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
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

bool is_string(const rapidjson::Value& v) { return v.IsString() && !fhir::is_raw_number(v); }

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

// Walks a parsed configuration against kKeys, starting from the defaults.
class ConfigLoader {
 public:
  ConfigLoader(std::string name, fs::path base_dir)
      : name_(std::move(name)), base_dir_(std::move(base_dir)) {
    config_.source_ = name_;
  }

  static void set_integer(Config& c, std::string_view path, std::uint64_t v) {
    const auto n = static_cast<std::size_t>(v);
    if (path == "limits.v2.max_message_bytes") c.v2_.max_message_bytes = n;
    if (path == "limits.v2.max_segments") c.v2_.max_segments = n;
    if (path == "limits.v2.max_fields_per_segment") c.v2_.max_fields_per_segment = n;
    if (path == "limits.v2.max_repetitions_per_field") c.v2_.max_repetitions_per_field = n;
    if (path == "limits.fhir.max_bytes") c.fhir_.max_bytes = n;
    if (path == "limits.fhir.max_depth") c.fhir_.max_depth = n;
    if (path == "limits.input.max_bytes") c.max_input_bytes_ = n;
  }

  static Config defaults() {
    Config c;
    c.source_ = "built-in defaults";
    for (const ConfigKey& k : kKeys) {
      if (k.type == T::positive_integer) set_integer(c, k.path, k.default_value);
    }
    return c;
  }

  void object(const rapidjson::Value& obj, std::string_view prefix) {
    for (auto m = obj.MemberBegin(); m != obj.MemberEnd(); ++m) {
      const std::string_view name = view(m->name);
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

  Config finish() && { return std::move(config_); }
  std::vector<ConfigError>& errors() { return errors_; }
  void error(std::string key, std::string message) {
    errors_.push_back({name_, std::move(key), std::move(message)});
  }

 private:
  void value(const ConfigKey& key, const rapidjson::Value& v) {
    const std::string path(key.path);
    switch (key.type) {
      case T::object:
        if (!v.IsObject()) return error(path, "expected an object, got " + describe(v));
        return object(v, key.path);
      case T::string:
        if (!is_string(v)) return error(path, "expected a string, got " + describe(v));
        return;
      case T::directory:
        return directory(path, v);
      case T::positive_integer:
        return integer(key, v);
      case T::string_map:
        return string_map(path, v);
    }
  }

  void directory(const std::string& path, const rapidjson::Value& v) {
    if (!is_string(v) || v.GetStringLength() == 0) {
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
    config_.mappings_dir_ = resolved.string();
  }

  void integer(const ConfigKey& key, const rapidjson::Value& v) {
    const std::string path(key.path);
    const std::string expected =
        "expected a positive integer" +
        (key.minimum > 1 ? " of at least " + std::to_string(key.minimum) : std::string());
    if (v.IsUint64()) {
      const std::uint64_t n = v.GetUint64();
      if (n < key.minimum) return error(path, expected + ", got " + describe(v));
      if (n > key.maximum) {
        return error(path, expected + " no greater than " + std::to_string(key.maximum) + ", got " +
                               describe(v));
      }
      return set_integer(config_, key.path, n);
    }
    // Digits only, but beyond 64 bits (kept as a raw number by the parser).
    const std::string_view raw = fhir::raw_number_text(v);
    if (!raw.empty() &&
        std::all_of(raw.begin(), raw.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return error(path, expected + " no greater than " + std::to_string(key.maximum) + ", got " +
                             describe(v));
    }
    error(path, expected + ", got " + describe(v));
  }

  void string_map(const std::string& path, const rapidjson::Value& v) {
    if (!v.IsObject()) {
      return error(path, "expected an object of names to strings, got " + describe(v));
    }
    for (auto m = v.MemberBegin(); m != v.MemberEnd(); ++m) {
      const std::string_view name = view(m->name);
      const std::string where = path + "." + printable(name, kMaxNameEcho);
      if (name.empty()) {
        error(path, "a constant name is empty");
        continue;
      }
      if (printable(name, kMaxNameEcho) != name) {
        error(where, "a constant name must be printable ASCII");
        continue;
      }
      if (!is_string(m->value)) {
        error(where, "expected a string, got " + describe(m->value));
        continue;
      }
      config_.constants_.set(std::string(name), std::string(view(m->value)));
    }
  }

  std::string name_;
  fs::path base_dir_;
  Config config_ = defaults();
  std::vector<ConfigError> errors_;
};

Config Config::defaults() { return ConfigLoader::defaults(); }

boost::system::result<Config, std::vector<ConfigError>> Config::parse(std::string_view text,
                                                                      const std::string& name,
                                                                      const fs::path& base_dir) {
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
  loader.object(doc->root(), "");
  if (!loader.errors().empty()) return std::move(loader.errors());
  return std::move(loader).finish();
}

boost::system::result<Config, std::vector<ConfigError>> Config::load(const std::string& path) {
  auto fail = [&](std::string message) {
    return std::vector<ConfigError>{{path, "", std::move(message)}};
  };
  std::error_code ec;
  const fs::path p(path);
  const auto status = fs::status(p, ec);
  if (!fs::exists(status)) return fail("no such file");
  if (fs::is_directory(status)) return fail("is a directory, not a file");
  std::string text;
  if (auto why = read_bounded_file(p, kMaxConfigFileBytes, text)) return fail(std::move(*why));
  const fs::path absolute = fs::absolute(p, ec);
  return parse(text, path, (ec ? p : absolute).parent_path());
}

bool operator==(const Config& a, const Config& b) noexcept {
  return a.mappings_dir_ == b.mappings_dir_ && a.constants_.values == b.constants_.values &&
         a.v2_.max_message_bytes == b.v2_.max_message_bytes &&
         a.v2_.max_segments == b.v2_.max_segments &&
         a.v2_.max_fields_per_segment == b.v2_.max_fields_per_segment &&
         a.v2_.max_repetitions_per_field == b.v2_.max_repetitions_per_field &&
         a.fhir_.max_bytes == b.fhir_.max_bytes && a.fhir_.max_depth == b.fhir_.max_depth &&
         a.max_input_bytes_ == b.max_input_bytes_;
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
