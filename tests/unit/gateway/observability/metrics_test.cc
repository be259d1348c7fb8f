#include "gateway/observability/metrics.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace fcpgw::gateway::observability {
namespace {

TEST(Metrics, SameNameAndLabelsGiveTheSameCounter) {
  Registry r;
  Counter& a = r.counter("fcpgw_x_total", "x", {{"listener", "mllp"}});
  Counter& b = r.counter("fcpgw_x_total", "x", {{"listener", "mllp"}});
  Counter& c = r.counter("fcpgw_x_total", "x", {{"listener", "http"}});
  EXPECT_EQ(&a, &b);
  EXPECT_NE(&a, &c);
}

TEST(Metrics, RendersPrometheusText) {
  Registry r;
  r.counter("fcpgw_messages_total", "Messages.", {{"listener", "mllp"}, {"code", "AA"}}).inc(3);
  r.gauge("fcpgw_open_connections", "Open.").set(2);
  r.gauge_fn("fcpgw_journal_bytes", "Size.", [] { return 4096.0; });
  Histogram& h = r.histogram("fcpgw_commit_seconds", "Latency.", {0.001, 0.01});
  h.observe(0.0005);
  h.observe(0.005);
  h.observe(1);
  const std::string text = r.render();
  EXPECT_NE(text.find("# TYPE fcpgw_messages_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("fcpgw_messages_total{listener=\"mllp\",code=\"AA\"} 3\n"),
            std::string::npos);
  EXPECT_NE(text.find("fcpgw_open_connections 2\n"), std::string::npos);
  EXPECT_NE(text.find("fcpgw_journal_bytes 4096\n"), std::string::npos);
  EXPECT_NE(text.find("fcpgw_commit_seconds_bucket{le=\"0.001\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("fcpgw_commit_seconds_bucket{le=\"0.01\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("fcpgw_commit_seconds_bucket{le=\"+Inf\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("fcpgw_commit_seconds_count 3\n"), std::string::npos);
}

TEST(Metrics, LabelValuesAreEscaped) {
  Registry r;
  r.counter("c_total", "c", {{"peer", "a\"b\\c\nd"}}).inc();
  EXPECT_NE(r.render().find("c_total{peer=\"a\\\"b\\\\c\\nd\"} 1"), std::string::npos);
}

TEST(Metrics, CountersAreExactUnderConcurrency) {
  Registry r;
  Counter& c = r.counter("n_total", "n");
  Histogram& h = r.histogram("h_seconds", "h", latency_buckets());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        c.inc();
        h.observe(0.001);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(c.value(), 40000u);
  EXPECT_EQ(h.count(), 40000u);
  EXPECT_NEAR(h.sum(), 40.0, 1e-6);
}

}  // namespace
}  // namespace fcpgw::gateway::observability
