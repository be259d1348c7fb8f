#include "gateway/app/intake.h"

#include <chrono>
#include <charconv>
#include <utility>

#include "gateway/observability/log.h"
#include "gateway/service/batch.h"
#include "hl7v2/batch.h"

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

journal::Entry JournaledIntake::make_entry(service::Inbound& in, service::Decision& d,
                                          std::int64_t now) {
  registry_.counter("fcpgw_messages_received_total", "Messages received, by listener and kind.",
                    {{"listener", in.listener}, {"kind", std::string(kind_label(in.kind))}})
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
  return e;
}

service::Answer JournaledIntake::settle(service::Decision& d, const journal::AppendResult& r,
                                        const Origin& from) {
  service::Answer answer;
  const bool http = over_http(d.answer);
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
        answer.content_type = from.kind == service::Inbound::Kind::v2 ? "x-application/hl7-v2+er7"
                                                                      : "application/fhir+json";
        answer.body = r.ok->answer;
        if (from.kind == service::Inbound::Kind::v2) answer.acks = service::split_acks(answer.body);
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
             {{"listener", from.listener},
              {"conn", from.connection},
              {"control_id", answer.control_id},
              {"reason", r.error ? r.error->message : std::string("unknown")}});
  }
  registry_
      .counter("fcpgw_messages_total",
               "Messages answered, by listener, kind and outcome (accepted, rejected, "
               "duplicate, failed).",
               {{"listener", from.listener},
                {"kind", std::string(kind_label(from.kind))},
                {"outcome", std::string(outcome)}})
      .inc();
  obs::log(obs::Level::info, "message",
           {{"listener", from.listener},
            {"conn", from.connection},
            {"type", answer.message_type},
            {"control_id", answer.control_id},
            {"outcome", outcome},
            {"code", answer.code},
            {"journal_id", answer.journal_id}});
  return answer;
}

void JournaledIntake::submit(service::Inbound in, service::AnswerHandler done) {
  if (in.kind == service::Inbound::Kind::v2 && hl7v2::is_batch(in.body)) {
    return submit_batch(std::move(in), std::move(done));
  }
  const std::int64_t now = clock_ms_();
  service::Decision d = acceptor()->accept(in, service::hl7_timestamp(now), next_ack_id(now));
  const Origin from{in.listener, in.connection, in.kind};
  journal::Entry e = make_entry(in, d, now);
  const bool routed = !e.deliveries.empty();
  journal_.append(std::move(e), [this, d = std::move(d), done = std::move(done), from,
                                 routed](journal::AppendResult r) mutable {
    if (r.ok && !r.ok->duplicate && routed && on_routed_) on_routed_();
    done(settle(d, r, from));
  });
}

void JournaledIntake::submit_batch(service::Inbound in, service::AnswerHandler done) {
  const std::int64_t now = clock_ms_();
  const std::string timestamp = service::hl7_timestamp(now);
  const std::string batch_id = next_ack_id(now);
  const Origin from{in.listener, in.connection, in.kind};
  const bool over_http = in.listener != "mllp" && !in.method.empty();
  // The batch's bytes leave `in`, which then serves as the template of each message. The
  // views point into `body`, which is kept alive until every message is copied out.
  const std::string body = std::exchange(in.body, {});
  auto file = std::make_shared<hl7v2::BatchFile>(hl7v2::split_batch(body));
  std::vector<service::Decision> decisions;
  std::vector<journal::Entry> entries;
  std::size_t n = 0;
  for (const hl7v2::Batch& b : file->batches) {
    for (std::string_view m : b.messages) {
      service::Inbound one = in;
      one.body = std::string(m);
      decisions.push_back(
          acceptor()->accept(one, timestamp, batch_id + "-" + std::to_string(++n)));
      entries.push_back(make_entry(one, decisions.back(), now));
    }
  }
  // Every message is copied out: no view into the body may outlive it.
  for (hl7v2::Batch& b : file->batches) b.messages.assign(b.messages.size(), std::string_view());
  obs::log(obs::Level::info, "batch",
           {{"listener", from.listener},
            {"conn", from.connection},
            {"batches", static_cast<std::uint64_t>(file->batches.size())},
            {"messages", static_cast<std::uint64_t>(entries.size())}});
  // A trailer count that disagrees (messages lost on the way) is answered in BTS-2 / FTS-2 and
  // logged; the messages that arrived are kept and answered as usual.
  const std::string problems = hl7v2::count_problems(*file);
  if (!problems.empty())
    obs::log(obs::Level::warn, "batch count",
             {{"listener", from.listener}, {"conn", from.connection}, {"problem", problems}});
  if (entries.empty()) {
    done(service::batch_answer(*file, {}, timestamp, batch_id, over_http));
    return;
  }
  bool routed = false;
  for (const journal::Entry& e : entries) routed = routed || !e.deliveries.empty();
  journal_.append_all(
      std::move(entries),
      [this, file, decisions = std::move(decisions), done = std::move(done), from, routed,
       timestamp, batch_id, over_http](std::vector<journal::AppendResult> results) mutable {
        bool fresh = false;
        std::vector<service::Answer> answers;
        for (std::size_t k = 0; k < results.size(); ++k) {
          fresh = fresh || (results[k].ok && !results[k].ok->duplicate);
          answers.push_back(settle(decisions[k], results[k], from));
        }
        if (fresh && routed && on_routed_) on_routed_();
        done(service::batch_answer(*file, answers, timestamp, batch_id, over_http));
      });
}

std::string JournaledIntake::next_ack_id(std::int64_t now) {
  // The ACK's own MSH-10: unique within this process and across restarts (time + sequence).
  return "FCPGW" + std::to_string(now) + "." +
         std::to_string(sequence_.fetch_add(1, std::memory_order_relaxed));
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
