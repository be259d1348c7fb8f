#include "gateway/admin/operations.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <charconv>
#include <cstdio>
#include <ctime>
#include <future>
#include <sstream>

#include "gateway/common/text.h"
#include "hl7v2/base/base64.h"

namespace fcpgw::gateway::admin {
namespace {

using Json = rapidjson::Writer<rapidjson::StringBuffer>;

// "1733313600000" or "2026-12-04T18:00:00Z" (UTC) -> Unix ms.
std::optional<std::int64_t> parse_time(const std::string& text) {
  std::int64_t v = 0;
  if (auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      ec == std::errc() && p == text.data() + text.size()) {
    return v;
  }
  std::tm tm{};
  int y, mo, d, h = 0, mi = 0, s = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2dZ", &y, &mo, &d, &h, &mi, &s) < 3) {
    return std::nullopt;
  }
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  return static_cast<std::int64_t>(timegm(&tm)) * 1000;
}

std::string base64(std::string_view in) {
  std::string out;
  base::append_base64(out, in);
  return out;
}

// Message bytes for a terminal: segments on their own lines, control bytes shown as \xHH.
std::string for_terminal(std::string_view bytes) {
  std::string out;
  for (unsigned char c : bytes) {
    if (c == '\r') {
      out += '\n';
    } else if (c < 0x20 && c != '\n' && c != '\t') {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  if (!out.empty() && out.back() != '\n') out += '\n';
  return out;
}

void field(Json& w, const char* key, std::string_view value) {
  w.Key(key);
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

void summary_json(Json& w, const journal::Summary& s) {
  w.StartObject();
  w.Key("id");
  w.Int64(s.id);
  field(w, "received", utc(s.received_at_ms));
  field(w, "state", journal::to_string(s.state));
  field(w, "answer_code", printable(s.answer_code, 32));
  field(w, "message_type", printable(s.message_type, 64));
  field(w, "control_id", printable(s.control_id, 200));
  field(w, "sending_facility", printable(s.sending_facility, 200));
  field(w, "listener", printable(s.listener, 64));
  field(w, "peer", printable(s.peer, 64));
  field(w, "content_type", s.content_type);
  field(w, "ordering_key", printable(s.ordering_key, 200));
  w.Key("bytes");
  w.Int64(s.raw_bytes);
  w.EndObject();
}

Answer failed(unsigned status, std::string why) {
  Answer a;
  a.status = status;
  a.error = why;
  rapidjson::StringBuffer buf;
  Json w(buf);
  w.StartObject();
  field(w, "error", why);
  w.EndObject();
  a.json = buf.GetString();
  a.text = why + "\n";
  return a;
}

unsigned status_of(const journal::Error& e) {
  return e.kind == journal::Error::Kind::closed ? 503 : 500;
}

}  // namespace

std::string utc(std::int64_t ms) {
  const std::time_t s = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&s, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return buf;
}

Answer list(journal::Journal& j, const ListQuery& q) {
  journal::Filter f;
  if (q.state) {
    f.state = journal::state_from_string(*q.state);
    if (!f.state) return failed(400, "state: expected accepted, rejected, delivered or dead");
  }
  if (q.type) f.message_type = *q.type;
  if (q.key) f.ordering_key = *q.key;
  if (q.since) {
    f.since_ms = parse_time(*q.since);
    if (!f.since_ms)
      return failed(400, "since: expected Unix milliseconds or YYYY-MM-DDThh:mm:ssZ");
  }
  f.limit = q.limit;
  f.after_id = q.after;
  journal::Error e;
  const std::vector<journal::Summary> rows = j.list(f, &e);
  if (!e.message.empty()) return failed(status_of(e), e.message);

  Answer a;
  rapidjson::StringBuffer buf;
  Json w(buf);
  w.StartArray();
  for (const journal::Summary& s : rows) summary_json(w, s);
  w.EndArray();
  a.json = buf.GetString();
  char line[512];
  std::snprintf(line, sizeof line, "%-8s %-24s %-9s %-6s %-12s %-28s %s\n", "ID", "RECEIVED",
                "STATE", "CODE", "TYPE", "CONTROL ID", "PEER");
  a.text = line;
  for (const journal::Summary& s : rows) {
    std::snprintf(line, sizeof line, "%-8lld %-24s %-9s %-6s %-12s %-28s %s\n",
                  static_cast<long long>(s.id), utc(s.received_at_ms).c_str(),
                  std::string(journal::to_string(s.state)).c_str(),
                  printable(s.answer_code, 6).c_str(), printable(s.message_type, 12).c_str(),
                  printable(s.control_id, 28).c_str(), printable(s.peer, 48).c_str());
    a.text += line;
  }
  return a;
}

Answer show(journal::Journal& j, std::int64_t id) {
  journal::Error e;
  auto rec = j.get(id, &e);
  if (!rec) {
    return e.message.empty() ? failed(404, "no journal entry " + std::to_string(id))
                             : failed(status_of(e), e.message);
  }
  const std::vector<journal::DeliveryRecord> deliveries = j.deliveries(id, &e);
  if (!e.message.empty()) return failed(status_of(e), e.message);

  Answer a;
  rapidjson::StringBuffer buf;
  Json w(buf);
  w.StartObject();
  w.Key("summary");
  summary_json(w, rec->summary);
  field(w, "raw_base64", base64(rec->raw));
  field(w, "answer_base64", base64(rec->answer));
  w.Key("deliveries");
  w.StartArray();
  for (const journal::DeliveryRecord& d : deliveries) {
    w.StartObject();
    w.Key("id");
    w.Int64(d.id);
    field(w, "destination", d.destination);
    field(w, "route", d.route);
    field(w, "mapping", d.mapping);
    field(w, "state", journal::to_string(d.state));
    w.Key("attempts");
    w.Int64(d.attempts);
    if (d.state == journal::DeliveryState::ready) field(w, "next_attempt", utc(d.due_ms));
    field(w, "updated", utc(d.updated_ms));
    field(w, "last_code", d.last_code);
    field(w, "last_reason", d.last_reason);
    field(w, "output_type", d.output_type);
    field(w, "output_base64", base64(d.output));
    w.Key("tries");
    w.StartArray();
    for (const journal::Attempt& t : d.tries) {
      w.StartObject();
      field(w, "started", utc(t.started_ms));
      w.Key("duration_ms");
      w.Int64(t.duration_ms);
      field(w, "code", t.code);
      field(w, "reason", t.reason);
      field(w, "response_base64", base64(t.response));
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  a.json = buf.GetString();

  const journal::Summary& s = rec->summary;
  std::ostringstream out;
  out << "id:               " << s.id << '\n'
      << "received:         " << utc(s.received_at_ms) << '\n'
      << "state:            " << journal::to_string(s.state) << '\n'
      << "listener, peer:   " << s.listener << ", " << s.peer << '\n'
      << "type:             " << printable(s.message_type, 64) << " (" << s.content_type << ")\n"
      << "control id:       " << printable(s.control_id, 200) << '\n'
      << "sender:           " << printable(s.sending_facility, 200) << '\n'
      << "ordering key:     " << printable(s.ordering_key, 200) << '\n'
      << "answer code:      " << printable(s.answer_code, 32) << '\n'
      << "--- received (" << rec->raw.size() << " bytes)\n"
      << for_terminal(rec->raw) << "--- answered\n"
      << for_terminal(rec->answer);
  for (const journal::DeliveryRecord& d : deliveries) {
    out << "--- delivery " << d.id << " to " << d.destination << " (route " << d.route
        << "): " << journal::to_string(d.state) << ", " << d.attempts << " attempt"
        << (d.attempts == 1 ? "" : "s");
    if (d.state == journal::DeliveryState::ready && d.attempts > 0) {
      out << ", next at " << utc(d.due_ms);
    }
    out << '\n';
    for (const journal::Attempt& t : d.tries) {
      out << "  " << utc(t.started_ms) << "  " << t.duration_ms << " ms  " << t.code << "  "
          << t.reason << '\n';
      if (!t.response.empty()) {
        std::string response = for_terminal(t.response.substr(0, 2000));
        for (std::size_t at = 0; at < response.size();) {
          const auto nl = response.find('\n', at);
          out << "    | " << response.substr(at, nl - at) << '\n';
          at = nl + 1;
        }
      }
    }
    if (!d.output_type.empty()) {
      out << "  translated (" << d.output_type << ", " << d.output.size() << " bytes):\n"
          << for_terminal(d.output);
    }
  }
  a.text = out.str();
  return a;
}

Answer stats(journal::Journal& j) {
  const journal::Stats s = j.stats();
  Answer a;
  rapidjson::StringBuffer buf;
  Json w(buf);
  w.StartObject();
  for (const auto& [key, value] : {std::pair{"messages", s.messages},
                                   {"accepted", s.accepted},
                                   {"rejected", s.rejected},
                                   {"delivered", s.delivered},
                                   {"dead", s.dead},
                                   {"file_bytes", s.file_bytes}}) {
    w.Key(key);
    w.Int64(value);
  }
  w.Key("deliveries");
  w.StartArray();
  for (const journal::DeliveryCount& c : s.deliveries) {
    w.StartObject();
    field(w, "destination", c.destination);
    field(w, "state", journal::to_string(c.state));
    w.Key("count");
    w.Int64(c.count);
    field(w, "oldest_received", utc(c.oldest_received_ms));
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  a.json = buf.GetString();
  std::ostringstream out;
  out << "messages:  " << s.messages << '\n'
      << "accepted:  " << s.accepted << '\n'
      << "rejected:  " << s.rejected << '\n'
      << "delivered: " << s.delivered << '\n'
      << "dead:      " << s.dead << '\n'
      << "on disk:   " << s.file_bytes << " bytes\n";
  if (!s.deliveries.empty()) out << "open and dead deliveries:\n";
  for (const journal::DeliveryCount& c : s.deliveries) {
    out << "  " << c.destination << "  " << journal::to_string(c.state) << "  " << c.count
        << "  oldest " << utc(c.oldest_received_ms) << '\n';
  }
  a.text = out.str();
  return a;
}

Answer act(journal::Journal& j, journal::Action::Kind kind, std::int64_t id) {
  journal::Action action;
  action.kind = kind;
  action.message_id = id;
  std::promise<std::pair<std::optional<journal::Error>, std::int64_t>> done;
  auto result = done.get_future();
  j.act(action, [&done](std::optional<journal::Error> e, std::int64_t changed) {
    done.set_value({std::move(e), changed});
  });
  const auto [error, changed] = result.get();
  if (error) return failed(status_of(*error), error->message);
  const char* verb = kind == journal::Action::Kind::retry    ? "retry"
                     : kind == journal::Action::Kind::replay ? "replay"
                                                             : "skip";
  if (changed == 0 && id != 0 && !j.get(id)) {
    return failed(404, "no journal entry " + std::to_string(id));
  }
  Answer a;
  rapidjson::StringBuffer buf;
  Json w(buf);
  w.StartObject();
  field(w, "action", verb);
  w.Key("message");
  w.Int64(id);
  w.Key("deliveries");
  w.Int64(changed);
  w.EndObject();
  a.json = buf.GetString();
  const std::string what = id == 0 ? "every dead delivery" : "message " + std::to_string(id);
  a.text = std::string(verb) + " " + what + ": " + std::to_string(changed) + " deliver" +
           (changed == 1 ? "y" : "ies") + " changed\n";
  return a;
}

}  // namespace fcpgw::gateway::admin
