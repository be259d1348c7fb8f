#pragma once
// `fcpgw journal list|show|stats`: what the gateway journaled, read through the journal's own
// query interface (safe while the gateway runs: the journal is in WAL mode).

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>

#include "gateway/cli/command.h"

namespace fcpgw::gateway::cli {

struct JournalOptions {
  std::string path;  ///< the journal file (default: journal.path of the configuration)
  bool json = false;
  std::optional<std::string> state, type, key, since;
  std::size_t limit = 100;
  std::int64_t id = 0;
};

int cmd_journal_list(const JournalOptions& opt, std::ostream& out, Reporter& rep);
int cmd_journal_show(const JournalOptions& opt, std::ostream& out, Reporter& rep);
int cmd_journal_stats(const JournalOptions& opt, std::ostream& out, Reporter& rep);

}  // namespace fcpgw::gateway::cli
