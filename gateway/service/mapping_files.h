#pragma once
// Reads the mapping files and code tables of a mappings directory for mappings::Engine::load
// (the engine itself does no I/O).

#include <optional>
#include <string>
#include <vector>

#include "mappings/engine.h"

namespace fcpgw::gateway {

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
/// named `golden` (test cases, not mappings) and hidden ones. Names are relative to `dir`.
/// Returns an error message (naming the file) when the directory or a file cannot be read.
std::optional<std::string> read_mapping_sources(const std::string& dir,
                                                std::vector<mappings::SourceFile>& out);

}  // namespace fcpgw::gateway
