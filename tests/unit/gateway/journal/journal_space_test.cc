// The SQLite journal and space: the size limit (a full disk), retention and incremental vacuum,
// ids never reused after pruning.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "gateway/journal/journal.h"
#include "gateway/journal/sqlite_journal.h"
#include "tests/unit/gateway/journal/journal_test_support.h"

namespace fcpgw::gateway::journal {
namespace {

using namespace std::chrono_literals;
using namespace testing;

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

}  // namespace
}  // namespace fcpgw::gateway::journal
