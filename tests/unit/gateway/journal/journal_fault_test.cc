// The journal under I/O errors: every write, sync and truncation of a group commit is failed in
// turn, once and from then on. After each run: the handlers of the failed group got an error,
// the journal recovers once the fault is gone, the file passes PRAGMA integrity_check, and every
// acknowledged message is stored exactly once.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <future>
#include <map>
#include <string>
#include <vector>

#include "gateway/journal/sqlite_journal.h"
#include "tests/unit/gateway/journal/fault_vfs.h"

namespace fcpgw::gateway::journal {
namespace {

using testing::FaultVfs;

Entry entry(const std::string& control_id) {
  Entry e;
  e.listener = "mllp";
  e.content_type = "er7";
  e.control_id = control_id;
  e.dedupe_key = "F|" + control_id;
  e.answer_code = "AA";
  e.answer = "MSA|AA|" + control_id;
  e.raw = std::string(2000, 'm') + control_id;  // a few pages per group
  return e;
}

class JournalFaultTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "fcpgw-journal-fault-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    FaultVfs::instance();  // registered before the first open
  }
  void TearDown() override {
    FaultVfs::instance().disarm();
    std::filesystem::remove_all(dir_);
  }

  /// Appends `ids` together (so they may share groups) and returns the results in order.
  static std::vector<AppendResult> append_all(Journal& j, const std::vector<std::string>& ids) {
    std::vector<std::promise<AppendResult>> promises(ids.size());
    for (std::size_t i = 0; i < ids.size(); ++i) {
      j.append(entry(ids[i]), [&promises, i](AppendResult r) { promises[i].set_value(r); });
    }
    std::vector<AppendResult> out;
    for (auto& p : promises) out.push_back(p.get_future().get());
    return out;
  }

  std::filesystem::path dir_;
};

TEST_P(JournalFaultTest, EveryWriteAndSyncOfACommitFails) {
  const bool persistent = GetParam();
  int runs_with_fault = 0;
  for (int n = 0; n < 200; ++n) {
    SCOPED_TRACE("fault after " + std::to_string(n) + " I/O calls");
    const std::string path = (dir_ / ("j" + std::to_string(n) + ".db")).string();
    SqliteOptions o;
    o.path = path;
    o.vfs = FaultVfs::kName;
    Error error;
    auto j = open_sqlite_journal(o, error);
    ASSERT_TRUE(j) << error.message;

    std::map<std::string, bool> acked;
    for (const auto& r : append_all(*j, {"a1", "a2", "a3"})) ASSERT_TRUE(r.ok);
    acked["a1"] = acked["a2"] = acked["a3"] = true;

    FaultVfs::instance().arm(n, persistent);
    const std::vector<std::string> faulty = {"f1", "f2", "f3", "f4"};
    const auto results = append_all(*j, faulty);
    const bool tripped = FaultVfs::instance().faults() > 0;
    bool any_failed = false;
    for (std::size_t i = 0; i < faulty.size(); ++i) {
      if (results[i].ok) {
        acked[faulty[i]] = true;
      } else {
        any_failed = true;
        EXPECT_EQ(results[i].error->kind, Error::Kind::io) << results[i].error->message;
      }
    }
    if (!results.back().ok) {
      EXPECT_FALSE(j->writable());  // the last commit failed
    }
    if (persistent) {
      EXPECT_EQ(any_failed, tripped);
    }
    FaultVfs::instance().disarm();

    // The fault is gone: the next appends succeed and the journal says so.
    for (const auto& r : append_all(*j, {"b1", "b2"})) {
      ASSERT_TRUE(r.ok) << r.error->message;
    }
    acked["b1"] = acked["b2"] = true;
    EXPECT_TRUE(j->writable());
    j->close();

    std::string report;
    EXPECT_TRUE(check_integrity(path, report)) << report;
    o.vfs.clear();
    j = open_sqlite_journal(o, error);
    ASSERT_TRUE(j) << error.message;
    std::map<std::string, int> stored;
    Filter all;
    all.limit = 1000;
    for (const auto& s : j->list(all)) ++stored[s.control_id];
    for (const auto& [id, yes] : acked) EXPECT_EQ(stored[id], 1) << id;
    for (const auto& [id, count] : stored) EXPECT_EQ(count, 1) << id;  // never twice
    j->close();

    if (!tripped) break;  // n is past the last I/O call of the faulty commits
    ++runs_with_fault;
  }
  EXPECT_GT(runs_with_fault, 2);
  RecordProperty("runs_with_fault", runs_with_fault);
}

TEST_P(JournalFaultTest, ABatchIsKeptWholeOrNotAtAll) {
  const bool persistent = GetParam();
  int runs_with_fault = 0;
  for (int n = 0; n < 200; ++n) {
    SCOPED_TRACE("fault after " + std::to_string(n) + " I/O calls");
    const std::string path = (dir_ / ("batch" + std::to_string(n) + ".db")).string();
    SqliteOptions o;
    o.path = path;
    o.vfs = FaultVfs::kName;
    Error error;
    auto j = open_sqlite_journal(o, error);
    ASSERT_TRUE(j) << error.message;

    FaultVfs::instance().arm(n, persistent);
    std::vector<Entry> batch;
    for (const char* id : {"f1", "f2", "f3", "f4"}) batch.push_back(entry(id));
    std::promise<std::vector<AppendResult>> p;
    j->append_all(std::move(batch),
                  [&p](std::vector<AppendResult> r) { p.set_value(std::move(r)); });
    const auto results = p.get_future().get();
    const bool tripped = FaultVfs::instance().faults() > 0;
    FaultVfs::instance().disarm();
    ASSERT_EQ(results.size(), 4u);
    const bool acked = bool(results[0].ok);
    for (const auto& r : results) EXPECT_EQ(bool(r.ok), acked);  // one answer for all
    j->close();

    std::string report;
    EXPECT_TRUE(check_integrity(path, report)) << report;
    o.vfs.clear();
    j = open_sqlite_journal(o, error);
    ASSERT_TRUE(j) << error.message;
    Filter all;
    all.limit = 1000;
    const auto stored = j->list(all);
    // Acknowledged: every message is there once. Not acknowledged: none is, or (a commit whose
    // failure came after its data was durable) all of them; never a part.
    if (acked) {
      EXPECT_EQ(stored.size(), 4u);
    } else {
      EXPECT_TRUE(stored.empty() || stored.size() == 4u) << stored.size();
    }
    j->close();

    if (!tripped) break;
    ++runs_with_fault;
  }
  EXPECT_GT(runs_with_fault, 2);
}

INSTANTIATE_TEST_SUITE_P(OnceAndFromThenOn, JournalFaultTest, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "persistent" : "once"; });

}  // namespace
}  // namespace fcpgw::gateway::journal
