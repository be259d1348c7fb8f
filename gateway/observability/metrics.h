#pragma once
// Metrics in one registry per process, rendered as Prometheus text at /metrics. Each component
// declares its metrics in one place (a struct of references taken from the registry at
// start-up) and updates them lock-free on the data path.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fcpgw::gateway::observability {

/// Label pairs, e.g. {{"listener", "mllp"}, {"code", "AA"}}. Values are escaped on output.
using Labels = std::vector<std::pair<std::string, std::string>>;

class Counter {
 public:
  void inc(std::uint64_t n = 1) noexcept { v_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const noexcept { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> v_{0};
};

class Gauge {
 public:
  void set(std::int64_t v) noexcept { v_.store(v, std::memory_order_relaxed); }
  void add(std::int64_t d) noexcept { v_.fetch_add(d, std::memory_order_relaxed); }
  std::int64_t value() const noexcept { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::int64_t> v_{0};
};

/// Cumulative histogram with fixed upper bounds (in the metric's unit, e.g. seconds).
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void observe(double v) noexcept;
  std::span<const double> bounds() const noexcept { return bounds_; }
  /// Count of observations <= bounds()[i] (not cumulative); the last is +Inf.
  std::uint64_t bucket(std::size_t i) const noexcept;
  std::uint64_t count() const noexcept;
  double sum() const noexcept;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;
  std::atomic<std::uint64_t> count_{0};
  std::atomic<double> sum_{0};
};

/// Bucket bounds for latencies in seconds, 50 us .. 10 s.
std::vector<double> latency_buckets();

/// All metrics of the process. Getters return the same object for the same name + labels;
/// references stay valid for the registry's life. Thread-safe.
class Registry {
 public:
  Registry();
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  Counter& counter(std::string_view name, std::string_view help, Labels labels = {});
  Gauge& gauge(std::string_view name, std::string_view help, Labels labels = {});
  Histogram& histogram(std::string_view name, std::string_view help, std::vector<double> bounds,
                       Labels labels = {});
  /// A gauge computed when scraped (journal size, queue depth).
  void gauge_fn(std::string_view name, std::string_view help, std::function<double()> fn,
                Labels labels = {});

  /// Prometheus text exposition format 0.0.4.
  std::string render() const;

 private:
  struct Family;
  Family& family(std::string_view name, std::string_view help, char type);
  mutable std::mutex mu_;
  std::vector<std::unique_ptr<Family>> families_;
};

}  // namespace fcpgw::gateway::observability
