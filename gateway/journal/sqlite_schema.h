#pragma once
// The journal's schema: an ordered list of migrations, the database's version kept in
// PRAGMA user_version. Each migration runs in a transaction of its own, so a database is always
// at one known version.

#include <sqlite3.h>

#include "gateway/journal/journal.h"

namespace fcpgw::gateway::journal::sqlite {

/// The newest schema version this code knows.
int latest_schema_version() noexcept;

/// Brings the database up to latest_schema_version(). Refuses a database whose version is newer
/// than the code knows, and a database at version 0 that already holds tables (not a journal).
bool migrate(sqlite3* db, Error& error);

}  // namespace fcpgw::gateway::journal::sqlite
