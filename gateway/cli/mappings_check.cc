// fcpgw mappings check: loads the mapping files, shared files and code tables as the gateway
// does (with the configuration's constants) and prints every problem the loader finds, or what
// was loaded.

#include <map>
#include <string>

#include "gateway/cli/command.h"
#include "gateway/service/mapping_files.h"

namespace fcpgw::gateway::cli {

int cmd_mappings_check(const Options& opt, std::ostream& out, Reporter& rep) {
  int exit_code = 0;
  auto engine = load_engine(opt, rep, exit_code);
  if (!engine) return exit_code;
  const service::MappingsLocation loc =
      service::locate_mappings(opt.mappings, opt.config.mappings_dir(), opt.config.source());
  std::size_t rules = 0;
  std::map<std::string, std::size_t> by_direction;
  for (const mappings::MappingInfo& m : engine->mappings()) {
    rules += m.rules;
    ++by_direction[m.direction];
  }
  out << loc.dir << ": ok: " << engine->mappings().size() << " mappings ("
      << by_direction["v2-to-fhir"] << " v2 -> FHIR, " << by_direction["fhir-to-v2"]
      << " FHIR -> v2), " << rules << " rules\n";
  for (const mappings::MappingInfo& m : engine->mappings()) {
    out << "  " << m.file << "  " << m.name << " (" << m.direction << "):";
    for (const std::string& a : m.accepts) out << ' ' << a;
    out << '\n';
  }
  out.flush();
  if (!out) {
    rep.line("cannot write the output");
    return code(Exit::internal);
  }
  return code(Exit::ok);
}

}  // namespace fcpgw::gateway::cli
