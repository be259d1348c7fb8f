#include "gateway/journal/sqlite_journal.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <filesystem>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "gateway/journal/sqlite_db.h"
#include "gateway/journal/sqlite_deliveries.h"
#include "gateway/journal/sqlite_schema.h"

namespace fcpgw::gateway::journal {
namespace {

using sqlite::Db;
using sqlite::make_error;
using sqlite::Stmt;
using sqlite::Transaction;
using sqlite::Use;

constexpr int kBusyTimeoutMs = 5000;
/// Room for a row's header and integers when checking it against SQLite's length limit.
constexpr std::int64_t kRowOverheadBytes = 1024;
/// The WAL file is cut back to this after a checkpoint (it is reused, not grown, otherwise).
constexpr const char* kJournalSizeLimit = "PRAGMA journal_size_limit = 67108864";
constexpr const char* kVacuumStep = "PRAGMA incremental_vacuum(256)";

constexpr const char* kSummaryColumns =
    "id, received_at_ms, listener, peer, content_type, message_type, control_id, "
    "sending_facility, ordering_key, state, answer_code, length(raw)";
constexpr int kSummaryColumnCount = 12;

std::int64_t system_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

void set_error(Error* out, Error e) {
  if (out != nullptr) *out = std::move(e);
}

Error closed_error(std::string_view operation) {
  return {Error::Kind::closed, std::string(operation) + ": the journal is closed"};
}

AppendResult failed_result(Error e) {
  AppendResult r;
  r.error = std::move(e);
  return r;
}

/// Creates the folder and, when missing, the file with mode 0600, so that SQLite (which gives
/// -wal and -shm the mode of the database file) never creates anything readable by others.
bool create_file(const std::string& path, Error& error) {
  const std::filesystem::path p(path);
  if (p.has_parent_path()) {
    std::error_code ec;
    std::filesystem::create_directories(p.parent_path(), ec);
    if (ec) {
      error = {Error::Kind::io, "create journal folder: " + ec.message()};
      return false;
    }
  }
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return true;
    error = {Error::Kind::io, std::string("create journal file: ") + std::strerror(errno)};
    return false;
  }
  // The new name must survive a crash as well as the rows will: sync the file and its folder
  // (SQLite syncs the folder for the -wal file it creates, not for a database it is handed).
  bool synced = ::fsync(fd) == 0;
  ::close(fd);
  const std::string folder = p.has_parent_path() ? p.parent_path().string() : ".";
  const int dir = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  synced = synced && dir >= 0 && ::fsync(dir) == 0;
  if (dir >= 0) ::close(dir);
  if (!synced) {
    error = {Error::Kind::io, std::string("sync new journal file: ") + std::strerror(errno)};
    return false;
  }
  return true;
}

/// Runs a statement that answers one row and returns its first column as text.
bool query_text(sqlite3* db, const char* sql, std::string_view operation, std::string& out,
                Error& error) {
  Stmt stmt;
  if (!stmt.prepare(db, sql, error)) return false;
  const int rc = stmt.step();
  if (rc != SQLITE_ROW) {
    error = make_error(db, rc, operation);
    return false;
  }
  out = stmt.column_text(0);
  return true;
}

bool configure_writer(sqlite3* db, Error& error) {
  sqlite3_busy_timeout(db, kBusyTimeoutMs);
  // auto_vacuum takes effect only before the first table is created, so it comes first.
  // Deliveries and attempts go with their message (retention).
  if (!sqlite::exec(db, "PRAGMA foreign_keys = ON", "set foreign_keys", error)) return false;
  if (!sqlite::exec(db, "PRAGMA auto_vacuum = INCREMENTAL", "set auto_vacuum", error)) {
    return false;
  }
  std::string mode;
  if (!query_text(db, "PRAGMA journal_mode = WAL", "set journal_mode", mode, error)) return false;
  if (mode != "wal") {
    error = {Error::Kind::other, "set journal_mode: SQLite kept journal mode '" + mode + "'"};
    return false;
  }
  return sqlite::exec(db, "PRAGMA synchronous = FULL", "set synchronous", error) &&
         sqlite::exec(db, "PRAGMA foreign_keys = ON", "set foreign_keys", error) &&
         sqlite::exec(db, kJournalSizeLimit, "set journal_size_limit", error);
}

bool limit_size(sqlite3* db, std::uint64_t max_bytes, Error& error) {
  std::string page_size;
  if (!query_text(db, "PRAGMA page_size", "read page_size", page_size, error)) return false;
  const std::uint64_t page = std::max<std::uint64_t>(1, std::stoull(page_size));
  const std::uint64_t pages = std::max<std::uint64_t>(1, max_bytes / page);
  // A PRAGMA takes no parameters; the number is ours. SQLite never sets it below the current
  // page count.
  const std::string sql = "PRAGMA max_page_count = " + std::to_string(pages);
  std::string ignored;
  return query_text(db, sql.c_str(), "set max_page_count", ignored, error);
}

std::int64_t file_size(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return 0;
  return static_cast<std::int64_t>(st.st_size);
}

bool read_summary(const Stmt& stmt, Summary& s, Error& error) {
  s.id = stmt.column_int64(0);
  s.received_at_ms = stmt.column_int64(1);
  s.listener = stmt.column_text(2);
  s.peer = stmt.column_text(3);
  s.content_type = stmt.column_text(4);
  s.message_type = stmt.column_text(5);
  s.control_id = stmt.column_text(6);
  s.sending_facility = stmt.column_text(7);
  s.ordering_key = stmt.column_text(8);
  const auto state = state_from_string(stmt.column_text(9));
  if (!state) {
    error = {Error::Kind::other, "read message: unknown state in row " + std::to_string(s.id)};
    return false;
  }
  s.state = *state;
  s.answer_code = stmt.column_text(10);
  s.raw_bytes = stmt.column_int64(11);
  return true;
}

class SqliteJournal final : public Journal {
 public:
  explicit SqliteJournal(const SqliteOptions& options)
      : options_(options),
        group_max_(std::max<std::size_t>(1, options.group_max_messages)),
        window_ms_(std::chrono::duration_cast<std::chrono::milliseconds>(options.duplicate_window)
                       .count()),
        retention_ms_(
            std::chrono::duration_cast<std::chrono::milliseconds>(options.retention).count()),
        prune_batch_(static_cast<std::int64_t>(std::max<std::size_t>(1, options.prune_batch))),
        pruning_(options.retention.count() > 0),
        timed_pruning_(pruning_ && options.prune_interval.count() > 0),
        prune_pending_(pruning_ && !timed_pruning_),
        next_prune_(std::chrono::steady_clock::now()) {}

  ~SqliteJournal() override { close(); }

  bool open(Error& error);

  void append(Entry entry, AppendHandler done) override;
  void append_all(std::vector<Entry> entries, AppendAllHandler done) override;
  std::optional<Record> get(std::int64_t id, Error* error) override;
  std::vector<Summary> list(const Filter& filter, Error* error) override;
  std::vector<Due> claim(std::string_view destination, std::int64_t now_ms, std::size_t limit,
                         const std::vector<std::int64_t>& exclude, Error* error) override;
  void record(Outcome outcome, RecordHandler done) override;
  void act(Action action, RecordHandler done) override;
  std::vector<DeliveryRecord> deliveries(std::int64_t message_id, Error* error) override;
  Stats stats() override;
  bool writable() const override { return !closing_.load() && writable_.load(); }
  void close() override;

 private:
  // One piece of work for the writer: an append, an attempt's outcome or an operator action.
  struct Pending {
    Entry entry;
    AppendHandler done;
    std::vector<Entry> entries;  // append_all: written in order, all in the same transaction
    std::vector<Appended> appended;
    AppendAllHandler all_done;
    std::optional<Outcome> outcome;
    std::optional<Action> action;
    RecordHandler recorded;
  };

  std::int64_t now_ms() const { return options_.clock_ms ? options_.clock_ms() : system_ms(); }
  void run();
  void commit_group(std::vector<Pending>& group);
  bool write_one(const Entry& e, Appended& out, std::optional<Error>& failure);
  // The checks append() makes before queueing; the reason when `entry` cannot be stored.
  std::optional<Error> refuse(Entry& entry);
  bool write_pending(Pending& p, Appended& appended, std::int64_t& changed,
                     std::optional<Error>& failure);
  void enqueue(Pending p);
  void prune();
  bool vacuum();
  bool ingest_waiting();

  const SqliteOptions options_;
  const std::size_t group_max_;
  const std::int64_t window_ms_;
  const std::int64_t retention_ms_;
  const std::int64_t prune_batch_;
  const bool pruning_;
  const bool timed_pruning_;
  std::int64_t max_length_ = 0;  // SQLite's largest string or BLOB

  // Owned by the writer thread once it runs.
  Db write_db_;
  Stmt find_duplicate_, insert_, prune_delete_, freelist_count_, vacuum_step_;
  sqlite::DeliveryStore deliveries_;  // writer statements on write_db_, readers on read_db_
  bool prune_pending_;
  std::chrono::steady_clock::time_point next_prune_;

  std::mutex read_mutex_;
  Db read_db_;
  Stmt get_, count_states_;

  std::mutex mutex_;  // guards queue_ and stopping_
  std::condition_variable wake_;
  std::deque<Pending> queue_;
  bool stopping_ = false;
  std::thread writer_;
  std::thread::id writer_id_;

  std::mutex close_mutex_;
  bool closed_ = false;
  std::atomic<bool> closing_{false};
  std::atomic<bool> writable_{true};
  std::atomic<std::uint64_t> commits_{0}, appended_{0}, duplicates_{0}, failed_{0}, pruned_{0};
};

bool SqliteJournal::open(Error& error) {
  if (options_.path.empty()) {
    error = {Error::Kind::other, "open journal: no path"};
    return false;
  }
  if (!create_file(options_.path, error)) return false;
  if (!sqlite::open(options_.path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, write_db_, error,
                    options_.vfs)) {
    return false;
  }
  sqlite3* db = write_db_.get();
  if (!configure_writer(db, error) || !sqlite::migrate(db, error)) return false;
  if (options_.max_bytes > 0 && !limit_size(db, options_.max_bytes, error)) return false;
  max_length_ = sqlite3_limit(db, SQLITE_LIMIT_LENGTH, -1);

  const bool prepared =
      find_duplicate_.prepare(
          db,
          "SELECT id, answer_code, answer FROM messages WHERE dedupe_key = ?1 AND "
          "dedupe_key <> '' AND state <> 'rejected' AND received_at_ms >= ?2 "
          "ORDER BY received_at_ms DESC, id DESC LIMIT 1",
          error) &&
      insert_.prepare(db,
                      "INSERT INTO messages (received_at_ms, listener, peer, content_type, "
                      "message_type, control_id, sending_facility, dedupe_key, ordering_key, "
                      "state, answer_code, answer, raw) "
                      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                      error) &&
      prune_delete_.prepare(db,
                            "DELETE FROM messages WHERE id IN (SELECT id FROM messages m WHERE "
                            "received_at_ms < ?1 AND (state IN ('rejected', 'delivered') OR "
                            "(state = 'dead' AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE "
                            "d.message_id = m.id AND (d.state IN ('waiting', 'ready') OR "
                            "(d.state = 'dead' AND d.hold = 1))))) LIMIT ?2)",
                            error) &&
      freelist_count_.prepare(db, "PRAGMA freelist_count", error) &&
      vacuum_step_.prepare(db, kVacuumStep, error);
  if (!prepared) return false;

  // WAL lets this connection read while the writer commits.
  if (!sqlite::open(options_.path, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, read_db_, error,
                    options_.vfs)) {
    return false;
  }
  sqlite3_busy_timeout(read_db_.get(), kBusyTimeoutMs);
  const std::string get_sql =
      std::string("SELECT ") + kSummaryColumns + ", raw, answer FROM messages WHERE id = ?1";
  if (!get_.prepare(read_db_.get(), get_sql, error) ||
      !count_states_.prepare(read_db_.get(), "SELECT state, count(*) FROM messages GROUP BY state",
                             error) ||
      !deliveries_.prepare(db, read_db_.get(), error)) {
    return false;
  }

  writer_ = std::thread([this] { run(); });
  writer_id_ = writer_.get_id();  // read by close(); no handler runs before open() returns
  return true;
}

std::optional<Error> SqliteJournal::refuse(Entry& entry) {
  if (to_string(entry.state).empty()) return Error{Error::Kind::other, "append: unknown state"};
  // SQLite's length limit holds for each value and for the row as a whole.
  const std::size_t row_bytes = entry.raw.size() + entry.answer.size() + entry.listener.size() +
                                entry.peer.size() + entry.content_type.size() +
                                entry.message_type.size() + entry.control_id.size() +
                                entry.sending_facility.size() + entry.dedupe_key.size() +
                                entry.ordering_key.size() + entry.answer_code.size();
  if (static_cast<std::int64_t>(row_bytes) > max_length_ - kRowOverheadBytes) {
    // Refused here so that one oversized entry cannot fail the group it would share.
    return Error{Error::Kind::other, "append: message larger than the journal's limit"};
  }
  if (entry.received_at_ms == 0) entry.received_at_ms = now_ms();
  return std::nullopt;
}

void SqliteJournal::append(Entry entry, AppendHandler done) {
  if (auto e = refuse(entry)) {
    ++failed_;
    done(failed_result(std::move(*e)));
    return;
  }
  Pending p;
  p.entry = std::move(entry);
  p.done = std::move(done);
  enqueue(std::move(p));
}

void SqliteJournal::append_all(std::vector<Entry> entries, AppendAllHandler done) {
  for (Entry& entry : entries) {
    if (auto e = refuse(entry)) {
      failed_ += entries.size();
      done(std::vector<AppendResult>(entries.size(), failed_result(std::move(*e))));
      return;
    }
  }
  Pending p;
  p.entries = std::move(entries);
  p.all_done = std::move(done);
  enqueue(std::move(p));
}

void SqliteJournal::record(Outcome outcome, RecordHandler done) {
  Pending p;
  p.outcome = std::move(outcome);
  p.recorded = std::move(done);
  enqueue(std::move(p));
}

void SqliteJournal::act(Action action, RecordHandler done) {
  if (action.now_ms == 0) action.now_ms = now_ms();
  Pending p;
  p.action = action;
  p.recorded = std::move(done);
  enqueue(std::move(p));
}

void SqliteJournal::enqueue(Pending p) {
  {
    std::unique_lock lock(mutex_);
    if (!stopping_) {
      queue_.push_back(std::move(p));
      lock.unlock();
      wake_.notify_one();
      return;
    }
  }
  if (p.done) {
    ++failed_;
    p.done(failed_result(closed_error("append")));
  } else if (p.all_done) {
    failed_ += p.entries.size();
    p.all_done(std::vector<AppendResult>(p.entries.size(), failed_result(closed_error("append"))));
  } else {
    p.recorded(closed_error("record"), 0);
  }
}

bool SqliteJournal::ingest_waiting() {
  std::lock_guard lock(mutex_);
  return !queue_.empty() || stopping_;
}

void SqliteJournal::run() {
  std::vector<Pending> group;
  group.reserve(std::min<std::size_t>(group_max_, 4096));
  const auto ready = [this] { return !queue_.empty() || stopping_; };
  std::unique_lock lock(mutex_);
  for (;;) {
    if (queue_.empty()) {
      if (stopping_) break;
      if (prune_pending_) {
        lock.unlock();
        prune();
        lock.lock();
        continue;
      }
      if (timed_pruning_) {
        if (!wake_.wait_until(lock, next_prune_, ready)) {
          prune_pending_ = true;
          next_prune_ = std::chrono::steady_clock::now() + options_.prune_interval;
        }
      } else {
        wake_.wait(lock, ready);
      }
      continue;
    }
    if (queue_.size() < group_max_ && options_.group_max_wait.count() > 0 && !stopping_) {
      wake_.wait_for(lock, options_.group_max_wait,
                     [this] { return queue_.size() >= group_max_ || stopping_; });
    }
    const std::size_t n = std::min(queue_.size(), group_max_);
    for (std::size_t i = 0; i < n; ++i) {
      group.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    lock.unlock();
    commit_group(group);
    group.clear();
    if (pruning_ && !timed_pruning_) prune_pending_ = true;
    lock.lock();
  }
}

void SqliteJournal::commit_group(std::vector<Pending>& group) {
  sqlite3* db = write_db_.get();
  const auto start = std::chrono::steady_clock::now();
  std::vector<Appended> results(group.size());
  std::vector<std::int64_t> changed(group.size(), 0);
  std::optional<Error> failure;
  std::uint64_t duplicates = 0;
  {
    Transaction tx(db);
    int rc = tx.begin();
    if (rc != SQLITE_OK) failure = make_error(db, rc, "begin append transaction");
    for (std::size_t i = 0; i < group.size() && !failure; ++i) {
      if (write_pending(group[i], results[i], changed[i], failure) && results[i].duplicate) {
        ++duplicates;
      }
      for (const Appended& a : group[i].appended) duplicates += a.duplicate;
    }
    if (!failure) {
      rc = tx.commit();
      if (rc != SQLITE_OK) failure = make_error(db, rc, "commit appends");
    }
  }  // rolled back here unless committed
  const auto took = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - start);

  std::size_t appends = 0;
  for (const Pending& p : group) appends += p.done ? 1 : p.entries.size();
  if (failure) {
    writable_ = false;
    failed_ += appends;
  } else {
    writable_ = true;
    ++commits_;
    appended_ += appends - duplicates;
    duplicates_ += duplicates;
  }
  if (options_.on_commit) options_.on_commit(group.size(), took, !failure);
  for (std::size_t i = 0; i < group.size(); ++i) {
    if (group[i].all_done) {
      std::vector<AppendResult> all(group[i].entries.size());
      for (std::size_t k = 0; k < all.size(); ++k) {
        if (failure) {
          all[k].error = *failure;
        } else {
          all[k].ok = std::move(group[i].appended[k]);
        }
      }
      group[i].all_done(std::move(all));
      continue;
    }
    if (!group[i].done) {
      group[i].recorded(failure, failure ? 0 : changed[i]);
      continue;
    }
    AppendResult r;
    if (failure) {
      r.error = *failure;
    } else {
      r.ok = std::move(results[i]);
    }
    group[i].done(std::move(r));
  }
}

bool SqliteJournal::write_pending(Pending& p, Appended& appended, std::int64_t& changed,
                                  std::optional<Error>& failure) {
  if (p.done) return write_one(p.entry, appended, failure);
  if (p.all_done) {
    p.appended.assign(p.entries.size(), Appended{});
    for (std::size_t k = 0; k < p.entries.size(); ++k) {
      if (!write_one(p.entries[k], p.appended[k], failure)) return false;
    }
    return true;
  }
  Error e;
  const bool ok = p.outcome ? deliveries_.apply(*p.outcome, now_ms(), e)
                            : deliveries_.act(*p.action, p.action->now_ms, changed, e);
  if (!ok) failure = std::move(e);
  return ok;
}

bool SqliteJournal::write_one(const Entry& e, Appended& out, std::optional<Error>& failure) {
  sqlite3* db = write_db_.get();
  // A rejected entry is always kept, so that a corrected resend is processed.
  if (e.state != State::rejected && !e.dedupe_key.empty() && window_ms_ > 0) {
    Use use(find_duplicate_);
    find_duplicate_.bind_text(1, e.dedupe_key);
    find_duplicate_.bind_int64(2, e.received_at_ms - window_ms_);
    const int rc = find_duplicate_.step();
    if (rc == SQLITE_ROW) {
      out.id = find_duplicate_.column_int64(0);
      out.duplicate = true;
      out.answer_code = find_duplicate_.column_text(1);
      out.answer = find_duplicate_.column_blob(2);
      return true;
    }
    if (rc != SQLITE_DONE) {
      failure = make_error(db, rc, "look up duplicate");
      return false;
    }
  }
  Use use(insert_);
  int rc = SQLITE_OK;
  const auto bind = [&rc](int r) {
    if (rc == SQLITE_OK) rc = r;
  };
  bind(insert_.bind_int64(1, e.received_at_ms));
  bind(insert_.bind_text(2, e.listener));
  bind(insert_.bind_text(3, e.peer));
  bind(insert_.bind_text(4, e.content_type));
  bind(insert_.bind_text(5, e.message_type));
  bind(insert_.bind_text(6, e.control_id));
  bind(insert_.bind_text(7, e.sending_facility));
  bind(insert_.bind_text(8, e.dedupe_key));
  bind(insert_.bind_text(9, e.ordering_key));
  bind(insert_.bind_text(10, to_string(e.state)));
  bind(insert_.bind_text(11, e.answer_code));
  bind(insert_.bind_blob(12, e.answer));
  bind(insert_.bind_blob(13, e.raw));
  if (rc != SQLITE_OK) {
    failure = make_error(db, rc, "bind message");
    return false;
  }
  rc = insert_.step();
  if (rc != SQLITE_DONE) {
    failure = make_error(db, rc, "insert message");
    return false;
  }
  out.id = sqlite3_last_insert_rowid(db);
  if (e.state == State::accepted && !e.deliveries.empty()) {
    Error error;
    if (!deliveries_.insert(out.id, e, e.received_at_ms, error)) {
      failure = std::move(error);
      return false;
    }
  }
  return true;
}

void SqliteJournal::prune() {
  prune_pending_ = false;
  sqlite3* db = write_db_.get();
  const std::int64_t cutoff = now_ms() - retention_ms_;
  std::size_t total = 0;
  bool interrupted = false;
  // Small autocommit steps: appends wait for at most one step.
  for (;;) {
    if (ingest_waiting()) {
      interrupted = true;
      break;
    }
    Use use(prune_delete_);
    prune_delete_.bind_int64(1, cutoff);
    prune_delete_.bind_int64(2, prune_batch_);
    if (prune_delete_.step() != SQLITE_DONE) break;  // tried again on the next pass
    const auto n = static_cast<std::size_t>(sqlite3_changes(db));
    total += n;
    if (static_cast<std::int64_t>(n) < prune_batch_) break;
  }
  pruned_ += total;
  if (!interrupted) interrupted = !vacuum();
  if (interrupted) prune_pending_ = true;
  if (options_.on_prune) options_.on_prune(total);
}

// Gives free pages back to the file system a step at a time; false when ingest interrupted it.
bool SqliteJournal::vacuum() {
  sqlite3* db = write_db_.get();
  bool vacuumed = false;
  for (;;) {
    if (ingest_waiting()) return false;
    std::int64_t free_pages = 0;
    {
      Use use(freelist_count_);
      if (freelist_count_.step() != SQLITE_ROW) break;
      free_pages = freelist_count_.column_int64(0);
    }
    if (free_pages == 0) break;
    Use use(vacuum_step_);
    int rc;
    while ((rc = vacuum_step_.step()) == SQLITE_ROW) {
    }
    if (rc != SQLITE_DONE) break;
    vacuumed = true;
  }
  // In WAL mode the file shrinks when the truncation reaches it: at a checkpoint.
  if (vacuumed) sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  return true;
}

std::optional<Record> SqliteJournal::get(std::int64_t id, Error* error) {
  std::lock_guard lock(read_mutex_);
  if (!read_db_) {
    set_error(error, closed_error("get"));
    return std::nullopt;
  }
  Use use(get_);
  get_.bind_int64(1, id);
  const int rc = get_.step();
  if (rc == SQLITE_DONE) return std::nullopt;
  if (rc != SQLITE_ROW) {
    set_error(error, make_error(read_db_.get(), rc, "get message"));
    return std::nullopt;
  }
  Record r;
  Error e;
  if (!read_summary(get_, r.summary, e)) {
    set_error(error, std::move(e));
    return std::nullopt;
  }
  r.raw = get_.column_blob(kSummaryColumnCount);
  r.answer = get_.column_blob(kSummaryColumnCount + 1);
  return r;
}

std::vector<Due> SqliteJournal::claim(std::string_view destination, std::int64_t now_ms,
                                      std::size_t limit, const std::vector<std::int64_t>& exclude,
                                      Error* error) {
  std::vector<Due> out;
  std::lock_guard lock(read_mutex_);
  if (!read_db_) {
    set_error(error, closed_error("claim"));
    return out;
  }
  Error e;
  if (!deliveries_.claim(destination, now_ms, limit, exclude, out, e)) {
    set_error(error, std::move(e));
    out.clear();
  }
  return out;
}

std::vector<DeliveryRecord> SqliteJournal::deliveries(std::int64_t message_id, Error* error) {
  std::vector<DeliveryRecord> out;
  std::lock_guard lock(read_mutex_);
  if (!read_db_) {
    set_error(error, closed_error("deliveries"));
    return out;
  }
  Error e;
  if (!sqlite::exec(read_db_.get(), "BEGIN", "begin read", e) ||
      !deliveries_.list(message_id, out, e)) {
    set_error(error, std::move(e));
    out.clear();
  }
  sqlite::exec(read_db_.get(), "COMMIT", "end read", e);
  return out;
}

std::vector<Summary> SqliteJournal::list(const Filter& filter, Error* error) {
  // Only the shape of the query varies; every value is a bound parameter.
  std::string sql = std::string("SELECT ") + kSummaryColumns + " FROM messages WHERE id > ?1";
  int next = 2;
  const auto clause = [&](const char* column) {
    sql += " AND ";
    sql += column;
    sql += " ?" + std::to_string(next++);
  };
  if (filter.state) clause("state =");
  if (filter.since_ms) clause("received_at_ms >=");
  if (filter.message_type) clause("message_type =");
  if (filter.ordering_key) clause("ordering_key =");
  sql += " ORDER BY id LIMIT ?" + std::to_string(next);

  std::vector<Summary> out;
  std::lock_guard lock(read_mutex_);
  if (!read_db_) {
    set_error(error, closed_error("list"));
    return out;
  }
  Error e;
  Stmt stmt;
  if (!stmt.prepare(read_db_.get(), sql, e)) {
    set_error(error, std::move(e));
    return out;
  }
  int i = 1;
  stmt.bind_int64(i++, filter.after_id);
  if (filter.state) stmt.bind_text(i++, to_string(*filter.state));
  if (filter.since_ms) stmt.bind_int64(i++, *filter.since_ms);
  if (filter.message_type) stmt.bind_text(i++, *filter.message_type);
  if (filter.ordering_key) stmt.bind_text(i++, *filter.ordering_key);
  stmt.bind_int64(i, static_cast<std::int64_t>(
                         std::min<std::size_t>(filter.limit, static_cast<std::size_t>(INT64_MAX))));
  int rc;
  while ((rc = stmt.step()) == SQLITE_ROW) {
    Summary s;
    if (!read_summary(stmt, s, e)) {
      set_error(error, std::move(e));
      return {};
    }
    out.push_back(std::move(s));
  }
  if (rc != SQLITE_DONE) {
    set_error(error, make_error(read_db_.get(), rc, "list messages"));
    return {};
  }
  return out;
}

Stats SqliteJournal::stats() {
  Stats s;
  s.commits = commits_;
  s.appended = appended_;
  s.duplicates = duplicates_;
  s.failed = failed_;
  s.pruned = pruned_;
  s.file_bytes = file_size(options_.path) + file_size(options_.path + "-wal");
  std::lock_guard lock(read_mutex_);
  if (!read_db_) return s;
  Error e;
  deliveries_.counts(s.deliveries, e);  // best effort, like the counts below
  Use use(count_states_);
  while (count_states_.step() == SQLITE_ROW) {
    const std::int64_t n = count_states_.column_int64(1);
    s.messages += n;
    switch (state_from_string(count_states_.column_text(0)).value_or(State::accepted)) {
      case State::accepted:
        s.accepted += n;
        break;
      case State::rejected:
        s.rejected += n;
        break;
      case State::delivered:
        s.delivered += n;
        break;
      case State::dead:
        s.dead += n;
        break;
    }
  }
  return s;
}

void SqliteJournal::close() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  closing_ = true;  // after stopping_: once writable() says no, appends are refused
  wake_.notify_all();
  // From a handler (the writer thread itself) the writer cannot be joined: it stops after the
  // current group, and a later close() or the destructor, on another thread, finishes.
  if (std::this_thread::get_id() == writer_id_) return;
  std::lock_guard close_lock(close_mutex_);
  if (closed_) return;
  if (writer_.joinable()) writer_.join();  // commits what is queued first
  {
    std::lock_guard lock(read_mutex_);
    get_.finalize();
    count_states_.finalize();
    deliveries_.finalize_reader();
    read_db_.reset();
  }
  find_duplicate_.finalize();
  insert_.finalize();
  prune_delete_.finalize();
  freelist_count_.finalize();
  vacuum_step_.finalize();
  deliveries_.finalize_writer();
  write_db_.reset();  // the last connection checkpoints the WAL and removes it
  closed_ = true;
}

}  // namespace

std::unique_ptr<Journal> open_sqlite_journal(const SqliteOptions& options, Error& error) {
  auto journal = std::make_unique<SqliteJournal>(options);
  if (!journal->open(error)) return nullptr;
  return journal;
}

bool check_integrity(const std::string& path, std::string& report) {
  report.clear();
  Db db;
  Error error;
  if (!sqlite::open(path, SQLITE_OPEN_READONLY, db, error)) {
    report = error.message;
    return false;
  }
  sqlite3_busy_timeout(db.get(), kBusyTimeoutMs);
  Stmt stmt;
  if (!stmt.prepare(db.get(), "PRAGMA integrity_check", error)) {
    report = error.message;
    return false;
  }
  int rc;
  while ((rc = stmt.step()) == SQLITE_ROW) {
    if (!report.empty()) report += '\n';
    report += stmt.column_text(0);
  }
  if (rc != SQLITE_DONE) {
    report = make_error(db.get(), rc, "integrity check").message;
    return false;
  }
  return report == "ok";
}

}  // namespace fcpgw::gateway::journal
