#pragma once
// The journal: the durable store of every inbound message and of its deliveries, behind a
// narrow interface (append, claim due work, record outcomes, query, operator actions). It
// stores bytes and
// metadata and knows nothing of HL7 v2 or FHIR: callers hand it what to keep and what was
// answered. SQLite today (sqlite_journal.h); the interface is what a PostgreSQL journal shared
// by several gateway instances would implement.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fcpgw::gateway::journal {

/// Where a message stands. Stored as its text.
enum class State : std::uint8_t {
  accepted,   ///< journaled and acknowledged; waiting for delivery
  rejected,   ///< refused (AR/AE, 4xx); kept as received, never delivered
  delivered,  ///< every delivery done (set by delivery)
  dead,       ///< a delivery gave up (set by delivery)
};
std::string_view to_string(State s) noexcept;
std::optional<State> state_from_string(std::string_view s) noexcept;

/// One delivery to create with a message, in the same transaction: the message goes to
/// `destination` through `route`, translated by `mapping`.
struct DeliveryRequest {
  std::string destination;
  std::string route;
  std::string mapping;  ///< "" = the mapping that takes the message type
  /// true: a dead delivery holds back later deliveries of the same ordering key and
  /// destination (on_dead = hold); false: they go on (skip).
  bool hold_on_dead = true;
};

/// One inbound message as the listener hands it over. Text fields are metadata (never logged
/// by the journal); `raw` is the message as received, byte for byte.
struct Entry {
  std::string listener;          ///< listener name, e.g. "mllp", "http"
  std::string peer;              ///< remote address, e.g. "127.0.0.1:53422"
  std::string content_type;      ///< "er7", "fhir-json", or "unknown" for unparseable bytes
  std::string message_type;      ///< "SIU^S12", "Bundle", ... ("" when not known)
  std::string control_id;        ///< MSH-10, Bundle.identifier.value or request id
  std::string sending_facility;  ///< MSH-4 (HD as sent) or the client name for HTTP
  /// Resends with the same non-empty key within the duplicate window are not stored again:
  /// append() answers with the original answer instead. Rejected rows never match.
  std::string dedupe_key;
  std::string ordering_key;  ///< deliveries with the same key go out in order (delivery)
  State state = State::accepted;
  std::string answer_code;  ///< "AA", "AE", "AR", "CA", "202", "400", ...
  std::string answer;       ///< the answer sent after the commit (ACK ER7, OperationOutcome)
  std::string raw;          ///< the message bytes as received
  std::int64_t received_at_ms = 0;  ///< Unix time in milliseconds; 0 = the journal's clock
  /// Accepted entries only: one delivery per destination of every matching route.
  std::vector<DeliveryRequest> deliveries;
};

/// Why an append or a query failed. `message` names the operation and SQLite's reason; it
/// never holds message content.
struct Error {
  enum class Kind : std::uint8_t {
    full,    ///< the disk or the configured size limit is full (SQLITE_FULL)
    io,      ///< a read/write/sync error
    closed,  ///< the journal is closing or closed
    other,   ///< anything else (constraint, corrupt, misuse)
  };
  Kind kind = Kind::other;
  std::string message;
};

/// What append() did with one entry.
struct Appended {
  std::int64_t id = 0;     ///< the row id (of the original row for a duplicate)
  bool duplicate = false;  ///< an earlier accepted entry had the same dedupe key in the window
  std::string answer_code;  ///< for a duplicate: the original answer code
  std::string answer;       ///< for a duplicate: the original answer, byte for byte
};

/// Result of an append: exactly one of `ok` / `error` is set.
struct AppendResult {
  std::optional<Appended> ok;
  std::optional<Error> error;
};

/// Called once per append, on the journal's writer thread, after the transaction holding the
/// entry has committed (or failed). Must not block: post the work to the caller's executor.
using AppendHandler = std::function<void(AppendResult)>;

/// Called once per append_all(), like AppendHandler, with one result per entry in order: all
/// of them committed, or all of them failed with the same error.
using AppendAllHandler = std::function<void(std::vector<AppendResult>)>;

/// A stored message without its bodies, for listings.
struct Summary {
  std::int64_t id = 0;
  std::int64_t received_at_ms = 0;
  std::string listener, peer, content_type, message_type, control_id, sending_facility;
  std::string ordering_key;
  State state = State::accepted;
  std::string answer_code;
  std::int64_t raw_bytes = 0;
};

/// A stored message with its bodies.
struct Record {
  Summary summary;
  std::string raw;
  std::string answer;
};

/// Filter for list(); unset members match everything.
struct Filter {
  std::optional<State> state;
  std::optional<std::int64_t> since_ms;  ///< received at or after
  std::optional<std::string> message_type;
  std::optional<std::string> ordering_key;
  std::int64_t after_id = 0;  ///< rows with a greater id only (paging)
  std::size_t limit = 100;
};

/// Where a delivery stands. Stored as its text.
enum class DeliveryState : std::uint8_t {
  waiting,    ///< behind an earlier delivery of its ordering key to the same destination
  ready,      ///< to be attempted at `due_ms` (first attempt, or a retry after a backoff)
  delivered,  ///< the receiver took it
  dead,       ///< gave up (permanent failure, or retries exhausted): the dead letter
};
std::string_view to_string(DeliveryState s) noexcept;
std::optional<DeliveryState> delivery_state_from_string(std::string_view s) noexcept;

/// A delivery that is due, with what is needed to translate and send it.
struct Due {
  std::int64_t id = 0;
  std::int64_t message_id = 0;
  std::string destination, route, mapping, ordering_key;
  std::int64_t attempts = 0;        ///< attempts made so far
  std::int64_t budget_from_ms = 0;  ///< retries are counted from here (received, or retried)
  // The message.
  std::int64_t received_at_ms = 0;
  std::string content_type, message_type, control_id, sending_facility;
  std::string raw;
  /// The translation stored by an earlier attempt (sent again as it is), else empty.
  std::string output;
  std::string output_type;  ///< "fhir-json" or "er7"; "" = not translated yet
};

/// What one attempt at a delivery did, and where the delivery stands after it.
struct Outcome {
  std::int64_t delivery_id = 0;
  DeliveryState state = DeliveryState::ready;  ///< ready (retry at due_ms), delivered or dead
  std::int64_t due_ms = 0;                     ///< ready: when to try again
  std::int64_t started_ms = 0;                 ///< the attempt: when it started
  std::int64_t duration_ms = 0;                ///< and how long it took
  std::string code;      ///< "201", "AA", "refused", "mapping" ...
  std::string reason;    ///< readable, no patient data
  std::string response;  ///< the receiver's answer (or the translation's issues)
  /// The translation made for this attempt, stored so that retries send the same bytes.
  std::optional<std::string> output;
  std::string output_type;
};

/// An attempt as stored.
struct Attempt {
  std::int64_t started_ms = 0, duration_ms = 0;
  std::string code, reason, response;
};

/// A delivery as stored, with its attempts (for `fcpgw journal show`).
struct DeliveryRecord {
  std::int64_t id = 0;
  std::string destination, route, mapping;
  DeliveryState state = DeliveryState::waiting;
  std::int64_t attempts = 0;
  std::int64_t due_ms = 0;
  std::int64_t updated_ms = 0;
  std::string last_code, last_reason;
  std::string output, output_type;
  std::vector<Attempt> tries;
};

/// Deliveries of one destination in one state, for /metrics and stats.
struct DeliveryCount {
  std::string destination;
  DeliveryState state = DeliveryState::waiting;
  std::int64_t count = 0;
  std::int64_t oldest_received_ms = 0;  ///< received time of the oldest message among them
};

/// What an operator action touches.
struct Action {
  enum class Kind : std::uint8_t {
    retry,   ///< dead deliveries of the message (or every dead one) become ready now
    replay,  ///< every delivery of the message is translated again and sent again
    skip,    ///< a dead delivery is left dead but no longer holds its key back
  };
  Kind kind = Kind::retry;
  std::int64_t message_id = 0;  ///< 0 with retry: every dead delivery
  std::int64_t now_ms = 0;      ///< 0 = the journal's clock
};

/// Counts for /metrics, /readyz and `fcpgw journal stats`.
struct Stats {
  std::int64_t messages = 0;  ///< rows stored
  std::int64_t accepted = 0, rejected = 0, delivered = 0, dead = 0;
  std::vector<DeliveryCount> deliveries;  ///< open and dead deliveries by destination
  std::int64_t file_bytes = 0;  ///< database + WAL on disk
  std::uint64_t commits = 0;    ///< transactions committed by this process
  std::uint64_t appended = 0;   ///< rows inserted by this process
  std::uint64_t duplicates = 0;  ///< appends answered as duplicates by this process
  std::uint64_t failed = 0;      ///< appends that failed (full, io, closed)
  std::uint64_t pruned = 0;      ///< rows removed by retention in this process
};

/// Observes group commits (for the commit latency histogram and group size metric). Called on
/// the writer thread; must be cheap and must not block.
/// Called once per record() or act(), on the writer thread, after the commit (or its failure);
/// `changed` counts the deliveries an action touched. Must not block.
using RecordHandler = std::function<void(std::optional<Error> error, std::int64_t changed)>;

using CommitObserver = std::function<void(std::size_t rows, std::chrono::microseconds took,
                                          bool ok)>;

class Journal {
 public:
  virtual ~Journal() = default;
  Journal() = default;
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  /// Queues `entry` for the next group commit; `done` runs once it is durable (or failed).
  /// Never blocks on the disk. After close(), `done` runs at once with Error::Kind::closed.
  virtual void append(Entry entry, AppendHandler done) = 0;
  /// Queues `entries` (an HL7 batch) to be committed in one transaction: every one of them is
  /// durable, or none is. Each is checked for duplicates as append() does.
  virtual void append_all(std::vector<Entry> entries, AppendAllHandler done) = 0;

  /// One stored message, or nullopt when there is no such id.
  virtual std::optional<Record> get(std::int64_t id, Error* error = nullptr) = 0;
  /// Stored messages matching `filter`, oldest first.
  virtual std::vector<Summary> list(const Filter& filter, Error* error = nullptr) = 0;
  virtual Stats stats() = 0;

  /// Ready deliveries to `destination` due at `now_ms`, oldest first, at most `limit`, skipping
  /// the ids in `exclude` (in flight; sorted ascending). Only the first open delivery of an
  /// ordering key is ever ready, so the claimed work never holds two of one key.
  virtual std::vector<Due> claim(std::string_view destination, std::int64_t now_ms,
                                 std::size_t limit, const std::vector<std::int64_t>& exclude,
                                 Error* error = nullptr) = 0;
  /// Stores an attempt and the delivery's new state in the next group commit. A delivery that
  /// ends (delivered; dead without hold) lets the next one of its key become ready; the
  /// message becomes delivered when all its deliveries are, dead when one is dead.
  virtual void record(Outcome outcome, RecordHandler done) = 0;
  /// An operator action (retry, replay, skip), committed by the writer; `done` gets the number
  /// of deliveries changed.
  virtual void act(Action action, RecordHandler done) = 0;
  /// The deliveries of a message with their attempts, oldest first.
  virtual std::vector<DeliveryRecord> deliveries(std::int64_t message_id,
                                                 Error* error = nullptr) = 0;

  /// True when the last write succeeded (or nothing was written yet) and the journal is open.
  virtual bool writable() const = 0;

  /// Stops taking appends, commits everything queued (answering every handler), stops the
  /// background work and closes the database cleanly. Idempotent.
  virtual void close() = 0;
};

}  // namespace fcpgw::gateway::journal
