#pragma once
// What the gateway fuzz targets share: the shipped mappings (the source tree's mappings/,
// loaded once per process as `fcpgw` loads them with no configuration) and a check that names
// its line before aborting.

#include <cstdio>
#include <cstdlib>
#include <memory>

#include "gateway/config/config.h"
#include "gateway/service/mapping_files.h"
#include "mappings/engine.h"

namespace fcpgw::fuzz {

#define FUZZ_CHECK(ok) ::fcpgw::fuzz::check_at((ok), __FILE__, __LINE__)
inline void check_at(bool ok, const char* file, int line) {
  if (!ok) {
    std::fprintf(stderr, "%s:%d: check failed\n", file, line);
    std::abort();
  }
}

inline std::shared_ptr<const mappings::Engine> shipped_engine() {
  static const std::shared_ptr<const mappings::Engine> engine = [] {
    auto e = gateway::service::load_engine(gateway::Config::defaults());
    if (!e) {
      for (const std::string& line : e.error().lines) std::fprintf(stderr, "%s\n", line.c_str());
      std::abort();
    }
    return std::make_shared<const mappings::Engine>(std::move(*e));
  }();
  return engine;
}

}  // namespace fcpgw::fuzz
