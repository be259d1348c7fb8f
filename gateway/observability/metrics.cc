#include "gateway/observability/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <deque>

namespace fcpgw::gateway::observability {

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)),
      buckets_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1)) {
  std::sort(bounds_.begin(), bounds_.end());
}

void Histogram::observe(double v) noexcept {
  const auto it = std::lower_bound(bounds_.begin(), bounds_.end(), v);
  buckets_[static_cast<std::size_t>(it - bounds_.begin())].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  double s = sum_.load(std::memory_order_relaxed);
  while (!sum_.compare_exchange_weak(s, s + v, std::memory_order_relaxed)) {
  }
}

std::uint64_t Histogram::bucket(std::size_t i) const noexcept {
  return i <= bounds_.size() ? buckets_[i].load(std::memory_order_relaxed) : 0;
}
std::uint64_t Histogram::count() const noexcept { return count_.load(std::memory_order_relaxed); }
double Histogram::sum() const noexcept { return sum_.load(std::memory_order_relaxed); }

std::vector<double> latency_buckets() {
  return {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
          0.05,    0.1,    0.25,    0.5,    1,     2.5,    5,     10};
}

struct Registry::Family {
  std::string name;
  std::string help;
  char type = 'c';  // c counter, g gauge, h histogram
  struct Series {
    Labels labels;
    std::unique_ptr<Counter> counter;
    std::unique_ptr<Gauge> gauge;
    std::unique_ptr<Histogram> histogram;
    std::function<double()> fn;
  };
  std::deque<Series> series;

  Series* find(const Labels& labels) {
    for (Series& s : series)
      if (s.labels == labels) return &s;
    return nullptr;
  }
};

Registry::Registry() = default;
Registry::~Registry() = default;

Registry::Family& Registry::family(std::string_view name, std::string_view help, char type) {
  for (auto& f : families_)
    if (f->name == name) return *f;
  Family& f = *families_.emplace_back(std::make_unique<Family>());
  f.name = name;
  f.help = help;
  f.type = type;
  return f;
}

Counter& Registry::counter(std::string_view name, std::string_view help, Labels labels) {
  std::lock_guard lock(mu_);
  Family& f = family(name, help, 'c');
  if (auto* s = f.find(labels)) return *s->counter;
  auto& s = f.series.emplace_back();
  s.labels = std::move(labels);
  s.counter = std::make_unique<Counter>();
  return *s.counter;
}

Gauge& Registry::gauge(std::string_view name, std::string_view help, Labels labels) {
  std::lock_guard lock(mu_);
  Family& f = family(name, help, 'g');
  if (auto* s = f.find(labels); s != nullptr && s->gauge) return *s->gauge;
  auto& s = f.series.emplace_back();
  s.labels = std::move(labels);
  s.gauge = std::make_unique<Gauge>();
  return *s.gauge;
}

Histogram& Registry::histogram(std::string_view name, std::string_view help,
                               std::vector<double> bounds, Labels labels) {
  std::lock_guard lock(mu_);
  Family& f = family(name, help, 'h');
  if (auto* s = f.find(labels)) return *s->histogram;
  auto& s = f.series.emplace_back();
  s.labels = std::move(labels);
  s.histogram = std::make_unique<Histogram>(std::move(bounds));
  return *s.histogram;
}

void Registry::gauge_fn(std::string_view name, std::string_view help, std::function<double()> fn,
                        Labels labels) {
  std::lock_guard lock(mu_);
  Family& f = family(name, help, 'g');
  if (auto* s = f.find(labels)) {
    s->fn = std::move(fn);
    return;
  }
  auto& s = f.series.emplace_back();
  s.labels = std::move(labels);
  s.fn = std::move(fn);
}

namespace {

void escape_label(std::string& out, std::string_view v) {
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

void labels_text(std::string& out, const Labels& labels, std::string_view extra_key = {},
                 std::string_view extra_value = {}) {
  if (labels.empty() && extra_key.empty()) return;
  out += '{';
  bool first = true;
  for (const auto& [k, v] : labels) {
    if (!first) out += ',';
    first = false;
    out += k;
    out += "=\"";
    escape_label(out, v);
    out += '"';
  }
  if (!extra_key.empty()) {
    if (!first) out += ',';
    out += extra_key;
    out += "=\"";
    out += extra_value;
    out += '"';
  }
  out += '}';
}

std::string number(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (std::isnan(v)) return "NaN";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

}  // namespace

std::string Registry::render() const {
  std::lock_guard lock(mu_);
  std::string out;
  out.reserve(4096);
  for (const auto& family : families_) {
    const Family& f = *family;
    out += "# HELP " + f.name + ' ' + f.help + '\n';
    out += "# TYPE " + f.name + ' ' +
           (f.type == 'c'   ? "counter"
            : f.type == 'g' ? "gauge"
                            : "histogram") +
           '\n';
    for (const Family::Series& s : f.series) {
      if (s.histogram) {
        const Histogram& h = *s.histogram;
        std::uint64_t cumulative = 0;
        for (std::size_t i = 0; i <= h.bounds().size(); ++i) {
          cumulative += h.bucket(i);
          out += f.name + "_bucket";
          labels_text(out, s.labels, "le",
                      i < h.bounds().size() ? number(h.bounds()[i]) : std::string("+Inf"));
          out += ' ' + std::to_string(cumulative) + '\n';
        }
        out += f.name + "_sum";
        labels_text(out, s.labels);
        out += ' ' + number(h.sum()) + '\n';
        out += f.name + "_count";
        labels_text(out, s.labels);
        out += ' ' + std::to_string(h.count()) + '\n';
        continue;
      }
      out += f.name;
      labels_text(out, s.labels);
      out += ' ';
      if (s.counter) {
        out += std::to_string(s.counter->value());
      } else if (s.gauge) {
        out += std::to_string(s.gauge->value());
      } else if (s.fn) {
        out += number(s.fn());
      }
      out += '\n';
    }
  }
  return out;
}

}  // namespace fcpgw::gateway::observability
