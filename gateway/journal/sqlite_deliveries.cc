#include "gateway/journal/sqlite_deliveries.h"

#include <algorithm>
#include <set>
#include <string>
#include <utility>

namespace fcpgw::gateway::journal::sqlite {
namespace {

// A key is held by its waiting and ready deliveries and by dead ones that hold it.
constexpr const char* kHolds =
    "(state IN ('waiting', 'ready') OR (state = 'dead' AND hold = 1))";

bool step_done(sqlite3* db, Stmt& stmt, std::string_view operation, Error& error) {
  const int rc = stmt.step();
  if (rc == SQLITE_DONE) return true;
  error = make_error(db, rc, operation);
  return false;
}

}  // namespace

bool DeliveryStore::prepare(sqlite3* write_db, sqlite3* read_db, Error& error) {
  write_db_ = write_db;
  read_db_ = read_db;
  const std::string holds = kHolds;
  return insert_.prepare(
             write_db,
             "INSERT INTO deliveries (message_id, destination, route, mapping, ordering_key, "
             "hold, state, due_ms, budget_from_ms, updated_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
             "CASE WHEN ?5 <> '' AND EXISTS (SELECT 1 FROM deliveries WHERE destination = ?2 "
             "AND ordering_key = ?5 AND " + holds + ") THEN 'waiting' ELSE 'ready' END, "
             "?7, ?7, ?7)",
             error) &&
         update_.prepare(write_db,
                         "UPDATE deliveries SET state = ?2, due_ms = ?3, attempts = attempts + 1, "
                         "last_code = ?4, last_reason = ?5, updated_ms = ?6, "
                         "output = coalesce(?7, output), "
                         "output_type = CASE WHEN ?7 IS NULL THEN output_type ELSE ?8 END "
                         "WHERE id = ?1 AND state = 'ready' "
                         "RETURNING message_id, destination, ordering_key, hold",
                         error) &&
         attempt_.prepare(write_db,
                          "INSERT INTO attempts (delivery_id, started_ms, duration_ms, code, "
                          "reason, response) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                          error) &&
         promote_.prepare(
             write_db,
             "UPDATE deliveries SET state = 'ready', due_ms = ?3, updated_ms = ?3 WHERE id = "
             "(SELECT id FROM deliveries WHERE destination = ?1 AND ordering_key = ?2 AND "
             "state = 'waiting' ORDER BY id LIMIT 1) AND NOT EXISTS (SELECT 1 FROM deliveries "
             "WHERE destination = ?1 AND ordering_key = ?2 AND (state = 'ready' OR "
             "(state = 'dead' AND hold = 1)))",
             error) &&
         settle_.prepare(
             write_db,
             "UPDATE messages SET state = CASE "
             "WHEN EXISTS (SELECT 1 FROM deliveries WHERE message_id = ?1 AND "
             "state IN ('waiting', 'ready')) THEN 'accepted' "
             "WHEN EXISTS (SELECT 1 FROM deliveries WHERE message_id = ?1 AND state = 'dead') "
             "THEN 'dead' ELSE 'delivered' END WHERE id = ?1 AND state <> 'rejected'",
             error) &&
         retry_one_.prepare(write_db,
                            "UPDATE deliveries SET state = 'ready', due_ms = ?2, "
                            "budget_from_ms = ?2, updated_ms = ?2 WHERE message_id = ?1 AND "
                            "state = 'dead' RETURNING message_id",
                            error) &&
         retry_all_.prepare(write_db,
                            "UPDATE deliveries SET state = 'ready', due_ms = ?1, "
                            "budget_from_ms = ?1, updated_ms = ?1 WHERE state = 'dead' "
                            "RETURNING message_id",
                            error) &&
         replay_.prepare(write_db,
                         "UPDATE deliveries SET state = 'ready', due_ms = ?2, "
                         "budget_from_ms = ?2, updated_ms = ?2, output = NULL, output_type = '' "
                         "WHERE message_id = ?1 AND (SELECT state FROM messages WHERE id = ?1) "
                         "<> 'rejected' RETURNING message_id",
                         error) &&
         skip_.prepare(write_db,
                       "UPDATE deliveries SET hold = 0, updated_ms = ?2 WHERE message_id = ?1 "
                       "AND state = 'dead' AND hold = 1 RETURNING destination, ordering_key",
                       error) &&
         claim_.prepare(
             read_db,
             "SELECT d.id, d.message_id, d.destination, d.route, d.mapping, d.ordering_key, "
             "d.attempts, d.budget_from_ms, m.received_at_ms, m.content_type, m.message_type, "
             "m.control_id, m.sending_facility, m.raw, d.output, d.output_type "
             "FROM deliveries d JOIN messages m ON m.id = d.message_id "
             "WHERE d.destination = ?1 AND d.state = 'ready' AND d.due_ms <= ?2 "
             "ORDER BY d.id LIMIT ?3",
             error) &&
         list_.prepare(read_db,
                       "SELECT id, destination, route, mapping, state, attempts, due_ms, "
                       "updated_ms, last_code, last_reason, output, output_type FROM deliveries "
                       "WHERE message_id = ?1 ORDER BY id",
                       error) &&
         attempts_.prepare(read_db,
                           "SELECT started_ms, duration_ms, code, reason, response FROM attempts "
                           "WHERE delivery_id = ?1 ORDER BY id",
                           error) &&
         counts_.prepare(read_db,
                         "SELECT d.destination, d.state, count(*), min(m.received_at_ms) "
                         "FROM deliveries d JOIN messages m ON m.id = d.message_id "
                         "WHERE d.state IN ('waiting', 'ready', 'dead') "
                         "GROUP BY d.destination, d.state ORDER BY d.destination, d.state",
                         error);
}

void DeliveryStore::finalize_writer() noexcept {
  for (Stmt* s : {&insert_, &update_, &attempt_, &promote_, &settle_, &retry_one_, &retry_all_,
                  &replay_, &skip_}) {
    s->finalize();
  }
}

void DeliveryStore::finalize_reader() noexcept {
  for (Stmt* s : {&claim_, &list_, &attempts_, &counts_}) s->finalize();
}

bool DeliveryStore::insert(std::int64_t message_id, const Entry& entry, std::int64_t now_ms,
                           Error& error) {
  for (const DeliveryRequest& d : entry.deliveries) {
    Use use(insert_);
    insert_.bind_int64(1, message_id);
    insert_.bind_text(2, d.destination);
    insert_.bind_text(3, d.route);
    insert_.bind_text(4, d.mapping);
    insert_.bind_text(5, entry.ordering_key);
    insert_.bind_int64(6, d.hold_on_dead ? 1 : 0);
    insert_.bind_int64(7, now_ms);
    if (!step_done(write_db_, insert_, "insert delivery", error)) return false;
  }
  return true;
}

bool DeliveryStore::promote_next(std::string_view destination, std::string_view key,
                                 std::int64_t now_ms, Error& error) {
  if (key.empty()) return true;  // no order to keep: nothing ever waits
  Use use(promote_);
  promote_.bind_text(1, destination);
  promote_.bind_text(2, key);
  promote_.bind_int64(3, now_ms);
  return step_done(write_db_, promote_, "release the next delivery of a key", error);
}

bool DeliveryStore::settle_message(std::int64_t message_id, Error& error) {
  Use use(settle_);
  settle_.bind_int64(1, message_id);
  return step_done(write_db_, settle_, "update message state", error);
}

bool DeliveryStore::apply(const Outcome& o, std::int64_t now_ms, Error& error) {
  std::int64_t message_id = 0;
  std::string destination, key;
  bool hold = true;
  {
    Use use(update_);
    update_.bind_int64(1, o.delivery_id);
    update_.bind_text(2, to_string(o.state));
    update_.bind_int64(3, o.due_ms);
    update_.bind_text(4, o.code);
    update_.bind_text(5, o.reason);
    update_.bind_int64(6, now_ms);
    if (o.output) {
      update_.bind_blob(7, *o.output);
    } else {
      update_.bind_null(7);
    }
    update_.bind_text(8, o.output_type);
    const int rc = update_.step();
    if (rc == SQLITE_DONE) return true;  // not ready any more (an operator acted): nothing
    if (rc != SQLITE_ROW) {
      error = make_error(write_db_, rc, "update delivery");
      return false;
    }
    message_id = update_.column_int64(0);
    destination = update_.column_text(1);
    key = update_.column_text(2);
    hold = update_.column_int64(3) != 0;
    while (update_.step() == SQLITE_ROW) {
    }
  }
  {
    Use use(attempt_);
    attempt_.bind_int64(1, o.delivery_id);
    attempt_.bind_int64(2, o.started_ms);
    attempt_.bind_int64(3, o.duration_ms);
    attempt_.bind_text(4, o.code);
    attempt_.bind_text(5, o.reason);
    attempt_.bind_blob(6, o.response);
    if (!step_done(write_db_, attempt_, "insert attempt", error)) return false;
  }
  const bool ended =
      o.state == DeliveryState::delivered || (o.state == DeliveryState::dead && !hold);
  if (ended && !promote_next(destination, key, now_ms, error)) return false;
  if (o.state == DeliveryState::ready) return true;  // the message stays where it was
  return settle_message(message_id, error);
}

bool DeliveryStore::act(const Action& a, std::int64_t now_ms, std::int64_t& changed,
                        Error& error) {
  changed = 0;
  std::set<std::int64_t> messages;
  std::vector<std::pair<std::string, std::string>> released;
  Stmt* stmt = nullptr;
  switch (a.kind) {
    case Action::Kind::retry:
      stmt = a.message_id == 0 ? &retry_all_ : &retry_one_;
      break;
    case Action::Kind::replay:
      stmt = &replay_;
      break;
    case Action::Kind::skip:
      stmt = &skip_;
      break;
  }
  {
    Use use(*stmt);
    if (stmt == &retry_all_) {
      stmt->bind_int64(1, now_ms);
    } else {
      stmt->bind_int64(1, a.message_id);
      stmt->bind_int64(2, now_ms);
    }
    int rc;
    while ((rc = stmt->step()) == SQLITE_ROW) {
      ++changed;
      if (a.kind == Action::Kind::skip) {
        released.emplace_back(stmt->column_text(0), stmt->column_text(1));
      } else {
        messages.insert(stmt->column_int64(0));
      }
    }
    if (rc != SQLITE_DONE) {
      error = make_error(write_db_, rc, "apply operator action");
      return false;
    }
  }
  for (const auto& [destination, key] : released) {
    if (!promote_next(destination, key, now_ms, error)) return false;
  }
  for (std::int64_t id : messages) {
    if (!settle_message(id, error)) return false;
  }
  return true;
}

bool DeliveryStore::claim(std::string_view destination, std::int64_t now_ms, std::size_t limit,
                          const std::vector<std::int64_t>& exclude, std::vector<Due>& out,
                          Error& error) {
  Use use(claim_);
  claim_.bind_text(1, destination);
  claim_.bind_int64(2, now_ms);
  claim_.bind_int64(3, static_cast<std::int64_t>(limit + exclude.size()));
  int rc = SQLITE_DONE;
  while (out.size() < limit && (rc = claim_.step()) == SQLITE_ROW) {
    const std::int64_t id = claim_.column_int64(0);
    if (std::binary_search(exclude.begin(), exclude.end(), id)) continue;
    Due d;
    d.id = id;
    d.message_id = claim_.column_int64(1);
    d.destination = claim_.column_text(2);
    d.route = claim_.column_text(3);
    d.mapping = claim_.column_text(4);
    d.ordering_key = claim_.column_text(5);
    d.attempts = claim_.column_int64(6);
    d.budget_from_ms = claim_.column_int64(7);
    d.received_at_ms = claim_.column_int64(8);
    d.content_type = claim_.column_text(9);
    d.message_type = claim_.column_text(10);
    d.control_id = claim_.column_text(11);
    d.sending_facility = claim_.column_text(12);
    d.raw = claim_.column_blob(13);
    d.output = claim_.column_blob(14);
    d.output_type = claim_.column_text(15);
    out.push_back(std::move(d));
  }
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
    error = make_error(read_db_, rc, "claim deliveries");
    return false;
  }
  return true;
}

bool DeliveryStore::list(std::int64_t message_id, std::vector<DeliveryRecord>& out,
                         Error& error) {
  {
    Use use(list_);
    list_.bind_int64(1, message_id);
    int rc;
    while ((rc = list_.step()) == SQLITE_ROW) {
      DeliveryRecord d;
      d.id = list_.column_int64(0);
      d.destination = list_.column_text(1);
      d.route = list_.column_text(2);
      d.mapping = list_.column_text(3);
      d.state = delivery_state_from_string(list_.column_text(4)).value_or(DeliveryState::dead);
      d.attempts = list_.column_int64(5);
      d.due_ms = list_.column_int64(6);
      d.updated_ms = list_.column_int64(7);
      d.last_code = list_.column_text(8);
      d.last_reason = list_.column_text(9);
      d.output = list_.column_blob(10);
      d.output_type = list_.column_text(11);
      out.push_back(std::move(d));
    }
    if (rc != SQLITE_DONE) {
      error = make_error(read_db_, rc, "list deliveries");
      return false;
    }
  }
  for (DeliveryRecord& d : out) {
    Use use(attempts_);
    attempts_.bind_int64(1, d.id);
    int rc;
    while ((rc = attempts_.step()) == SQLITE_ROW) {
      d.tries.push_back({attempts_.column_int64(0), attempts_.column_int64(1),
                         attempts_.column_text(2), attempts_.column_text(3),
                         attempts_.column_blob(4)});
    }
    if (rc != SQLITE_DONE) {
      error = make_error(read_db_, rc, "list attempts");
      return false;
    }
  }
  return true;
}

bool DeliveryStore::counts(std::vector<DeliveryCount>& out, Error& error) {
  Use use(counts_);
  int rc;
  while ((rc = counts_.step()) == SQLITE_ROW) {
    DeliveryCount c;
    c.destination = counts_.column_text(0);
    c.state = delivery_state_from_string(counts_.column_text(1)).value_or(DeliveryState::dead);
    c.count = counts_.column_int64(2);
    c.oldest_received_ms = counts_.column_int64(3);
    out.push_back(std::move(c));
  }
  if (rc != SQLITE_DONE) {
    error = make_error(read_db_, rc, "count deliveries");
    return false;
  }
  return true;
}

}  // namespace fcpgw::gateway::journal::sqlite
