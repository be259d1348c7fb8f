#pragma once
// What operators do with a journal, in one place for `fcpgw journal` (the CLI, on the file)
// and the admin HTTP API of `fcpgw serve` (on the live journal): list, show, stats, and the
// actions retry, replay and skip. Each answer is given both as JSON (the API, `--json`) and as
// text for people. Messages' bytes appear only in `show`; nothing here logs.

#include <cstdint>
#include <optional>
#include <string>

#include "gateway/journal/journal.h"

namespace fcpgw::gateway::admin {

/// An operation's answer. `status` follows HTTP (200, 400 bad query, 404 no such entry, 500
/// journal failure, 503 closed); `error` says why when it is not 200.
struct Answer {
  unsigned status = 200;
  std::string json;
  std::string text;
  std::string error;
};

struct ListQuery {
  std::optional<std::string> state;  ///< accepted, rejected, delivered, dead
  std::optional<std::string> since;  ///< Unix ms or YYYY-MM-DDThh:mm:ssZ
  std::optional<std::string> type;   ///< message type, e.g. SIU^S12
  std::optional<std::string> key;    ///< ordering key
  std::size_t limit = 100;
  std::int64_t after = 0;  ///< ids greater than this (paging)
};

Answer list(journal::Journal& j, const ListQuery& q);
/// One message: metadata, the bytes received and the answer given, and every delivery with its
/// translation and attempts (time, duration, code, reason, the receiver's answer).
Answer show(journal::Journal& j, std::int64_t id);
Answer stats(journal::Journal& j);
/// Applies an action and waits for its commit. Retry: `id` 0 = every dead delivery.
Answer act(journal::Journal& j, journal::Action::Kind kind, std::int64_t id);

/// "2026-12-04T18:00:00.000Z".
std::string utc(std::int64_t unix_ms);

}  // namespace fcpgw::gateway::admin
