#pragma once
// The journal on one SQLite file (WAL, synchronous=FULL). One writer thread owns the write
// connection and commits appends in groups: a handler runs only after the COMMIT that holds its
// entry returned SQLITE_OK. Reads use a second connection, so they run while the writer commits.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "gateway/journal/journal.h"

namespace fcpgw::gateway::journal {

/// How the SQLite journal runs. Plain values; the serve config's journal section maps onto it.
struct SqliteOptions {
  std::string path;                       ///< the database file; its folder is created when missing
  std::size_t group_max_messages = 1000;  ///< most appends per commit (0 is taken as 1)
  /// With fewer than group_max_messages queued, wait up to this long for more before
  /// committing (0: commit what is there at once).
  std::chrono::microseconds group_max_wait{0};
  std::chrono::seconds duplicate_window{7 * 24 * 3600};
  /// Rows in state rejected/delivered/dead received longer ago than this are deleted;
  /// 0 keeps everything for ever.
  std::chrono::seconds retention{30 * 24 * 3600};
  /// Retention runs when the writer is idle, at most this often. 0: after every commit
  /// (tests use it to prune deterministically).
  std::chrono::milliseconds prune_interval{std::chrono::seconds(60)};
  std::size_t prune_batch = 500;  ///< rows deleted per retention step
  /// Largest size of the database file (PRAGMA max_page_count); 0 = no limit. Appends past it
  /// fail with Error::Kind::full. The WAL file is not counted.
  std::uint64_t max_bytes = 0;
  CommitObserver on_commit;  ///< optional: every group commit, on the writer thread
  /// Optional: after every retention pass, with the number of rows it deleted (writer thread).
  std::function<void(std::size_t rows)> on_prune;
  /// Unix time in milliseconds (received_at of appends, retention, duplicate window); the
  /// system clock when empty. Must be thread-safe.
  std::function<std::int64_t()> clock_ms;
  /// The SQLite VFS to open the file with; empty = the default. Tests register one that fails
  /// chosen writes and syncs.
  std::string vfs;
};

/// Opens (creating when missing) the journal at `options.path`. Append handlers run on the
/// journal's writer thread; close() called from one only stops the appends (the writer cannot
/// join itself), and the destructor must not run there. The file is created with mode
/// 0600 (SQLite gives its -wal and -shm files the same mode). Null with `error` set on failure.
std::unique_ptr<Journal> open_sqlite_journal(const SqliteOptions& options, Error& error);

/// PRAGMA integrity_check on a read-only connection of its own. True when SQLite says "ok";
/// `report` holds SQLite's answer (or why the check could not run).
bool check_integrity(const std::string& path, std::string& report);

}  // namespace fcpgw::gateway::journal
