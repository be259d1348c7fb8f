// The SQLite journal: durability before the handler, group commit, duplicates, close and
// reopen. No sleeps: the writer is held back with a gate inside a handler and time comes from a
// fake clock.

#include "gateway/journal/journal.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <future>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "gateway/journal/sqlite_journal.h"
#include "tests/unit/gateway/journal/journal_test_support.h"

namespace fcpgw::gateway::journal {
namespace {

using namespace std::chrono_literals;
using namespace testing;

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

std::vector<AppendResult> append_all_sync(Journal& j, std::vector<Entry> entries) {
  std::promise<std::vector<AppendResult>> p;
  auto f = p.get_future();
  j.append_all(std::move(entries),
               [&p](std::vector<AppendResult> r) { p.set_value(std::move(r)); });
  return f.get();
}

TEST_F(JournalTest, AppendAllKeepsABatchInOrderWithItsDuplicatesAndRejections) {
  auto j = open(options());
  const auto earlier = append_sync(*j, make_entry("b2"));
  ASSERT_TRUE(earlier.ok);
  Entry rejected = make_entry("b3", "junk");
  rejected.state = State::rejected;
  std::vector<Entry> batch;
  batch.push_back(make_entry("b1"));
  batch.push_back(make_entry("b2"));  // already kept: answered as a duplicate
  batch.push_back(rejected);
  batch.push_back(make_entry("b1"));  // twice in one batch: the second is the duplicate
  const auto r = append_all_sync(*j, std::move(batch));
  ASSERT_EQ(r.size(), 4u);
  for (const auto& x : r) ASSERT_TRUE(x.ok) << x.error->message;
  EXPECT_FALSE(r[0].ok->duplicate);
  EXPECT_TRUE(r[1].ok->duplicate);
  EXPECT_EQ(r[1].ok->id, earlier.ok->id);
  EXPECT_EQ(r[1].ok->answer, "ACK for b2");
  EXPECT_FALSE(r[2].ok->duplicate);
  EXPECT_EQ(j->get(r[2].ok->id)->summary.state, State::rejected);
  EXPECT_EQ(j->get(r[2].ok->id)->raw, "junk");
  EXPECT_TRUE(r[3].ok->duplicate);
  EXPECT_EQ(r[3].ok->id, r[0].ok->id);
  EXPECT_LT(r[0].ok->id, r[2].ok->id);
  const Stats s = j->stats();
  EXPECT_EQ(s.messages, 3);
  EXPECT_EQ(s.duplicates, 2u);
}

TEST_F(JournalTest, AppendAllAfterCloseFailsEveryEntry) {
  auto j = open(options());
  j->close();
  std::vector<Entry> batch;
  batch.push_back(make_entry("c1"));
  batch.push_back(make_entry("c2"));
  const auto r = append_all_sync(*j, std::move(batch));
  ASSERT_EQ(r.size(), 2u);
  for (const auto& x : r) {
    ASSERT_TRUE(x.error);
    EXPECT_EQ(x.error->kind, Error::Kind::closed);
  }
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
  EXPECT_EQ(pragma_int(path_, "PRAGMA user_version"), 2);
  EXPECT_EQ(pragma_int(path_, "PRAGMA auto_vacuum"), 2);  // incremental
  j->close();
  EXPECT_EQ(pragma_int(path_, "PRAGMA user_version"), 2);
}

TEST_F(JournalTest, DatabaseFromTheFutureIsRefused) {
  open(options())->close();
  exec_sql(path_, "PRAGMA user_version = 3");
  Error error;
  EXPECT_FALSE(open_sqlite_journal(options(), error));
  EXPECT_NE(error.message.find("schema version 3"), std::string::npos) << error.message;
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
