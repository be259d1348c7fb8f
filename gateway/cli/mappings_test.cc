#include "gateway/cli/command.h"

#include <filesystem>
#include <string>

#include "gateway/cli/golden_cases.h"
#include "gateway/service/mapping_files.h"

namespace fcpgw::gateway::cli {

// ---------------------------------------------------------------------------------------------
// mappings test

int cmd_mappings_test(const Options& opt, std::ostream& out, Reporter& rep) {
  const service::MappingsLocation loc =
      service::locate_mappings(opt.mappings, opt.config.mappings_dir(), opt.config.source());
  const std::filesystem::path dir = opt.golden_dir ? std::filesystem::path(*opt.golden_dir)
                                                   : std::filesystem::path(loc.dir) / "golden";
  auto cases = discover_golden_cases(dir);
  if (!cases) {
    rep.line(cases.error() + (opt.golden_dir ? "" : " (give the folder of cases as DIR)"));
    return code(Exit::bad_input);
  }
  std::vector<GoldenCase> selected;
  for (auto& c : *cases)
    if (c.name.find(opt.filter) != std::string::npos) selected.push_back(std::move(c));
  if (selected.empty()) {
    rep.line(opt.filter.empty()
                 ? "no golden cases under '" + dir.string() +
                       "' (expected <name>.hl7 or <name>.json with <name>.expected.json, "
                       "<name>.expected.hl7 or <name>.expected-error.json)"
                 : "no golden case under '" + dir.string() + "' matches --filter '" + opt.filter +
                       "'");
    return code(Exit::bad_input);
  }
  int exit_code = 0;
  auto engine = load_engine(opt, rep, exit_code);
  if (!engine) return exit_code;
  std::size_t passed = 0;
  std::size_t failed = 0;
  for (const GoldenCase& c : selected) {
    const GoldenResult r = run_golden_case(*engine, c);
    std::string what = r.direction;
    if (!r.mapping.empty()) what += ", " + r.mapping;
    if (r.passed) {
      ++passed;
      if (opt.verbose) out << "ok   " << r.name << " (" << what << ")\n";
      continue;
    }
    ++failed;
    out << "FAIL " << r.name << " (" << what << ")\n";
    for (const std::string& line : r.failures) out << "     " << line << '\n';
  }
  out << passed << " passed, " << failed << " failed\n";
  out.flush();
  if (!out) {
    rep.line("cannot write the output");
    return code(Exit::internal);
  }
  return code(failed == 0 ? Exit::ok : Exit::cases_failed);
}

}  // namespace fcpgw::gateway::cli
