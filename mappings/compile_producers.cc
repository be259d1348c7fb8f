// Compiles producers (`from`, `transform`, `else`) and literals.

#include <algorithm>

#include "mappings/loader_impl.h"

namespace fcpgw::mappings {

bool Loader::compile_producer(const std::string& rule, const Value& v, Producer& p,
                              bool allow_join) {
  if (v.HasMember("from")) {
    const Value& f = v["from"];
    auto add = [&](const Value& x) {
      if (!x.IsString()) {
        error(rule, "from: expected a path or an array of paths");
        return false;
      }
      p.sources.emplace_back();
      return compile_source(rule, x.GetString(), p.sources.back());
    };
    if (f.IsArray()) {
      if (f.Empty()) {
        error(rule, "from: empty array");
        return false;
      }
      for (const auto& x : f.GetArray())
        if (!add(x)) return false;
    } else if (!add(f)) {
      return false;
    }
  }
  if (v.HasMember("transform")) {
    if (!v["transform"].IsString()) {
      error(rule, "transform: expected a name");
      return false;
    }
    const std::string name = v["transform"].GetString();
    const TransformInfo* t = find_transform(name);
    if (!t) {
      error(rule, "unknown transform '" + name + "'" + transform_hint(name));
      return false;
    }
    if (!(reverse_ ? t->fhir_to_v2 : t->v2_to_fhir)) {
      error(rule, "transform '" + name + "' is not available in this direction");
      return false;
    }
    p.transform = t->id;
    for (const auto& tb : t->tables)
      if (!plan_.table(tb))
        error(rule, "transform '" + name + "' needs code table '" + std::string(tb) +
                        "', which is not loaded");
    const Value* args = v.HasMember("args") ? &v["args"] : nullptr;
    if (args && !args->IsObject()) {
      error(rule, "args: expected an object of name -> path");
      return false;
    }
    if (args) {
      for (auto it = args->MemberBegin(); it != args->MemberEnd(); ++it) {
        const std::string an = it->name.GetString();
        if (std::find(t->args.begin(), t->args.end(), an) == t->args.end()) {
          error(rule, "transform '" + name + "' takes no argument '" + an + "'");
          return false;
        }
        if (!it->value.IsString()) {
          error(rule, "args." + an + ": expected a path");
          return false;
        }
        Source s;
        if (!compile_source(rule, it->value.GetString(), s)) return false;
        p.args.emplace_back(an, std::move(s));
      }
    }
    for (const auto& need : t->args) {
      bool have = false;
      for (const auto& [an, s] : p.args) have = have || an == need;
      if (!have && !(t->id == Tf::duration_minutes) &&
          !(t->id == Tf::dtm_instant_plus && need == "unit")) {
        error(rule, "transform '" + name + "' needs argument '" + std::string(need) + "'");
        return false;
      }
    }
  } else if (v.HasMember("args")) {
    error(rule, "args given without a transform");
  }
  if (v.HasMember("map")) {
    if (!v["map"].IsString()) {
      error(rule, "map: expected a code table id");
      return false;
    }
    const std::string id = v["map"].GetString();
    p.table = plan_.table(id);
    if (!p.table) {
      error(rule, "unknown code table '" + id + "'" + table_hint(id));
      return false;
    }
    if (p.transform != Tf::none && transform_info(p.transform).structure &&
        p.transform != Tf::ce_codeable_concept && p.transform != Tf::ce_coding) {
      error(rule,
            "map cannot follow a structure transform other than ce-codeable-concept or "
            "ce-coding");
      return false;
    }
  }
  if (v.HasMember("map-reverse")) {
    if (!reverse_ || !v["map-reverse"].IsString()) {
      error(rule, "map-reverse: expected a code table id (FHIR -> v2 mappings only)");
      return false;
    }
    const std::string id = v["map-reverse"].GetString();
    p.table = plan_.table(id);
    p.reverse_table = true;
    if (!p.table) {
      error(rule, "unknown code table '" + id + "'" + table_hint(id));
      return false;
    }
  }
  if (v.HasMember("else")) {
    const Value& e = v["else"];
    if (e.IsObject() && e.HasMember("by-event")) {
      if (reverse_ || e.MemberCount() != 1 || !e["by-event"].IsObject()) {
        error(rule, "else.by-event: expected {\"S12\": value, ...} (v2 -> FHIR only)");
        return false;
      }
      for (auto it = e["by-event"].MemberBegin(); it != e["by-event"].MemberEnd(); ++it)
        p.by_event.emplace_back(it->name.GetString(), literal_fragment(it->value));
    } else if (e.IsObject()) {
      check_keys(e, rule + ".else", {"from", "transform", "args", "map", "map-reverse", "else"});
      p.else_producer = std::make_unique<Producer>();
      if (!compile_producer(rule + ".else", e, *p.else_producer, false)) return false;
      if (p.else_producer->sources.empty()) {
        error(rule + ".else", "else object needs \"from\" (or use by-event / a literal)");
        return false;
      }
    } else {
      p.else_literal = literal_fragment(e);
      if (reverse_ && !fold_constant_holes(rule + ".else", p.else_literal)) return false;
      p.has_else_literal = true;
    }
  }
  if (v.HasMember("join")) {
    if (!allow_join || !v["join"].IsString()) {
      error(rule, "join: expected a separator string, on a rule with \"each\" and \"from\"");
      return false;
    }
    p.join = true;
    p.join_separator = v["join"].GetString();
  }
  if (p.sources.empty() && (p.transform != Tf::none || p.table)) {
    error(rule, "transform/map need \"from\"");
    return false;
  }
  return true;
}

// Literal as JSON fragment (forward) or text (reverse).
// A FHIR -> v2 `else` literal is text: its {constant} holes are folded in, as in a template
// (a hole that names no constant is an error, as there).
bool Loader::fold_constant_holes(const std::string& rule, std::string& text) {
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t open = text.find('{', i);
    const std::size_t close = open == std::string::npos ? open : text.find('}', open);
    if (close == std::string::npos) {
      out.append(text, i, std::string::npos);
      break;
    }
    out.append(text, i, open - i);
    const std::string_view hole = std::string_view(text).substr(open + 1, close - open - 1);
    if (!plan_has_constant(hole)) {
      error(rule, "unknown constant '" + std::string(hole) + "'");
      return false;
    }
    out += plan_.constant(hole);
    i = close + 1;
  }
  text = std::move(out);
  return true;
}

std::string Loader::literal_fragment(const Value& v) {
  if (reverse_) return v.IsString() ? std::string(v.GetString()) : json_text(v);
  return json_text(v);
}

}  // namespace fcpgw::mappings
