#include "gateway/journal/sqlite_db.h"

#include <climits>

namespace fcpgw::gateway::journal::sqlite {

bool open(const std::string& path, int flags, Db& db, Error& error, const std::string& vfs) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, vfs.empty() ? nullptr : vfs.c_str());
  db.reset(raw);  // SQLite hands out a handle even on failure; it must be closed
  if (rc != SQLITE_OK) {
    error = make_error(db.get(), rc, "open database");
    db.reset();
    return false;
  }
  sqlite3_extended_result_codes(db.get(), 1);
  return true;
}

Error::Kind kind_of(int rc) noexcept {
  switch (rc & 0xff) {
    case SQLITE_FULL:
      return Error::Kind::full;
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
      return Error::Kind::io;
    default:
      return Error::Kind::other;
  }
}

Error make_error(sqlite3* db, int rc, std::string_view operation) {
  Error e;
  e.kind = kind_of(rc);
  e.message.assign(operation);
  e.message += ": ";
  // The connection's message describes the last failed call on it; use it only when it is
  // about this result code, otherwise the generic text of the code.
  if (db != nullptr && sqlite3_extended_errcode(db) == rc) {
    e.message += sqlite3_errmsg(db);
  } else {
    e.message += sqlite3_errstr(rc);
  }
  e.message += " (";
  e.message += std::to_string(rc);
  e.message += ")";
  return e;
}

bool exec(sqlite3* db, const char* sql, std::string_view operation, Error& error) {
  const int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) {
    error = make_error(db, rc, operation);
    return false;
  }
  return true;
}

bool Stmt::prepare(sqlite3* db, std::string_view sql, Error& error) {
  sqlite3_stmt* raw = nullptr;
  const int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()),
                                    SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
  stmt_.reset(raw);
  if (rc != SQLITE_OK) {
    error = make_error(db, rc, "prepare statement");
    stmt_.reset();
    return false;
  }
  return true;
}

int Stmt::bind_text(int i, std::string_view s) noexcept {
  if (s.size() > static_cast<std::size_t>(INT_MAX)) return SQLITE_TOOBIG;
  return sqlite3_bind_text(stmt_.get(), i, s.data(), static_cast<int>(s.size()), SQLITE_STATIC);
}

int Stmt::bind_blob(int i, std::string_view s) noexcept {
  if (s.size() > static_cast<std::size_t>(INT_MAX)) return SQLITE_TOOBIG;
  // A null pointer would bind NULL; an empty value must stay an empty BLOB.
  static const char empty = 0;
  const char* data = s.data() != nullptr ? s.data() : &empty;
  return sqlite3_bind_blob(stmt_.get(), i, data, static_cast<int>(s.size()), SQLITE_STATIC);
}

int Stmt::bind_int64(int i, std::int64_t v) noexcept {
  return sqlite3_bind_int64(stmt_.get(), i, v);
}

int Stmt::bind_null(int i) noexcept { return sqlite3_bind_null(stmt_.get(), i); }

void Stmt::reset() noexcept {
  if (!stmt_) return;
  sqlite3_reset(stmt_.get());
  sqlite3_clear_bindings(stmt_.get());
}

std::int64_t Stmt::column_int64(int i) const noexcept {
  return sqlite3_column_int64(stmt_.get(), i);
}

std::string Stmt::column_text(int i) const {
  const auto* p = sqlite3_column_text(stmt_.get(), i);
  const int n = sqlite3_column_bytes(stmt_.get(), i);
  if (p == nullptr || n <= 0) return {};
  return std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n));
}

std::string Stmt::column_blob(int i) const {
  const void* p = sqlite3_column_blob(stmt_.get(), i);
  const int n = sqlite3_column_bytes(stmt_.get(), i);
  if (p == nullptr || n <= 0) return {};
  return std::string(static_cast<const char*>(p), static_cast<std::size_t>(n));
}

bool Stmt::column_is_null(int i) const noexcept {
  return sqlite3_column_type(stmt_.get(), i) == SQLITE_NULL;
}

int Transaction::begin() noexcept {
  const int rc = sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
  active_ = rc == SQLITE_OK;
  return rc;
}

int Transaction::commit() noexcept {
  const int rc = sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr);
  if (rc == SQLITE_OK) active_ = false;
  return rc;
}

void Transaction::rollback() noexcept {
  if (!active_) return;
  active_ = false;
  if (sqlite3_get_autocommit(db_) == 0) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
}

}  // namespace fcpgw::gateway::journal::sqlite
