// Runs a compiled FHIR -> v2 plan: evaluates FHIR paths over the input resource (or Bundle),
// chooses the trigger event and writes the segments with hl7v2::MessageBuilder (which escapes).

#include <charconv>

#include "fhir/identifiers.h"
#include "fhir/json.h"
#include "hl7v2/base/base64.h"
#include "hl7v2/builder.h"
#include "mappings/fhir_run.h"

namespace fcpgw::mappings {

using rapidjson::Value;

namespace {

bool member_string_equals(const Value& v, std::string_view s) {
  return v.IsString() && std::string_view(v.GetString(), v.GetStringLength()) == s;
}

}  // namespace

const Value* FhirRun::resolve_reference(const Value& ref) const {
  if (!ref.IsObject() || !ref.HasMember("reference") || !ref["reference"].IsString())
    return nullptr;
  const std::string_view r(ref["reference"].GetString(), ref["reference"].GetStringLength());
  if (r.empty()) return nullptr;
  if (r[0] == '#') {
    if (focus->HasMember("contained") && (*focus)["contained"].IsArray())
      for (const auto& c : (*focus)["contained"].GetArray())
        if (c.IsObject() && c.HasMember("id") && member_string_equals(c["id"], r.substr(1)))
          return &c;
    return nullptr;
  }
  if (!bundle || !bundle->HasMember("entry") || !(*bundle)["entry"].IsArray()) return nullptr;
  const auto slash = r.find('/');
  for (const auto& e : (*bundle)["entry"].GetArray()) {
    if (!e.IsObject() || !e.HasMember("resource") || !e["resource"].IsObject()) continue;
    const Value& res = e["resource"];
    if (e.HasMember("fullUrl") && e["fullUrl"].IsString()) {
      const std::string_view fu(e["fullUrl"].GetString(), e["fullUrl"].GetStringLength());
      if (fu == r) return &res;
      if (fu.size() > r.size() && fu.substr(fu.size() - r.size()) == r &&
          fu[fu.size() - r.size() - 1] == '/')
        return &res;
    }
    if (slash != std::string_view::npos && res.HasMember("resourceType") && res.HasMember("id") &&
        member_string_equals(res["resourceType"], r.substr(0, slash)) &&
        member_string_equals(res["id"], r.substr(slash + 1)))
      return &res;
  }
  return nullptr;
}

void FhirRun::eval_steps(const std::vector<FhirStep>& steps, std::size_t i, const Value* v,
                         std::vector<const Value*>& out) const {
  if (!v) return;
  if (v->IsArray()) {
    for (const auto& x : v->GetArray()) eval_steps(steps, i, &x, out);
    return;
  }
  if (i == steps.size()) {
    out.push_back(v);
    return;
  }
  const FhirStep& st = steps[i];
  const Value* next = nullptr;
  if (st.resolve) {
    next = resolve_reference(*v);
    if (!next) return;
    if (!st.resolve_type.empty() &&
        !(next->HasMember("resourceType") &&
          member_string_equals((*next)["resourceType"], st.resolve_type)))
      return;
  } else if (i == 0 && st.name == "%focus") {
    next = focus;
  } else if (i == 0 && st.name == "%bundle") {
    next = bundle;
    if (!next) return;
  } else if (i == 0 && st.name == "%message-time") {
    if (!message_time.IsString()) return;
    next = &message_time;
  } else {
    if (!v->IsObject()) return;
    const auto it = v->FindMember(rapidjson::StringRef(st.name.data(), st.name.size()));
    if (it == v->MemberEnd()) return;
    next = &it->value;
  }
  if (st.index >= 0) {
    if (!next->IsArray()) {
      if (st.index != 0) return;
    } else {
      if (static_cast<rapidjson::SizeType>(st.index) >= next->Size()) return;
      next = &(*next)[static_cast<rapidjson::SizeType>(st.index)];
    }
  }
  if (st.has_filter) {
    auto keep = [&](const Value& item) {
      std::vector<const Value*> sub;
      eval_steps(st.filter_path, 0, &item, sub);
      bool equal = false;
      for (const auto* s : sub) {
        if (st.filter == FhirStep::Filter::ends_with) {
          if (s->IsString() &&
              std::string_view(s->GetString(), s->GetStringLength()).ends_with(st.filter_value))
            return true;
        } else if (member_string_equals(*s, st.filter_value)) {
          equal = true;
          break;
        }
      }
      return st.filter == FhirStep::Filter::not_equals ? !equal : equal;
    };
    if (next->IsArray()) {
      for (const auto& x : next->GetArray())
        if (keep(x)) eval_steps(steps, i + 1, &x, out);
      return;
    }
    if (!keep(*next)) return;
  }
  eval_steps(steps, i + 1, next, out);
}

std::vector<const Value*> FhirRun::eval(const FhirPath& p, const Value* root) const {
  std::vector<const Value*> out;
  eval_steps(p.steps, 0, root, out);
  return out;
}

bool FhirRun::text(const FhirPath& p, const Value* root, std::string& dst, const Value** at) const {
  for (const Value* v : eval(p, root)) {
    // Numbers first: a decimal whose text must be kept (1.50) is held as a raw-number string.
    if (fhir::is_number(*v)) {
      dst.append(fhir::number_text(*v));
    } else if (v->IsString()) {
      if (v->GetStringLength() == 0) continue;
      dst.append(v->GetString(), v->GetStringLength());
    } else if (v->IsBool()) {
      dst.append(v->GetBool() ? "true" : "false");
    } else {
      continue;
    }
    if (at) *at = v;
    return true;
  }
  return false;
}

bool FhirRun::cond(const Condition& c, const Value* root) {
  std::string tmp;
  switch (c.kind) {
    case CondKind::always:
      return true;
    case CondKind::present:
      return text(c.source.fhir, root, tmp) || !eval(c.source.fhir, root).empty();
    case CondKind::absent:
      return !(text(c.source.fhir, root, tmp) || !eval(c.source.fhir, root).empty());
    case CondKind::equals:
    case CondKind::in:
      if (!text(c.source.fhir, root, tmp)) return false;
      for (const auto& v : c.values)
        if (tmp == v) return true;
      return false;
    case CondKind::ends_with:
      return text(c.source.fhir, root, tmp) && std::string_view(tmp).ends_with(c.values[0]);
    case CondKind::valid:
      if (!text(c.source.fhir, root, tmp)) return false;
      if (const auto id = identifier_check(c.values[0], tmp)) return *id;
      if (c.values[0] == "dtm") return parse_fhir_date(tmp).has_value();
      if (c.values[0] == "multi-line") return tmp.find('\n') != std::string::npos;
      return false;
    case CondKind::all:
      for (const auto& k : c.children)
        if (!cond(k, root)) return false;
      return true;
    case CondKind::any:
      for (const auto& k : c.children)
        if (cond(k, root)) return true;
      return false;
    case CondKind::not_:
      return !cond(c.children[0], root);
    case CondKind::previous:
      return (previous != nullptr) == (c.values[0] == "present");
    case CondKind::same: {
      std::string other;
      return text(c.source.fhir, root, tmp) && text(c.other.fhir, root, other) &&
             same_text(tmp, other);
    }
    case CondKind::mapped:  // the code has an entry for every sender (no MSH-4 to match here)
      return text(c.source.fhir, root, tmp) && c.table->find(tmp) != nullptr;
    case CondKind::exists:
      for (const Value* item : items(*c.over, root))
        if (cond(c.children[0], item)) return true;
      return false;
    case CondKind::later: {
      std::string a, b;
      if (!text(c.source.fhir, root, a) || !text(c.other.fhir, root, b)) return false;
      const auto da = parse_fhir_date(a);
      const auto db = parse_fhir_date(b);
      return da && db && dtm_later(*da, *db, c.months, c.days, ZoneDefault{0, false, {}});
    }
    case CondKind::changed: {
      if (!previous) return false;
      for (const auto& p : c.changed) {
        const auto a = eval(p, focus);
        const auto b = eval(p, previous);
        if (a.size() != b.size()) return true;
        for (std::size_t i = 0; i < a.size(); ++i) {
          // Compare instants by meaning when both parse as dates.
          if (a[i]->IsString() && b[i]->IsString()) {
            const auto da = parse_fhir_date(a[i]->GetString());
            const auto db = parse_fhir_date(b[i]->GetString());
            if (da && db) {
              const ZoneDefault z{0, false, {}};
              if (da->precision >= hl7v2::DtmPrecision::minute &&
                  db->precision >= hl7v2::DtmPrecision::minute) {
                const auto m = minutes_between(*da, *db, z);
                if (m && *m != 0) return true;
                if (da->second != db->second) return true;
                continue;
              }
            }
          }
          if (!fhir::json_equal(*a[i], *b[i])) return true;
        }
      }
      return false;
    }
  }
  return false;
}

bool FhirRun::render(const Template& t, const Value* root, std::string& dst) {
  for (const auto& part : t.parts) {
    dst.append(part.literal);
    if (part.var == 0) {
      dst.append(event);
      continue;
    }
    if (part.var == 1) {
      dst.append(control_id);
      continue;
    }
    if (part.var == 2) {
      dst.append(std::to_string(set_id));
      continue;
    }
    if (part.var == 3) {
      if (line.empty()) return false;
      dst.append(line);
      continue;
    }
    if (part.source < 0) continue;
    std::string v;
    const Value* at = nullptr;
    if (!text(t.sources[static_cast<std::size_t>(part.source)].fhir, root, v, &at)) return false;
    if (part.transform >= 0) {
      std::string w;
      if (!scalar(static_cast<Tf>(part.transform), v, w, at, nullptr, root, {})) return false;
      v = std::move(w);
    }
    dst.append(v);
  }
  return true;
}

bool FhirRun::scalar(Tf tf, std::string_view v, std::string& dst, const Value* where,
                     const Producer* p, const Value* root, std::string_view rule) {
  switch (tf) {
    case Tf::fhir_dtm: {
      const auto d = parse_fhir_date(v);
      if (!d) {
        issue("value", where, "not a valid FHIR date/time", rule);
        return false;
      }
      append_v2_dtm(dst, *d);
      return true;
    }
    case Tf::minutes_between: {
      std::string end;
      for (const auto& [name, src] : p->args)
        if (name == "end") text(src.fhir, root, end);
      const auto a = parse_fhir_date(v);
      const auto b = parse_fhir_date(end);
      if (!a || !b) return false;
      const auto m = minutes_between(*a, *b, ZoneDefault{0, false, {}});
      if (!m || *m <= 0) return false;
      char buf[24];
      const auto w = std::to_chars(buf, buf + sizeof buf, *m);
      dst.append(buf, w.ptr);
      return true;
    }
    case Tf::trim:
    case Tf::upper:
    case Tf::lower:
    case Tf::uri_encode:
      return *apply_text_transform(tf, v, dst);
    case Tf::nhs_number: {
      const auto n = fhir::normalize_nhs_number(v);
      if (!n) {
        issue("value", where, "NHS number is not 10 digits with a valid check digit", rule);
        return false;
      }
      dst.append(*n);
      return true;
    }
    case Tf::ods_code:
      if (!fhir::ods_code_valid(v)) return false;
      dst.append(v);
      return true;
    case Tf::mime_ed_type:
      if (trim(v).empty()) return false;
      dst.append(mime_to_ed_type(trim(v)));
      return true;
    case Tf::mime_ed_subtype:
      append_mime_ed_subtype(dst, trim(v));
      return !dst.empty();
    case Tf::id_base_facility: {
      // The inverse of `{id-base}/{MSH-4.1|uri-encode}/kind`: which facility minted the id.
      const std::string_view base = plan.constant("id-base");
      const std::string_view sys = trim(v);
      if (base.empty() || sys.size() <= base.size() + 1 || !sys.starts_with(base) ||
          sys[base.size()] != '/')
        return false;
      const std::string_view rest = sys.substr(base.size() + 1);
      const std::size_t slash = rest.find('/');
      if (slash == 0 || slash == std::string_view::npos) return false;
      return append_uri_decoded(dst, rest.substr(0, slash));
    }
    case Tf::v2_coding_system: {
      // The inverse of the system ce-coding writes for a v2 coding system (CE-3): table
      // v2-coding-system-to-uri reversed (SCT, LN ...), `HL7nnnn` for an HL7 v2 table, or the
      // name of a local system `{codesystem-base}/{MSH-4.1}/{name}`, so that a local code read
      // from v2 goes back with the coding system it came with. Absent for any other system.
      const std::string_view sys = trim(v);
      if (sys.empty()) return false;
      if (const CodeTable* t = plan.table("v2-coding-system-to-uri"))
        if (const auto* e = t->find_target(sys)) {
          dst.append(e->code);
          return true;
        }
      constexpr std::string_view kV2 = "http://terminology.hl7.org/CodeSystem/v2-";
      if (sys.size() == kV2.size() + 4 && sys.starts_with(kV2)) {
        dst.append("HL7").append(sys.substr(kV2.size()));
        return true;
      }
      const std::string_view base = plan.codesystem_base;
      if (!base.empty() && sys.size() > base.size() + 1 && sys.starts_with(base) &&
          sys[base.size()] == '/') {
        const std::string_view rest = sys.substr(base.size() + 1);
        const std::size_t slash = rest.find('/');
        if (slash != 0 && slash != std::string_view::npos && slash + 1 < rest.size() &&
            rest.find('/', slash + 1) == std::string_view::npos &&
            append_uri_decoded(dst, rest.substr(slash + 1)))
          return true;
      }
      // The code goes out without its system: say so where the system is, so that an engineer
      // can add the system to v2-coding-system-to-uri.
      add_issue(Issue{Severity::warning, where ? locate(where, true) : std::string(),
                      "not-supported",
                      "the coding system has no HL7 v2 name (table v2-coding-system-to-uri): the "
                      "code is written without it",
                      std::string(rule)});
      return false;
    }
    case Tf::search_identifier_system:
    case Tf::search_identifier_value: {
      // A conditional reference `ServiceRequest?identifier=system|value` (as rri-to-fhir writes
      // Task.focus): the token's system or value. `|` may be sent as %7C.
      const std::string_view ref = trim(v);
      const std::size_t q = ref.find('?');
      if (q == std::string_view::npos) return false;
      std::string_view query = ref.substr(q + 1);
      std::string_view token;
      while (!query.empty()) {
        const std::size_t amp = query.find('&');
        const std::string_view param = query.substr(0, amp);
        if (param.starts_with("identifier=")) token = param.substr(11);
        if (amp == std::string_view::npos) break;
        query.remove_prefix(amp + 1);
      }
      std::string decoded;
      if (token.empty() || !append_uri_decoded(decoded, token)) return false;
      const std::size_t bar = decoded.find('|');
      const std::string_view part =
          tf == Tf::search_identifier_system
              ? (bar == std::string::npos ? std::string_view()
                                          : std::string_view(decoded).substr(0, bar))
              : (bar == std::string::npos ? std::string_view(decoded)
                                          : std::string_view(decoded).substr(bar + 1));
      if (part.empty()) return false;
      dst.append(part);
      return true;
    }
    default:
      return false;
  }
}

bool FhirRun::produce(const Producer& p, const Value* root, std::string& dst,
                      std::string_view rule) {
  std::string v;
  const Source* used = nullptr;
  const Value* at = nullptr;
  for (const auto& s : p.sources)
    if (text(s.fhir, root, v, &at)) {
      used = &s;
      break;
    }
  if (used) {
    if (p.transform != Tf::none) {
      std::string w;
      if (scalar(p.transform, v, w, at, &p, root, rule)) {
        v = std::move(w);
      } else {
        used = nullptr;
      }
    }
    if (used && p.table) {
      const CodeTable::Entry* e = p.reverse_table ? p.table->find_target(v) : p.table->find(v);
      if (e) {
        v = p.reverse_table ? e->code : e->target;
      } else {
        used = nullptr;
      }
    }
  }
  if (used) {
    dst.append(v);
    return true;
  }
  if (p.has_else_literal) {
    dst.append(p.else_literal);
    return true;
  }
  if (p.else_producer) return produce(*p.else_producer, root, dst, rule);
  return false;
}

void FhirRun::issue(std::string_view code, const Value* where, std::string_view message,
                    std::string_view rule) {
  add_issue(Issue{Severity::error, where ? locate(where, true) : std::string(), std::string(code),
                  std::string(message), std::string(rule)});
}

void FhirRun::add_issue(Issue i) {
  if (i.severity == Severity::error) failed = true;
  // Several field rules may read the same element (start → SCH-11, TQ1-7, AIS-4, AIL-6,
  // AIP-6): one problem is reported once.
  for (const auto& x : issues)
    if (x.severity == i.severity && x.location == i.location && x.message == i.message) return;
  issues.push_back(std::move(i));
}

void FhirRun::fields(hl7v2::MessageBuilder& b, const std::vector<FieldRule>& rules,
                     const Value* root, std::uint32_t rep_field, std::uint32_t rep) {
  for (const auto& r : rules) {
    if (r.new_repetition) {
      std::uint32_t& next = next_rep[r.target.field];
      auto one = [&](const Value* item) {
        if (r.when && !cond(*r.when, item)) {
          if (trace) trace_skipped(r.target.text, *r.when, r.rule);
          return;
        }
        const std::uint32_t k = next + 1;
        bool wrote = false;
        if (!r.children.empty()) {
          const std::size_t before = writes;
          fields(b, r.children, item, r.target.field, k);
          wrote = writes != before;
        } else {
          std::string v;
          if ((r.has_tmpl && render(r.tmpl, item, v)) ||
              (r.has_producer && produce(r.producer, item, v, r.rule))) {
            b.set(hl7v2::Position{r.target.field, k, 1, 1}, v);
            if (trace) trace_field(r, item, r.target.field, k, 0, 0);
            ++writes;
            wrote = true;
          } else if (trace) {
            trace_unwritten(r, item);
          }
        }
        if (wrote) next = k;
      };
      if (r.each.kind == EachKind::fhir_items && r.each.lines) {
        // One repetition per line of the text values, the line in `{$line}` (TX lines).
        for (const Value* item : items(r.each, root))
          if (item->IsString())
            for_each_line(std::string_view(item->GetString(), item->GetStringLength()),
                          [&] { one(item); });
      } else if (r.each.kind == EachKind::fhir_items) {
        for (const Value* item : items(r.each, root)) one(item);
      } else {
        one(root);
      }
      continue;
    }
    if (r.when && !cond(*r.when, root)) {
      if (trace) trace_skipped(r.target.text, *r.when, r.rule);
      continue;
    }
    std::uint32_t k = r.target.repetition;
    if (rep_field == r.target.field && !r.target.repetition_given) k = rep;
    if (!r.children.empty()) {
      fields(b, r.children, root, rep_field, rep);
      continue;
    }
    std::string v;
    if ((r.has_tmpl && render(r.tmpl, root, v)) ||
        (r.has_producer && produce(r.producer, root, v, r.rule))) {
      if (v.empty()) {
        if (trace) trace_unwritten(r, root);
        continue;
      }
      b.set(hl7v2::Position{r.target.field, k, r.target.component == 0 ? 1u : r.target.component,
                            r.target.subcomponent == 0 ? 1u : r.target.subcomponent},
            v);
      if (trace) trace_field(r, root, r.target.field, k, r.target.component, r.target.subcomponent);
      ++writes;
    } else if (trace) {
      trace_unwritten(r, root);
    }
  }
}

void FhirRun::for_each_line(std::string_view text, const std::function<void()>& f) {
  // Lines end in LF or CRLF; a final line break does not start another line.
  std::size_t i = 0;
  while (i <= text.size()) {
    std::size_t e = text.find('\n', i);
    if (e == std::string_view::npos) e = text.size();
    line = text.substr(i, e - i);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!(e == text.size() && line.empty() && i > 0)) f();
    i = e + 1;
  }
  line.clear();
}

std::vector<const Value*> FhirRun::items(const Each& e, const Value* root) {
  std::vector<const Value*> all = eval(e.fhir, root);
  if (!e.where && !e.first) return all;
  std::vector<const Value*> out;
  for (const Value* v : all) {
    if (e.where && !cond(*e.where, v)) continue;
    out.push_back(v);
    if (e.first) break;
  }
  return out;
}

namespace {

/// Depth-first search for `target` below `at`, appending its element path to `path`. With
/// `of_type`, a resource inside another (`Bundle.entry.resource`, `contained`) is named by its
/// type as the validator does: `Bundle.entry[1].resource.ofType(Patient).birthDate`.
bool find_path(const Value& at, const Value* target, std::string& path, bool of_type, bool nested) {
  const std::size_t mark = path.size();
  if (of_type && nested && at.IsObject()) {
    const auto rt = at.FindMember("resourceType");
    if (rt != at.MemberEnd() && rt->value.IsString()) {
      path.append(".ofType(").append(rt->value.GetString(), rt->value.GetStringLength());
      path.push_back(')');
    }
  }
  if (&at == target) return true;
  const std::size_t inner = path.size();
  if (at.IsObject()) {
    for (auto it = at.MemberBegin(); it != at.MemberEnd(); ++it) {
      path.push_back('.');
      path.append(it->name.GetString(), it->name.GetStringLength());
      if (find_path(it->value, target, path, of_type, true)) return true;
      path.resize(inner);
    }
  } else if (at.IsArray()) {
    for (rapidjson::SizeType i = 0; i < at.Size(); ++i) {
      path.push_back('[');  // not "[" + ...: GCC 12 -Wrestrict false positive at -O3
      path.append(std::to_string(i)).push_back(']');
      if (find_path(at[i], target, path, of_type, true)) return true;
      path.resize(inner);
    }
  }
  path.resize(mark);
  return false;
}

}  // namespace

std::string FhirRun::locate(const Value* v, bool of_type) const {
  std::string path;
  if (input->HasMember("resourceType") && (*input)["resourceType"].IsString())
    path = (*input)["resourceType"].GetString();
  if (!find_path(*input, v, path, of_type, false)) return {};
  return path;
}

const Mapping* FhirRun::pick(const Value& resource) {
  if (!resource.IsObject() || !resource.HasMember("resourceType") ||
      !resource["resourceType"].IsString())
    return nullptr;
  const std::string_view type(resource["resourceType"].GetString(),
                              resource["resourceType"].GetStringLength());
  const Mapping* fallback = nullptr;
  const Value* saved = focus;
  focus = &resource;
  const Mapping* found = nullptr;
  for (const auto& m : plan.mappings) {
    if (m->v2_to_fhir) continue;
    bool accepts = false;
    for (const auto& a : m->reverse.accepts) accepts = accepts || a == type;
    if (!accepts) continue;
    if (!m->when) {
      if (!fallback) fallback = m.get();
    } else if (cond(*m->when, &resource)) {
      found = m.get();
      break;
    }
  }
  focus = saved;
  return found ? found : fallback;
}

void FhirRun::checks(const std::vector<Reject>& list) {
  for (const auto& rj : list) {
    auto one = [&](const Value* item) {
      if (!cond(*rj.when, item)) return;
      std::string loc;
      if (rj.location_is_path) {
        // The item's path, then the location relative to it.
        loc = locate(item, true);
        if (!loc.empty()) loc += "." + rj.location;
      } else if (!rj.location.empty()) {
        loc = locate(focus, true);
        if (!loc.empty()) loc += "." + rj.location;
      }
      add_issue(Issue{rj.severity, std::move(loc), rj.code, rj.message, rj.rule});
    };
    if (rj.each.kind == EachKind::fhir_items)
      for (const Value* item : items(rj.each, focus)) one(item);
    else
      one(focus);
  }
}

void FhirRun::segments(hl7v2::MessageBuilder& b, const std::vector<SegmentRule>& list,
                       const Value* base) {
  for (const auto& s : list) {
    const Value* root = base;
    if (s.context) {
      const auto c = eval(*s.context, base);
      if (c.empty()) continue;
      root = c.front();
    }
    auto one = [&](const Value* item) {
      if (s.when && !cond(*s.when, item)) {
        if (trace) trace_skipped("segment " + s.id, *s.when, s.rule);
        return;
      }
      b.segment(s.id);
      trace_segment = s.id;
      set_id = ++set_ids[s.id];
      next_rep.clear();
      fields(b, s.fields, item, 0, 0);
      if (s.then.empty()) return;
      // The segments that belong to this one (an OBX's NTEs) number from 1 under each.
      std::vector<std::pair<std::string, std::uint32_t>> saved;
      for (const auto& t : s.then) {
        saved.emplace_back(t.id, set_ids[t.id]);
        set_ids[t.id] = 0;
      }
      segments(b, s.then, item);
      for (auto it = saved.rbegin(); it != saved.rend(); ++it) set_ids[it->first] = it->second;
    };
    if (s.each.kind == EachKind::fhir_items && s.each.lines) {
      // One segment per line of the text values (base64-decoded first when asked).
      for (const Value* item : items(s.each, root)) {
        if (!item->IsString()) continue;
        std::string text(item->GetString(), item->GetStringLength());
        if (s.each.decode_base64) {
          auto d = base::decode_base64(text);
          if (!d) {
            add_issue(Issue{Severity::error, locate(item, true), "value",
                            "attachment data is not valid base64", s.rule});
            continue;
          }
          text = std::move(*d);
        }
        for_each_line(text, [&] { one(item); });
      }
    } else if (s.each.kind == EachKind::fhir_items) {
      for (const Value* item : items(s.each, root)) one(item);
    } else {
      one(root);
    }
  }
}

std::string FhirRun::run(const FhirToV2Plan& plan) {
  checks(plan.rejects);
  if (failed) return {};
  // Trigger event.
  for (const auto& e : plan.events)
    if (!e.when || cond(*e.when, focus)) {
      event = e.event;
      break;
    }
  if (event.empty()) {
    issue("not-supported", nullptr, "no trigger event rule matched this resource", {});
    return {};
  }
  // Control id: a hash of the content and the event, so a retry repeats it.
  Sha1 h;
  if (auto j = fhir::to_json(*input)) h.update(*j);
  h.update("|");
  h.update(event);
  if (previous)
    if (auto j = fhir::to_json(*previous)) h.update(*j);
  const auto dg = h.finish();
  control_id.clear();
  append_hex(control_id, dg.data(), 10);
  hl7v2::MessageBuilder b;
  segments(b, plan.segments, focus);
  return b.take();
}

}  // namespace fcpgw::mappings
