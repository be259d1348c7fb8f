// The durable commit ceiling of the disk the journal lives on, and how close the journal's append
// path gets to it:
//   BM_sqlite_commit/<rows>  rows of a ~3 KB message per COMMIT, straight SQLite on the journal's
//                            schema and settings (WAL, synchronous=FULL): 1 is one fsync per row.
//   BM_journal_append/<n>    n appenders, each waiting for its row to be durable before the next
//                            (as a sender waits for its ACK), through open_sqlite_journal.
// The files go in a fresh folder under $FCPGW_BENCH_DIR (default: the working directory), so run
// it from the disk you mean to measure: /tmp may be a RAM disk elsewhere. Results go in
// bench/README.md.
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <iterator>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "gateway/journal/sqlite_db.h"
#include "gateway/journal/sqlite_journal.h"

namespace {

namespace fs = std::filesystem;
namespace journal = fcpgw::gateway::journal;
namespace sqlite = fcpgw::gateway::journal::sqlite;

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

const std::string& message() {
  static const std::string raw = read_file(fs::path(FCPGW_BENCH_DATA_DIR) / "siu_s12_uk.hl7");
  return raw;
}

/// A fresh folder on the measured disk, removed at the end of the benchmark.
class Scratch {
 public:
  Scratch() {
    const char* base = std::getenv("FCPGW_BENCH_DIR");
    std::string tmpl = (fs::path(base != nullptr ? base : ".") / "journal-bench-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp " + tmpl);
    dir_ = tmpl;
  }
  ~Scratch() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string path() const { return (dir_ / "journal.db").string(); }

 private:
  fs::path dir_;
};

journal::Entry entry(std::uint64_t n) {
  journal::Entry e;
  e.listener = "mllp";
  e.peer = "127.0.0.1:40000";
  e.content_type = "er7";
  e.message_type = "SIU^S12";
  e.control_id = std::to_string(n);
  e.sending_facility = "Y00001";
  e.dedupe_key = "Y00001|" + e.control_id;
  e.ordering_key = "appt-" + std::to_string(n % 1000);
  e.answer_code = "AA";
  e.answer = "MSH|^~\\&|FCPGW|GW|EMIS|Y00001|20261125093000||ACK^S12^ACK|" + e.control_id +
             "|P|2.5.1\rMSA|AA|" + e.control_id + "\r";
  e.raw = message();
  return e;
}

void BM_sqlite_commit(benchmark::State& state) {
  const auto rows = static_cast<std::size_t>(state.range(0));
  Scratch scratch;
  journal::Error error;
  {
    // Creates the schema with the journal's own settings, then hands the file over.
    journal::SqliteOptions o;
    o.path = scratch.path();
    auto j = journal::open_sqlite_journal(o, error);
    if (!j) {
      state.SkipWithError(error.message.c_str());
      return;
    }
  }
  sqlite::Db db;
  sqlite::Stmt insert;
  if (!sqlite::open(scratch.path(), SQLITE_OPEN_READWRITE, db, error) ||
      !sqlite::exec(db.get(), "PRAGMA journal_mode = WAL", "wal", error) ||
      !sqlite::exec(db.get(), "PRAGMA synchronous = FULL", "sync", error) ||
      !insert.prepare(db.get(),
                      "INSERT INTO messages (received_at_ms, listener, peer, content_type, "
                      "message_type, control_id, sending_facility, dedupe_key, ordering_key, "
                      "state, answer_code, answer, raw) "
                      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'accepted', ?10, ?11, ?12)",
                      error)) {
    state.SkipWithError(error.message.c_str());
    return;
  }
  std::uint64_t n = 0;
  for (auto _ : state) {
    sqlite::Transaction tx(db.get());
    tx.begin();
    for (std::size_t i = 0; i < rows; ++i) {
      const journal::Entry e = entry(++n);
      sqlite::Use use(insert);
      insert.bind_int64(1, 1'800'000'000'000 + static_cast<std::int64_t>(n));
      insert.bind_text(2, e.listener);
      insert.bind_text(3, e.peer);
      insert.bind_text(4, e.content_type);
      insert.bind_text(5, e.message_type);
      insert.bind_text(6, e.control_id);
      insert.bind_text(7, e.sending_facility);
      insert.bind_text(8, e.dedupe_key);
      insert.bind_text(9, e.ordering_key);
      insert.bind_text(10, e.answer_code);
      insert.bind_blob(11, e.answer);
      insert.bind_blob(12, e.raw);
      if (insert.step() != SQLITE_DONE) {
        state.SkipWithError(sqlite3_errmsg(db.get()));
        return;
      }
    }
    if (tx.commit() != SQLITE_OK) {
      state.SkipWithError(sqlite3_errmsg(db.get()));
      return;
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(n));
  state.counters["rows_per_commit"] = static_cast<double>(rows);
}
BENCHMARK(BM_sqlite_commit)
    ->Arg(1)
    ->Arg(10)
    ->Arg(100)
    ->Arg(1000)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

void BM_journal_append(benchmark::State& state) {
  const auto appenders = static_cast<std::size_t>(state.range(0));
  constexpr std::size_t kPerAppender = 50;  // appends per appender per iteration
  Scratch scratch;
  journal::SqliteOptions o;
  o.path = scratch.path();
  std::atomic<std::uint64_t> rows_committed{0}, commits{0};
  o.on_commit = [&](std::size_t rows, std::chrono::microseconds, bool) {
    rows_committed += rows;
    ++commits;
  };
  journal::Error error;
  auto j = journal::open_sqlite_journal(o, error);
  if (!j) {
    state.SkipWithError(error.message.c_str());
    return;
  }
  std::atomic<std::uint64_t> next{0}, failed{0};
  for (auto _ : state) {
    std::vector<std::thread> threads;
    threads.reserve(appenders);
    for (std::size_t t = 0; t < appenders; ++t) {
      threads.emplace_back([&] {
        for (std::size_t i = 0; i < kPerAppender; ++i) {
          std::promise<bool> done;
          j->append(entry(++next),
                    [&](journal::AppendResult r) { done.set_value(r.ok.has_value()); });
          if (!done.get_future().get()) ++failed;
        }
      });
    }
    for (auto& t : threads) t.join();
  }
  j->close();
  if (failed != 0) state.SkipWithError("appends failed");
  state.SetItemsProcessed(static_cast<std::int64_t>(next.load()));
  state.counters["rows_per_commit"] =
      commits == 0 ? 0.0 : static_cast<double>(rows_committed) / static_cast<double>(commits);
}
BENCHMARK(BM_journal_append)
    ->Arg(1)
    ->Arg(4)
    ->Arg(16)
    ->Arg(64)
    ->Arg(256)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
