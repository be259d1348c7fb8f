#include "gateway/cli/journal.h"

#include <filesystem>
#include <memory>

#include "gateway/admin/operations.h"
#include "gateway/journal/sqlite_journal.h"

namespace fcpgw::gateway::cli {

namespace {

std::unique_ptr<journal::Journal> open(const JournalOptions& opt, Reporter& rep) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(opt.path, ec)) {
    rep.line("journal " + opt.path + ": no such file (give --journal, or --config of the gateway)");
    return nullptr;
  }
  journal::SqliteOptions o;
  o.path = opt.path;
  o.retention = std::chrono::seconds(0);  // an operator's tool never prunes
  journal::Error e;
  auto j = journal::open_sqlite_journal(o, e);
  if (!j) rep.line("journal " + opt.path + ": " + e.message);
  return j;
}

int print(const admin::Answer& a, const JournalOptions& opt, std::ostream& out, Reporter& rep) {
  if (a.status != 200) {
    rep.line("journal " + opt.path + ": " + a.error);
    return code(a.status < 500 ? Exit::bad_input : Exit::internal);
  }
  if (opt.json) {
    out << a.json << '\n';
  } else {
    out << a.text;
  }
  return code(Exit::ok);
}

}  // namespace

int cmd_journal(JournalCommand command, const JournalOptions& opt, std::ostream& out,
                Reporter& rep) {
  if (command == JournalCommand::retry && opt.id == 0 && !opt.dead) {
    rep.line("journal retry: give a message ID or --dead (every dead delivery)");
    return code(Exit::bad_input);
  }
  auto j = open(opt, rep);
  if (!j) return code(Exit::bad_input);
  switch (command) {
    case JournalCommand::list: {
      admin::ListQuery q;
      q.state = opt.state;
      q.type = opt.type;
      q.key = opt.key;
      q.since = opt.since;
      q.limit = opt.limit;
      return print(admin::list(*j, q), opt, out, rep);
    }
    case JournalCommand::show:
      return print(admin::show(*j, opt.id), opt, out, rep);
    case JournalCommand::stats:
      return print(admin::stats(*j), opt, out, rep);
    case JournalCommand::retry:
      return print(admin::act(*j, journal::Action::Kind::retry, opt.dead ? 0 : opt.id), opt, out,
                   rep);
    case JournalCommand::replay:
      return print(admin::act(*j, journal::Action::Kind::replay, opt.id), opt, out, rep);
    case JournalCommand::skip:
      return print(admin::act(*j, journal::Action::Kind::skip, opt.id), opt, out, rep);
  }
  return code(Exit::internal);
}

}  // namespace fcpgw::gateway::cli
