#include "gateway/journal/sqlite_schema.h"

#include <array>
#include <string>

#include "gateway/journal/sqlite_db.h"

namespace fcpgw::gateway::journal::sqlite {
namespace {

struct Migration {
  int version;
  const char* sql;
};

// Append only: a migration once released is never edited. The next one adds `deliveries`.
constexpr std::array kMigrations{
    Migration{1, R"sql(
CREATE TABLE messages (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  received_at_ms INTEGER NOT NULL,
  listener TEXT NOT NULL,
  peer TEXT NOT NULL,
  content_type TEXT NOT NULL,
  message_type TEXT NOT NULL,
  control_id TEXT NOT NULL,
  sending_facility TEXT NOT NULL,
  dedupe_key TEXT NOT NULL,
  ordering_key TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('accepted', 'rejected', 'delivered', 'dead')),
  answer_code TEXT NOT NULL,
  answer BLOB NOT NULL,
  raw BLOB NOT NULL
);
CREATE INDEX messages_dedupe ON messages (dedupe_key, received_at_ms) WHERE dedupe_key <> '';
CREATE INDEX messages_state ON messages (state, received_at_ms);
CREATE INDEX messages_ordering ON messages (ordering_key);
)sql"},
};

bool read_int(sqlite3* db, const char* sql, int& value, Error& error) {
  Stmt stmt;
  if (!stmt.prepare(db, sql, error)) return false;
  const int rc = stmt.step();
  if (rc != SQLITE_ROW) {
    error = make_error(db, rc, "read schema version");
    return false;
  }
  value = static_cast<int>(stmt.column_int64(0));
  return true;
}

}  // namespace

int latest_schema_version() noexcept { return kMigrations.back().version; }

bool migrate(sqlite3* db, Error& error) {
  int version = 0;
  if (!read_int(db, "PRAGMA user_version", version, error)) return false;
  if (version > latest_schema_version()) {
    error = {Error::Kind::other, "open journal: the database has schema version " +
                                     std::to_string(version) + ", newer than this fcpgw knows (" +
                                     std::to_string(latest_schema_version()) +
                                     "); use a newer fcpgw or another journal path"};
    return false;
  }
  if (version == 0) {
    int tables = 0;
    if (!read_int(db, "SELECT count(*) FROM sqlite_schema", tables, error)) return false;
    if (tables != 0) {
      error = {Error::Kind::other,
               "open journal: the database holds tables but no journal schema version; it is "
               "not an fcpgw journal"};
      return false;
    }
  }
  for (const Migration& m : kMigrations) {
    if (m.version <= version) continue;
    Transaction tx(db);
    int rc = tx.begin();
    if (rc != SQLITE_OK) {
      error = make_error(db, rc, "begin schema migration " + std::to_string(m.version));
      return false;
    }
    if (!exec(db, m.sql, "schema migration " + std::to_string(m.version), error)) return false;
    // PRAGMA takes no parameters; the version is our own constant.
    const std::string set_version = "PRAGMA user_version = " + std::to_string(m.version);
    if (!exec(db, set_version.c_str(), "set schema version", error)) return false;
    rc = tx.commit();
    if (rc != SQLITE_OK) {
      error = make_error(db, rc, "commit schema migration " + std::to_string(m.version));
      return false;
    }
    version = m.version;
  }
  return true;
}

}  // namespace fcpgw::gateway::journal::sqlite
