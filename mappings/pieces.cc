#include "mappings/pieces.h"

#include <algorithm>
#include <deque>
#include <optional>
#include <string_view>

#include "mappings/suggest.h"

namespace fcpgw::mappings {

using rapidjson::Value;
using Alloc = rapidjson::Document::AllocatorType;

// -- RuleOrigins --

void RuleOrigins::add(std::string expanded, const std::string& file, std::string path,
                      std::string via) {
  tops_.emplace(expanded.substr(0, expanded.find('.')));
  places_[std::move(expanded)] = Place{file, std::move(path), std::move(via)};
}

std::pair<std::string, std::string> RuleOrigins::locate(const std::string& file,
                                                        const std::string& rule) const {
  // Most rules are in a top-level block with nothing recorded below it.
  if (!tops_.contains(std::string_view(rule).substr(0, rule.find_first_of(". "))))
    return {file, rule};
  // The path without its annotations (` (path "name[+]")`): called for every rule at load,
  // so the buffer is reused and the lookups take views.
  thread_local std::string bare;
  bare.clear();
  for (std::size_t i = 0; i < rule.size(); ++i) {
    if (rule[i] == ' ' && i + 1 < rule.size() && rule[i + 1] == '(') {
      i = annotation_end(rule, i);
      continue;
    }
    bare.push_back(rule[i]);
  }
  for (std::size_t n = bare.size(); n > 0; --n) {
    if (n < bare.size() && bare[n] != '.' && bare[n] != '[') continue;
    const auto it = places_.find(std::string_view(bare).substr(0, n));
    if (it == places_.end()) continue;
    // The rest of the rule id after the first n characters of the path.
    std::size_t at = 0;
    for (std::size_t seen = 0; seen < n; ++at) {
      if (rule[at] == ' ' && at + 1 < rule.size() && rule[at + 1] == '(')
        at = annotation_end(rule, at);
      else
        ++seen;
    }
    const Place& p = it->second;
    std::string out = p.path + rule.substr(at);
    if (!p.via.empty()) out += " (via " + p.via + ")";
    return {p.file, std::move(out)};
  }
  return {file, rule};
}

std::size_t RuleOrigins::annotation_end(const std::string& rule, std::size_t i) {
  std::size_t j = i + 2;
  for (bool quoted = false; j < rule.size(); ++j) {
    if (rule[j] == '"')
      quoted = !quoted;
    else if (rule[j] == ')' && !quoted)
      break;
  }
  return j;
}

// -- helpers --

namespace {

std::string index(std::size_t i) { return "[" + std::to_string(i) + "]"; }

bool param_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

const char* kind_name(Pieces::Kind k) {
  switch (k) {
    case Pieces::Kind::resource:
      return "resource piece";
    case Pieces::Kind::segment:
      return "segment piece";
    case Pieces::Kind::items:
      return "item family";
  }
  return "";
}

std::string a_kind(Pieces::Kind k) {
  return (k == Pieces::Kind::items ? "an " : "a ") + std::string(kind_name(k));
}

// A place in the expanded document: a chain of steps up to the document's root. Its paths
// (in the expanded document, and in the file whose text it is) are spelled out only when the
// place is recorded in RuleOrigins or reported, not for every value copied.
struct Here {
  enum class Step { root, member, element, piece };
  const Here* up = nullptr;
  Step step = Step::root;
  std::string_view key_x, key_o;        // member: the key in the expanded document and in the text
  std::size_t xi = 0, oi = 0;           // element: the index in the expanded list and in the text
  bool indexed = false;                 // piece: the piece's block takes the place of element [xi]
  const std::string* o_base = nullptr;  // piece: the path of the piece's text in its file
  const std::string* file = nullptr;    // the file whose text it is
  const std::string* via = nullptr;     // the uses it came through, outermost first

  Here member(std::string_view k) const { return member(k, k); }
  Here member(std::string_view kx, std::string_view ko) const {
    return Here{this, Step::member, kx, ko, 0, 0, false, nullptr, file, via};
  }
  Here element(std::size_t x, std::size_t o) const {
    return Here{this, Step::element, {}, {}, x, o, false, nullptr, file, via};
  }
  /// The text of a piece, at this place (`indexed`: as element [xi] of this list).
  Here piece(const std::string& text_file, const std::string& path, const std::string& through,
             bool as_element, std::size_t x) const {
    return Here{this, Step::piece, {}, {}, x, 0, as_element, &path, &text_file, &through};
  }

  std::string x() const {
    switch (step) {
      case Step::root:
        return {};
      case Step::member: {
        std::string s = up->x();
        return (s.empty() ? s : s + ".") + std::string(key_x);
      }
      case Step::element:
        return up->x() + index(xi);
      case Step::piece:
        return indexed ? up->x() + index(xi) : up->x();
    }
    return {};
  }
  std::string o() const {
    switch (step) {
      case Step::root:
        return {};
      case Step::member: {
        std::string s = up->o();
        return (s.empty() ? s : s + ".") + std::string(key_o);
      }
      case Step::element:
        return up->o() + index(oi);
      case Step::piece:
        return *o_base;
    }
    return {};
  }
};

void collect_condition_refs(const Value& v, std::vector<std::string>& out) {
  if (v.IsObject()) {
    for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) {
      if (std::string_view(it->name.GetString()) == "is" && it->value.IsString())
        out.emplace_back(it->value.GetString());
      collect_condition_refs(it->value, out);
    }
  } else if (v.IsArray()) {
    for (const auto& x : v.GetArray()) collect_condition_refs(x, out);
  }
}

}  // namespace

bool is_pieces_file(const Value& doc) {
  return doc.IsObject() && doc.HasMember("pieces") && !doc.HasMember("mapping");
}

// -- reading shared files --

namespace {

// Checks the `@param` references in the strings of `v` against `params`, marking the ones used.
void scan_params(const Value& v, const std::string& path, const std::vector<std::string>& params,
                 std::vector<bool>& used, const std::string& file, std::vector<LoadError>& errors) {
  if (v.IsString()) {
    const std::string_view s(v.GetString(), v.GetStringLength());
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (s[i] != '@') continue;
      if (i + 1 < s.size() && s[i + 1] == '@') {
        ++i;
        continue;
      }
      std::size_t j = i + 1;
      while (j < s.size() && param_char(s[j])) ++j;
      const std::string name(s.substr(i + 1, j - i - 1));
      const auto it = std::find(params.begin(), params.end(), name);
      if (it == params.end())
        errors.push_back({file, path,
                          "'@" + name + "' is not a parameter of this piece" +
                              did_you_mean(name, params) + " (write @@ for a literal @)"});
      else
        used[static_cast<std::size_t>(it - params.begin())] = true;
      i = j - 1;
    }
  } else if (v.IsObject()) {
    for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it)
      scan_params(it->value, path + "." + it->name.GetString(), params, used, file, errors);
  } else if (v.IsArray()) {
    for (rapidjson::SizeType i = 0; i < v.Size(); ++i)
      scan_params(v[i], path + index(i), params, used, file, errors);
  }
}

}  // namespace

void Pieces::add_file(const SourceFile& f, const Value& doc, std::vector<LoadError>& errors) {
  auto error = [&](const std::string& rule, std::string message) {
    errors.push_back({f.name, rule, std::move(message)});
  };
  for (auto it = doc.MemberBegin(); it != doc.MemberEnd(); ++it) {
    const std::string_view k = it->name.GetString();
    if (k != "$schema" && k != "pieces" && k != "direction" && k != "description" &&
        k != "conditions" && k != "comment")
      error("", "unknown key '" + std::string(k) + "' in a shared file");
  }
  const std::string dir =
      doc.HasMember("direction") && doc["direction"].IsString() ? doc["direction"].GetString() : "";
  if (dir != "v2-to-fhir" && dir != "fhir-to-v2") {
    error("direction", "a shared file needs \"direction\": \"v2-to-fhir\" or \"fhir-to-v2\"");
    return;
  }
  if (doc.HasMember("conditions")) {
    const Value& c = doc["conditions"];
    if (!c.IsObject()) {
      error("conditions", "expected an object of name -> condition");
    } else {
      for (auto it = c.MemberBegin(); it != c.MemberEnd(); ++it) {
        const std::string name = it->name.GetString();
        bool dup = false;
        for (const auto& o : conditions_)
          if (o.name == name && o.direction == dir) {
            error("conditions." + name, "condition '" + name + "' is also defined in " + o.file);
            dup = true;
          }
        if (!dup) conditions_.push_back({name, f.name, dir, &it->value});
        collect_condition_refs(it->value, condition_refs_);
      }
    }
  }
  if (!doc["pieces"].IsObject()) {
    error("pieces", "expected an object of name -> piece");
    return;
  }
  const Value& all = doc["pieces"];
  for (auto it = all.MemberBegin(); it != all.MemberEnd(); ++it) {
    const std::string name = it->name.GetString();
    const std::string at = "pieces." + name;
    const Value& p = it->value;
    if (name.empty() || !std::all_of(name.begin(), name.end(), param_char)) {
      error(at, "a piece name is letters, digits, '-' and '_'");
      continue;
    }
    if (!p.IsObject()) {
      error(at, "expected an object with \"resource\", \"segment\" or \"items\"");
      continue;
    }
    Piece pc;
    pc.name = name;
    pc.file = f.name;
    pc.direction = dir;
    int kinds = 0;
    for (auto m = p.MemberBegin(); m != p.MemberEnd(); ++m) {
      const std::string_view k = m->name.GetString();
      if (k == "resource" || k == "segment" || k == "items") {
        ++kinds;
        pc.kind = k == "resource" ? Kind::resource : k == "segment" ? Kind::segment : Kind::items;
        pc.path = at + "." + std::string(k);
        pc.body = &m->value;
      } else if (k != "params" && k != "description" && k != "comment") {
        error(at, "unknown key '" + std::string(k) +
                      "' (a piece has \"resource\", \"segment\" or \"items\", and \"params\")");
      }
    }
    if (kinds != 1) {
      error(at, "a piece has exactly one of \"resource\", \"segment\", \"items\"");
      continue;
    }
    if (pc.kind == Kind::resource && dir != "v2-to-fhir") {
      error(pc.path, "resource pieces belong to v2-to-fhir shared files");
      continue;
    }
    if (pc.kind == Kind::segment && dir != "fhir-to-v2") {
      error(pc.path, "segment pieces belong to fhir-to-v2 shared files");
      continue;
    }
    if (pc.kind == Kind::items ? !pc.body->IsArray() || pc.body->Empty() : !pc.body->IsObject()) {
      error(pc.path, pc.kind == Kind::items ? "expected a non-empty array of rules"
                                            : "expected an object (a whole block)");
      continue;
    }
    if (pc.kind != Kind::items && pc.body->HasMember("use")) {
      error(pc.path, "a piece's block is written out, not another \"use\"");
      continue;
    }
    if (p.HasMember("params")) {
      const Value& ps = p["params"];
      if (!ps.IsObject()) {
        error(at + ".params", "expected an object of name -> description");
      } else {
        for (auto m = ps.MemberBegin(); m != ps.MemberEnd(); ++m) {
          const std::string pn = m->name.GetString();
          if (pn.empty() || !std::all_of(pn.begin(), pn.end(), param_char) || !m->value.IsString())
            error(at + ".params." + pn,
                  "a parameter is a name (letters, digits, '-', '_') -> its description");
          else
            pc.params.push_back(pn);
        }
      }
    }
    std::vector<bool> used(pc.params.size(), false);
    scan_params(*pc.body, pc.path, pc.params, used, f.name, errors);
    for (std::size_t i = 0; i < used.size(); ++i)
      if (!used[i])
        error(at + ".params." + pc.params[i], "parameter '" + pc.params[i] +
                                                  "' is not used in the piece (write @" +
                                                  pc.params[i] + " where it goes)");
    bool dup = false;
    for (const auto& o : pieces_)
      if (o.name == name && o.direction == dir) {
        error(at, "piece '" + name + "' is also defined in " + o.file);
        dup = true;
      }
    collect_condition_refs(*pc.body, condition_refs_);
    if (!dup) pieces_.push_back(std::move(pc));
  }
}

// -- expansion --

class Expansion {
 public:
  Expansion(Pieces& pieces, const std::string& direction, Alloc& alloc, RuleOrigins& origins,
            std::vector<LoadError>& errors)
      : pieces_(pieces), dir_(direction), a_(alloc), origins_(origins), errors_(errors) {}

  struct Args {  // a use's parameters: name -> text
    std::vector<std::pair<std::string, std::string>> values;
  };

  // Copies `in` to `out`, expanding the uses in its lists and the piece parameters in `args`.
  void copy(const Value& in, Value& out, const Here& h, const Args* args, bool top) {
    if (in.IsObject()) {
      out.SetObject();
      for (auto it = in.MemberBegin(); it != in.MemberEnd(); ++it) {
        const std::string_view k(it->name.GetString(), it->name.GetStringLength());
        const Here hk = h.member(k);
        Value v;
        const auto kind = list_kind(k, top);
        if (kind && it->value.IsArray()) {
          v.SetArray();
          list(it->value, *kind, v, hk, false, args);
        } else {
          copy(it->value, v, hk, args, false);
        }
        out.AddMember(Value(it->name, a_), v, a_);
      }
    } else if (in.IsArray()) {
      out.SetArray();
      for (rapidjson::SizeType i = 0; i < in.Size(); ++i) {
        Value v;
        copy(in[i], v, h.element(i, i), args, false);
        out.PushBack(v, a_);
      }
    } else if (in.IsString() && args) {
      const std::string s =
          substitute(std::string_view(in.GetString(), in.GetStringLength()), *args);
      out.SetString(s.c_str(), static_cast<rapidjson::SizeType>(s.size()), a_);
    } else {
      out.CopyFrom(in, a_);
    }
  }

 private:
  Pieces& pieces_;
  const std::string& dir_;
  Alloc& a_;
  RuleOrigins& origins_;
  std::vector<LoadError>& errors_;
  std::vector<const Pieces::Piece*> stack_;  // pieces being expanded (cycle check)
  std::deque<std::string> vias_;             // the "via" texts places point to

  void error(const Here& h, std::string message) {
    errors_.push_back(
        {*h.file, h.via->empty() ? h.o() : h.o() + " (via " + *h.via + ")", std::move(message)});
  }

  // Which lists hold uses: resources (v2 -> FHIR) and segments at the top of a mapping,
  // then (segments after a segment), and set (rules) anywhere.
  static std::optional<Pieces::Kind> list_kind(std::string_view key, bool top) {
    if (key == "set") return Pieces::Kind::items;
    if (key == "then" || (top && key == "segments")) return Pieces::Kind::segment;
    if (top && key == "resources") return Pieces::Kind::resource;
    return std::nullopt;
  }

  static std::string substitute(std::string_view s, const Args& args) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (s[i] != '@') {
        out.push_back(s[i]);
        continue;
      }
      if (i + 1 < s.size() && s[i + 1] == '@') {
        out.push_back('@');
        ++i;
        continue;
      }
      std::size_t j = i + 1;
      while (j < s.size() && param_char(s[j])) ++j;
      const std::string_view name = s.substr(i + 1, j - i - 1);
      for (const auto& [n, v] : args.values)
        if (n == name) out += v;  // names are checked when the piece is read
      i = j - 1;
    }
    return out;
  }

  // Appends the items of the list `in` to `out`, a use giving its piece's block or items.
  // `foreign`: the list is a piece's items, so each item's place is recorded.
  void list(const Value& in, Pieces::Kind kind, Value& out, const Here& arr, bool foreign,
            const Args* args) {
    for (rapidjson::SizeType k = 0; k < in.Size(); ++k) {
      const std::size_t xi = out.Size();
      const Here eh = arr.element(xi, k);
      const Value& el = in[k];
      if (el.IsObject() && el.HasMember("use")) {
        use(el, kind, out, arr, eh, args);
        continue;
      }
      if (foreign || xi != k) origins_.add(eh.x(), *eh.file, eh.o(), *eh.via);
      Value v;
      copy(el, v, eh, args, false);
      out.PushBack(v, a_);
    }
  }

  Pieces::Piece* find(const std::string& name, Pieces::Kind want, const Here& at) {
    std::vector<std::string> names;
    const Pieces::Piece* other_dir = nullptr;
    for (auto& p : pieces_.pieces_) {
      if (p.direction != dir_) {
        if (p.name == name) other_dir = &p;
        continue;
      }
      if (p.name == name) {
        if (p.kind == want) return &p;
        error(at, "'" + name + "' is " + a_kind(p.kind) + " (" + p.file + ": " + p.path + "); " +
                      a_kind(want) + " goes here");
        return nullptr;
      }
      if (p.kind == want) names.push_back(p.name);
    }
    if (other_dir)
      error(at, "'" + name + "' is a " + other_dir->direction + " piece (" + other_dir->file +
                    "); this mapping is " + dir_);
    else
      error(at, std::string("unknown ") + kind_name(want) + " '" + name + "'" +
                    did_you_mean(name, names));
    return nullptr;
  }

  void use(const Value& u, Pieces::Kind want, Value& out, const Here& arr, const Here& at,
           const Args* outer) {
    if (!u["use"].IsString()) {
      error(at, "\"use\": expected the name of a piece");
      return;
    }
    const std::string name = u["use"].GetString();
    for (auto it = u.MemberBegin(); it != u.MemberEnd(); ++it) {
      const std::string_view k = it->name.GetString();
      if (want == Pieces::Kind::items && k != "use" && k != "with" && k != "comment" && k != "id")
        error(at, "unknown key '" + std::string(k) +
                      "' (a use of an item family has \"use\" and \"with\")");
      if (k == "set")
        error(at, "a use keeps the piece's rules: add rules with \"add\", not \"set\"");
    }
    Pieces::Piece* p = find(name, want, at);
    if (!p) return;
    if (std::find(stack_.begin(), stack_.end(), p) != stack_.end()) {
      std::string chain;
      for (const auto* s : stack_) chain += s->name + " -> ";
      error(at, "pieces use each other in a cycle: " + chain + name);
      return;
    }
    // Parameters.
    Args args;
    if (u.HasMember("with")) {
      const Value& w = u["with"];
      if (!w.IsObject()) {
        error(at.member("with"), "expected an object of parameter -> text");
        return;
      }
      const Here at_with = at.member("with");
      for (auto it = w.MemberBegin(); it != w.MemberEnd(); ++it) {
        const std::string pn = it->name.GetString();
        if (std::find(p->params.begin(), p->params.end(), pn) == p->params.end()) {
          error(at_with.member(pn),
                "piece '" + name + "' has no parameter '" + pn + "'" + did_you_mean(pn, p->params));
          continue;
        }
        if (!it->value.IsString()) {
          error(at_with.member(pn), "a parameter's value is text");
          continue;
        }
        const std::string_view v(it->value.GetString(), it->value.GetStringLength());
        args.values.emplace_back(pn, outer ? substitute(v, *outer) : std::string(v));
      }
    }
    for (const auto& pn : p->params) {
      bool given = false;
      for (const auto& [n, v] : args.values) given = given || n == pn;
      if (!given) error(at, "piece '" + name + "' needs parameter '" + pn + "' in \"with\"");
    }
    if (args.values.size() != p->params.size()) return;
    p->used = true;
    const std::string& via =
        vias_.emplace_back((at.via->empty() ? "" : *at.via + " > ") + *at.file + ": " + at.o());
    stack_.push_back(p);
    if (want == Pieces::Kind::items) {
      list(*p->body, want, out, arr.piece(p->file, p->path, via, false, 0), true, &args);
      stack_.pop_back();
      return;
    }
    Value block;
    const Here text = arr.piece(p->file, p->path, via, true, at.xi);
    copy(*p->body, block, text, &args, false);
    stack_.pop_back();
    origins_.add(text.x(), p->file, p->path, via);
    // Overrides: the use's own keys replace the piece's; "add" appends rules to its "set".
    for (auto it = u.MemberBegin(); it != u.MemberEnd(); ++it) {
      const std::string k = it->name.GetString();
      if (k == "use" || k == "with" || k == "comment" || k == "set" || k == "id") continue;
      const Here hk = at.member(it->name.GetString());
      if (k == "add") {
        if (!it->value.IsArray()) {
          error(hk, "expected an array of rules to add to the piece's \"set\"");
          continue;
        }
        if (!block.HasMember("set")) block.AddMember("set", Value(rapidjson::kArrayType), a_);
        if (!block["set"].IsArray()) continue;  // the loader reports the piece's bad "set"
        list(it->value, Pieces::Kind::items, block["set"], at.member("set", "add"), true, outer);
        continue;
      }
      origins_.add(hk.x(), *hk.file, hk.o(), *hk.via);
      Value v;
      copy(it->value, v, hk, outer, false);
      if (block.HasMember(k.c_str()))
        block[k.c_str()] = v;
      else
        block.AddMember(Value(k.c_str(), static_cast<rapidjson::SizeType>(k.size()), a_), v, a_);
    }
    out.PushBack(block, a_);
  }
};

void Pieces::expand(const SourceFile& f, rapidjson::Document& doc, RuleOrigins& origins,
                    std::vector<LoadError>& errors) {
  collect_condition_refs(doc, condition_refs_);
  const std::string dir =
      doc.HasMember("direction") && doc["direction"].IsString() ? doc["direction"].GetString() : "";
  if (dir != "v2-to-fhir" && dir != "fhir-to-v2") return;  // the loader reports it
  rapidjson::Document out;
  Expansion ex(*this, dir, out.GetAllocator(), origins, errors);
  const std::string no_use;
  Here root;
  root.file = &f.name;
  root.via = &no_use;
  ex.copy(doc, out, root, nullptr, true);
  // The shared conditions of the direction join the file's own.
  for (auto& c : conditions_) {
    if (c.direction != dir) continue;
    if (!out.HasMember("conditions"))
      out.AddMember("conditions", Value(rapidjson::kObjectType), out.GetAllocator());
    Value& own = out["conditions"];
    if (!own.IsObject()) break;  // the loader reports it
    if (own.HasMember(c.name.c_str())) {
      errors.push_back({f.name, "conditions." + c.name,
                        "condition '" + c.name + "' is already shared by " + c.file +
                            ": use that one, or rename this"});
      continue;
    }
    origins.add("conditions." + c.name, c.file, "conditions." + c.name, "");
    own.AddMember(
        Value(c.name.c_str(), static_cast<rapidjson::SizeType>(c.name.size()), out.GetAllocator()),
        Value(*c.body, out.GetAllocator()), out.GetAllocator());
  }
  doc.Swap(out);
}

void Pieces::check_used(std::vector<LoadError>& errors) const {
  for (const auto& p : pieces_)
    if (!p.used)
      errors.push_back(
          {p.file, "pieces." + p.name,
           "piece '" + p.name + "' is not used by any " + p.direction + " mapping: remove it"});
  for (const auto& c : conditions_)
    if (std::count(condition_refs_.begin(), condition_refs_.end(), c.name) == 0)
      errors.push_back({c.file, "conditions." + c.name,
                        "condition '" + c.name + "' is not used by any " + c.direction +
                            " mapping or piece: remove it"});
}

void drop_repeated_errors(std::vector<LoadError>& errors) {
  std::vector<LoadError> kept;
  kept.reserve(errors.size());
  for (auto& e : errors) {
    const bool seen = std::any_of(kept.begin(), kept.end(), [&](const LoadError& k) {
      return k.file == e.file && k.rule == e.rule && k.message == e.message;
    });
    if (!seen) kept.push_back(std::move(e));
  }
  errors = std::move(kept);
}

}  // namespace fcpgw::mappings
