#pragma once
// The journal's delivery tables on SQLite: the statements that create deliveries with their
// message, claim due work, store attempts and apply operator actions. Write methods run on
// the writer connection inside the writer's group transaction; read methods on the reader
// connection (the caller holds its lock). Nothing here begins or commits a transaction.

#include <cstdint>
#include <string_view>
#include <vector>

#include "gateway/journal/journal.h"
#include "gateway/journal/sqlite_db.h"

namespace fcpgw::gateway::journal::sqlite {

class DeliveryStore {
 public:
  /// Prepares the statements (after migration).
  bool prepare(sqlite3* write_db, sqlite3* read_db, Error& error);
  void finalize_writer() noexcept;
  void finalize_reader() noexcept;

  // Writer side.
  /// The deliveries of message `message_id`, received at `now_ms`.
  bool insert(std::int64_t message_id, const Entry& entry, std::int64_t now_ms, Error& error);
  /// Stores `o` (attempt row, delivery state, next of its key, message state).
  bool apply(const Outcome& o, std::int64_t now_ms, Error& error);
  /// Applies an operator action; `changed` = deliveries touched.
  bool act(const Action& a, std::int64_t now_ms, std::int64_t& changed, Error& error);

  // Reader side.
  bool claim(std::string_view destination, std::int64_t now_ms, std::size_t limit,
             const std::vector<std::int64_t>& exclude, std::vector<Due>& out, Error& error);
  bool list(std::int64_t message_id, std::vector<DeliveryRecord>& out, Error& error);
  bool counts(std::vector<DeliveryCount>& out, Error& error);

 private:
  bool promote_next(std::string_view destination, std::string_view key, std::int64_t now_ms,
                    Error& error);
  bool settle_message(std::int64_t message_id, Error& error);

  sqlite3* write_db_ = nullptr;
  sqlite3* read_db_ = nullptr;
  Stmt insert_, update_, attempt_, promote_, settle_;
  Stmt retry_one_, retry_all_, replay_, skip_;
  Stmt claim_, list_, attempts_, counts_;
};

}  // namespace fcpgw::gateway::journal::sqlite
