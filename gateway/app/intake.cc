#include "gateway/app/intake.h"

#include <chrono>
#include <charconv>
#include <utility>

#include "gateway/observability/log.h"

namespace fcpgw::gateway::app {

namespace {

namespace obs = observability;

std::int64_t system_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string_view kind_label(service::Inbound::Kind k) {
  return k == service::Inbound::Kind::v2 ? "v2" : "fhir";
}

bool over_http(const service::Answer& a) { return a.status != 0; }

// What the journal keeps as the answer: the ACKs for MLLP, the body for HTTP (with the status
// as the answer code, so that a resend gets the same status).
std::string stored_code(const service::Answer& a) {
  return over_http(a) ? std::to_string(a.status) : a.code;
}
std::string stored_answer(const service::Answer& a) {
  return over_http(a) ? a.body : service::join_acks(a.acks);
}

void set_location(service::Answer& a, std::int64_t id) {
  if (a.status == 202) a.headers.emplace_back("Content-Location", "/journal/" + std::to_string(id));
}

}  // namespace

JournaledIntake::JournaledIntake(std::shared_ptr<const service::Acceptor> acceptor,
                                 journal::Journal& journal, observability::Registry& metrics,
                                 std::function<std::int64_t()> clock_ms,
                                 std::function<void()> on_routed)
    : acceptor_(std::move(acceptor)),
      journal_(journal),
      registry_(metrics),
      clock_ms_(clock_ms ? std::move(clock_ms) : system_ms),
      on_routed_(std::move(on_routed)) {}

std::shared_ptr<const service::Acceptor> JournaledIntake::acceptor() const {
  std::lock_guard lock(acceptor_mutex_);
  return acceptor_;
}

void JournaledIntake::set_acceptor(std::shared_ptr<const service::Acceptor> acceptor) {
  std::lock_guard lock(acceptor_mutex_);
  acceptor_ = std::move(acceptor);
}

void JournaledIntake::submit(service::Inbound in, service::AnswerHandler done) {
  const std::int64_t now = clock_ms_();
  // The ACK's own MSH-10: unique within this process and across restarts (time + sequence).
  const std::string ack_id = "FCPGW" + std::to_string(now) + "." +
                             std::to_string(sequence_.fetch_add(1, std::memory_order_relaxed));
  service::Decision d = acceptor()->accept(in, service::hl7_timestamp(now), ack_id);

  const std::string listener = in.listener;
  const std::string kind(kind_label(in.kind));
  registry_.counter("fcpgw_messages_received_total", "Messages received, by listener and kind.",
                    {{"listener", listener}, {"kind", kind}})
      .inc();

  journal::Entry e;
  e.listener = in.listener;
  e.peer = in.peer;
  e.content_type = d.content_type;
  e.message_type = d.message_type;
  e.control_id = d.control_id;
  e.sending_facility = d.sending_facility;
  e.dedupe_key = d.dedupe_key;
  e.ordering_key = d.ordering_key;
  e.state = d.rejected ? journal::State::rejected : journal::State::accepted;
  e.answer_code = stored_code(d.answer);
  e.answer = stored_answer(d.answer);
  e.raw = std::move(in.body);
  e.received_at_ms = now;
  if (!d.rejected) {
    for (service::Target& t : d.targets) {
      e.deliveries.push_back({std::move(t.destination), std::move(t.route), std::move(t.mapping),
                              t.hold_on_dead});
    }
  }
  const bool routed = !e.deliveries.empty();

  const std::uint64_t connection = in.connection;
  const bool http = over_http(d.answer);
  const service::Inbound::Kind in_kind = in.kind;
  journal_.append(
      std::move(e), [this, d = std::move(d), done = std::move(done), listener, kind, connection,
                     http, in_kind, routed](journal::AppendResult r) mutable {
        if (r.ok && !r.ok->duplicate && routed && on_routed_) on_routed_();
        service::Answer answer;
        std::string_view outcome;
        if (r.ok) {
          if (r.ok->duplicate) {
            // The original answer, byte for byte.
            answer.code = r.ok->answer_code;
            if (http) {
              unsigned status = 0;
              std::from_chars(r.ok->answer_code.data(),
                              r.ok->answer_code.data() + r.ok->answer_code.size(), status);
              answer.status = status != 0 ? status : 200;
              answer.content_type = in_kind == service::Inbound::Kind::v2
                                        ? "x-application/hl7-v2+er7"
                                        : "application/fhir+json";
              answer.body = r.ok->answer;
            } else {
              answer.acks = service::split_acks(r.ok->answer);
            }
            answer.message_type = d.message_type;
            answer.control_id = d.control_id;
            answer.duplicate = true;
            outcome = "duplicate";
          } else {
            answer = std::move(d.answer);
            outcome = d.rejected ? "rejected" : "accepted";
          }
          answer.journal_id = r.ok->id;
          set_location(answer, r.ok->id);
        } else {
          answer = std::move(d.failure);
          outcome = "failed";
          obs::log(obs::Level::error, "journal.append_failed",
                   {{"listener", listener},
                    {"conn", connection},
                    {"control_id", answer.control_id},
                    {"reason", r.error ? r.error->message : std::string("unknown")}});
        }
        registry_
            .counter("fcpgw_messages_total",
                     "Messages answered, by listener, kind and outcome (accepted, rejected, "
                     "duplicate, failed).",
                     {{"listener", listener}, {"kind", kind}, {"outcome", std::string(outcome)}})
            .inc();
        obs::log(obs::Level::info, "message",
                 {{"listener", listener},
                  {"conn", connection},
                  {"type", answer.message_type},
                  {"control_id", answer.control_id},
                  {"outcome", outcome},
                  {"code", answer.code},
                  {"journal_id", answer.journal_id}});
        done(std::move(answer));
      });
}

std::optional<service::Answer> JournaledIntake::status(std::int64_t id) {
  auto rec = journal_.get(id);
  if (!rec) return std::nullopt;
  const journal::Summary& s = rec->summary;
  service::Answer a;
  a.journal_id = id;
  a.content_type = "application/json";
  a.code = std::string(journal::to_string(s.state));
  // FHIR's asynchronous pattern: 202 while the work is pending, 200 once it has ended.
  a.status = s.state == journal::State::accepted ? 202 : 200;
  a.body = "{\"id\":" + std::to_string(id) + ",\"state\":\"" +
           std::string(journal::to_string(s.state)) + "\",\"received_at_ms\":" +
           std::to_string(s.received_at_ms) + ",\"answer_code\":\"" + s.answer_code + "\"}";
  return a;
}

std::string JournaledIntake::capability_statement() const {
  return acceptor()->capability_statement();
}

bool JournaledIntake::ready(std::string& why) const {
  if (journal_.writable()) return true;
  why = "the journal cannot be written (disk full or write error); see the log";
  return false;
}

}  // namespace fcpgw::gateway::app
