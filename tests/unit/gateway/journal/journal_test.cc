// The SQLite journal: durability before the handler, group commit, duplicates, the size limit,
// retention, close and reopen. No sleeps: the writer is held back with a gate inside a handler
// and time comes from a fake clock.

#include "gateway/journal/journal.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "gateway/journal/sqlite_journal.h"

namespace fcpgw::gateway::journal {
namespace {

using namespace std::chrono_literals;

constexpr std::int64_t kDayMs = 24 * 3600 * 1000;
constexpr std::int64_t kStartMs = 1'800'000'000'000;  // a fixed "now" for the fake clock

/// A one-shot latch: wait() blocks until open().
class Gate {
 public:
  void open() {
    std::lock_guard lock(m_);
    open_ = true;
    cv_.notify_all();
  }
  void wait() {
    std::unique_lock lock(m_);
    cv_.wait(lock, [&] { return open_; });
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  bool open_ = false;
};

/// Collects handler results and lets the test wait for a number of them.
class Results {
 public:
  AppendHandler handler(std::size_t index) {
    return [this, index](AppendResult r) {
      std::lock_guard lock(m_);
      if (results_.size() <= index) results_.resize(index + 1);
      ++calls_[index];
      results_[index] = std::move(r);
      ++done_;
      cv_.notify_all();
    };
  }
  void wait_for(std::size_t n) {
    std::unique_lock lock(m_);
    cv_.wait(lock, [&] { return done_ >= n; });
  }
  AppendResult at(std::size_t i) {
    std::lock_guard lock(m_);
    return results_.at(i);
  }
  std::map<std::size_t, int> calls() {
    std::lock_guard lock(m_);
    return calls_;
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  std::vector<AppendResult> results_;
  std::map<std::size_t, int> calls_;
  std::size_t done_ = 0;
};

Entry make_entry(std::string control_id, std::string raw = "MSH|^~\\&|A|B\r") {
  Entry e;
  e.listener = "mllp";
  e.peer = "127.0.0.1:5000";
  e.content_type = "er7";
  e.message_type = "SIU^S12";
  e.control_id = control_id;
  e.sending_facility = "PRACTICE";
  e.dedupe_key = "PRACTICE|" + control_id;
  e.ordering_key = "appt-1";
  e.answer_code = "AA";
  e.answer = "ACK for " + control_id;
  e.raw = std::move(raw);
  return e;
}

AppendResult append_sync(Journal& j, Entry e) {
  std::promise<AppendResult> p;
  auto f = p.get_future();
  j.append(std::move(e), [&p](AppendResult r) { p.set_value(std::move(r)); });
  return f.get();
}

std::int64_t pragma_int(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  std::int64_t v = -1;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db, sql, -1, &s, nullptr) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
      v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
  }
  sqlite3_close_v2(db);
  return v;
}

void exec_sql(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr),
            SQLITE_OK);
  EXPECT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  sqlite3_close_v2(db);
}

class JournalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "fcpgw-journal-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    path_ = (dir_ / "var" / "journal.db").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  SqliteOptions options() {
    SqliteOptions o;
    o.path = path_;
    o.clock_ms = [this] { return now_.load(); };
    o.prune_interval = 0ms;
    return o;
  }

  std::unique_ptr<Journal> open(const SqliteOptions& o) {
    Error error;
    auto j = open_sqlite_journal(o, error);
    EXPECT_TRUE(j) << error.message;
    return j;
  }

  /// Holds the writer inside the handler of one append until the gate opens, so that the
  /// appends made meanwhile queue up and form the next group.
  void hold_writer(Journal& j, Gate& gate, Results& results, std::size_t index) {
    Gate entered;
    auto inner = results.handler(index);
    // A key of its own each time, so that held appends are never duplicates of each other.
    j.append(make_entry("hold-" + std::to_string(holds_++)), [&, inner](AppendResult r) {
      inner(std::move(r));
      entered.open();
      gate.wait();
    });
    entered.wait();
  }

  std::filesystem::path dir_;
  std::string path_;
  std::atomic<std::int64_t> now_{kStartMs};
  int holds_ = 0;
};

TEST_F(JournalTest, StateNamesRoundTrip) {
  for (State s : {State::accepted, State::rejected, State::delivered, State::dead}) {
    EXPECT_EQ(state_from_string(to_string(s)), s);
  }
  EXPECT_EQ(state_from_string("Accepted"), std::nullopt);
}

TEST_F(JournalTest, AppendReadsBackByteExact) {
  auto j = open(options());
  std::string raw("MSH|^~\\&|\0|\xff\xfe\x80|caf\xc3\xa9\r\n\0end", 24);
  ASSERT_EQ(raw.size(), 24u);
  Entry e = make_entry("1", raw);
  e.answer = std::string("MSA|AA|1\0\xff", 11);
  e.received_at_ms = 1234;
  const auto r = append_sync(*j, e);
  ASSERT_TRUE(r.ok) << r.error->message;
  EXPECT_FALSE(r.ok->duplicate);
  EXPECT_GT(r.ok->id, 0);

  Error error;
  const auto rec = j->get(r.ok->id, &error);
  ASSERT_TRUE(rec) << error.message;
  EXPECT_EQ(rec->raw, raw);
  EXPECT_EQ(rec->answer, e.answer);
  EXPECT_EQ(rec->summary.raw_bytes, 24);
  EXPECT_EQ(rec->summary.received_at_ms, 1234);
  EXPECT_EQ(rec->summary.listener, "mllp");
  EXPECT_EQ(rec->summary.peer, "127.0.0.1:5000");
  EXPECT_EQ(rec->summary.content_type, "er7");
  EXPECT_EQ(rec->summary.message_type, "SIU^S12");
  EXPECT_EQ(rec->summary.control_id, "1");
  EXPECT_EQ(rec->summary.sending_facility, "PRACTICE");
  EXPECT_EQ(rec->summary.ordering_key, "appt-1");
  EXPECT_EQ(rec->summary.state, State::accepted);
  EXPECT_EQ(rec->summary.answer_code, "AA");
  EXPECT_FALSE(j->get(r.ok->id + 1000));

  // An empty body stays an empty body (not NULL).
  const auto empty = append_sync(*j, make_entry("2", ""));
  ASSERT_TRUE(empty.ok);
  EXPECT_EQ(j->get(empty.ok->id)->raw, "");
}

TEST_F(JournalTest, ReceivedAtZeroTakesTheClock) {
  auto j = open(options());
  const auto r = append_sync(*j, make_entry("1"));
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(j->get(r.ok->id)->summary.received_at_ms, kStartMs);
}

TEST_F(JournalTest, FilesAreOnlyReadableByTheOwner) {
  auto j = open(options());
  ASSERT_TRUE(append_sync(*j, make_entry("1")).ok);
  for (const std::string suffix : {"", "-wal", "-shm"}) {
    struct stat st {};
    ASSERT_EQ(::stat((path_ + suffix).c_str(), &st), 0) << suffix;
    EXPECT_EQ(st.st_mode & 0777, 0600u) << suffix;
  }
}

TEST_F(JournalTest, PragmasAndSchemaVersion) {
  auto j = open(options());
  EXPECT_EQ(pragma_int(path_, "PRAGMA user_version"), 1);
  EXPECT_EQ(pragma_int(path_, "PRAGMA auto_vacuum"), 2);  // incremental
  j->close();
  EXPECT_EQ(pragma_int(path_, "PRAGMA user_version"), 1);
}

TEST_F(JournalTest, DatabaseFromTheFutureIsRefused) {
  open(options())->close();
  exec_sql(path_, "PRAGMA user_version = 2");
  Error error;
  EXPECT_FALSE(open_sqlite_journal(options(), error));
  EXPECT_NE(error.message.find("schema version 2"), std::string::npos) << error.message;
  EXPECT_NE(error.message.find("newer"), std::string::npos) << error.message;
}

TEST_F(JournalTest, ForeignDatabaseIsRefused) {
  std::filesystem::create_directories(dir_ / "var");
  exec_sql(path_, "CREATE TABLE t (x)");
  Error error;
  EXPECT_FALSE(open_sqlite_journal(options(), error));
  EXPECT_NE(error.message.find("not an fcpgw journal"), std::string::npos) << error.message;
}

TEST_F(JournalTest, NotADatabaseIsRefused) {
  std::filesystem::create_directories(dir_ / "var");
  {
    std::FILE* f = std::fopen(path_.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    const std::string junk(8192, 'x');
    std::fwrite(junk.data(), 1, junk.size(), f);
    std::fclose(f);
  }
  Error error;
  EXPECT_FALSE(open_sqlite_journal(options(), error));
  EXPECT_FALSE(error.message.empty());
  std::string report;
  EXPECT_FALSE(check_integrity(path_, report));
}

TEST_F(JournalTest, GroupCommitFromManyThreads) {
  auto o = options();
  std::mutex m;
  std::vector<std::size_t> groups;
  o.on_commit = [&](std::size_t rows, std::chrono::microseconds, bool ok) {
    EXPECT_TRUE(ok);
    std::lock_guard lock(m);
    groups.push_back(rows);
  };
  auto j = open(o);
  Results results;
  Gate gate;
  hold_writer(*j, gate, results, 0);  // the rest queues up behind it

  constexpr std::size_t kThreads = 4, kPerThread = 1250, kTotal = kThreads * kPerThread;
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (std::size_t i = 0; i < kPerThread; ++i) {
        const std::size_t index = 1 + t * kPerThread + i;
        j->append(make_entry(std::to_string(index), std::string(300, 'x')), results.handler(index));
      }
    });
  }
  for (auto& t : threads) t.join();
  gate.open();
  results.wait_for(kTotal + 1);

  const auto calls = results.calls();
  ASSERT_EQ(calls.size(), kTotal + 1);
  std::set<std::int64_t> ids;
  for (std::size_t i = 0; i <= kTotal; ++i) {
    EXPECT_EQ(calls.at(i), 1) << i;
    const auto r = results.at(i);
    ASSERT_TRUE(r.ok) << i;
    EXPECT_FALSE(r.ok->duplicate);
    ids.insert(r.ok->id);
  }
  EXPECT_EQ(ids.size(), kTotal + 1);
  const Stats s = j->stats();
  EXPECT_EQ(s.appended, kTotal + 1);
  EXPECT_EQ(s.messages, static_cast<std::int64_t>(kTotal + 1));
  EXPECT_EQ(s.accepted, static_cast<std::int64_t>(kTotal + 1));
  EXPECT_LT(s.commits, kTotal / 100);  // 1 + 5 groups of at most 1000
  EXPECT_GT(s.file_bytes, static_cast<std::int64_t>(kTotal * 300));
  std::lock_guard lock(m);
  for (std::size_t g : groups) EXPECT_LE(g, 1000u);
}

TEST_F(JournalTest, GroupMaxMessagesAtTheLimitAndOnePast) {
  auto o = options();
  o.group_max_messages = 10;
  std::mutex m;
  std::vector<std::size_t> groups;
  o.on_commit = [&](std::size_t rows, std::chrono::microseconds, bool) {
    std::lock_guard lock(m);
    groups.push_back(rows);
  };
  auto j = open(o);
  Results results;
  {
    Gate gate;
    hold_writer(*j, gate, results, 0);
    for (std::size_t i = 1; i <= 10; ++i)
      j->append(make_entry(std::to_string(i)), results.handler(i));
    gate.open();
    results.wait_for(11);
  }
  {
    Gate gate;
    hold_writer(*j, gate, results, 11);
    for (std::size_t i = 12; i <= 22; ++i)
      j->append(make_entry(std::to_string(i)), results.handler(i));
    gate.open();
    results.wait_for(23);
  }
  std::lock_guard lock(m);
  EXPECT_EQ(groups, (std::vector<std::size_t>{1, 10, 1, 10, 1}));
}

TEST_F(JournalTest, GroupMaxMessagesOneAndZeroCommitEachAlone) {
  for (const std::size_t limit : {1, 0}) {  // 0 is taken as 1, not as "no limit"
    auto o = options();
    o.path = (dir_ / ("limit-" + std::to_string(limit) + ".db")).string();
    o.group_max_messages = limit;
    std::mutex m;
    std::vector<std::size_t> groups;
    o.on_commit = [&](std::size_t rows, std::chrono::microseconds, bool) {
      std::lock_guard lock(m);
      groups.push_back(rows);
    };
    auto j = open(o);
    Results results;
    Gate gate;
    hold_writer(*j, gate, results, 0);
    for (std::size_t i = 1; i <= 3; ++i) {
      j->append(make_entry(std::to_string(i)), results.handler(i));
    }
    gate.open();
    results.wait_for(4);
    j->close();
    std::lock_guard lock(m);
    EXPECT_EQ(groups, (std::vector<std::size_t>{1, 1, 1, 1})) << limit;
  }
}

TEST_F(JournalTest, TimedRetentionRunsOnceAtStart) {
  {
    auto o = options();
    o.retention = std::chrono::seconds(0);
    auto j = open(o);
    Entry old = make_entry("old");
    old.state = State::dead;
    old.received_at_ms = kStartMs - 40 * kDayMs;
    ASSERT_TRUE(append_sync(*j, old).ok);
    ASSERT_TRUE(append_sync(*j, make_entry("new")).ok);
  }
  auto o = options();
  o.retention = std::chrono::seconds(30 * 24 * 3600);
  o.prune_interval = std::chrono::hours(1);  // the next pass is far off; the first is at start
  std::promise<std::size_t> first;
  std::atomic<bool> once{false};
  o.on_prune = [&](std::size_t n) {
    if (!once.exchange(true)) first.set_value(n);
  };
  auto j = open(o);
  EXPECT_EQ(first.get_future().get(), 1u);
  EXPECT_EQ(j->stats().messages, 1);
  EXPECT_EQ(j->stats().pruned, 1u);
}

TEST_F(JournalTest, GroupMaxWaitCommitsAtOnceWhenTheGroupIsFull) {
  auto o = options();
  o.group_max_messages = 3;
  o.group_max_wait = std::chrono::hours(1);  // a test that waited for it would hang
  auto j = open(o);
  Results results;
  for (std::size_t i = 0; i < 3; ++i) j->append(make_entry(std::to_string(i)), results.handler(i));
  results.wait_for(3);
  for (std::size_t i = 0; i < 3; ++i) EXPECT_TRUE(results.at(i).ok);
  // A short group waits, but close() commits it without waiting out the hour.
  j->append(make_entry("3"), results.handler(3));
  j->close();
  results.wait_for(4);
  EXPECT_TRUE(results.at(3).ok);
}

TEST_F(JournalTest, DuplicateWithinTheWindowGetsTheOriginalAnswer) {
  auto o = options();
  o.duplicate_window = std::chrono::seconds(3600);
  auto j = open(o);
  Entry first = make_entry("42");
  first.answer = std::string("MSA|AA|42\0\xff", 12);
  const auto a = append_sync(*j, first);
  ASSERT_TRUE(a.ok);

  Entry resend = make_entry("42", "a different body");
  resend.answer_code = "AE";
  resend.answer = "another answer";
  resend.received_at_ms = kStartMs + 3600 * 1000;  // exactly at the edge of the window
  const auto b = append_sync(*j, resend);
  ASSERT_TRUE(b.ok);
  EXPECT_TRUE(b.ok->duplicate);
  EXPECT_EQ(b.ok->id, a.ok->id);
  EXPECT_EQ(b.ok->answer_code, "AA");
  EXPECT_EQ(b.ok->answer, first.answer);
  EXPECT_EQ(j->stats().messages, 1);
  EXPECT_EQ(j->stats().duplicates, 1u);

  // One millisecond past the window: stored again.
  resend.received_at_ms = kStartMs + 3600 * 1000 + 1;
  const auto c = append_sync(*j, resend);
  ASSERT_TRUE(c.ok);
  EXPECT_FALSE(c.ok->duplicate);
  EXPECT_NE(c.ok->id, a.ok->id);
  EXPECT_EQ(j->stats().messages, 2);

  // No key: never a duplicate.
  Entry no_key = make_entry("42");
  no_key.dedupe_key.clear();
  EXPECT_FALSE(append_sync(*j, no_key).ok->duplicate);
  EXPECT_FALSE(append_sync(*j, no_key).ok->duplicate);
}

TEST_F(JournalTest, DuplicatesInsideOneGroup) {
  auto j = open(options());
  Results results;
  Gate gate;
  hold_writer(*j, gate, results, 0);
  j->append(make_entry("7"), results.handler(1));
  j->append(make_entry("7"), results.handler(2));
  gate.open();
  results.wait_for(3);
  const auto first = results.at(1), second = results.at(2);
  ASSERT_TRUE(first.ok && second.ok);
  EXPECT_FALSE(first.ok->duplicate);
  EXPECT_TRUE(second.ok->duplicate);
  EXPECT_EQ(second.ok->id, first.ok->id);
  EXPECT_EQ(second.ok->answer, "ACK for 7");
}

TEST_F(JournalTest, RejectedIsNeverDeduplicatedNorMatched) {
  auto j = open(options());
  Entry bad = make_entry("9", "garbled");
  bad.state = State::rejected;
  bad.answer_code = "AR";
  const auto r1 = append_sync(*j, bad);
  const auto r2 = append_sync(*j, bad);
  ASSERT_TRUE(r1.ok && r2.ok);
  EXPECT_FALSE(r2.ok->duplicate);
  EXPECT_NE(r1.ok->id, r2.ok->id);

  // The corrected resend is processed, not answered with the rejection.
  const auto good = append_sync(*j, make_entry("9"));
  ASSERT_TRUE(good.ok);
  EXPECT_FALSE(good.ok->duplicate);
  const auto again = append_sync(*j, make_entry("9"));
  EXPECT_TRUE(again.ok->duplicate);
  EXPECT_EQ(again.ok->id, good.ok->id);
  // A rejected entry with the key of an accepted one is still kept.
  EXPECT_FALSE(append_sync(*j, bad).ok->duplicate);
  EXPECT_EQ(j->stats().rejected, 3);
  EXPECT_EQ(j->stats().accepted, 1);
}

TEST_F(JournalTest, ListFiltersAndPages) {
  auto j = open(options());
  for (int i = 0; i < 5; ++i) {
    Entry e = make_entry(std::to_string(i));
    e.received_at_ms = kStartMs + i;  // inside retention: the rejected one must stay
    e.ordering_key = i % 2 == 0 ? "even" : "odd";
    e.message_type = i < 3 ? "SIU^S12" : "REF^I12";
    if (i == 4) e.state = State::rejected;
    ASSERT_TRUE(append_sync(*j, e).ok);
  }
  Filter all;
  auto rows = j->list(all);
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_LT(rows[0].id, rows[4].id);

  Filter page;
  page.limit = 2;
  rows = j->list(page);
  ASSERT_EQ(rows.size(), 2u);
  page.after_id = rows[1].id;
  rows = j->list(page);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].control_id, "2");

  Filter f;
  f.ordering_key = "even";
  f.state = State::accepted;
  f.since_ms = kStartMs + 1;
  rows = j->list(f);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].control_id, "2");
  Filter t;
  t.message_type = "REF^I12";
  EXPECT_EQ(j->list(t).size(), 2u);
}

TEST_F(JournalTest, FullDiskFailsTheGroupAndRecoversAfterPruning) {
  auto o = options();
  o.max_bytes = 256 * 1024;
  o.retention = std::chrono::seconds(24 * 3600);
  std::mutex m;
  std::condition_variable cv;
  std::size_t pruned = 0;
  o.on_prune = [&](std::size_t n) {
    std::lock_guard lock(m);
    pruned += n;
    cv.notify_all();
  };
  auto j = open(o);
  EXPECT_TRUE(j->writable());

  std::optional<Error> failure;
  int stored = 0;
  for (int i = 0; i < 1000 && !failure; ++i) {
    Entry e = make_entry(std::to_string(i), std::string(4000, 'a' + i % 26));
    e.state = State::delivered;
    auto r = append_sync(*j, e);
    if (r.error)
      failure = r.error;
    else
      ++stored;
  }
  ASSERT_TRUE(failure) << "the limit was never reached";
  EXPECT_EQ(failure->kind, Error::Kind::full) << failure->message;
  EXPECT_GT(stored, 10);
  EXPECT_FALSE(j->writable());
  EXPECT_EQ(j->stats().messages, stored);  // still readable; the failed group left nothing
  EXPECT_EQ(j->stats().failed, 1u);
  EXPECT_EQ(append_sync(*j, make_entry("more", std::string(4000, 'z'))).error->kind,
            Error::Kind::full);

  // Two days on, the finished rows are past retention: the next pass frees the space.
  now_ += 2 * kDayMs;
  EXPECT_TRUE(append_sync(*j, make_entry("trigger", std::string(4000, 'z'))).error);
  {
    std::unique_lock lock(m);
    cv.wait(lock, [&] { return pruned >= static_cast<std::size_t>(stored); });
  }
  const auto r = append_sync(*j, make_entry("after", std::string(4000, 'y')));
  ASSERT_TRUE(r.ok) << r.error->message;
  EXPECT_TRUE(j->writable());
  j->close();
  std::string report;
  EXPECT_TRUE(check_integrity(path_, report)) << report;
}

TEST_F(JournalTest, FullDiskRecoversWhenTheLimitIsRaised) {
  auto o = options();
  o.max_bytes = 128 * 1024;
  auto j = open(o);
  bool full = false;
  for (int i = 0; i < 1000 && !full; ++i) {
    auto r = append_sync(*j, make_entry(std::to_string(i), std::string(4000, 'q')));
    full = r.error && r.error->kind == Error::Kind::full;
  }
  ASSERT_TRUE(full);
  EXPECT_FALSE(j->writable());
  const auto before = j->stats().messages;
  j->close();

  o.max_bytes = 0;
  j = open(o);
  EXPECT_TRUE(j->writable());
  const auto r = append_sync(*j, make_entry("after", std::string(4000, 'q')));
  ASSERT_TRUE(r.ok) << r.error->message;
  EXPECT_EQ(j->stats().messages, before + 1);
}

TEST_F(JournalTest, RetentionPrunesFinishedRowsAndTheFileShrinks) {
  auto o = options();
  o.retention = std::chrono::seconds(24 * 3600);
  o.prune_batch = 50;  // several steps per pass
  std::mutex m;
  std::condition_variable cv;
  std::size_t passes = 0, pruned = 0;
  o.on_prune = [&](std::size_t n) {
    std::lock_guard lock(m);
    ++passes;
    pruned += n;
    cv.notify_all();
  };
  auto j = open(o);
  // Kept whatever their age: accepted rows (not delivered yet).
  Entry keep = make_entry("keep");
  keep.received_at_ms = kStartMs - 100 * kDayMs;
  const auto kept = append_sync(*j, keep);
  ASSERT_TRUE(kept.ok);

  std::int64_t peak_pages = 0, first_peak = 0;
  for (int round = 0; round < 5; ++round) {
    Results results;
    Gate gate;
    hold_writer(*j, gate, results, 0);
    for (std::size_t i = 1; i <= 300; ++i) {
      Entry e = make_entry(std::to_string(round) + "-" + std::to_string(i), std::string(3000, 'r'));
      e.dedupe_key.clear();
      e.state = i % 3 == 0 ? State::rejected : (i % 3 == 1 ? State::delivered : State::dead);
      j->append(std::move(e), results.handler(i));
    }
    gate.open();
    results.wait_for(301);
    const std::int64_t pages = pragma_int(path_, "PRAGMA page_count");
    if (round == 0) first_peak = pages;
    peak_pages = std::max(peak_pages, pages);

    now_ += 2 * kDayMs;
    std::size_t want = 0;
    {
      std::lock_guard lock(m);
      want = pruned + 301 - 1;  // all of this round but the held accepted one
    }
    Entry trigger = make_entry("t");
    trigger.dedupe_key.clear();
    trigger.state = State::delivered;
    ASSERT_TRUE(append_sync(*j, trigger).ok);
    std::unique_lock lock(m);
    cv.wait(lock, [&] { return pruned >= want; });
    lock.unlock();
    EXPECT_LT(pragma_int(path_, "PRAGMA page_count"), pages / 4) << "round " << round;
    EXPECT_EQ(pragma_int(path_, "PRAGMA freelist_count"), 0) << "round " << round;
  }
  EXPECT_LE(peak_pages, first_peak + first_peak / 10);
  // The accepted rows are all still there (one per round from hold_writer, plus `keep`).
  Filter f;
  f.state = State::accepted;
  EXPECT_EQ(j->list(f).size(), 6u);
  EXPECT_TRUE(j->get(kept.ok->id));
  EXPECT_GT(j->stats().pruned, 0u);
  j->close();
  EXPECT_LT(std::filesystem::file_size(path_), static_cast<std::uintmax_t>(first_peak) * 4096 / 2);
}

TEST_F(JournalTest, RetentionZeroKeepsEverything) {
  auto o = options();
  o.retention = std::chrono::seconds(0);
  auto j = open(o);
  Entry e = make_entry("1");
  e.state = State::delivered;
  e.received_at_ms = 1;
  ASSERT_TRUE(append_sync(*j, e).ok);
  now_ += 1000 * kDayMs;
  ASSERT_TRUE(append_sync(*j, make_entry("2")).ok);
  j->close();
  j = open(o);
  EXPECT_EQ(j->stats().messages, 2);
}

TEST_F(JournalTest, CloseCommitsWhatIsQueuedAndRefusesLaterAppends) {
  auto j = open(options());
  Results results;
  Gate gate;
  hold_writer(*j, gate, results, 0);
  for (std::size_t i = 1; i <= 5; ++i) j->append(make_entry(std::to_string(i)), results.handler(i));
  std::thread closer([&] { j->close(); });
  while (j->writable()) std::this_thread::yield();  // close() has begun
  j->append(make_entry("late"), results.handler(6));
  {
    const auto late = results.at(6);  // answered at once, on this thread
    ASSERT_TRUE(late.error);
    EXPECT_EQ(late.error->kind, Error::Kind::closed);
  }
  gate.open();
  closer.join();
  results.wait_for(7);
  for (std::size_t i = 0; i <= 5; ++i) EXPECT_TRUE(results.at(i).ok) << i;
  for (const auto& [i, n] : results.calls()) EXPECT_EQ(n, 1) << i;
  j->close();  // idempotent
  Error error;
  EXPECT_FALSE(j->get(1, &error));
  EXPECT_EQ(error.kind, Error::Kind::closed);
  EXPECT_FALSE(j->writable());
  EXPECT_FALSE(std::filesystem::exists(path_ + "-wal"));  // a clean close checkpoints

  j = open(options());
  EXPECT_EQ(j->stats().messages, 6);
  std::string report;
  EXPECT_TRUE(check_integrity(path_, report)) << report;
}

TEST_F(JournalTest, CloseFromAHandlerStopsAppendsWithoutDeadlock) {
  auto j = open(options());
  std::promise<void> called;
  j->append(make_entry("1"), [&](AppendResult r) {
    EXPECT_TRUE(r.ok);
    j->close();  // on the writer thread: only stops taking appends
    called.set_value();
  });
  called.get_future().get();
  EXPECT_FALSE(j->writable());
  EXPECT_EQ(append_sync(*j, make_entry("2")).error->kind, Error::Kind::closed);
  j->close();  // from this thread: joins the writer and closes the database
  j = open(options());
  EXPECT_EQ(j->stats().messages, 1);
}

TEST_F(JournalTest, ReopenKeepsEverythingAndIdsKeepGrowing) {
  std::vector<std::int64_t> ids;
  {
    auto j = open(options());
    for (int i = 0; i < 20; ++i)
      ids.push_back(append_sync(*j, make_entry(std::to_string(i))).ok->id);
  }  // the destructor closes
  auto o = options();
  o.retention = std::chrono::seconds(1);
  auto j = open(o);
  EXPECT_EQ(j->stats().messages, 20);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(j->get(ids[i])->summary.control_id, std::to_string(i));
  // A resend after the restart is still a duplicate.
  const auto dup = append_sync(*j, make_entry("3"));
  EXPECT_TRUE(dup.ok->duplicate);
  EXPECT_EQ(dup.ok->id, ids[3]);
  EXPECT_GT(append_sync(*j, make_entry("new")).ok->id, ids.back());
}

TEST_F(JournalTest, IdsAreNotReusedAfterEverythingIsPruned) {
  auto o = options();
  o.retention = std::chrono::seconds(1);
  std::atomic<std::size_t> pruned{0};
  o.on_prune = [&](std::size_t n) { pruned += n; };
  auto j = open(o);
  Entry e = make_entry("1");
  e.state = State::delivered;
  e.received_at_ms = 1;
  const auto first = append_sync(*j, e);
  ASSERT_TRUE(first.ok);
  j->close();  // ordering with the pruning pass: reopen prunes at start, before any append
  j = open(o);
  while (pruned.load() == 0) std::this_thread::yield();
  EXPECT_EQ(j->stats().messages, 0);
  Entry next = make_entry("2");
  next.state = State::delivered;
  EXPECT_GT(append_sync(*j, next).ok->id, first.ok->id);
}

TEST_F(JournalTest, CheckIntegrity) {
  std::string report;
  EXPECT_FALSE(check_integrity((dir_ / "missing.db").string(), report));
  EXPECT_FALSE(report.empty());
  auto j = open(options());
  ASSERT_TRUE(append_sync(*j, make_entry("1")).ok);
  EXPECT_TRUE(check_integrity(path_, report)) << report;  // while open
  j->close();
  EXPECT_TRUE(check_integrity(path_, report)) << report;  // after a clean close
  EXPECT_EQ(report, "ok");
}

TEST_F(JournalTest, UnknownStateIsRefusedAlone) {
  auto j = open(options());
  Entry e = make_entry("1");
  e.state = static_cast<State>(42);
  const auto r = append_sync(*j, e);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->kind, Error::Kind::other);
  EXPECT_TRUE(append_sync(*j, make_entry("2")).ok);
}

}  // namespace
}  // namespace fcpgw::gateway::journal
