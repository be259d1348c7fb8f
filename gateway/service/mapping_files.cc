#include "gateway/service/mapping_files.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <system_error>

#include "gateway/common/files.h"
#include "gateway/common/text.h"
#include "gateway/service/limits.h"

namespace fcpgw::gateway::service {

namespace fs = std::filesystem;

namespace {
constexpr std::uintmax_t kMaxMappingFileBytes = 16u * 1024u * 1024u;
}

MappingsLocation locate_mappings(const std::optional<std::string>& flag,
                                 const std::optional<std::string>& configured,
                                 const std::string& config_name) {
  if (flag) return {*flag, "--mappings"};
  if (configured) return {*configured, "mappings.dir in " + config_name};
  if (const char* env = std::getenv("FCPGW_MAPPINGS_DIR"); env != nullptr && *env != '\0') {
    return {env, "FCPGW_MAPPINGS_DIR"};
  }
  return {FCPGW_DEFAULT_MAPPINGS_DIR, "built-in default"};
}

std::optional<std::string> read_mapping_sources(const std::string& dir,
                                                std::vector<mappings::SourceFile>& out) {
  std::error_code ec;
  const fs::path root(dir);
  if (!fs::is_directory(root, ec)) {
    return "mappings directory '" + dir + "' " +
           (fs::exists(root, ec) ? "is not a directory" : "does not exist");
  }
  std::vector<fs::path> files;
  fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec);
  if (ec) return "cannot list mappings directory '" + dir + "': " + ec.message();
  for (const fs::recursive_directory_iterator end; it != end; it.increment(ec)) {
    if (ec) return "cannot list mappings directory '" + dir + "': " + ec.message();
    const fs::path& p = it->path();
    const std::string leaf = p.filename().string();
    if (it->is_directory(ec)) {
      if (leaf == "golden" || leaf.starts_with(".")) it.disable_recursion_pending();
      continue;
    }
    // mappings/schema.json is the JSON Schema of the files, for editors: not mapping data.
    if (it.depth() == 0 && leaf == "schema.json") continue;
    if (p.extension() == ".json" && !leaf.starts_with(".") && it->is_regular_file(ec)) {
      files.push_back(p);
    }
  }
  std::sort(files.begin(), files.end());
  for (const fs::path& p : files) {
    const std::string name = p.lexically_relative(root).generic_string();
    std::string text;
    if (auto why = read_bounded_file(p, kMaxMappingFileBytes, text)) {
      return "mapping file '" + name + "': " + *why;
    }
    out.push_back({name, std::move(text)});
  }
  if (out.empty()) return "mappings directory '" + dir + "' holds no mapping files (*.json)";
  return std::nullopt;
}

namespace {

// A load error caused by a constant the configuration overrides, as a configuration error
// naming its key: the engine reports an unknown name ("(configuration)", "constants.<name>")
// and bad values of its own constants ("(constants)", "<name>").
std::optional<ConfigError> constant_problem(const Config& config, const mappings::LoadError& e) {
  std::string name;
  std::string message;
  if (e.file == "(configuration)" && e.rule.starts_with("constants.")) {
    name = e.rule.substr(std::string_view("constants.").size());
    message = "no mapping declares this constant";
  } else if (e.file == "(constants)") {
    name = e.rule;
    message = e.message;
  } else {
    return std::nullopt;
  }
  for (const auto& [k, v] : config.constants().values) {
    if (k == name) return ConfigError{config.source(), "mappings.constants." + name, message};
  }
  return std::nullopt;
}

}  // namespace

boost::system::result<mappings::Engine, EngineLoadError> load_engine(
    const Config& config, const std::optional<std::string>& flag) {
  const MappingsLocation loc = locate_mappings(flag, config.mappings_dir(), config.source());
  std::vector<mappings::SourceFile> sources;
  EngineLoadError failure;
  if (auto problem = read_mapping_sources(loc.dir, sources)) {
    failure.lines.push_back(*problem + " (from " + loc.origin + ")");
    failure.environment = loc.origin == "built-in default";
    return failure;
  }
  auto engine = mappings::Engine::load(sources, mapping_constants(config));
  if (!engine) {
    for (const mappings::LoadError& e : engine.error()) {
      if (auto problem = constant_problem(config, e)) {
        failure.lines.push_back(to_string(*problem));
      } else {
        failure.lines.push_back("mapping error: " + loc.dir + "/" + mappings::to_string(e));
      }
    }
    return failure;
  }
  return std::move(*engine);
}

}  // namespace fcpgw::gateway::service
