#pragma once
// Reads the mapping files and code tables of a mappings directory for mappings::Engine::load
// (the engine itself does no I/O).

#include <boost/system/result.hpp>
#include <optional>
#include <string>
#include <vector>

#include "gateway/config/config.h"
#include "mappings/engine.h"

namespace fcpgw::gateway::service {

/// Where the mapping files come from, in order of precedence: --mappings DIR, `mappings.dir`
/// of the configuration file (`configured`, already resolved; `config_name` names the file),
/// the environment variable FCPGW_MAPPINGS_DIR, the source tree's mappings/ directory recorded
/// at build time.
struct MappingsLocation {
  std::string dir;
  /// "--mappings", "mappings.dir in <config file>", "FCPGW_MAPPINGS_DIR" or "built-in default"
  std::string origin;
};
MappingsLocation locate_mappings(const std::optional<std::string>& flag,
                                 const std::optional<std::string>& configured = std::nullopt,
                                 const std::string& config_name = {});

/// Every `*.json` file under `dir` (recursively, sorted by path), except under directories
/// named `golden` (test cases, not mappings) and hidden ones, and `schema.json` directly in
/// `dir` (the JSON Schema of the files, for editors). Names are relative to `dir`.
/// Returns an error message (naming the file) when the directory or a file cannot be read.
std::optional<std::string> read_mapping_sources(const std::string& dir,
                                                std::vector<mappings::SourceFile>& out);

/// Why load_engine() failed: one line per problem, ready to print (mapping errors name the
/// file and rule; a bad constant is named by its configuration key).
struct EngineLoadError {
  std::vector<std::string> lines;
  /// True when the bundled mappings themselves could not be read (an installation problem,
  /// not the user's input).
  bool environment = false;
};

/// Finds the mapping files (locate_mappings with `flag` and the configuration), reads and
/// loads them with the configuration's constants. The one way the CLI and `serve` get an
/// engine.
boost::system::result<mappings::Engine, EngineLoadError> load_engine(
    const Config& config, const std::optional<std::string>& flag = std::nullopt);

}  // namespace fcpgw::gateway::service
