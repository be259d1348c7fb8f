#pragma once
// The Intake the listeners use in `fcpgw serve`: the service's accept stage, then the journal,
// then the answer. A message is answered only after the transaction holding it has committed;
// a resend of one already journaled is answered with the original answer and not kept twice;
// a commit that fails gets the accept stage's failure answer (AE/CE 207, HTTP 503).

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "gateway/journal/journal.h"
#include "gateway/observability/metrics.h"
#include "gateway/service/accept.h"
#include "gateway/service/intake.h"

namespace fcpgw::gateway::app {

class JournaledIntake final : public service::Intake {
 public:
  /// `clock_ms` gives Unix milliseconds (tests pass their own). `on_routed` runs after a
  /// commit that created deliveries (the dispatcher's wake-up).
  JournaledIntake(std::shared_ptr<const service::Acceptor> acceptor, journal::Journal& journal,
                  observability::Registry& metrics, std::function<std::int64_t()> clock_ms = {},
                  std::function<void()> on_routed = {});

  /// Messages accepted from now on use `acceptor` (a reload of mappings and routes).
  void set_acceptor(std::shared_ptr<const service::Acceptor> acceptor);

  void submit(service::Inbound in, service::AnswerHandler done) override;
  std::optional<service::Answer> status(std::int64_t id) override;
  std::string capability_statement() const override;
  bool ready(std::string& why) const override;

 private:
  struct Metrics;
  /// Where a message came from, for its log line and metrics.
  struct Origin {
    std::string listener;
    std::uint64_t connection = 0;
    service::Inbound::Kind kind = service::Inbound::Kind::v2;
  };
  std::shared_ptr<const service::Acceptor> acceptor() const;
  std::string next_ack_id(std::int64_t now);
  /// An HL7 batch: each message decided alone, all journaled in one transaction, answered by
  /// a batch (service/batch.h).
  void submit_batch(service::Inbound in, service::AnswerHandler done);
  /// The journal entry for `in` as `d` decided (takes the body); counts it as received.
  journal::Entry make_entry(service::Inbound& in, service::Decision& d, std::int64_t now);
  /// The answer once the journal has answered `r`; logs and counts the outcome.
  service::Answer settle(service::Decision& d, const journal::AppendResult& r,
                         const Origin& from);

  mutable std::mutex acceptor_mutex_;
  std::shared_ptr<const service::Acceptor> acceptor_;
  journal::Journal& journal_;
  observability::Registry& registry_;
  std::function<std::int64_t()> clock_ms_;
  std::function<void()> on_routed_;
  std::atomic<std::uint64_t> sequence_{0};
};

}  // namespace fcpgw::gateway::app
