#include "fhir/json_diff.h"

#include <string_view>

#include "fhir/json.h"

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
    // Cut on a UTF-8 boundary.
    std::size_t cut = max;
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
    s.resize(cut);
    s += "...";
  }
  return s;
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
      const rapidjson::SizeType n = e.Size() > g.Size() ? e.Size() : g.Size();
      for (rapidjson::SizeType i = 0; i < n && !full(); ++i) {
        const std::size_t mark = path.size();
        path += '[';
        path += std::to_string(i);
        path += ']';
        if (i >= g.Size()) {
          add(JsonDifference::Kind::missing, path, &e[i], nullptr);
        } else if (i >= e.Size()) {
          add(JsonDifference::Kind::added, path, nullptr, &g[i]);
        } else {
          compare(e[i], g[i], path);
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
