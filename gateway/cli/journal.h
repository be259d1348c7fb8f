#pragma once
// `fcpgw journal list|show|stats|retry|replay|skip`: what the gateway journaled and what
// became of its deliveries, and the operator's actions on them, through the journal's own
// interface (safe while the gateway runs: WAL mode; a running gateway picks up a retry within
// its poll interval). The operations themselves are in gateway/admin, shared with the admin
// HTTP API.

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>

#include "gateway/cli/command.h"

namespace fcpgw::gateway::cli {

enum class JournalCommand : std::uint8_t { list, show, stats, retry, replay, skip };

struct JournalOptions {
  std::string path;  ///< the journal file (default: journal.path of the configuration)
  bool json = false;
  std::optional<std::string> state, type, key, since;
  std::size_t limit = 100;
  std::int64_t id = 0;
  bool dead = false;  ///< retry: every dead delivery
};

int cmd_journal(JournalCommand command, const JournalOptions& opt, std::ostream& out,
                Reporter& rep);

}  // namespace fcpgw::gateway::cli
