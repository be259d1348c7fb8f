#include <algorithm>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "gateway/cli/command.h"
#include "gateway/cli/golden_cases.h"
#include "gateway/cli/golden_update.h"
#include "gateway/common/files.h"
#include "gateway/service/limits.h"
#include "gateway/service/mapping_files.h"

namespace fcpgw::gateway::cli {

namespace {

constexpr std::uintmax_t kMaxTableBytes = 16u * 1024u * 1024u;  // as a mapping file

// The engines the cases run with: the site's (the configuration's constants), and one per set
// of folder constants (constants.json) and folder code tables (tables/), those applied over the
// site's.
class Engines {
 public:
  Engines(const Options& opt, mappings::Engine site) : opt_(opt), site_(std::move(site)) {}

  // The engine for `c`, or null with `problem` saying why (naming the constants.json).
  const mappings::Engine* for_case(const GoldenCase& c, std::string& problem) {
    if (c.constants.empty() && c.tables.empty()) return &site_;
    const Key key{c.constants, c.tables};
    auto found = by_constants_.find(key);
    if (found == by_constants_.end()) found = by_constants_.emplace(key, load(c)).first;
    if (found->second.engine) return &*found->second.engine;
    problem = found->second.problem;
    return nullptr;
  }

 private:
  struct Loaded {
    std::optional<mappings::Engine> engine;
    std::string problem;
  };

  Loaded load(const GoldenCase& c) {
    Loaded out;
    if (sources_.empty()) {
      const auto loc =
          service::locate_mappings(opt_.mappings, opt_.config.mappings_dir(), opt_.config.source());
      if (auto why = service::read_mapping_sources(loc.dir, sources_)) {
        out.problem = *why;
        return out;
      }
    }
    mappings::Constants constants = service::mapping_constants(opt_.config);
    for (const auto& k : c.constants) constants.set(k.name, k.value);
    // The folder's code tables replace the mappings' tables of the same file name.
    std::vector<mappings::SourceFile> sources = sources_;
    for (const auto& table : c.tables) {
      mappings::SourceFile f{"tables/" + table.filename().generic_string(), {}};
      if (auto why = read_bounded_file(table, kMaxTableBytes, f.text)) {
        out.problem = table.generic_string() + ": " + *why;
        return out;
      }
      auto same = std::find_if(sources.begin(), sources.end(),
                               [&](const auto& s) { return s.name == f.name; });
      if (same != sources.end())
        *same = std::move(f);
      else
        sources.push_back(std::move(f));
    }
    auto engine = mappings::Engine::load(sources, constants);
    if (engine) {
      out.engine = std::move(*engine);
      return out;
    }
    for (const mappings::LoadError& e : engine.error()) {
      // A folder's constant the mappings do not declare, or whose value they refuse.
      std::string name = e.rule;
      if (name.starts_with("constants.")) name.erase(0, std::string_view("constants.").size());
      std::string where;
      for (const auto& k : c.constants)
        if (k.name == name && (e.file == "(configuration)" || e.file == "(constants)"))
          where = k.file + ": \"" + k.name + "\": ";
      if (!out.problem.empty()) out.problem += "; ";
      out.problem += where.empty()
                         ? "with the folder's constants and tables: " + mappings::to_string(e)
                         : where + e.message;
    }
    return out;
  }

  const Options& opt_;
  mappings::Engine site_;
  std::vector<mappings::SourceFile> sources_;
  using Key = std::pair<std::vector<GoldenCase::Constant>, std::vector<std::filesystem::path>>;
  std::map<Key, Loaded> by_constants_;
};

}  // namespace

// ---------------------------------------------------------------------------------------------
// mappings test

int cmd_mappings_test(const Options& opt, std::ostream& out, Reporter& rep) {
  if (opt.update && opt.accept) {
    rep.line(
        "--update and --accept exclude each other: --update writes every failing case, "
        "--accept NAME one");
    return code(Exit::bad_input);
  }
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
  for (auto& c : *cases) {
    const bool wanted =
        opt.accept ? c.name == *opt.accept : c.name.find(opt.filter) != std::string::npos;
    if (wanted) selected.push_back(std::move(c));
  }
  if (selected.empty()) {
    rep.line(
        opt.accept ? "--accept: no golden case named '" + *opt.accept + "' under '" + dir.string() +
                         "' (a name is the path under DIR without "
                         "extension, e.g. appointments/s15_cancelled)"
        : opt.filter.empty()
            ? "no golden cases under '" + dir.string() +
                  "' (expected <name>.hl7 or <name>.json with <name>.expected.json, "
                  "<name>.expected.hl7 or <name>.expected-error.json)"
            : "no golden case under '" + dir.string() + "' matches --filter '" + opt.filter + "'");
    return code(Exit::bad_input);
  }
  int exit_code = 0;
  auto engine = load_engine(opt, rep, exit_code);
  if (!engine) return exit_code;
  Engines engines(opt, std::move(*engine));
  const bool write = opt.update || opt.accept;
  std::size_t passed = 0;
  std::size_t failed = 0;
  std::size_t updated = 0;
  for (const GoldenCase& c : selected) {
    std::string problem;
    const mappings::Engine* e = engines.for_case(c, problem);
    GoldenResult r;
    if (e) {
      r = run_golden_case(*e, c);
    } else {
      r.name = c.name;
      r.direction = c.direction == GoldenCase::Direction::v2_to_fhir ? "v2 -> FHIR" : "FHIR -> v2";
      r.failures.push_back(problem);
      r.broken = true;
    }
    std::string what = r.direction;
    if (!r.mapping.empty()) what += ", " + r.mapping;
    if (r.passed) {
      ++passed;
      if (opt.verbose) out << "ok   " << r.name << " (" << what << ")\n";
      continue;
    }
    if (write && !r.broken) {
      out << "UPDATE " << r.name << " (" << what << ")\n";
      for (const std::string& line : r.failures) out << "     " << line << '\n';
      const GoldenUpdate u = write_golden_expectations(c, r);
      for (const auto& p : u.written) out << "     wrote " << p.string() << '\n';
      for (const auto& p : u.removed) out << "     removed " << p.string() << '\n';
      if (!u.problem.empty()) {
        out << "     not updated: " << u.problem << '\n';
        ++failed;
        continue;
      }
      // The case is run again from its new files: it must pass now.
      auto again = discover_golden_cases(dir);
      const GoldenCase* now = nullptr;
      if (again)
        for (const GoldenCase& x : *again)
          if (x.name == c.name) now = &x;
      const GoldenResult check = now ? run_golden_case(*e, *now) : GoldenResult{};
      if (check.passed) {
        ++updated;
        continue;
      }
      out << "FAIL " << r.name << " (" << what << ") after the update\n";
      for (const std::string& line : check.failures) out << "     " << line << '\n';
      ++failed;
      continue;
    }
    ++failed;
    out << "FAIL " << r.name << " (" << what << ")\n";
    for (const std::string& line : r.failures) out << "     " << line << '\n';
    if (write)
      out << "     not updated: the case fails for a reason its expected files do not "
             "decide\n";
  }
  out << passed << " passed, " << failed << " failed";
  if (write) out << ", " << updated << " updated";
  out << '\n';
  out.flush();
  if (!out) {
    rep.line("cannot write the output");
    return code(Exit::internal);
  }
  return code(failed == 0 ? Exit::ok : Exit::cases_failed);
}

}  // namespace fcpgw::gateway::cli
