#include "gateway/delivery/dispatcher.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <ctime>
#include <deque>
#include <limits>
#include <random>
#include <thread>
#include <utility>

#include "gateway/observability/log.h"

namespace fcpgw::gateway::delivery {
namespace {

namespace obs = observability;
using journal::DeliveryState;

constexpr std::int64_t kNever = std::numeric_limits<std::int64_t>::max();

std::int64_t system_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A FHIR instant for the translation of FHIR -> v2 (MSH-7 when the resource has no time).
std::string fhir_instant(std::int64_t unix_ms) {
  const std::time_t secs = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S+00:00", &tm);
  return buf;
}

double random_unit() {
  thread_local std::mt19937_64 gen{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(gen);
}

}  // namespace

std::chrono::milliseconds backoff(const config::Retry& retry, std::int64_t attempts,
                                  double random) {
  const double initial = static_cast<double>(retry.initial.count());
  const double cap = static_cast<double>(retry.max.count());
  const double exponent = static_cast<double>(std::clamp<std::int64_t>(attempts - 1, 0, 62));
  const double full = std::min(cap, initial * std::pow(2.0, exponent));
  const double jittered = full * (0.5 + std::clamp(random, 0.0, 1.0) / 2.0);
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::max(1.0, jittered)));
}

// One destination: its feeder, its workers, the work claimed and not yet recorded.
struct Dispatcher::Lane : std::enable_shared_from_this<Dispatcher::Lane> {
  Lane(Dispatcher& owner, config::Destination c, std::unique_ptr<Destination> d)
      : dispatcher(owner), config(std::move(c)), destination(std::move(d)) {}

  Dispatcher& dispatcher;
  const config::Destination config;
  std::unique_ptr<Destination> destination;

  std::mutex m;
  std::condition_variable feed_cv, work_cv;
  std::deque<journal::Due> queue;
  std::vector<std::int64_t> in_flight;  // claimed, until its outcome is committed
  std::size_t recording = 0;             // of those, attempted and waiting for the commit
  bool wake = true;
  bool stopping = false;
  std::int64_t next_due_ms = kNever;  // earliest retry this lane scheduled
  std::vector<std::thread> threads;

  obs::Counter* delivered = nullptr;
  obs::Counter* retried = nullptr;
  obs::Counter* dead = nullptr;
  obs::Counter* attempts = nullptr;
  obs::Histogram* latency = nullptr;

  std::int64_t now() const {
    return dispatcher.options_.clock_ms ? dispatcher.options_.clock_ms() : system_ms();
  }
  // Claimed work queued or being attempted: enough to keep every worker busy.
  std::size_t capacity() const { return config.concurrency * 2; }
  // Claimed work in all, including attempts whose outcome waits for its journal commit: a
  // commit (an fsync) takes longer than a fast receiver's answer, so many wait at once and
  // share one commit.
  static constexpr std::size_t kMaxInFlight = 1024;
  // How many more may be claimed now.
  std::size_t room() const {
    const std::size_t busy = in_flight.size() - recording;
    if (busy >= capacity() || in_flight.size() >= kMaxInFlight) return 0;
    return std::min(capacity() - busy, kMaxInFlight - in_flight.size());
  }

  void feed();
  void work(std::size_t worker);
  void attempt(journal::Due& due, std::size_t worker);
  void finished(std::int64_t id, std::int64_t retry_at);
};

void Dispatcher::Lane::feed() {
  std::unique_lock lock(m);
  std::int64_t next_poll = 0;
  while (!stopping) {
    const std::int64_t t = now();
    // Claim in batches (when half the workers' share is free, or nothing is queued), so that
    // one query serves many deliveries.
    const std::size_t free = this->room();
    const bool room = free > 0 && (free >= config.concurrency || queue.empty());
    if (room && (wake || t >= next_poll || t >= next_due_ms)) {
      wake = false;
      if (t >= next_due_ms) next_due_ms = kNever;
      std::vector<std::int64_t> exclude = in_flight;
      std::sort(exclude.begin(), exclude.end());
      const std::size_t limit = free;
      lock.unlock();
      journal::Error error;
      std::vector<journal::Due> due =
          dispatcher.journal_.claim(config.name, t, limit, exclude, &error);
      lock.lock();
      if (!error.message.empty()) {
        obs::log(obs::Level::warn, "delivery.claim_failed",
                 {{"destination", config.name}, {"reason", error.message}});
      }
      for (journal::Due& d : due) {
        in_flight.push_back(d.id);
        queue.push_back(std::move(d));
      }
      if (!queue.empty()) work_cv.notify_all();
      next_poll = t + dispatcher.options_.poll.count();
      continue;
    }
    const std::int64_t until = std::min(room ? next_poll : kNever, next_due_ms);
    if (until == kNever) {
      feed_cv.wait(lock);
    } else {
      feed_cv.wait_for(lock, std::chrono::milliseconds(std::clamp<std::int64_t>(
                                 until - t, 1, dispatcher.options_.poll.count())));
    }
  }
}

void Dispatcher::Lane::work(std::size_t worker) {
  for (;;) {
    journal::Due due;
    {
      std::unique_lock lock(m);
      work_cv.wait(lock, [&] { return stopping || !queue.empty(); });
      if (stopping) return;
      due = std::move(queue.front());
      queue.pop_front();
    }
    attempt(due, worker);
  }
}

void Dispatcher::Lane::finished(std::int64_t id, std::int64_t retry_at) {
  {
    std::lock_guard lock(m);
    in_flight.erase(std::remove(in_flight.begin(), in_flight.end(), id), in_flight.end());
    --recording;
    if (retry_at != kNever) next_due_ms = std::min(next_due_ms, retry_at);
    wake = true;  // the next delivery of the key may be ready now
  }
  feed_cv.notify_one();
}

void Dispatcher::Lane::attempt(journal::Due& due, std::size_t worker) {
  const std::int64_t started = now();
  const auto clock = std::chrono::steady_clock::now();
  journal::Outcome o;
  o.delivery_id = due.id;
  o.started_ms = started;

  Payload p;
  p.delivery_id = due.id;
  p.message_id = due.message_id;
  p.message_type = due.message_type;
  p.control_id = due.control_id;
  p.attempt = static_cast<std::size_t>(due.attempts) + 1;
  Result r;
  bool translated = true;
  if (due.output_type.empty()) {
    service::TranslateRequest req;
    req.raw = due.raw;
    req.content_type = due.content_type;
    req.mapping = due.mapping;
    req.message_bundle = config.type == "fhir" && config.mode == "message";
    const std::string time = fhir_instant(started);
    req.message_time = time;
    service::Translated t = dispatcher.translator()->translate(req);
    if (t.ok) {
      p.body = t.output;
      p.content_type = t.content_type;
      o.output = std::move(t.output);
      o.output_type = std::move(t.content_type);
    } else {
      translated = false;
      r.kind = Result::Kind::permanent;
      r.code = "mapping";
      r.reason = "the message does not translate with the current mappings";
      r.response = std::move(t.problem);
    }
  } else {
    p.body = std::move(due.output);
    p.content_type = due.output_type;
  }
  if (translated) r = destination->deliver(p, worker);
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - clock);
  const std::int64_t ended = now();

  o.duration_ms = took.count();
  o.code = r.code;
  o.reason = r.reason;
  o.response = r.response.substr(0, dispatcher.options_.max_response_bytes);
  attempts->inc();
  std::string_view outcome;
  switch (r.kind) {
    case Result::Kind::delivered:
      o.state = DeliveryState::delivered;
      outcome = "delivered";
      break;
    case Result::Kind::permanent:
      o.state = DeliveryState::dead;
      outcome = "dead";
      break;
    case Result::Kind::transient: {
      const std::int64_t made = due.attempts + 1;
      const auto& retry = config.retry;
      const bool too_many = retry.max_attempts > 0 &&
                            made >= static_cast<std::int64_t>(retry.max_attempts);
      const std::int64_t age_ms =
          std::chrono::duration_cast<std::chrono::milliseconds>(retry.max_age).count();
      const bool too_old = age_ms > 0 && ended - due.budget_from_ms >= age_ms;
      if (too_many || too_old) {
        o.state = DeliveryState::dead;
        o.reason += too_many ? " (gave up after " + std::to_string(made) + " attempts)"
                             : " (gave up: older than retry.max_age_s)";
        outcome = "dead";
        break;
      }
      const double jitter =
          dispatcher.options_.random ? dispatcher.options_.random() : random_unit();
      auto wait = backoff(retry, made, jitter);
      if (r.retry_after) wait = std::max(wait, *r.retry_after);
      o.state = DeliveryState::ready;
      o.due_ms = ended + wait.count();
      outcome = "retry";
      break;
    }
  }
  (outcome == "delivered" ? delivered : outcome == "dead" ? dead : retried)->inc();
  if (outcome == "delivered") {
    latency->observe(static_cast<double>(ended - due.received_at_ms) / 1000.0);
  }
  obs::log(outcome == "dead" ? obs::Level::warn : obs::Level::info, "delivery",
           {{"destination", config.name},
            {"delivery_id", due.id},
            {"message_id", due.message_id},
            {"control_id", due.control_id},
            {"attempt", p.attempt},
            {"outcome", outcome},
            {"code", o.code},
            {"ms", o.duration_ms}});

  const std::int64_t retry_at = o.state == DeliveryState::ready ? o.due_ms : kNever;
  {
    std::lock_guard lock(m);
    ++recording;
  }
  feed_cv.notify_one();  // a worker's share is free: the feeder may claim more
  dispatcher.journal_.record(
      std::move(o), [lane = shared_from_this(), id = due.id, retry_at](
                        std::optional<journal::Error> error, std::int64_t) {
        if (error) {
          obs::log(obs::Level::error, "delivery.record_failed",
                   {{"destination", lane->config.name},
                    {"delivery_id", id},
                    {"reason", error->message}});
        }
        lane->finished(id, retry_at);
      });
}

Dispatcher::Dispatcher(journal::Journal& journal, observability::Registry& registry,
                       DispatcherOptions options)
    : journal_(journal), registry_(registry), options_(std::move(options)) {}

Dispatcher::~Dispatcher() { stop(); }

std::shared_ptr<const service::Translator> Dispatcher::translator() const {
  std::lock_guard lock(translator_mutex_);
  return translator_;
}

void Dispatcher::set_translator(std::shared_ptr<const service::Translator> translator) {
  std::lock_guard lock(translator_mutex_);
  translator_ = std::move(translator);
}

bool Dispatcher::start(const config::Delivery& delivery,
                       std::shared_ptr<const service::Translator> translator,
                       std::string& error) {
  set_translator(std::move(translator));
  std::vector<std::shared_ptr<Lane>> lanes;
  for (const config::Destination& c : delivery.destinations) {
    auto d = make_destination(c, error);
    if (!d) return false;
    auto lane = std::make_shared<Lane>(*this, c, std::move(d));
    const obs::Labels labels{{"destination", c.name}};
    const auto outcome = [&](const char* o) -> obs::Counter& {
      return registry_.counter("fcpgw_deliveries_total",
                               "Delivery attempts by destination and outcome (delivered, retry, "
                               "dead).",
                               {{"destination", c.name}, {"outcome", o}});
    };
    lane->delivered = &outcome("delivered");
    lane->retried = &outcome("retry");
    lane->dead = &outcome("dead");
    lane->attempts =
        &registry_.counter("fcpgw_delivery_attempts_total", "Attempts made, by destination.",
                           labels);
    lane->latency = &registry_.histogram(
        "fcpgw_delivery_latency_seconds",
        "From receipt to the receiver's acceptance, by destination.",
        {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600}, labels);
    lanes.push_back(std::move(lane));
  }
  lanes_ = std::move(lanes);
  for (const auto& lane : lanes_) {
    lane->threads.emplace_back([lane] { lane->feed(); });
    for (std::size_t i = 0; i < lane->config.concurrency; ++i) {
      lane->threads.emplace_back([lane, i] { lane->work(i); });
    }
  }
  return true;
}

void Dispatcher::notify() noexcept {
  for (const auto& lane : lanes_) {
    {
      std::lock_guard lock(lane->m);
      lane->wake = true;
    }
    lane->feed_cv.notify_one();
  }
}

void Dispatcher::stop() {
  for (const auto& lane : lanes_) {
    {
      std::lock_guard lock(lane->m);
      lane->stopping = true;
    }
    lane->feed_cv.notify_all();
    lane->work_cv.notify_all();
  }
  for (const auto& lane : lanes_) {
    for (std::thread& t : lane->threads) {
      if (t.joinable()) t.join();
    }
    lane->threads.clear();
    lane->destination->close();
  }
}

}  // namespace fcpgw::gateway::delivery
