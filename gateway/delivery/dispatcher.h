#pragma once
// The dispatcher: takes due deliveries from the journal, translates them (once: the output is
// stored with the first attempt, so that a retry sends the same bytes), hands them to their
// destination and records each attempt. One lane per destination: a feeder thread claims work
// and `concurrency` worker threads make the attempts. Order per key comes from the journal,
// which makes only the first open delivery of a key ready; a key that fails waits alone.
//
// Retries: transient failures wait initial * 2^(n-1), capped at max, with jitter (a random
// point in the upper half), and at least the receiver's Retry-After; after max_attempts or
// max_age the delivery goes to the dead letter, as do permanent failures and messages that no
// longer translate.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "gateway/config/sections.h"
#include "gateway/delivery/destination.h"
#include "gateway/journal/journal.h"
#include "gateway/observability/metrics.h"
#include "gateway/service/translate.h"

namespace fcpgw::gateway::delivery {

struct DispatcherOptions {
  /// How often a lane looks for work that others made due (an operator's retry from
  /// `fcpgw journal` in another process); new deliveries from this process wake it at once.
  std::chrono::milliseconds poll{500};
  /// Unix time in milliseconds; the system clock when empty.
  std::function<std::int64_t()> clock_ms;
  /// A number in [0, 1) for the jitter; a random one when empty.
  std::function<double()> random;
  /// Longest receiver answer kept with an attempt.
  std::size_t max_response_bytes = 64 * 1024;
};

/// When the next attempt after `attempts` failed ones may start, before Retry-After:
/// initial * 2^(attempts-1) capped at max, times (0.5 + random / 2).
std::chrono::milliseconds backoff(const config::Retry& retry, std::int64_t attempts,
                                  double random);

class Dispatcher {
 public:
  Dispatcher(journal::Journal& journal, observability::Registry& registry,
             DispatcherOptions options = {});
  ~Dispatcher();
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  /// Makes every destination of `delivery` and starts its lane. False and `error` (naming the
  /// destination) when one cannot be made; nothing is started then.
  bool start(const config::Delivery& delivery,
             std::shared_ptr<const service::Translator> translator, std::string& error);
  /// Attempts that start from now on translate with `translator` (a reload).
  void set_translator(std::shared_ptr<const service::Translator> translator);
  /// New deliveries were committed: look for work now. Cheap; callable from any thread.
  void notify() noexcept;
  /// Stops claiming, lets the attempts in flight finish (each bounded by its destination's
  /// timeouts) and joins the threads. What was not attempted stays ready in the journal.
  void stop();

  struct Lane;

 private:
  std::shared_ptr<const service::Translator> translator() const;

  journal::Journal& journal_;
  observability::Registry& registry_;
  DispatcherOptions options_;
  mutable std::mutex translator_mutex_;
  std::shared_ptr<const service::Translator> translator_;
  std::vector<std::shared_ptr<Lane>> lanes_;
};

}  // namespace fcpgw::gateway::delivery
