// The journal's deliveries: created with their message, claimed in order per key, outcomes and
// attempts, the message state, operator actions, retention. Time comes from a fake clock.

#include <gtest/gtest.h>

#include <condition_variable>
#include <future>
#include <mutex>
#include <string>
#include <vector>

#include "gateway/journal/journal.h"
#include "gateway/journal/sqlite_journal.h"
#include "tests/unit/gateway/journal/journal_test_support.h"

namespace fcpgw::gateway::journal {
namespace {

using namespace testing;

class DeliveryTest : public JournalTest {
 protected:
  std::int64_t add(Journal& j, const std::string& control_id, const std::string& key,
                   std::vector<std::string> destinations = {"outbox"}, bool hold = true) {
    Entry e = make_entry(control_id);
    e.ordering_key = key;
    for (const std::string& d : destinations) e.deliveries.push_back({d, "route-1", "", hold});
    const auto r = append_sync(j, std::move(e));
    EXPECT_TRUE(r.ok);
    return r.ok ? r.ok->id : 0;
  }

  static std::vector<std::int64_t> message_ids(const std::vector<Due>& due) {
    std::vector<std::int64_t> ids;
    for (const Due& d : due) ids.push_back(d.message_id);
    return ids;
  }

  std::vector<Due> claim(Journal& j, const std::string& destination = "outbox",
                         std::vector<std::int64_t> exclude = {}) {
    Error error;
    auto due = j.claim(destination, now_.load(), 100, exclude, &error);
    EXPECT_TRUE(error.message.empty()) << error.message;
    return due;
  }

  std::int64_t record(Journal& j, const Due& d, DeliveryState state, std::string code,
                      std::int64_t due_ms = 0) {
    Outcome o;
    o.delivery_id = d.id;
    o.state = state;
    o.due_ms = due_ms;
    o.started_ms = now_.load();
    o.duration_ms = 3;
    o.code = std::move(code);
    o.reason = "because";
    o.response = "answer";
    std::promise<std::optional<Error>> p;
    j.record(std::move(o), [&p](std::optional<Error> e, std::int64_t) { p.set_value(e); });
    const auto e = p.get_future().get();
    EXPECT_FALSE(e) << e->message;
    return 0;
  }

  std::int64_t act(Journal& j, Action::Kind kind, std::int64_t message_id) {
    Action a;
    a.kind = kind;
    a.message_id = message_id;
    std::promise<std::int64_t> p;
    j.act(a, [&p](std::optional<Error> e, std::int64_t changed) {
      p.set_value(e ? -1 : changed);
    });
    return p.get_future().get();
  }

  State state_of(Journal& j, std::int64_t id) { return j.get(id)->summary.state; }
};

TEST_F(DeliveryTest, StateNamesRoundTrip) {
  for (auto s : {DeliveryState::waiting, DeliveryState::ready, DeliveryState::delivered,
                 DeliveryState::dead}) {
    EXPECT_EQ(delivery_state_from_string(to_string(s)), s);
  }
  EXPECT_EQ(delivery_state_from_string("pending"), std::nullopt);
}

TEST_F(DeliveryTest, OnlyTheFirstOfAKeyIsReadyAndTheNextFollowsInOrder) {
  auto j = open(options());
  const auto a1 = add(*j, "1", "appt-A");
  const auto b1 = add(*j, "2", "appt-B");
  const auto a2 = add(*j, "3", "appt-A");
  const auto n1 = add(*j, "4", "");  // no key: never waits
  const auto n2 = add(*j, "5", "");
  auto due = claim(*j);
  EXPECT_EQ(message_ids(due), (std::vector<std::int64_t>{a1, b1, n1, n2}));
  ASSERT_FALSE(due.empty());
  EXPECT_EQ(due[0].raw, "MSH|^~\\&|A|B\r");
  EXPECT_EQ(due[0].message_type, "SIU^S12");
  EXPECT_EQ(due[0].route, "route-1");
  EXPECT_EQ(due[0].output_type, "");

  // In flight ids are skipped.
  EXPECT_EQ(message_ids(claim(*j, "outbox", {due[0].id, due[2].id})),
            (std::vector<std::int64_t>{b1, n2}));
  EXPECT_TRUE(claim(*j, "elsewhere").empty());

  record(*j, due[0], DeliveryState::delivered, "201");
  EXPECT_EQ(state_of(*j, a1), State::delivered);
  EXPECT_EQ(state_of(*j, a2), State::accepted);
  EXPECT_EQ(message_ids(claim(*j)), (std::vector<std::int64_t>{b1, a2, n1, n2}));
}

TEST_F(DeliveryTest, ARetryWaitsForItsTimeAndKeepsTheTranslation) {
  auto j = open(options());
  const auto a1 = add(*j, "1", "appt-A");
  add(*j, "2", "appt-A");
  auto due = claim(*j);
  ASSERT_EQ(due.size(), 1u);
  Outcome o;
  o.delivery_id = due[0].id;
  o.state = DeliveryState::ready;
  o.due_ms = kStartMs + 5000;
  o.code = "503";
  o.output = std::string("{\"resourceType\":\"Bundle\"}\0", 26);
  o.output_type = "fhir-json";
  std::promise<void> p;
  j->record(o, [&p](std::optional<Error>, std::int64_t) { p.set_value(); });
  p.get_future().get();

  EXPECT_TRUE(claim(*j).empty());  // not due yet; the second of the key still waits
  now_ += 5000;
  due = claim(*j);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].message_id, a1);
  EXPECT_EQ(due[0].attempts, 1);
  EXPECT_EQ(due[0].output, *o.output);
  EXPECT_EQ(due[0].output_type, "fhir-json");
  EXPECT_EQ(state_of(*j, a1), State::accepted);

  const auto records = j->deliveries(a1);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].state, DeliveryState::ready);
  EXPECT_EQ(records[0].last_code, "503");
  ASSERT_EQ(records[0].tries.size(), 1u);
  EXPECT_EQ(records[0].tries[0].code, "503");
}

TEST_F(DeliveryTest, ADeadDeliveryHoldsItsKeyUntilRetriedOrSkipped) {
  auto j = open(options());
  const auto a1 = add(*j, "1", "appt-A");
  const auto a2 = add(*j, "2", "appt-A");
  record(*j, claim(*j)[0], DeliveryState::dead, "400");
  EXPECT_EQ(state_of(*j, a1), State::dead);
  EXPECT_TRUE(claim(*j).empty());
  // A new message of the same key waits too.
  const auto a3 = add(*j, "3", "appt-A");
  EXPECT_TRUE(claim(*j).empty());

  EXPECT_EQ(act(*j, Action::Kind::retry, a1), 1);
  EXPECT_EQ(state_of(*j, a1), State::accepted);
  auto due = claim(*j);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].message_id, a1);
  record(*j, due[0], DeliveryState::dead, "400");

  EXPECT_EQ(act(*j, Action::Kind::skip, a1), 1);
  EXPECT_EQ(act(*j, Action::Kind::skip, a1), 0);  // once
  EXPECT_EQ(state_of(*j, a1), State::dead);
  EXPECT_EQ(message_ids(claim(*j)), (std::vector<std::int64_t>{a2}));
  record(*j, claim(*j)[0], DeliveryState::delivered, "200");
  EXPECT_EQ(message_ids(claim(*j)), (std::vector<std::int64_t>{a3}));
}

TEST_F(DeliveryTest, SkipPolicyLetsTheKeyGoOnAtOnce) {
  auto j = open(options());
  const auto a1 = add(*j, "1", "appt-A", {"outbox"}, /*hold=*/false);
  const auto a2 = add(*j, "2", "appt-A", {"outbox"}, false);
  record(*j, claim(*j)[0], DeliveryState::dead, "AR");
  EXPECT_EQ(state_of(*j, a1), State::dead);
  EXPECT_EQ(message_ids(claim(*j)), (std::vector<std::int64_t>{a2}));
}

TEST_F(DeliveryTest, AMessageIsDeliveredWhenEveryDestinationIs) {
  auto j = open(options());
  const auto m = add(*j, "1", "appt-A", {"ehr", "practice"});
  record(*j, claim(*j, "ehr")[0], DeliveryState::delivered, "200");
  EXPECT_EQ(state_of(*j, m), State::accepted);
  record(*j, claim(*j, "practice")[0], DeliveryState::delivered, "AA");
  EXPECT_EQ(state_of(*j, m), State::delivered);
  const auto records = j->deliveries(m);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].destination, "ehr");
  EXPECT_EQ(records[1].destination, "practice");
}

TEST_F(DeliveryTest, ReplayTranslatesAgainAndSendsAgain) {
  auto j = open(options());
  const auto m = add(*j, "1", "appt-A");
  Due d = claim(*j)[0];
  Outcome o;
  o.delivery_id = d.id;
  o.state = DeliveryState::delivered;
  o.output = "old";
  o.output_type = "fhir-json";
  std::promise<void> p;
  j->record(o, [&p](std::optional<Error>, std::int64_t) { p.set_value(); });
  p.get_future().get();
  EXPECT_EQ(state_of(*j, m), State::delivered);

  EXPECT_EQ(act(*j, Action::Kind::replay, m), 1);
  EXPECT_EQ(state_of(*j, m), State::accepted);
  auto due = claim(*j);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].output_type, "");  // translated again
  EXPECT_EQ(due[0].output, "");
  EXPECT_EQ(act(*j, Action::Kind::replay, m + 100), 0);
}

TEST_F(DeliveryTest, RetryAllDeadAndStats) {
  auto j = open(options());
  const auto a = add(*j, "1", "A");
  const auto b = add(*j, "2", "B");
  add(*j, "3", "C");
  record(*j, claim(*j)[0], DeliveryState::dead, "400");
  record(*j, claim(*j)[0], DeliveryState::dead, "400");  // B (A is dead, not ready)
  const Stats s = j->stats();
  ASSERT_EQ(s.deliveries.size(), 2u);
  EXPECT_EQ(s.deliveries[0].destination, "outbox");
  EXPECT_EQ(s.deliveries[0].state, DeliveryState::dead);
  EXPECT_EQ(s.deliveries[0].count, 2);
  EXPECT_EQ(s.deliveries[0].oldest_received_ms, kStartMs);
  EXPECT_EQ(s.deliveries[1].state, DeliveryState::ready);
  EXPECT_EQ(s.deliveries[1].count, 1);
  EXPECT_EQ(act(*j, Action::Kind::retry, 0), 2);
  EXPECT_EQ(state_of(*j, a), State::accepted);
  EXPECT_EQ(state_of(*j, b), State::accepted);
  EXPECT_EQ(claim(*j).size(), 3u);
}

TEST_F(DeliveryTest, AnOutcomeForADeliveryNoLongerReadyChangesNothing) {
  auto j = open(options());
  const auto m = add(*j, "1", "A");
  const Due d = claim(*j)[0];
  record(*j, d, DeliveryState::delivered, "200");
  record(*j, d, DeliveryState::dead, "400");  // a late duplicate outcome
  EXPECT_EQ(state_of(*j, m), State::delivered);
  EXPECT_EQ(j->deliveries(m)[0].tries.size(), 1u);
}

TEST_F(DeliveryTest, DuplicatesAndRejectedEntriesCreateNoDeliveries) {
  auto j = open(options());
  const auto m = add(*j, "1", "A");
  EXPECT_EQ(add(*j, "1", "A"), m);  // duplicate: the original id
  Entry rejected = make_entry("9");
  rejected.state = State::rejected;
  rejected.deliveries.push_back({"outbox", "r", "", true});
  const auto r = append_sync(*j, rejected);
  ASSERT_TRUE(r.ok);
  EXPECT_TRUE(j->deliveries(r.ok->id).empty());
  EXPECT_EQ(claim(*j).size(), 1u);
}

TEST_F(DeliveryTest, RetentionKeepsWhatIsOpenOrHoldsAKey) {
  auto o = options();
  o.retention = std::chrono::seconds(1);
  std::mutex m;
  std::condition_variable cv;
  o.on_prune = [&](std::size_t) {
    std::lock_guard lock(m);
    cv.notify_all();
  };
  // Appends one more message (its commit starts a retention pass) and waits until the
  // message `gone` has been removed by one.
  const auto prune_until_gone = [&](Journal& j, const std::string& id, std::int64_t gone) {
    add(j, id, "Z" + id);
    std::unique_lock lock(m);
    cv.wait(lock, [&] { return !j.get(gone); });
  };
  auto j = open(o);
  const auto done = add(*j, "1", "A");
  const auto dead = add(*j, "2", "B");
  const auto open_one = add(*j, "3", "C");
  auto due = claim(*j);
  record(*j, due[0], DeliveryState::delivered, "200");
  record(*j, due[1], DeliveryState::dead, "400");
  now_ += 10'000;
  prune_until_gone(*j, "4", done);
  EXPECT_TRUE(j->get(dead));
  EXPECT_TRUE(j->get(open_one));
  EXPECT_EQ(act(*j, Action::Kind::skip, dead), 1);
  prune_until_gone(*j, "5", dead);
  EXPECT_TRUE(j->deliveries(dead).empty());
}

TEST_F(DeliveryTest, DeliveriesSurviveReopen) {
  std::int64_t m = 0;
  {
    auto j = open(options());
    m = add(*j, "1", "A");
    add(*j, "2", "A");
    j->close();
  }
  auto j = open(options());
  auto due = claim(*j);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].message_id, m);
}

}  // namespace
}  // namespace fcpgw::gateway::journal
