#pragma once
// Thin RAII over the SQLite C API, for the journal: a connection, a prepared statement and a
// transaction that rolls back unless committed. Every value goes in through a bound parameter.
// Nothing here knows the journal's schema.

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "gateway/journal/journal.h"

namespace fcpgw::gateway::journal::sqlite {

struct DbCloser {
  void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
};
/// An open connection; closing it finalizes nothing, so statements must go first.
using Db = std::unique_ptr<sqlite3, DbCloser>;

/// Opens `path` with `flags` (SQLITE_OPEN_*) through the VFS named `vfs` (empty: the default),
/// extended result codes on. On failure `db` is empty and `error` names the operation and
/// SQLite's reason.
bool open(const std::string& path, int flags, Db& db, Error& error, const std::string& vfs = {});

/// Error from a failed call: the kind from the primary result code, the message from
/// `operation` and SQLite's text (the connection's message when it matches `rc`).
Error make_error(sqlite3* db, int rc, std::string_view operation);
Error::Kind kind_of(int rc) noexcept;

/// Runs SQL text without parameters (PRAGMAs, schema); fails on the first error.
bool exec(sqlite3* db, const char* sql, std::string_view operation, Error& error);

/// A prepared statement. reset() after each use (Use does it for a scope).
class Stmt {
 public:
  Stmt() = default;
  Stmt(Stmt&&) noexcept = default;
  Stmt& operator=(Stmt&&) noexcept = default;

  /// Compiles `sql` (one statement) on `db`; the statement is kept prepared
  /// (SQLITE_PREPARE_PERSISTENT).
  bool prepare(sqlite3* db, std::string_view sql, Error& error);
  explicit operator bool() const noexcept { return stmt_ != nullptr; }
  sqlite3_stmt* get() const noexcept { return stmt_.get(); }
  void finalize() noexcept { stmt_.reset(); }

  // Parameters are 1-based. Text and blobs are bound without a copy: the bytes must stay
  // alive until the statement is reset.
  int bind_text(int i, std::string_view s) noexcept;
  int bind_blob(int i, std::string_view s) noexcept;
  int bind_int64(int i, std::int64_t v) noexcept;
  int bind_null(int i) noexcept;

  int step() noexcept { return sqlite3_step(stmt_.get()); }
  void reset() noexcept;

  // Columns are 0-based.
  std::int64_t column_int64(int i) const noexcept;
  std::string column_text(int i) const;
  /// The bytes of a BLOB (or TEXT) column, byte for byte, NULs included.
  std::string column_blob(int i) const;
  bool column_is_null(int i) const noexcept;

 private:
  struct Finalizer {
    void operator()(sqlite3_stmt* s) const noexcept { sqlite3_finalize(s); }
  };
  std::unique_ptr<sqlite3_stmt, Finalizer> stmt_;
};

/// Resets a statement (and clears its bindings) at the end of a scope, whatever happened.
class Use {
 public:
  explicit Use(Stmt& stmt) noexcept : stmt_(stmt) {}
  ~Use() { stmt_.reset(); }
  Use(const Use&) = delete;
  Use& operator=(const Use&) = delete;

 private:
  Stmt& stmt_;
};

/// BEGIN IMMEDIATE ... COMMIT; rolls back in the destructor unless commit() succeeded.
class Transaction {
 public:
  explicit Transaction(sqlite3* db) noexcept : db_(db) {}
  ~Transaction() { rollback(); }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  /// Takes the write lock at once (BEGIN IMMEDIATE), so no statement inside can fail with BUSY.
  int begin() noexcept;
  int commit() noexcept;
  /// Rolls back if a transaction is still open (SQLite may have rolled back on its own after
  /// SQLITE_FULL or an I/O error).
  void rollback() noexcept;

 private:
  sqlite3* db_;
  bool active_ = false;
};

}  // namespace fcpgw::gateway::journal::sqlite
