#pragma once
// Test helper: reads the mapping files and code tables shipped in mappings/ (tests may do I/O;
// the engine itself does not).

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "mappings/engine.h"

namespace fcpgw::mappings::testing {

inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// The shipped mapping files, their shared pieces and the code tables (mappings/fhir-to-v2,
/// fhir-to-v2/shared, tables, v2-to-fhir, v2-to-fhir/shared), named relative to mappings/ in
/// the order the gateway loads them.
inline std::vector<SourceFile> shipped_mapping_files() {
  const std::filesystem::path root = std::filesystem::path(FCPGW_SOURCE_DIR) / "mappings";
  std::vector<SourceFile> files;
  for (const auto& dir : {root / "fhir-to-v2", root / "fhir-to-v2" / "shared", root / "tables",
                          root / "v2-to-fhir", root / "v2-to-fhir" / "shared"}) {
    if (!std::filesystem::is_directory(dir)) continue;
    std::vector<std::filesystem::path> paths;
    for (const auto& e : std::filesystem::directory_iterator(dir))
      if (e.is_regular_file() && e.path().extension() == ".json") paths.push_back(e.path());
    std::sort(paths.begin(), paths.end());
    for (const auto& p : paths)
      files.push_back({std::filesystem::relative(p, root).string(), read_file(p)});
  }
  return files;
}

}  // namespace fcpgw::mappings::testing
