// Tracing of translations (Options::trace): which rule wrote which output element, from which
// input. Only called when a TraceSink is given, so none of this is on the untraced path; the
// sources are found again here, read-only, the way the translators choose them.

#include <charconv>

#include "mappings/engine.h"
#include "mappings/fhir_run.h"
#include "mappings/v2_run.h"

namespace fcpgw::mappings {

std::string to_string(const TraceEvent& e) {
  std::string s(e.element);
  s += "  <- ";
  if (!e.source.empty()) {
    s += e.source;
    if (!e.via.empty()) s += " via ";
  }
  s += e.via;
  if (!e.rule.empty()) {
    s += "  (";
    s += e.rule;
    s += ')';
  }
  return s;
}

std::string to_string(const SkipEvent& e) {
  std::string s(e.what);
  if (!e.item.empty()) {
    s += " for ";
    s += e.item;
  }
  s += " not written: ";
  if (e.condition.empty()) {
    s += e.reason;
  } else {
    s += "when ";
    s += e.condition;
    s += " did not hold";
  }
  if (!e.rule.empty()) {
    s += "  (";
    s += e.rule;
    s += ')';
  }
  return s;
}

namespace {

// A condition as the mapping file writes it (`present AIL-3.1`, `all(..., not(...))`):
// paths and the mapping's own values, never values of the message.
std::string describe(const Condition& c) {
  auto quoted = [](const std::string& v) { return "\"" + v + "\""; };
  auto list = [&](std::string_view name) {
    std::string s(name);
    s += '(';
    for (std::size_t i = 0; i < c.children.size(); ++i) {
      if (i) s += ", ";
      s += describe(c.children[i]);
    }
    return s + ')';
  };
  const std::string src(c.source.text());
  switch (c.kind) {
    case CondKind::present:
      return "present " + src;
    case CondKind::absent:
      return "absent " + src;
    case CondKind::equals:
      return "equals [" + src + ", " + quoted(c.values.empty() ? "" : c.values[0]) + "]";
    case CondKind::ends_with:
      return "ends-with [" + src + ", " + quoted(c.values.empty() ? "" : c.values[0]) + "]";
    case CondKind::valid:
      return "valid [" + src + ", " + quoted(c.values.empty() ? "" : c.values[0]) +
             (c.other.text().empty() ? "" : ", " + std::string(c.other.text())) + "]";
    case CondKind::in: {
      std::string s = "in [" + src + ", [";
      for (std::size_t i = 0; i < c.values.size(); ++i) s += (i ? ", " : "") + quoted(c.values[i]);
      return s + "]]";
    }
    case CondKind::all:
      return list("all");
    case CondKind::any:
      return list("any");
    case CondKind::not_:
      return list("not");
    case CondKind::exists:
      return list("exists");
    case CondKind::later:
      return "later [" + src + ", " + std::string(c.other.text()) + "]";
    case CondKind::same:
      return "same [" + src + ", " + std::string(c.other.text()) + "]";
    case CondKind::mapped:
      return "mapped [" + src + ", " + quoted(c.table ? c.table->id : std::string()) + "]";
    case CondKind::previous:
      return "previous " + (c.values.empty() ? std::string() : c.values[0]);
    case CondKind::changed: {
      std::string s = "changed [";
      for (std::size_t i = 0; i < c.changed.size(); ++i)
        s += (i ? ", " : "") + std::string(c.changed[i].text);
      return s + "]";
    }
    case CondKind::always:
      break;
  }
  return "always";
}

void append_number(std::string& s, std::uint32_t n) {
  char buf[12];
  const auto w = std::to_chars(buf, buf + sizeof buf, n);
  s.append(buf, w.ptr);
}

// Appends "transform x, table y" (what the producer applies) to `via`.
void append_how(std::string& via, const Producer& p) {
  const bool first = via.empty() || via.ends_with(", ") || via.ends_with("else ");
  if (p.transform != Tf::none) {
    if (!first) via += ", ";
    via += "transform ";
    via += transform_info(p.transform).name;
  }
  if (p.table) {
    if (p.transform != Tf::none || !first) via += ", ";
    via += "table ";
    via += p.table->id;
    if (p.reverse_table) via += " (reverse)";
  }
}

}  // namespace

// ---- v2 -> FHIR -------------------------------------------------------------------------

std::size_t V2Run::trace_enter(std::string_view member) {
  const std::size_t mark = trace_path.size();
  if (!trace_path.empty()) trace_path.push_back('.');
  trace_path.append(member);
  return mark;
}

std::size_t V2Run::trace_enter(int index) {
  const std::size_t mark = trace_path.size();
  trace_path.push_back('[');
  append_number(trace_path, static_cast<std::uint32_t>(index));
  trace_path.push_back(']');
  return mark;
}

namespace {

// `AIP[2]` for the segment at 1-based position `pos` (occurrence written from the 2nd on).
std::string segment_label(const std::vector<std::uint32_t>& keys, std::uint32_t pos) {
  std::string s;
  if (pos == 0 || pos > keys.size()) return s;
  const std::uint32_t key = keys[pos - 1];
  std::uint32_t occ = 0;
  for (std::uint32_t i = 0; i < pos; ++i) occ += keys[i] == key;
  s.push_back(static_cast<char>(key >> 16));
  s.push_back(static_cast<char>((key >> 8) & 0xFF));
  s.push_back(static_cast<char>(key & 0xFF));
  if (occ > 1) {
    s.push_back('[');
    append_number(s, occ);
    s.push_back(']');
  }
  return s;
}

}  // namespace

void V2Run::trace_resource(const ResourcePlan& rp, int entry) {
  trace_path.assign("entry[");
  append_number(trace_path, static_cast<std::uint32_t>(entry));
  trace_path.push_back(']');
  std::string source;
  if (rp.each.kind == EachKind::segments)
    for (int i = nframes - 1; i >= 0 && source.empty(); --i)
      if (frames[i].seg_key == rp.each.seg_key) source = segment_label(keys, frames[i].seg_pos);
  const std::string via = "resource " + rp.key + " (" + rp.type + ")";
  trace->on(TraceEvent{trace_path, source, via, rp.rule});
  trace_path.append(".resource");
}

void V2Run::trace_skipped_resource(const ResourcePlan& rp) {
  std::string item;
  if (rp.each.kind == EachKind::segments)
    for (int i = nframes - 1; i >= 0 && item.empty(); --i)
      if (frames[i].seg_key == rp.each.seg_key) item = segment_label(keys, frames[i].seg_pos);
  const std::string what = "resource " + rp.key + " (" + rp.type + ")";
  const std::string why = describe(*rp.when);
  trace->on_skipped(SkipEvent{what, item, why, rp.rule});
}

void V2Run::trace_skipped(const Node& n) {
  std::string what = trace_path;
  if (!n.member.empty()) {
    if (!what.empty()) what.push_back('.');
    what += n.member;
  }
  const std::string why = describe(*n.when);
  trace->on_skipped(SkipEvent{what, {}, why, n.rule});
}

// What the innermost `each` binds: a segment (`AIL[2]`) or a field repetition (`PID-5[2]`);
// "" outside any.
std::string V2Run::trace_item() const {
  if (nframes == 0) return {};
  const Frame& f = frames[nframes - 1];
  std::string s = segment_label(keys, f.seg_pos);
  if (f.field != 0) {
    s.push_back('-');
    append_number(s, f.field);
    s.push_back('[');
    append_number(s, f.rep);
    s.push_back(']');
  }
  return s;
}

void V2Run::trace_skipped_item(const Node& n) {
  const std::string what = trace_path + "[+]";
  const std::string item = trace_item();
  const std::string why = describe(*n.when);
  trace->on_skipped(SkipEvent{what, item, why, n.rule});
}

// Why a producer gave no value, as produce() goes: the sources it found empty, the value not
// in its table, the transform that gave nothing; then its `else`.
std::string V2Run::why_no_value(const Producer& first_producer) {
  std::string why;
  for (const Producer* p = &first_producer; p; p = p->else_producer.get()) {
    if (p != &first_producer) why += ", else ";
    Resolved r;
    for (const auto& s : p->sources) {
      r = resolve(s.v2);
      if (!r.raw.empty()) break;
    }
    if (r.raw.empty()) {
      for (std::size_t i = 0; i < p->sources.size(); ++i) {
        if (i) why += ", ";
        const std::string at = location(resolve(p->sources[i].v2));
        why += at.empty() ? std::string(p->sources[i].text()) : at;
      }
      why += " empty";
    } else if (p->transform != Tf::none) {
      why += "transform ";
      why += transform_info(p->transform).name;
      why += " gave no value for " + location(r);
      if (p->table) why += " or it is not in table " + p->table->id;
    } else if (p->table) {
      why += location(r) + " not in table " + p->table->id;
    } else {
      why += location(r) + " gave no value";
    }
  }
  return why;
}

void V2Run::trace_unwritten(const Node& n) {
  std::string why;
  switch (n.kind) {
    case NodeKind::produce:
      if (n.producer.join) {
        for (const auto& s : n.producer.sources) why += (why.empty() ? "" : ", ") + s.v2.text;
        why += " empty in every " + n.each.text;
      } else {
        why = why_no_value(n.producer);
      }
      break;
    case NodeKind::tmpl:
      for (const auto& s : n.tmpl.sources) {
        const Resolved r = resolve(s.v2);
        if (!r.raw.empty()) continue;
        const std::string at = location(r);
        why += (why.empty() ? "" : ", ") + (at.empty() ? s.v2.text : at);
      }
      why = "template: " + why + " empty";
      break;
    case NodeKind::ref:
      why = "resource " + mapping.forward.resources[static_cast<std::size_t>(n.ref_target)].key +
            " not written";
      break;
    case NodeKind::choose:
      why = "no case held and gave a value";
      break;
    default:
      return;  // objects and arrays: their members are reported one by one
  }
  const std::string item = trace_item();
  trace->on_skipped(SkipEvent{trace_path, item, {}, n.rule, why});
}

void V2Run::trace_value(const Node& n) {
  std::string source;
  std::string via;
  switch (n.kind) {
    case NodeKind::object:
    case NodeKind::array:
      return;  // their members are reported one by one
    case NodeKind::choose:
      // The case that was written: the first whose `when` holds.
      for (const auto& c : n.children)
        if (!c.when || eval(*c.when)) return trace_value(c);
      return;
    case NodeKind::literal:
      via = "constant";
      break;
    case NodeKind::tmpl:
      for (const auto& s : n.tmpl.sources) {
        const std::string loc = location(resolve(s.v2));
        if (loc.empty()) continue;
        if (!source.empty()) source += ", ";
        source += loc;
      }
      via = n.tmpl.constant() ? "constant" : "template";
      break;
    case NodeKind::ref: {
      const ResourcePlan& target =
          mapping.forward.resources[static_cast<std::size_t>(n.ref_target)];
      if (target.each.kind == EachKind::segments) {
        std::uint32_t pos = 0;
        for (int i = nframes - 1; i >= 0 && pos == 0; --i)
          if (frames[i].seg_key == target.each.seg_key) pos = frames[i].seg_pos;
        source = segment_label(keys, pos != 0 ? pos : first[target.each.slot]);
      }
      via = "reference to " + target.key;
      break;
    }
    case NodeKind::produce: {
      const Producer* p = &n.producer;
      if (p->join) {
        for (const auto& s : p->sources) {
          if (!source.empty()) source += " or ";
          source += s.text();
        }
        via = "join over each " + n.each.text;
        append_how(via, *p);
        break;
      }
      // The first source present, as produce() chooses it; else the `else` that applied.
      std::string prefix;
      while (p) {
        Resolved r;
        for (const auto& s : p->sources) {
          r = resolve(s.v2);
          if (!r.raw.empty()) break;
        }
        bool in_table = true;
        if (!r.raw.empty() && p->table && p->transform == Tf::none) {
          std::string text;
          text_into(text, r.raw);
          in_table = p->table->find(first_component(text, d)) != nullptr;
        }
        if (!r.raw.empty() && in_table) {
          source = location(r);
          via = prefix;
          append_how(via, *p);
          // A coded field through a table: say whether it was translated or kept as sent.
          if (p->table &&
              (p->transform == Tf::ce_codeable_concept || p->transform == Tf::ce_coding))
            via += coded_entry(*p->table, r) ? " (translated)" : " (not in table: as sent)";
          break;
        }
        if (!r.raw.empty()) prefix += location(r) + " not in table " + p->table->id + ", ";
        const Producer& q = *p;
        p = nullptr;
        for (const auto& [ev, frag] : q.by_event)
          if (iequals(ev, event)) {
            source = "MSH-9[1].2";
            via = prefix + "else by event " + ev;
          }
        if (!via.empty()) break;
        if (q.has_else_literal) {
          via = prefix + "else constant";
          break;
        }
        if (q.else_producer) {
          prefix += "else ";
          p = q.else_producer.get();
        }
      }
      break;
    }
  }
  trace->on(TraceEvent{trace_path, source, via, n.rule});
}

// ---- FHIR -> v2 -------------------------------------------------------------------------

void FhirRun::trace_field(const FieldRule& r, const rapidjson::Value* root, std::uint32_t field,
                          std::uint32_t rep, std::uint32_t component, std::uint32_t subcomponent) {
  std::string element(trace_segment);
  if (const auto it = set_ids.find(std::string(trace_segment));
      it != set_ids.end() && it->second > 1) {
    element.push_back('[');
    append_number(element, it->second);
    element.push_back(']');
  }
  element.push_back('-');
  append_number(element, field);
  element.push_back('[');
  append_number(element, rep);
  element.push_back(']');
  if (component > 0) {
    element.push_back('.');
    append_number(element, component);
  }
  if (subcomponent > 0) {
    element.push_back('.');
    append_number(element, subcomponent);
  }
  auto where = [&](const Source& s) -> std::string {
    const auto found = eval(s.fhir, root);
    if (found.empty()) return {};
    std::string at = locate(found.front());
    return at.empty() ? std::string(s.fhir.text) : at;
  };
  std::string source;
  std::string via;
  if (r.has_tmpl) {
    for (const auto& s : r.tmpl.sources) {
      const std::string at = where(s);
      if (at.empty()) continue;
      if (!source.empty()) source += ", ";
      source += at;
    }
    bool vars = false;
    for (const auto& part : r.tmpl.parts) vars = vars || part.var >= 0;
    via = !r.tmpl.constant() ? "template"
          : vars             ? "variable ($event, $control-id, ...)"
                             : "constant";
  } else if (r.has_producer) {
    std::string prefix;
    const Producer* p = &r.producer;
    while (p) {
      std::string tmp;
      const Source* used = nullptr;
      for (const auto& s : p->sources)
        if (text(s.fhir, root, tmp)) {
          used = &s;
          break;
        }
      if (used && p->table && p->transform == Tf::none &&
          !(p->reverse_table ? p->table->find_target(tmp) : p->table->find(tmp))) {
        std::string at = where(*used);
        prefix += (at.empty() ? std::string(used->fhir.text) : at) + " not in table " +
                  p->table->id + ", ";
        used = nullptr;
      }
      if (used) {
        source = where(*used);
        if (source.empty()) source = std::string(used->fhir.text);
        via = prefix;
        append_how(via, *p);
        break;
      }
      if (p->has_else_literal) {
        via = prefix + "else constant";
        break;
      }
      prefix += "else ";
      p = p->else_producer.get();
    }
  }
  trace->on(TraceEvent{element, source, via, r.rule});
}

void FhirRun::trace_unwritten(const FieldRule& r, const rapidjson::Value* root) {
  std::string why;
  std::string tmp;
  if (r.has_tmpl) {
    for (const auto& s : r.tmpl.sources) {
      tmp.clear();
      if (text(s.fhir, root, tmp) && !tmp.empty()) continue;
      why += (why.empty() ? "" : ", ") + s.fhir.text;
    }
    why = why.empty() ? "the template gave no value" : "template: " + why + " empty";
  } else if (r.has_producer) {
    for (const Producer* p = &r.producer; p; p = p->else_producer.get()) {
      if (p != &r.producer) why += ", else ";
      const Source* used = nullptr;
      for (const auto& s : p->sources) {
        tmp.clear();
        if (text(s.fhir, root, tmp) && !tmp.empty()) {
          used = &s;
          break;
        }
      }
      if (!used) {
        for (std::size_t i = 0; i < p->sources.size(); ++i)
          why += (i ? ", " : "") + p->sources[i].fhir.text;
        why += " empty";
      } else if (p->table && p->transform == Tf::none) {
        why += used->fhir.text + " not in table " + p->table->id;
      } else {
        why += (p->transform != Tf::none
                    ? "transform " + std::string(transform_info(p->transform).name)
                    : std::string("the rule")) +
               " gave no value for " + used->fhir.text;
      }
    }
  } else {
    return;  // a rule with nested rules: they are reported one by one
  }
  trace->on_skipped(SkipEvent{r.target.text, {}, {}, r.rule, why});
}

void FhirRun::trace_skipped(std::string_view what, const Condition& c, const std::string& rule) {
  const std::string why = describe(c);
  trace->on_skipped(SkipEvent{what, {}, why, rule});
}

}  // namespace fcpgw::mappings
