#include "mappings/rule_ids.h"

#include <algorithm>
#include <string_view>

namespace fcpgw::mappings {

using rapidjson::Value;

namespace {

bool id_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

// The members whose arrays hold rules (or resource and segment blocks).
bool holds_rules(std::string_view k) {
  static constexpr std::string_view kLists[] = {"resources", "set",      "add",    "segments",
                                                "then",      "choose",   "reject", "checks",
                                                "event",     "identity", "items"};
  return std::find(std::begin(kLists), std::end(kLists), k) != std::end(kLists);
}

// The position of the ')' closing the annotation that starts at s[i] (" (").
std::size_t annotation_end(std::string_view s, std::size_t i) {
  std::size_t j = i + 2;
  for (bool quoted = false; j < s.size(); ++j) {
    if (s[j] == '"')
      quoted = !quoted;
    else if (s[j] == ')' && !quoted)
      break;
  }
  return j;
}

}  // namespace

void RuleIds::add_file(const SourceFile& f, const Value& doc, std::vector<LoadError>& errors) {
  scan(f.name, doc, "", false, errors);
}

void RuleIds::scan(const std::string& file, const Value& v, const std::string& path, bool rule,
                   std::vector<LoadError>& errors) {
  if (!v.IsObject()) return;
  if (rule && v.HasMember("id")) {
    const Value& id = v["id"];
    const std::string_view text =
        id.IsString() ? std::string_view(id.GetString(), id.GetStringLength()) : "";
    if (text.empty() || !std::all_of(text.begin(), text.end(), id_char)) {
      errors.push_back({file, path, "id: a rule's id is letters, digits, '-' and '_'"});
    } else {
      auto& mine = ids_[file];
      const auto other =
          std::find_if(mine.begin(), mine.end(), [&](const auto& p) { return p.second == text; });
      if (other != mine.end())
        errors.push_back({file, path,
                          "id '" + std::string(text) + "' is also the id of " + other->first +
                              ": ids are unique in a file"});
      else
        mine.emplace(path, std::string(text));
    }
  }
  const std::string dot = path.empty() ? "" : path + ".";
  for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) {
    const std::string_view k(it->name.GetString(), it->name.GetStringLength());
    const Value& x = it->value;
    const std::string at = dot + std::string(k);
    if (holds_rules(k) && x.IsArray()) {
      for (rapidjson::SizeType i = 0; i < x.Size(); ++i)
        scan(file, x[i], at + "[" + std::to_string(i) + "]", true, errors);
    } else if (k == "resource" || k == "segment" || k == "message-header") {
      scan(file, x, at, x.IsObject(), errors);  // a piece's block, the MessageHeader
    } else if ((path.empty() && (k == "pieces" || k == "bundle")) ||
               (path == "pieces" && x.IsObject())) {
      scan(file, x, at, false, errors);
    }
  }
}

std::string RuleIds::name(const std::string& file, const std::string& where) const {
  // The place itself, then the places of the uses it came through (" (via a: p > b: q)").
  const std::size_t via = where.find(" (via ");
  if (via == std::string::npos || !where.ends_with(')')) return name_one(file, where);
  std::string out = name_one(file, where.substr(0, via)) + " (via ";
  const std::string_view chain = std::string_view(where).substr(via + 6, where.size() - via - 7);
  std::size_t start = 0;
  while (start <= chain.size()) {
    std::size_t end = chain.find(" > ", start);
    if (end == std::string_view::npos) end = chain.size();
    const std::string_view one = chain.substr(start, end - start);
    const std::size_t colon = one.find(": ");
    if (start != 0) out += " > ";
    if (colon == std::string_view::npos)
      out += one;
    else
      out += std::string(one.substr(0, colon + 2)) +
             name_one(std::string(one.substr(0, colon)), std::string(one.substr(colon + 2)));
    start = end + 3;
  }
  return out + ")";
}

std::string RuleIds::name_one(const std::string& file, const std::string& where) const {
  const auto f = ids_.find(file);
  if (f == ids_.end() || where.empty()) return where;
  // Walk the place, its annotations (` (path "x")`) left out, and keep the longest start that
  // ends a step and has an id.
  std::string bare;
  std::size_t best_end = 0;  // in `where`
  std::size_t best_size = 0;
  const std::string* best = nullptr;
  auto consider = [&](std::size_t at) {
    if (bare.size() <= best_size) return;  // the same place after an annotation
    const auto it = f->second.find(bare);
    if (it != f->second.end()) {
      best_size = bare.size();
      best = &it->second;
      best_end = at;
    }
  };
  for (std::size_t i = 0; i < where.size(); ++i) {
    const char c = where[i];
    if (c == ' ' && i + 1 < where.size() && where[i + 1] == '(') {
      consider(i);
      i = annotation_end(where, i);
      continue;
    }
    if ((c == '.' || c == '[') && !bare.empty() && bare.back() != '.') consider(i);
    bare.push_back(c);
  }
  consider(where.size());
  if (!best) return where;
  return "#" + *best + where.substr(best_end);
}

}  // namespace fcpgw::mappings
