#include "gateway/app/serve.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <malloc.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "gateway/app/admin.h"
#include "gateway/app/intake.h"
#include "gateway/app/reload.h"
#include "gateway/delivery/dispatcher.h"
#include "gateway/http/server.h"
#include "gateway/journal/sqlite_journal.h"
#include "gateway/mllp/server.h"
#include "gateway/net/allow_list.h"
#include "gateway/net/tls.h"
#include "gateway/observability/log.h"
#include "gateway/observability/metrics.h"
#include "gateway/service/accept.h"
#include "gateway/service/limits.h"
#include "gateway/service/mapping_files.h"

namespace fcpgw::gateway::app {

namespace {

namespace asio = boost::asio;
namespace obs = observability;
using namespace std::chrono_literals;

// How long a stop waits for connections to finish what they are doing before closing them.
constexpr auto kDrainDeadline = 10s;

std::string endpoint_text(const asio::ip::tcp::endpoint& e) {
  const auto a = e.address();
  return (a.is_v6() ? "[" + a.to_string() + "]" : a.to_string()) + ":" + std::to_string(e.port());
}

journal::SqliteOptions journal_options(const config::Journal& j, obs::Registry& registry) {
  journal::SqliteOptions o;
  o.path = std::filesystem::absolute(j.path).lexically_normal().string();
  o.group_max_messages = j.group_max_messages;
  o.group_max_wait = j.group_max_wait;
  o.duplicate_window = j.duplicate_window;
  o.retention = j.retention;
  o.max_bytes = j.max_bytes;
  obs::Histogram& latency = registry.histogram(
      "fcpgw_journal_commit_seconds", "Time of one journal group commit, fsync included.",
      obs::latency_buckets());
  obs::Histogram& group = registry.histogram("fcpgw_journal_group_size",
                                             "Messages per journal group commit.",
                                             {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000});
  obs::Counter& failed = registry.counter("fcpgw_journal_commit_failures_total",
                                          "Journal group commits that failed (disk full, I/O).");
  o.on_commit = [&latency, &group, &failed](std::size_t rows, std::chrono::microseconds took,
                                            bool ok) {
    latency.observe(static_cast<double>(took.count()) / 1e6);
    group.observe(static_cast<double>(rows));
    if (!ok) failed.inc();
  };
  obs::Counter& pruned =
      registry.counter("fcpgw_journal_pruned_total", "Finished messages removed by retention.");
  o.on_prune = [&pruned](std::size_t rows) { pruned.inc(rows); };
  return o;
}

}  // namespace

int serve(const Config& config, std::ostream& out, std::ostream& err) {
  // glibc gives the free top of a thread's heap back to the kernel (madvise) once 128 KiB of it
  // is free, and grows it again on the next allocation; SQLite's statement journals free about
  // that much on every write, so the journal writer paid two system calls per statement. A
  // long-running server keeps up to 64 MiB per heap instead (the delivery drain used half the
  // CPU per delivery after this; bench/README.md).
  mallopt(M_TRIM_THRESHOLD, 64 << 20);
  obs::Level level = obs::Level::info;
  obs::parse_log_level(config.log.level, level);
  obs::set_log_level(level);
  std::signal(SIGPIPE, SIG_IGN);

  std::vector<std::string> problems;
  bool environment = false;
  auto stages = build_stages(config, problems, &environment);
  if (!stages) {
    for (const std::string& line : problems) err << "fcpgw: " << line << '\n';
    return environment ? 3 : 2;
  }

  obs::Registry registry;
  journal::Error journal_error;
  const journal::SqliteOptions options = journal_options(config.journal, registry);
  std::unique_ptr<journal::Journal> journal = journal::open_sqlite_journal(options, journal_error);
  if (!journal) {
    err << "fcpgw: journal " << options.path << ": " << journal_error.message << '\n';
    return 3;
  }
  // The journal's counts behind the gauges: each counts every open delivery, and a scrape reads
  // several gauges, so one query serves them all, at most once a second. Counted per gauge and
  // per scrape, a large backlog made every scrape hold the journal's reader for a long time,
  // and the dispatcher's claims waited behind it.
  const auto stats = [&journal, mutex = std::make_shared<std::mutex>(),
                      cache = std::make_shared<std::pair<std::chrono::steady_clock::time_point,
                                                         journal::Stats>>()] {
    std::lock_guard lock(*mutex);
    const auto now = std::chrono::steady_clock::now();
    if (cache->first == std::chrono::steady_clock::time_point{} ||
        now - cache->first >= std::chrono::seconds(1)) {
      cache->second = journal->stats();
      cache->first = now;
    }
    return cache->second;
  };
  registry.gauge_fn("fcpgw_journal_bytes", "Size of the journal on disk (database and WAL).",
                    [stats] { return static_cast<double>(stats().file_bytes); });
  registry.gauge_fn("fcpgw_journal_writable", "1 when the last journal write succeeded.",
                    [&journal] { return journal->writable() ? 1.0 : 0.0; });
  delivery::Dispatcher dispatcher(*journal, registry);
  if (std::string e; !dispatcher.start(config.delivery, stages->translator, e)) {
    err << "fcpgw: " << e << '\n';
    journal->close();
    return 3;
  }
  registry.gauge_fn("fcpgw_delivery_dead", "Deliveries in the dead letter.", [stats] {
    double n = 0;
    for (const journal::DeliveryCount& c : stats().deliveries) {
      if (c.state == journal::DeliveryState::dead) n += static_cast<double>(c.count);
    }
    return n;
  });
  for (const config::Destination& d : config.delivery.destinations) {
    const auto open_of = [stats, name = d.name](bool oldest) {
      double count = 0, first = 0;
      for (const journal::DeliveryCount& c : stats().deliveries) {
        if (c.destination != name || c.state == journal::DeliveryState::dead) continue;
        count += static_cast<double>(c.count);
        const auto t = static_cast<double>(c.oldest_received_ms);
        if (first == 0 || t < first) first = t;
      }
      if (!oldest) return count;
      if (first == 0) return 0.0;
      const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
      return std::max(0.0, (static_cast<double>(now) - first) / 1000.0);
    };
    registry.gauge_fn("fcpgw_delivery_queue_depth",
                      "Deliveries waiting or ready (not yet delivered), by destination.",
                      [open_of] { return open_of(false); }, {{"destination", d.name}});
    registry.gauge_fn("fcpgw_delivery_oldest_age_seconds",
                      "Age of the oldest message with an open delivery, by destination.",
                      [open_of] { return open_of(true); }, {{"destination", d.name}});
    obs::log(obs::Level::info, "delivery.destination",
             {{"destination", d.name}, {"type", d.type}, {"concurrency", d.concurrency}});
  }
  JournaledIntake intake(stages->acceptor, *journal, registry, {},
                         [&dispatcher] { dispatcher.notify(); });
  Reloader reloader(config, [&](const Stages& s) {
    intake.set_acceptor(s.acceptor);
    dispatcher.set_translator(s.translator);
  });
  AdminApi admin(
      *journal, [&reloader] { return reloader.reload(); }, [&dispatcher] { dispatcher.notify(); });

  asio::io_context ioc;
  std::optional<mllp::MllpServer> mllp_server;
  std::optional<http::HttpServer> http_server;
  std::string ready = "fcpgw: ready: ";
  auto fail = [&](const std::string& what) {
    err << "fcpgw: " << what << '\n';
    obs::log(obs::Level::error, "serve.start_failed", {{"reason", what}});
    if (mllp_server) mllp_server->stop();
    if (http_server) http_server->stop();
    ioc.run();  // let the stopped listeners finish closing
    admin.stop();
    dispatcher.stop();
    journal->close();
    return 3;
  };

  if (config.mllp.listener.enabled) {
    mllp_server.emplace(ioc, config.mllp, intake, registry);
    if (std::string e; !mllp_server->start(e)) return fail(e);
    ready += std::string(config.mllp.listener.tls.enabled ? "mllp+tls " : "mllp ") +
             endpoint_text(mllp_server->local_endpoint()) + ", ";
  }
  if (config.http.listener.enabled) {
    std::shared_ptr<asio::ssl::context> tls;
    if (config.http.listener.tls.enabled) {
      std::string e;
      auto ctx = net::make_server_context(config.http.listener.tls, e);
      if (!ctx) return fail("listeners.http.tls: " + e);
      tls = std::make_shared<asio::ssl::context>(std::move(*ctx));
    }
    std::string e;
    auto allow = net::AllowList::parse(config.http.listener.allow, e);
    if (!allow) return fail("listeners.http.allow: " + e);
    http_server.emplace(
        ioc, config.http, intake, registry, tls,
        [allow = *allow](const asio::ip::address& a) { return allow.allows(a); }, &admin);
    if (auto problem = http_server->start(); !problem.empty()) return fail(problem);
    ready += std::string(tls ? "http+tls " : "http ") +
             endpoint_text(http_server->local_endpoint()) + ", ";
  }
  ready += "journal " + options.path;
  out << ready << std::endl;
  obs::log(obs::Level::info, "serve.ready", {{"listening", ready.substr(14)}});

  // SIGHUP: reload mappings and routes (on the admin thread: loading takes a while), keeping
  // every connection; a set with errors is refused and the running one stays.
  asio::signal_set hangup(ioc, SIGHUP);
  std::function<void(const boost::system::error_code&, int)> on_hangup =
      [&](const boost::system::error_code& ec, int) {
        if (ec) return;
        admin.handle({"POST", "reload", ""}, [](service::Answer) {});
        hangup.async_wait(on_hangup);
      };
  hangup.async_wait(on_hangup);

  // Stop: no new connections; what is in flight is answered; then everything closes.
  asio::signal_set signals(ioc, SIGINT, SIGTERM);
  asio::steady_timer drain_timer(ioc);
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> draining;
  signals.async_wait([&](const boost::system::error_code& ec, int signo) {
    if (ec) return;
    obs::log(obs::Level::info, "serve.stopping", {{"signal", signo}});
    draining.emplace(ioc.get_executor());
    hangup.cancel();
    if (mllp_server) mllp_server->stop();
    if (http_server) http_server->stop();
    const auto deadline = std::chrono::steady_clock::now() + kDrainDeadline;
    // The sessions hold no asio work while their message waits for the journal: keep the
    // io_context running until every connection has closed, or the deadline.
    auto poll = std::make_shared<std::function<void()>>();
    *poll = [&, deadline, poll] {
      const std::size_t open = (mllp_server ? mllp_server->open_connections() : 0) +
                               (http_server ? http_server->open_connections() : 0);
      if (open == 0 || std::chrono::steady_clock::now() >= deadline) {
        if (open != 0) {
          obs::log(obs::Level::warn, "serve.drain_deadline", {{"open_connections", open}});
        }
        draining.reset();
        ioc.stop();
        return;
      }
      drain_timer.expires_after(20ms);
      drain_timer.async_wait([poll](const boost::system::error_code& e) {
        if (!e) (*poll)();
      });
    };
    (*poll)();
  });

  const unsigned n = std::max(2u, std::thread::hardware_concurrency());
  std::vector<std::thread> threads;
  for (unsigned i = 1; i < n; ++i) threads.emplace_back([&ioc] { ioc.run(); });
  ioc.run();
  for (std::thread& t : threads) t.join();

  admin.stop();
  dispatcher.stop();
  journal->close();
  obs::log(obs::Level::info, "serve.stopped", {});
  return 0;
}

}  // namespace fcpgw::gateway::app
