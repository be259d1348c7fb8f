#include "fhir/json_diff.h"

#include <algorithm>
#include <optional>
#include <string_view>
#include <utility>

#include "fhir/json.h"
#include "hl7v2/base/utf8.h"

namespace fcpgw::fhir {

namespace {

bool plain_name(std::string_view s) {
  if (s.empty()) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    const bool digit = c >= '0' && c <= '9';
    if (!(alpha || (i > 0 && (digit || c == '-')))) return false;
  }
  return true;
}

std::string render(const rapidjson::Value& v, std::size_t max) {
  auto text = to_json(v, Format::compact);
  std::string s = text ? std::move(*text) : std::string("(not printable as JSON)");
  if (s.size() > max) {
    s.resize(base::utf8_cut(s, max));
    s += "...";
  }
  return s;
}

// How well two array items pair up: 3 equal, 2 objects that agree on at least half of their
// members, 1 same JSON type, 0 never (a string is not paired with an object).
int pair_score(const rapidjson::Value& a, const rapidjson::Value& b) {
  if (json_equal(a, b)) return 3;
  if (a.GetType() != b.GetType() && !(a.IsNumber() && b.IsNumber())) return 0;
  if (!a.IsObject()) return 1;
  rapidjson::SizeType same = 0;
  for (auto m = a.MemberBegin(); m != a.MemberEnd(); ++m) {
    const auto found = b.FindMember(m->name);
    if (found != b.MemberEnd() && json_equal(m->value, found->value)) ++same;
  }
  const rapidjson::SizeType most = std::max(a.MemberCount(), b.MemberCount());
  return same > 0 && 2 * same >= most ? 2 : 1;
}

// Items of two arrays in order, paired so that the total pair_score is highest (a weighted
// longest common subsequence): {i, j} pairs expected[i] with got[j], {i, -} is only in
// expected, {-, j} only in got. One item inserted into a list reads as one added item, not as
// a change of every item after it. Very long arrays are paired by position.
using Pairing = std::vector<std::pair<std::optional<std::size_t>, std::optional<std::size_t>>>;
Pairing align(const rapidjson::Value& e, const rapidjson::Value& g) {
  const std::size_t n = e.Size(), m = g.Size();
  Pairing out;
  constexpr std::size_t kMaxCells = 1u << 18;
  if (n * m > kMaxCells) {
    for (std::size_t k = 0; k < std::max(n, m); ++k)
      out.emplace_back(k < n ? std::optional(k) : std::nullopt,
                       k < m ? std::optional(k) : std::nullopt);
    return out;
  }
  // best[i][j]: the highest total for e[i..] and g[j..].
  std::vector<int> score(n * m), best((n + 1) * (m + 1), 0);
  const auto at = [m](std::size_t i, std::size_t j) { return i * (m + 1) + j; };
  for (std::size_t i = n; i-- > 0;)
    for (std::size_t j = m; j-- > 0;) {
      score[i * m + j] = pair_score(e[static_cast<rapidjson::SizeType>(i)],
                                    g[static_cast<rapidjson::SizeType>(j)]);
      int b = std::max(best[at(i + 1, j)], best[at(i, j + 1)]);
      if (score[i * m + j] > 0) b = std::max(b, score[i * m + j] + best[at(i + 1, j + 1)]);
      best[at(i, j)] = b;
    }
  std::size_t i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && score[i * m + j] > 0 &&
        best[at(i, j)] == score[i * m + j] + best[at(i + 1, j + 1)]) {
      out.emplace_back(i++, j++);
    } else if (i < n && (j == m || best[at(i, j)] == best[at(i + 1, j)])) {
      out.emplace_back(i++, std::nullopt);
    } else {
      out.emplace_back(std::nullopt, j++);
    }
  }
  return out;
}

class Differ {
 public:
  Differ(const JsonDiffOptions& o, std::vector<JsonDifference>& out) : opt_(o), out_(out) {}

  void compare(const rapidjson::Value& e, const rapidjson::Value& g, std::string& path) {
    if (full()) return;
    if (e.IsObject() && g.IsObject()) {
      for (auto m = e.MemberBegin(); m != e.MemberEnd() && !full(); ++m) {
        const std::string_view name(m->name.GetString(), m->name.GetStringLength());
        const std::size_t mark = push_member(path, name);
        const auto found = g.FindMember(m->name);
        if (found == g.MemberEnd()) {
          add(JsonDifference::Kind::missing, path, &m->value, nullptr);
        } else {
          compare(m->value, found->value, path);
        }
        path.resize(mark);
      }
      for (auto m = g.MemberBegin(); m != g.MemberEnd() && !full(); ++m) {
        if (e.FindMember(m->name) != e.MemberEnd()) continue;
        const std::size_t mark =
            push_member(path, std::string_view(m->name.GetString(), m->name.GetStringLength()));
        add(JsonDifference::Kind::added, path, nullptr, &m->value);
        path.resize(mark);
      }
      return;
    }
    if (e.IsArray() && g.IsArray()) {
      for (const auto& [i, j] : align(e, g)) {
        if (full()) return;
        const std::size_t mark = path.size();
        path += '[';
        path += std::to_string(j ? *j : *i);
        path += ']';
        if (!j) {
          add(JsonDifference::Kind::missing, path, &e[*i], nullptr);
        } else if (!i) {
          add(JsonDifference::Kind::added, path, nullptr, &g[*j]);
        } else {
          compare(e[*i], g[*j], path);
        }
        path.resize(mark);
      }
      return;
    }
    if (!json_equal(e, g)) add(JsonDifference::Kind::changed, path, &e, &g);
  }

 private:
  bool full() const { return out_.size() >= opt_.max_differences; }

  static std::size_t push_member(std::string& path, std::string_view name) {
    const std::size_t mark = path.size();
    if (plain_name(name)) {
      if (!path.empty()) path += '.';
      path += name;
    } else {
      rapidjson::Value key(rapidjson::StringRef(name.data(), name.size()));
      path += '[';
      path += render(key, 1u << 20);
      path += ']';
    }
    return mark;
  }

  void add(JsonDifference::Kind k, const std::string& path, const rapidjson::Value* e,
           const rapidjson::Value* g) {
    JsonDifference d;
    d.kind = k;
    d.path = path;
    if (e) d.expected = render(*e, opt_.max_value_chars);
    if (g) d.got = render(*g, opt_.max_value_chars);
    out_.push_back(std::move(d));
  }

  const JsonDiffOptions& opt_;
  std::vector<JsonDifference>& out_;
};

}  // namespace

std::vector<JsonDifference> json_diff(const rapidjson::Value& expected, const rapidjson::Value& got,
                                      const JsonDiffOptions& options) {
  std::vector<JsonDifference> out;
  if (options.max_differences == 0) return out;
  std::string path;
  Differ(options, out).compare(expected, got, path);
  return out;
}

std::string to_string(const JsonDifference& d) {
  const std::string path = d.path.empty() ? std::string("(root)") : d.path;
  switch (d.kind) {
    case JsonDifference::Kind::added:
      return "+ " + path + ": " + d.got;
    case JsonDifference::Kind::missing:
      return "- " + path + ": " + d.expected;
    case JsonDifference::Kind::changed:
      break;
  }
  return path + ": expected " + d.expected + ", got " + d.got;
}

}  // namespace fcpgw::fhir
