// The journal killed mid-commit: a child process appends from several threads and reports each
// acknowledged message over a pipe; the parent kills it with SIGKILL at a different moment each
// round, reopens the file and checks that it is sound and that every acknowledged message is
// there exactly once. Its own executable (label reliability): fork() wants a process without
// other threads.

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <future>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "gateway/journal/sqlite_journal.h"

namespace fcpgw::gateway::journal {
namespace {

constexpr int kAppenders = 8;

Entry entry(std::uint32_t n) {
  Entry e;
  e.listener = "mllp";
  e.content_type = "er7";
  e.control_id = std::to_string(n);
  e.dedupe_key = "C|" + e.control_id;
  e.answer_code = "AA";
  e.raw = std::string(1500 + n % 1000, static_cast<char>('a' + n % 26));
  return e;
}

/// The child: appends for ever, writing the number of each acknowledged message to `fd`.
[[noreturn]] void run_child(const std::string& path, int fd) {
  SqliteOptions o;
  o.path = path;
  Error error;
  auto j = open_sqlite_journal(o, error);
  if (!j) ::_exit(2);
  std::atomic<std::uint32_t> next{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kAppenders; ++t) {
    threads.emplace_back([&] {
      for (;;) {
        const std::uint32_t n = ++next;
        std::promise<bool> done;
        j->append(entry(n), [&](AppendResult r) { done.set_value(r.ok.has_value()); });
        if (!done.get_future().get()) ::_exit(3);
        // After the handler: the row is durable. 4 bytes: one atomic pipe write.
        if (::write(fd, &n, sizeof n) != sizeof n) ::_exit(4);
      }
    });
  }
  for (auto& t : threads) t.join();
  ::_exit(0);
}

class JournalCrashTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "fcpgw-journal-crash-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(JournalCrashTest, EveryAcknowledgedMessageSurvivesSigkill) {
  // Kill points, in acknowledged messages; each round has a file of its own.
  for (const std::size_t kill_after : {1, 7, 40, 150, 600}) {
    SCOPED_TRACE("kill after " + std::to_string(kill_after) + " acks");
    const std::string round_path =
        (dir_ / ("round-" + std::to_string(kill_after) + ".db")).string();
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      ::close(fds[0]);
      run_child(round_path, fds[1]);
    }
    ::close(fds[1]);
    std::vector<std::uint32_t> acked;
    std::uint32_t n = 0;
    bool killed = false;
    while (::read(fds[0], &n, sizeof n) == sizeof n) {
      acked.push_back(n);
      if (!killed && acked.size() >= kill_after) {
        ::kill(child, SIGKILL);
        killed = true;
      }
    }
    ::close(fds[0]);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status)) << "child exited with " << WEXITSTATUS(status);
    ASSERT_GE(acked.size(), kill_after);

    std::string report;
    EXPECT_TRUE(check_integrity(round_path, report)) << report;
    SqliteOptions o;
    o.path = round_path;
    Error error;
    auto j = open_sqlite_journal(o, error);
    ASSERT_TRUE(j) << error.message;
    std::map<std::string, int> stored;
    Filter page;
    page.limit = 1000;
    for (;;) {
      const auto rows = j->list(page, &error);
      if (rows.empty()) break;
      for (const auto& s : rows) ++stored[s.control_id];
      page.after_id = rows.back().id;
    }
    for (std::uint32_t id : acked) EXPECT_EQ(stored[std::to_string(id)], 1) << id;
    for (const auto& [id, count] : stored) EXPECT_EQ(count, 1) << id;
    EXPECT_GE(static_cast<std::size_t>(j->stats().messages), acked.size());
    j->close();
    EXPECT_TRUE(check_integrity(round_path, report)) << report;
  }
}

}  // namespace
}  // namespace fcpgw::gateway::journal
