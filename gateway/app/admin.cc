#include "gateway/app/admin.h"

#include <boost/asio/post.hpp>
#include <charconv>
#include <cstdio>
#include <optional>
#include <utility>

#include "gateway/admin/operations.h"

namespace fcpgw::gateway::app {
namespace {

service::Answer json_answer(unsigned status, std::string body) {
  service::Answer a;
  a.status = status;
  a.content_type = "application/json";
  a.body = std::move(body);
  a.code = std::to_string(status);
  return a;
}

service::Answer from(const admin::Answer& a) { return json_answer(a.status, a.json); }

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

service::Answer problem(unsigned status, std::string_view why) {
  return json_answer(status, "{\"error\":" + json_string(why) + "}");
}

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// application/x-www-form-urlencoded decoding of one query value; nullopt when malformed.
std::optional<std::string> decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      const int hi = hex(s[i + 1]), lo = hex(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::optional<std::int64_t> positive(std::string_view s) {
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v <= 0) return std::nullopt;
  return v;
}

}  // namespace

AdminApi::AdminApi(journal::Journal& journal, std::function<std::vector<std::string>()> reload,
                   std::function<void()> after_act)
    : journal_(journal), reload_(std::move(reload)), after_act_(std::move(after_act)) {}

AdminApi::~AdminApi() { stop(); }

void AdminApi::stop() { pool_.join(); }

void AdminApi::handle(service::AdminRequest request, service::AnswerHandler done) {
  boost::asio::post(pool_, [this, request = std::move(request), done = std::move(done)] {
    done(answer(request));
  });
}

service::Answer AdminApi::answer(const service::AdminRequest& r) {
  const bool get = r.method == "GET";
  if (r.path == "reload") {
    if (get) return problem(405, "POST /admin/reload");
    const std::vector<std::string> problems = reload_();
    if (problems.empty()) return json_answer(200, "{\"reloaded\":true}");
    std::string body = "{\"reloaded\":false,\"problems\":[";
    for (std::size_t i = 0; i < problems.size(); ++i) {
      body += (i ? "," : "") + json_string(problems[i]);
    }
    return json_answer(422, body + "]}");
  }
  if (r.path == "journal") {
    if (!get) return problem(405, "GET /admin/journal");
    admin::ListQuery q;
    for (std::size_t at = 0; at < r.query.size();) {
      auto amp = r.query.find('&', at);
      if (amp == std::string::npos) amp = r.query.size();
      const std::string_view pair = std::string_view(r.query).substr(at, amp - at);
      at = amp + 1;
      if (pair.empty()) continue;
      const auto eq = pair.find('=');
      const std::string_view name = pair.substr(0, eq);
      const auto value =
          decode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
      if (!value) return problem(400, "malformed query value for " + std::string(name.substr(0, 20)));
      if (name == "state") {
        q.state = *value;
      } else if (name == "since") {
        q.since = *value;
      } else if (name == "type") {
        q.type = *value;
      } else if (name == "key") {
        q.key = *value;
      } else if (name == "limit" || name == "after") {
        const auto n = positive(*value);
        if (!n || (name == "limit" && *n > 100000)) {
          return problem(400, std::string(name) + ": expected a positive integer" +
                                  (name == "limit" ? " up to 100000" : ""));
        }
        if (name == "limit") {
          q.limit = static_cast<std::size_t>(*n);
        } else {
          q.after = *n;
        }
      } else {
        return problem(400, "unknown query parameter (state, since, type, key, limit, after)");
      }
    }
    return from(admin::list(journal_, q));
  }
  if (r.path == "journal/stats") {
    if (!get) return problem(405, "GET /admin/journal/stats");
    return from(admin::stats(journal_));
  }
  if (r.path == "journal/retry-dead") {
    if (get) return problem(405, "POST /admin/journal/retry-dead");
    auto a = admin::act(journal_, journal::Action::Kind::retry, 0);
    if (a.status == 200 && after_act_) after_act_();
    return from(a);
  }
  if (r.path.starts_with("journal/")) {
    const std::string_view rest = std::string_view(r.path).substr(8);
    const auto slash = rest.find('/');
    const auto id = positive(rest.substr(0, slash));
    if (!id) return problem(404, "no such admin path");
    if (slash == std::string_view::npos) {
      if (!get) return problem(405, "GET /admin/journal/{id}");
      return from(admin::show(journal_, *id));
    }
    const std::string_view verb = rest.substr(slash + 1);
    std::optional<journal::Action::Kind> kind;
    if (verb == "retry") kind = journal::Action::Kind::retry;
    if (verb == "replay") kind = journal::Action::Kind::replay;
    if (verb == "skip") kind = journal::Action::Kind::skip;
    if (!kind) return problem(404, "no such admin path");
    if (get) return problem(405, "POST /admin/journal/{id}/" + std::string(verb));
    auto a = admin::act(journal_, *kind, *id);
    if (a.status == 200 && after_act_) after_act_();
    return from(a);
  }
  return problem(404, "no such admin path");
}

}  // namespace fcpgw::gateway::app
