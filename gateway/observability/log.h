#pragma once
// Structured logs: one JSON object per line on standard error, e.g.
//   {"ts":"2026-12-04T18:32:27.123Z","level":"info","event":"mllp.ack","conn":7,
//    "control_id":"MSG0001","code":"AA","journal_id":42}
// Fields are metadata only. Never pass patient data (names, NHS numbers, dates of birth, free
// text, message bodies): control ids, codes, counts, addresses and error reasons only.

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <variant>

namespace fcpgw::gateway::observability {

enum class Level : std::uint8_t { debug, info, warn, error };

/// One field of a log line.
struct Field {
  std::string_view key;
  std::variant<std::string_view, std::int64_t, std::uint64_t, double, bool> value;
  Field(std::string_view k, std::string_view v) : key(k), value(v) {}
  Field(std::string_view k, const std::string& v) : key(k), value(std::string_view(v)) {}
  Field(std::string_view k, const char* v) : key(k), value(std::string_view(v)) {}
  Field(std::string_view k, std::int64_t v) : key(k), value(v) {}
  Field(std::string_view k, int v) : key(k), value(std::int64_t{v}) {}
  Field(std::string_view k, std::uint64_t v) : key(k), value(v) {}
  Field(std::string_view k, double v) : key(k), value(v) {}
  Field(std::string_view k, bool v) : key(k), value(v) {}
};

/// Writes one line at `level` for `event` (a dotted name like "mllp.accept") if `level` is at
/// or above the threshold. Thread-safe; a line is written whole.
void log(Level level, std::string_view event, std::initializer_list<Field> fields = {});

/// The threshold (default info). Set once at start-up.
void set_log_level(Level level);
/// Parses "debug", "info", "warn", "error".
bool parse_log_level(std::string_view text, Level& out);

}  // namespace fcpgw::gateway::observability
