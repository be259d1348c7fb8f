#include "gateway/cli/journal.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <memory>

#include "gateway/common/text.h"
#include "gateway/journal/sqlite_journal.h"

namespace fcpgw::gateway::cli {

namespace {

using Json = rapidjson::Writer<rapidjson::StringBuffer>;

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

std::unique_ptr<journal::Journal> open(const JournalOptions& opt, Reporter& rep) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(opt.path, ec)) {
    rep.line("journal " + opt.path + ": no such file (give --journal, or --config of the gateway)");
    return nullptr;
  }
  journal::SqliteOptions o;
  o.path = opt.path;
  o.retention = std::chrono::seconds(0);  // a reader never prunes
  journal::Error e;
  auto j = journal::open_sqlite_journal(o, e);
  if (!j) rep.line("journal " + opt.path + ": " + e.message);
  return j;
}

void summary_json(Json& w, const journal::Summary& s) {
  w.StartObject();
  w.Key("id");
  w.Int64(s.id);
  w.Key("received");
  w.String(utc(s.received_at_ms).c_str());
  w.Key("state");
  w.String(std::string(journal::to_string(s.state)).c_str());
  w.Key("answer_code");
  w.String(printable(s.answer_code, 32).c_str());
  w.Key("message_type");
  w.String(printable(s.message_type, 64).c_str());
  w.Key("control_id");
  w.String(printable(s.control_id, 200).c_str());
  w.Key("sending_facility");
  w.String(printable(s.sending_facility, 200).c_str());
  w.Key("listener");
  w.String(s.listener.c_str());
  w.Key("peer");
  w.String(s.peer.c_str());
  w.Key("content_type");
  w.String(s.content_type.c_str());
  w.Key("ordering_key");
  w.String(printable(s.ordering_key, 200).c_str());
  w.Key("bytes");
  w.Int64(s.raw_bytes);
  w.EndObject();
}

std::string base64(std::string_view in) {
  static constexpr char k[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(in[i]) << 16) |
                       (static_cast<unsigned char>(in[i + 1]) << 8) |
                       static_cast<unsigned char>(in[i + 2]);
    out += {k[v >> 18], k[(v >> 12) & 63], k[(v >> 6) & 63], k[v & 63]};
  }
  if (i < in.size()) {
    unsigned v = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<unsigned char>(in[i + 1]) << 8;
    out += k[v >> 18];
    out += k[(v >> 12) & 63];
    out += i + 1 < in.size() ? k[(v >> 6) & 63] : '=';
    out += '=';
  }
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

}  // namespace

int cmd_journal_list(const JournalOptions& opt, std::ostream& out, Reporter& rep) {
  journal::Filter f;
  if (opt.state) f.state = journal::state_from_string(*opt.state);
  if (opt.type) f.message_type = *opt.type;
  if (opt.key) f.ordering_key = *opt.key;
  if (opt.since) {
    f.since_ms = parse_time(*opt.since);
    if (!f.since_ms) {
      rep.line("--since: expected Unix milliseconds or YYYY-MM-DDThh:mm:ssZ");
      return code(Exit::bad_input);
    }
  }
  f.limit = opt.limit;
  auto j = open(opt, rep);
  if (!j) return code(Exit::bad_input);
  journal::Error e;
  const std::vector<journal::Summary> rows = j->list(f, &e);
  if (!e.message.empty()) {
    rep.line("journal " + opt.path + ": " + e.message);
    return code(Exit::internal);
  }
  if (opt.json) {
    rapidjson::StringBuffer buf;
    Json w(buf);
    w.StartArray();
    for (const journal::Summary& s : rows) summary_json(w, s);
    w.EndArray();
    out << buf.GetString() << '\n';
    return code(Exit::ok);
  }
  char line[512];
  std::snprintf(line, sizeof line, "%-8s %-24s %-9s %-6s %-12s %-28s %s\n", "ID", "RECEIVED",
                "STATE", "CODE", "TYPE", "CONTROL ID", "PEER");
  out << line;
  for (const journal::Summary& s : rows) {
    std::snprintf(line, sizeof line, "%-8lld %-24s %-9s %-6s %-12s %-28s %s\n",
                  static_cast<long long>(s.id), utc(s.received_at_ms).c_str(),
                  std::string(journal::to_string(s.state)).c_str(),
                  printable(s.answer_code, 6).c_str(), printable(s.message_type, 12).c_str(),
                  printable(s.control_id, 28).c_str(), printable(s.peer, 48).c_str());
    out << line;
  }
  return code(Exit::ok);
}

int cmd_journal_show(const JournalOptions& opt, std::ostream& out, Reporter& rep) {
  auto j = open(opt, rep);
  if (!j) return code(Exit::bad_input);
  journal::Error e;
  auto rec = j->get(opt.id, &e);
  if (!rec) {
    rep.line(e.message.empty() ? "journal " + opt.path + ": no entry " + std::to_string(opt.id)
                               : "journal " + opt.path + ": " + e.message);
    return code(e.message.empty() ? Exit::bad_input : Exit::internal);
  }
  if (opt.json) {
    rapidjson::StringBuffer buf;
    Json w(buf);
    w.StartObject();
    w.Key("summary");
    summary_json(w, rec->summary);
    w.Key("raw_base64");
    w.String(base64(rec->raw).c_str());
    w.Key("answer_base64");
    w.String(base64(rec->answer).c_str());
    w.EndObject();
    out << buf.GetString() << '\n';
    return code(Exit::ok);
  }
  const journal::Summary& s = rec->summary;
  out << "id:               " << s.id << '\n'
      << "received:         " << utc(s.received_at_ms) << '\n'
      << "state:            " << journal::to_string(s.state) << '\n'
      << "listener, peer:   " << s.listener << ", " << s.peer << '\n'
      << "type:             " << printable(s.message_type, 64) << " (" << s.content_type
      << ")\n"
      << "control id:       " << printable(s.control_id, 200) << '\n'
      << "sender:           " << printable(s.sending_facility, 200) << '\n'
      << "ordering key:     " << printable(s.ordering_key, 200) << '\n'
      << "answer code:      " << printable(s.answer_code, 32) << '\n'
      << "--- received (" << rec->raw.size() << " bytes)\n"
      << for_terminal(rec->raw) << "--- answered\n"
      << for_terminal(rec->answer);
  return code(Exit::ok);
}

int cmd_journal_stats(const JournalOptions& opt, std::ostream& out, Reporter& rep) {
  auto j = open(opt, rep);
  if (!j) return code(Exit::bad_input);
  const journal::Stats s = j->stats();
  if (opt.json) {
    out << "{\"messages\":" << s.messages << ",\"accepted\":" << s.accepted
        << ",\"rejected\":" << s.rejected << ",\"delivered\":" << s.delivered
        << ",\"dead\":" << s.dead << ",\"file_bytes\":" << s.file_bytes << "}\n";
    return code(Exit::ok);
  }
  out << "messages:  " << s.messages << '\n'
      << "accepted:  " << s.accepted << '\n'
      << "rejected:  " << s.rejected << '\n'
      << "delivered: " << s.delivered << '\n'
      << "dead:      " << s.dead << '\n'
      << "on disk:   " << s.file_bytes << " bytes\n";
  return code(Exit::ok);
}

}  // namespace fcpgw::gateway::cli
