#pragma once
// Shared by the journal unit tests: a gate that holds the writer inside a handler, handler
// results to wait on, a fake clock, entries, and a fresh folder per test.

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "gateway/journal/journal.h"
#include "gateway/journal/sqlite_journal.h"

namespace fcpgw::gateway::journal::testing {

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

inline Entry make_entry(std::string control_id, std::string raw = "MSH|^~\\&|A|B\r") {
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

inline AppendResult append_sync(Journal& j, Entry e) {
  std::promise<AppendResult> p;
  auto f = p.get_future();
  j.append(std::move(e), [&p](AppendResult r) { p.set_value(std::move(r)); });
  return f.get();
}

inline std::int64_t pragma_int(const std::string& path, const char* sql) {
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

inline void exec_sql(const std::string& path, const char* sql) {
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
    o.prune_interval = std::chrono::milliseconds(0);
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

}  // namespace fcpgw::gateway::journal::testing
