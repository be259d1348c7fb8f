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

// Append only: a migration once released is never edited.
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
    // Deliveries: one row per destination of every route a message took, created in the
    // transaction that stores the message; attempts keep every try with the receiver's answer.
    // Only the first open delivery of an (destination, ordering key) is ever `ready`; the
    // others wait behind it (`deliveries_key` finds them).
    Migration{2, R"sql(
CREATE TABLE deliveries (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  message_id INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
  destination TEXT NOT NULL,
  route TEXT NOT NULL,
  mapping TEXT NOT NULL,
  ordering_key TEXT NOT NULL,
  hold INTEGER NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('waiting', 'ready', 'delivered', 'dead')),
  attempts INTEGER NOT NULL DEFAULT 0,
  due_ms INTEGER NOT NULL,
  budget_from_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL,
  last_code TEXT NOT NULL DEFAULT '',
  last_reason TEXT NOT NULL DEFAULT '',
  output BLOB,
  output_type TEXT NOT NULL DEFAULT ''
);
CREATE INDEX deliveries_ready ON deliveries (destination, state, id);
CREATE INDEX deliveries_key ON deliveries (destination, ordering_key, state, id);
CREATE INDEX deliveries_message ON deliveries (message_id);
CREATE TABLE attempts (
  id INTEGER PRIMARY KEY,
  delivery_id INTEGER NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
  started_ms INTEGER NOT NULL,
  duration_ms INTEGER NOT NULL,
  code TEXT NOT NULL,
  reason TEXT NOT NULL,
  response BLOB NOT NULL
);
CREATE INDEX attempts_delivery ON attempts (delivery_id);
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
