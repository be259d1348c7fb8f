// Runs a compiled v2 -> FHIR plan: walks the output template once per message and writes
// JSON straight into one reused string (no DOM, no per-value allocation once warm).

#include <charconv>
#include <cstring>

#include "hl7v2/base/utf8.h"
#include "hl7v2/message.h"
#include "mappings/v2_run.h"

namespace fcpgw::mappings {

// ---- producers --------------------------------------------------------------------------

bool V2Run::else_value(const Producer& p, std::string_view rule) {
  for (const auto& [ev, frag] : p.by_event)
    if (iequals(ev, event)) {
      out.append(frag);
      return true;
    }
  if (p.has_else_literal) {
    out.append(p.else_literal);
    return true;
  }
  if (p.else_producer) return produce(*p.else_producer, rule);
  return false;
}

bool V2Run::produce(const Producer& p, std::string_view rule) {
  Resolved r;
  for (const auto& s : p.sources) {
    r = resolve(s.v2);
    if (!r.raw.empty()) break;
  }
  if (r.raw.empty()) return else_value(p, rule);
  const Tf tf = p.transform;
  if (tf != Tf::none && transform_info(tf).structure) {
    if (structure(tf, r, rule, p.table)) return true;
    return else_value(p, rule);
  }
  std::string_view text;
  tmp_a.clear();
  text_into(tmp_a, r.raw);
  text = tmp_a;
  if (tf != Tf::none) {
    tmp_b.clear();
    if (!scalar(tf, text, tmp_b, r, &p, rule)) return else_value(p, rule);
    text = tmp_b;
    if (transform_info(tf).numeric && !p.table) {
      out.append(text);
      return true;
    }
  }
  if (p.table) {
    const auto* e = p.table->find(first_component(text, d), sending_facility());
    if (!e) {
      if (else_value(p, rule)) return true;
      issue(Severity::information, location(r), "103",
            "value not in code table '" + p.table->id + "'", rule);
      return false;
    }
    json_plain(e->target);
    return true;
  }
  json_plain(text);
  return true;
}

// ---- nodes ------------------------------------------------------------------------------

bool V2Run::field_bound(const V2Ref& r) const noexcept {
  for (int i = nframes - 1; i >= 0; --i)
    if (frames[i].seg_key == r.seg_key) return frames[i].field == r.field;
  return false;
}

bool V2Run::value(const Node& n) {
  switch (n.kind) {
    case NodeKind::literal:
      out.append(n.literal);
      return true;
    case NodeKind::tmpl: {
      tmp_render.clear();
      if (!render(n.tmpl, tmp_render, n.url_context)) return false;
      json_plain(tmp_render);
      return true;
    }
    case NodeKind::produce: {
      if (n.producer.join) {
        tmp_join.clear();
        bool any = false;
        const Producer& p = n.producer;
        for_each(n.each, [&] {
          if (n.when && !eval(*n.when)) return;
          for (const auto& s : p.sources) {
            Resolved r = resolve(s.v2);
            if (r.raw.empty()) continue;
            if (any) tmp_join.append(p.join_separator);
            text_into(tmp_join, r.raw);
            any = true;
            // A whole field that no `each` binds (OBX-5 of TX lines, NTE-3) gives every
            // repetition, so repeated text is never cut to its first line.
            if (s.v2.component == 0 && !s.v2.repetition_given &&
                keys[r.seg_pos - 1] != pack_id("MSH") && !field_bound(s.v2) &&
                msg.segment(r.seg_pos).field(s.v2.field).find(d.repetition) !=
                    std::string_view::npos) {
              const std::size_t reps = msg.segment(r.seg_pos).repetition_count(s.v2.field);
              for (std::uint32_t k = 2; k <= reps; ++k) {
                r.rep = k;
                std::string_view v = trim(subcomponent(r.seg_pos, s.v2.field, k, 0, 0));
                if (v.empty() || is_null_value(v)) continue;
                tmp_join.append(p.join_separator);
                text_into(tmp_join, v);
              }
            }
            break;
          }
        });
        if (!any) return false;
        if (p.transform != Tf::none) {
          // A scalar transform of the joined text (e.g. base64-encode of TX lines).
          tmp_b.clear();
          if (!scalar(p.transform, tmp_join, tmp_b, Resolved{}, &p, n.rule)) return false;
          json_plain(tmp_b);
          return true;
        }
        json_plain(tmp_join);
        return true;
      }
      return produce(n.producer, n.rule);
    }
    case NodeKind::ref: {
      const ResourcePlan& target =
          mapping.forward.resources[static_cast<std::size_t>(n.ref_target)];
      if (target.when && !eval(*target.when)) return false;
      if (target.each.where && !eval(*target.each.where)) return false;  // not built here
      if (target.each.kind == EachKind::segments) {
        bool bound = false;
        for (int i = 0; i < nframes; ++i) bound = bound || frames[i].seg_key == target.each.seg_key;
        if (!bound && first[target.each.slot] == 0) return false;
      }
      out.append(ids[identity(target)].ref, CachedId::kRefSize);
      return true;
    }
    case NodeKind::choose:
      for (const auto& c : n.children) {
        if (c.when && !eval(*c.when)) continue;
        const std::size_t mark = out.size();
        if (value(c)) return true;
        out.resize(mark);
      }
      return false;
    case NodeKind::object: {
      if (n.is_constant && !trace) {
        out.append(n.constant);
        return true;
      }
      const std::size_t mark = out.size();
      out.push_back('{');
      int count = 0;
      members(n, count);
      if (count == 0) {
        out.resize(mark);
        return false;
      }
      out.push_back('}');
      return true;
    }
    case NodeKind::array: {
      if (n.is_constant && !trace) {
        out.append(n.constant);
        return true;
      }
      const std::size_t mark = out.size();
      out.push_back('[');
      int count = 0;
      for (const auto& item : n.children) {
        auto one = [&] {
          if (item.when && !eval(*item.when)) {
            if (trace) trace_skipped_item(item);
            return;
          }
          const std::size_t m = out.size();
          if (count) out.push_back(',');
          const std::size_t tm = trace ? trace_enter(count) : 0;
          if (value(item)) {
            if (trace) trace_value(item);
            ++count;
          } else {
            out.resize(m);
            if (trace) trace_unwritten(item);
          }
          if (trace) trace_path.resize(tm);
        };
        if (item.each.kind != EachKind::none &&
            !(item.kind == NodeKind::produce && item.producer.join))
          for_each(item.each, one);
        else
          one();
      }
      if (count == 0) {
        out.resize(mark);
        return false;
      }
      out.push_back(']');
      return true;
    }
  }
  return false;
}

void V2Run::members(const Node& obj, int& count) {
  const std::size_t n = obj.children.size();
  for (std::size_t i = 0; i < n; ++i) {
    const Node& c = obj.children[i];
    if (c.run_length != 0 && !trace) {
      // Members with constant values, written together.
      out.append(std::string_view(c.run).substr(count ? 0 : 1));
      count += static_cast<int>(c.run_length);
      i += c.run_length - 1;
      continue;
    }
    if (c.each.first && c.each.kind != EachKind::none) {
      // A single element from the first item that passes the each's `where` and the `when`.
      bool written = false;
      for_each(c.each, [&] {
        if (written || (c.when && !eval(*c.when))) return;
        const std::size_t mark = out.size();
        out.append(std::string_view(c.key_frag).substr(count ? 0 : 1));
        const std::size_t tm = trace ? trace_enter(c.member) : 0;
        if (value(c)) {
          if (trace) trace_value(c);
          ++count;
          written = true;
        } else {
          out.resize(mark);
        }
        if (trace) trace_path.resize(tm);
      });
      continue;
    }
    if (c.when && !eval(*c.when)) {
      if (trace) trace_skipped(c);
      continue;
    }
    const std::size_t mark = out.size();
    out.append(std::string_view(c.key_frag).substr(count ? 0 : 1));
    const std::size_t tm = trace ? trace_enter(c.member) : 0;
    if (value(c)) {
      if (trace) trace_value(c);
      ++count;
    } else {
      out.resize(mark);
      if (trace) trace_unwritten(c);
    }
    if (trace) trace_path.resize(tm);
  }
}

// ---- resources --------------------------------------------------------------------------

std::size_t V2Run::identity(const ResourcePlan& rp) {
  // Identities depend only on the resource and the segment its "each" is bound to; references
  // ask for them again and again, so keep them for the message, formatted.
  std::uint32_t binding = 0;
  if (rp.each.kind == EachKind::segments) {
    for (int i = nframes - 1; i >= 0 && binding == 0; --i)
      if (frames[i].seg_key == rp.each.seg_key) binding = frames[i].seg_pos;
    if (binding == 0) binding = first[rp.each.slot];
  }
  for (std::size_t i = 0; i < ids_used; ++i) {
    const CachedId& c = ids[i];
    if (c.resource == &rp && c.binding == binding) return i;
  }
  if (ids_used == ids.size()) ids.emplace_back();
  const std::size_t k = ids_used++;
  CachedId& c = ids[k];
  c.url.clear();
  c.conditional = identity_uncached(rp, c.id, &c.url);
  c.resource = &rp;
  c.binding = binding;
  static constexpr std::string_view kPrefix = "{\"reference\":\"urn:uuid:";
  static_assert(kPrefix.size() == CachedId::kRefPrefix);
  std::memcpy(c.ref, kPrefix.data(), kPrefix.size());
  format_uuid(c.ref + kPrefix.size(), c.id);
  c.ref[CachedId::kRefSize - 2] = '"';
  c.ref[CachedId::kRefSize - 1] = '}';
  return k;
}

bool V2Run::identity_uncached(const ResourcePlan& rp, Uuid& u, std::string* url) {
  tmp_sys.clear();
  tmp_val.clear();
  bool found = false;
  for (const auto& id : rp.identity) {
    auto attempt = [&] {
      if (found) return;
      if (id.when && !eval(*id.when)) return;
      tmp_sys.clear();
      tmp_val.clear();
      if (id.transform != Tf::none) {
        const Resolved r = resolve(id.from);
        if (r.raw.empty()) return;
        const bool ok = id.transform == Tf::cx_identifier
                            ? cx_system_value(r, tmp_sys, tmp_val)
                            : xcn_system_value(r, tmp_sys, tmp_val, {});
        if (!ok) return;
      } else if (!render(id.system, tmp_sys, false) || !render(id.value, tmp_val, false)) {
        return;
      }
      if (tmp_val.empty()) return;
      found = true;
    };
    if (id.each.kind != EachKind::none)
      for_each(id.each, attempt);
    else
      attempt();
    if (found) break;
  }
  tmp_name.clear();
  tmp_name.append(rp.type).push_back('|');
  if (found) {
    tmp_name.append(tmp_sys).push_back('|');
    tmp_name.append(tmp_val);
  } else {
    // No business identifier: derive from the message identity and the binding.
    const hl7v2::Segment msh = msg.segment(1);
    tmp_name.append(msh.field(3)).push_back('|');
    tmp_name.append(msh.field(4)).push_back('|');
    tmp_name.append(msg.control_id()).push_back('|');
    tmp_name.append(rp.key).push_back('|');
    std::uint32_t pos = 0;
    if (rp.each.kind == EachKind::segments) {
      for (int i = nframes - 1; i >= 0 && pos == 0; --i)
        if (frames[i].seg_key == rp.each.seg_key) pos = frames[i].seg_pos;
      if (pos == 0) pos = first[rp.each.slot];
    }
    char buf[12];
    const auto w = std::to_chars(buf, buf + sizeof buf, pos);
    tmp_name.append(buf, w.ptr);
  }
  u = uuid_v5(plan.id_namespace, tmp_name);
  if (url) {
    url->append(rp.type_frag);
    if (found) {
      url->append("?identifier=");
      append_search_value(*url, tmp_sys);
      url->push_back('|');
      append_search_value(*url, tmp_val);
    }
  }
  return found;
}

bool V2Run::rejects(const std::vector<Reject>& list) {
  bool ok = true;
  for (const auto& rj : list) {
    auto one = [&] {
      if (!eval(*rj.when)) return;
      std::string loc = rj.location;
      if (rj.location_is_path) {
        const Resolved r = resolve(rj.location_path.v2);
        if (r.seg_pos != 0) loc = location(r);
      }
      issue(rj.severity, std::move(loc), rj.code, rj.message, rj.rule);
      if (rj.severity == Severity::error) ok = false;
    };
    if (rj.each.kind != EachKind::none)
      for_each(rj.each, one);
    else
      one();
  }
  return ok;
}

void V2Run::resource(const ResourcePlan& rp, int& entries) {
  if (rp.when && !eval(*rp.when)) {
    if (trace) trace_skipped_resource(rp);
    return;
  }
  if (!rejects(rp.rejects)) return;
  const std::size_t k = identity(rp);
  const Uuid u = ids[k].id;
  const bool conditional = ids[k].conditional;
  tmp_url.assign(ids[k].url);
  for (const auto& s : seen)
    if (s == u) return;  // the same resource already in this Bundle
  seen.push_back(u);
  if (entries++) out.push_back(',');
  if (trace) trace_resource(rp, entries - 1);
  // `{"fullUrl":"urn:uuid:<id>","resource":` around the formatted id.
  out.append("{\"fullUrl\":\"");
  out.append(ids[k].ref + 14, CachedId::kRefSize - 14 - 2);
  out.append("\",\"resource\":");
  out.append(rp.head_frag);
  int count = 1;
  members(rp.body, count);
  if (!mapping.forward.entries_have_requests() || message_shape) {
    out.append("}}");  // document / collection / message: fullUrl and resource only
    return;
  }
  if (rp.create && conditional) {
    // Conditional create: POST Type with ifNoneExist on the business identifier.
    out.append("},\"request\":{\"method\":\"POST\",\"url\":");
    json_plain(rp.type_frag);
    out.append(",\"ifNoneExist\":");
    json_plain(std::string_view(tmp_url).substr(rp.type_frag.size() + 1));
    out.append("}}");
    return;
  }
  out.append("},\"request\":{\"method\":\"");
  out.append(conditional ? "PUT" : "POST");
  out.append("\",\"url\":");
  json_plain(tmp_url);
  out.append("}}");
}

// A message read as UTF-8 (MSH-18 UNICODE UTF-8, or none) whose bytes are not UTF-8 (often
// Latin-1 from a sender that declares the wrong set): the JSON writer puts U+FFFD in their
// place, which keeps the output valid but changes the text, so each component that has them
// is reported as a warning (102). The message names the place, never the bytes.
void V2Run::check_utf8() {
  if (base::valid_utf8(msg.raw())) return;
  const auto cs = trim(msg.segment(1).repetition(18, 1));
  const std::string message =
      cs.empty() ? "not valid UTF-8 (no MSH-18: read as UTF-8): replaced with U+FFFD"
      : iequals(cs, "UNICODE UTF-8")
          ? "not valid UTF-8 (MSH-18 says UNICODE UTF-8): replaced with U+FFFD"
          : "not valid UTF-8 (MSH-18 names no single-byte set fcpgw reads): replaced with U+FFFD";
  constexpr auto not_utf8 = [](std::string_view text, const hl7v2::Delimiters&) {
    return !base::valid_utf8(text);
  };
  warn_components(not_utf8, not_utf8, message);
}

namespace {

// A control character as a raw byte, or a hex escape (`\X00\`) that could decode to one.
bool may_hold_control(std::string_view raw, const hl7v2::Delimiters& d) {
  if (has_fhir_forbidden_control(raw)) return true;
  for (std::size_t at = raw.find(d.escape); at != std::string_view::npos && at + 1 < raw.size();
       at = raw.find(d.escape, at + 1))
    if (raw[at + 1] == 'X' || raw[at + 1] == 'x') return true;
  return false;
}

bool holds_control(std::string_view raw, const hl7v2::Delimiters& d) {
  if (!may_hold_control(raw, d)) return false;
  std::string text;
  append_v2_text(text, raw, d);
  return has_fhir_forbidden_control(text);
}

}  // namespace

// Control characters (a raw byte, or an escape such as `\X00\` or `\X07\`) may not appear in
// a FHIR string (only tab, CR and LF may). The JSON writer leaves them out of FHIR text, which
// changes the text, so once it has, each component that has them is reported as a warning
// (102) at its place.
void V2Run::check_controls() {
  warn_components(may_hold_control, holds_control,
                  "holds control characters (below U+0020, other than tab, CR and LF) that a "
                  "FHIR string may not: left out of the FHIR text");
}

void V2Run::warn_components(bool (*maybe)(std::string_view, const hl7v2::Delimiters&),
                            bool (*bad)(std::string_view, const hl7v2::Delimiters&),
                            const std::string& message) {
  const std::size_t n = msg.segment_count();
  std::string loc;
  for (std::size_t i = 1; i <= n; ++i) {
    const hl7v2::Segment seg = msg.segment(i);
    if (!maybe(seg.raw(), d)) continue;
    std::size_t occ = 1;
    for (std::size_t k = 1; k < i; ++k) occ += keys[k - 1] == keys[i - 1] ? 1 : 0;
    const std::size_t fields = seg.field_count();
    for (std::size_t f = i == 1 ? 3 : 1; f <= fields; ++f) {
      if (!maybe(seg.field(f), d)) continue;
      const std::size_t reps = seg.repetition_count(f);
      for (std::size_t rep = 1; rep <= reps; ++rep) {
        const std::string_view value = seg.repetition(f, rep);
        if (!maybe(value, d)) continue;
        std::size_t comp = 0;
        for (std::string_view c : hl7v2::Split(value, d.component)) {
          ++comp;
          if (!bad(c, d)) continue;
          loc.assign(seg.id());
          if (occ > 1) loc.append("[").append(std::to_string(occ)).append("]");
          loc.append("-").append(std::to_string(f)).append("[").append(std::to_string(rep));
          loc.append("].").append(std::to_string(comp));
          issue(Severity::warning, loc, "102", message, {});
        }
      }
    }
  }
}

void V2Run::run() {
  const V2ToFhirPlan& fp = mapping.forward;
  rejects(fp.rejects);
  if (!latin1) check_utf8();
  if (message_shape && !fp.message_header) {
    issue(Severity::error, "MSH-9", "207",
          "this mapping has no FHIR message shape (bundle.message-header)", {});
    return;
  }
  out.append("{\"resourceType\":\"Bundle\"");
  int bundle_members = 1;
  members(fp.bundle_body, bundle_members);
  out.append(",\"type\":\"");
  out.append(message_shape ? std::string_view("message") : std::string_view(fp.bundle_type));
  out.append("\",\"entry\":[");
  int entries = 0;
  if (message_shape) resource(*fp.message_header, entries);  // bdl-12: MessageHeader first
  for (const auto& rp : fp.resources) {
    if (rp.each.kind != EachKind::none)
      for_each(rp.each, [&] { resource(rp, entries); });
    else
      resource(rp, entries);
  }
  out.append("]}");
  // Found while writing, so a message without control characters pays nothing for the check.
  if (dropped_controls) check_controls();
  result.assign(out.data(), out.size());
}

void V2Run::prepare() {
  const std::size_t n = msg.segment_count();
  keys.clear();
  keys.reserve(n);
  for (std::size_t i = 1; i <= n; ++i) keys.push_back(pack_id(msg.segment(i).id()));
  first.assign(plan.v2_segments.size(), 0);
  for (std::size_t s = 0; s < plan.v2_segments.size(); ++s)
    for (std::size_t i = 0; i < n; ++i)
      if (keys[i] == plan.v2_segments[s]) {
        first[s] = static_cast<std::uint32_t>(i + 1);
        break;
      }
  zone.london = plan.default_london;
  if (plan.sender_timezones)
    if (const auto* e = plan.sender_timezones->find(sending_facility()))
      zone.london = e->target == "Europe/London";
  zone.message_offset_minutes.reset();
  zone.historic_offset_minutes.reset();
  const auto msh7 = first_component(trim(msg.segment(1).field(7)), d);
  if (!msh7.empty())
    if (auto x = hl7v2::parse_dtm(msh7)) {
      zone.message_offset_minutes = sender_offset(*x, zone.london);
      zone.historic_offset_minutes = x->offset_minutes;
    }
  const auto cs = trim(msg.segment(1).repetition(18, 1));
  latin1 = iequals(cs, "8859/1") || iequals(cs, "ISO-8859-1") || iequals(cs, "ISO IR100");
  event = msg.trigger_event();
  for (auto& e : split) e.seg_pos = 0;
  // Path values: one table per thread, reused; a new stamp empties it.
  thread_local std::vector<PathMemo> memo_table;
  thread_local std::uint32_t memo_stamp = 0;
  if (memo_table.size() < plan.v2_path_count) memo_table.resize(plan.v2_path_count);
  if (++memo_stamp == 0) {  // wrapped: clear, so that no entry from 2^32 runs ago matches
    for (auto& e : memo_table) e.stamp = 0;
    memo_stamp = 1;
  }
  memo = memo_table.data();
  memo_size = plan.v2_path_count;
  stamp = memo_stamp;
  seen.clear();
  ids_used = 0;
  nframes = 0;
  failed = false;
}

}  // namespace fcpgw::mappings
