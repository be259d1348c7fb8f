// Runs a compiled v2 -> FHIR plan: walks the output template once per message and writes
// JSON straight into one reused string (no DOM, no per-value allocation once warm).

#include <charconv>
#include <cstring>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "fhir/identifiers.h"
#include "fhir/primitives.h"
#include "hl7v2/message.h"
#include "hl7v2/types.h"
#include "mappings/plan.h"
#include "mappings/v2_run.h"

namespace fcpgw::mappings {

namespace {

bool is_null_value(std::string_view v) { return v == "\"\""; }

// System and value of an identifier being written by structure(): kept per thread so that
// their capacity is reused from message to message (structure() never nests).
thread_local std::string t_sys, t_val;

}  // namespace

static std::string_view first_component(std::string_view v, const hl7v2::Delimiters& d);

// ---- value access -----------------------------------------------------------------------

std::string_view V2Run::component(std::uint32_t seg_pos, std::uint16_t field, std::uint32_t rep,
                                  std::size_t comp) const noexcept {
  // Fast path: a repetition already split (never MSH-1/MSH-2, which are not kept).
  const SplitRep& e = split[(seg_pos * 37u + field * 11u + rep) % kSplitSlots];
  if (e.seg_pos == seg_pos && e.field == field && e.rep == rep && comp <= e.count &&
      (comp != 0 || !e.more)) {
    const char* const at = msg.raw().data() + e.begin;
    if (comp == 0) return std::string_view(at, e.end[e.count - 1]);
    const std::size_t b = comp == 1 ? 0 : e.end[comp - 2] + 1u;
    return std::string_view(at + b, e.end[comp - 1] - b);
  }
  return split_component(seg_pos, field, rep, comp);
}

std::string_view V2Run::split_component(std::uint32_t seg_pos, std::uint16_t field,
                                        std::uint32_t rep, std::size_t comp) const noexcept {
  const hl7v2::Segment s = msg.segment(seg_pos);
  // MSH-1 and MSH-2 hold the delimiters themselves: the segment's own rules apply.
  if (field <= 2 && keys[seg_pos - 1] == pack_id("MSH")) return s.component(field, rep, comp);
  SplitRep& e = split[(seg_pos * 37u + field * 11u + rep) % kSplitSlots];
  const char* const base = msg.raw().data();
  if (e.seg_pos != seg_pos || e.field != field || e.rep != rep) {
    const std::string_view r = s.repetition(field, rep);
    if (r.size() > 0xFFFF) return comp == 0 ? r : hl7v2::nth_part(r, d.component, comp);
    e.seg_pos = seg_pos;
    e.field = field;
    e.rep = rep;
    e.begin = r.empty() ? 0 : static_cast<std::uint32_t>(r.data() - base);
    e.count = 0;
    e.more = false;
    const char sep = d.component;
    std::size_t i = 0;
#if defined(__SSE2__)
    // Sixteen bytes per step; each separator found is a set bit of the mask.
    const __m128i vsep = _mm_set1_epi8(sep);
    for (; i + 16 <= r.size() && !e.more; i += 16) {
      auto m = static_cast<unsigned>(_mm_movemask_epi8(
          _mm_cmpeq_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(r.data() + i)), vsep)));
      for (; m != 0; m &= m - 1) {
        if (e.count + 1 == kSplitComponents) {
          e.more = true;
          break;
        }
        e.end[e.count++] = static_cast<std::uint16_t>(i + static_cast<unsigned>(__builtin_ctz(m)));
      }
    }
#endif
    for (; i < r.size() && !e.more; ++i) {
      if (r[i] != sep) continue;
      if (e.count + 1 == kSplitComponents) {
        e.more = true;
        break;
      }
      e.end[e.count++] = static_cast<std::uint16_t>(i);
    }
    if (!e.more) e.end[e.count++] = static_cast<std::uint16_t>(r.size());
  }
  if (comp == 0) {
    if (!e.more) return std::string_view(base + e.begin, e.end[e.count - 1]);
    return s.repetition(field, rep);
  }
  if (comp <= e.count) {
    const std::size_t b = comp == 1 ? 0 : e.end[comp - 2] + 1u;
    return std::string_view(base + e.begin + b, e.end[comp - 1] - b);
  }
  if (!e.more) return {};
  // Past the recorded components: carry on from the last one.
  const std::string_view r = s.repetition(field, rep);
  return hl7v2::nth_part(r.substr(e.end[e.count - 1] + 1u), d.component, comp - e.count);
}

std::string_view V2Run::subcomponent(std::uint32_t seg_pos, std::uint16_t field, std::uint32_t rep,
                                     std::size_t comp, std::size_t sub) const noexcept {
  if (field <= 2 && keys[seg_pos - 1] == pack_id("MSH"))
    return msg.segment(seg_pos).subcomponent(field, rep, comp, sub);
  const std::string_view c = component(seg_pos, field, rep, comp);
  if (sub == 0 || comp == 0) return c;
  return hl7v2::nth_part(c, d.subcomponent, sub);
}

bool V2Run::field_bound(const V2Ref& r) const noexcept {
  for (int i = nframes - 1; i >= 0; --i)
    if (frames[i].seg_key == r.seg_key) return frames[i].field == r.field;
  return false;
}

Resolved V2Run::resolve(const V2Ref& r) const noexcept {
  Resolved out;
  out.field = r.field;
  out.rep = r.repetition;
  out.comp = r.component;
  out.sub = r.subcomponent;
  for (int i = nframes - 1; i >= 0; --i) {
    const Frame& f = frames[i];
    if (f.seg_key != r.seg_key) continue;
    out.seg_pos = f.seg_pos;
    if (f.field == r.field && !r.repetition_given) out.rep = f.rep;
    break;
  }
  if (out.seg_pos == 0) out.seg_pos = first[r.slot];
  if (out.seg_pos == 0) return out;
  // Rules read the same paths again and again (conditions, then values, then identities):
  // keep each path's value for the segment occurrence and repetition it was read in.
  PathMemo* const m = r.path < memo_size ? memo + r.path : nullptr;
  if (m && m->stamp == stamp && m->seg_pos == out.seg_pos && m->rep == out.rep) {
    out.raw = std::string_view(msg.raw().data() + m->begin, m->size);
    return out;
  }
  std::string_view v = subcomponent(out.seg_pos, r.field, out.rep, r.component, r.subcomponent);
  v = trim(v);
  if (is_null_value(v)) v = {};
  out.raw = v;
  if (m) {
    m->stamp = stamp;
    m->seg_pos = out.seg_pos;
    m->rep = out.rep;
    m->begin = v.empty() ? 0 : static_cast<std::uint32_t>(v.data() - msg.raw().data());
    m->size = static_cast<std::uint32_t>(v.size());
  }
  return out;
}

std::string_view V2Run::part(const Resolved& r, std::size_t k) const noexcept {
  if (r.seg_pos == 0) return {};
  std::string_view v;
  if (r.comp == 0)
    v = component(r.seg_pos, r.field, r.rep, k);
  else if (r.sub == 0)
    v = subcomponent(r.seg_pos, r.field, r.rep, r.comp, k);
  else
    v = k == 1 ? r.raw : std::string_view{};
  v = trim(v);
  return is_null_value(v) ? std::string_view{} : v;
}

std::string_view V2Run::subpart(const Resolved& r, std::size_t k, std::size_t sub) const noexcept {
  if (r.seg_pos == 0 || r.comp != 0) return sub == 1 ? part(r, k) : std::string_view{};
  const auto v = trim(subcomponent(r.seg_pos, r.field, r.rep, k, sub));
  return is_null_value(v) ? std::string_view{} : v;
}

std::string V2Run::location(const Resolved& r, int comp_override) const {
  std::string loc;
  if (r.seg_pos == 0) return loc;
  const std::uint32_t key = keys[r.seg_pos - 1];
  // The occurrence is named whenever the segment repeats (OBX[1] as well as OBX[2]), so that
  // every location of a repeated segment says which one it is.
  std::size_t occ = 0, total = 0;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    total += keys[i] == key;
    if (i < r.seg_pos) occ += keys[i] == key;
  }
  loc.push_back(static_cast<char>(key >> 16));
  loc.push_back(static_cast<char>((key >> 8) & 0xFF));
  loc.push_back(static_cast<char>(key & 0xFF));
  // Appended piece by piece: `"[" + std::to_string(n)` (operator+ inserting at the front of a
  // temporary) trips a GCC 12 -Wrestrict false positive at -O3.
  const auto number = [&loc](std::size_t n) {
    char buf[24];
    const auto w = std::to_chars(buf, buf + sizeof buf, n);
    loc.append(buf, w.ptr);
  };
  if (total > 1) {
    loc.push_back('[');
    number(occ);
    loc.push_back(']');
  }
  loc.push_back('-');
  number(r.field);
  loc.push_back('[');
  number(r.rep);
  loc.push_back(']');
  const int comp = comp_override >= 0 ? comp_override : r.comp;
  if (comp > 0) {
    loc.push_back('.');
    number(static_cast<std::size_t>(comp));
  }
  if (comp_override < 0 && r.sub > 0) {
    loc.push_back('.');
    number(r.sub);
  }
  return loc;
}

void V2Run::issue(Severity sev, std::string loc, std::string_view code, std::string_view message,
                  std::string_view rule) {
  if (sev == Severity::error) failed = true;
  // Several rules may read the same bad value (TQ1-7 is the start and, through every duration
  // fallback, the end): one problem is reported once, as in FHIR -> v2.
  for (const auto& x : issues)
    if (x.severity == sev && x.location == loc && x.code == code &&
        (x.message == message || sev == Severity::error))  // the first reason refuses it
      return;
  issues.push_back(
      Issue{sev, std::move(loc), std::string(code), std::string(message), std::string(rule)});
}

void V2Run::text_into(std::string& dst, std::string_view raw) const {
  if (raw.find(d.escape) == std::string_view::npos)
    dst.append(raw);
  else
    append_v2_text(dst, raw, d);
}

void V2Run::json_text(std::string_view raw) {
  if (raw.find(d.escape) == std::string_view::npos) {
    json_plain(raw);
  } else {
    tmp_text.clear();
    append_v2_text(tmp_text, raw, d);
    json_plain(tmp_text);
  }
}

void V2Run::json_plain(std::string_view text) {
  const std::size_t n = text.size();
  if (json_plain_prefix(text) == n) {  // nothing to escape: quotes and text in one write
    char* const p = out.extend(n + 2);
    p[0] = '"';
    if (n != 0) std::memcpy(p + 1, text.data(), n);
    p[n + 1] = '"';
    return;
  }
  tmp_json.clear();
  if (append_json_string(tmp_json, text, latin1, /*fhir_text=*/true)) dropped_controls = true;
  out.append(tmp_json);
}

// ---- conditions -------------------------------------------------------------------------

static bool run_check(std::string_view check, std::string_view v) {
  if (const auto id = identifier_check(check, v)) return *id;
  if (check == "dtm") return hl7v2::parse_dtm(v).has_value();
  if (check == "full-date" || check == "dtm-time") {
    const auto x = hl7v2::parse_dtm(v);
    return x && x->precision >=
                    (check == "full-date" ? hl7v2::DtmPrecision::day : hl7v2::DtmPrecision::hour);
  }
  return false;
}

bool V2Run::eval(const Condition& c) {
  switch (c.kind) {
    case CondKind::always:
      return true;
    case CondKind::present:
      return !resolve(c.source.v2).raw.empty();
    case CondKind::absent:
      return resolve(c.source.v2).raw.empty();
    case CondKind::equals:
    case CondKind::in: {
      const auto raw = resolve(c.source.v2).raw;
      for (const auto& v : c.values)
        if (iequals(raw, v)) return true;
      return false;
    }
    case CondKind::valid: {
      const Resolved r = resolve(c.source.v2);
      if (c.values[0] == "cx-nhs-number") return !r.raw.empty() && cx_nhs_number(r);
      if (c.values[0] == "cx-nhs-number-conflict") return !r.raw.empty() && cx_nhs_earlier(r, true);
      if (c.values[0] == "cx-nhs-number-repeat") return !r.raw.empty() && cx_nhs_earlier(r, false);
      if (c.values[0] == "duration") {
        // What duration-minutes and dtm-instant-plus understand: the amount in the unit the
        // third path names (a TQ duration, M20, carries its own).
        const std::string_view unit =
            c.other.v2.text.empty() ? std::string_view() : resolve(c.other.v2).raw;
        return !r.raw.empty() &&
               duration_minutes(first_component(r.raw, d), first_component(unit, d)).has_value();
      }
      return !r.raw.empty() && run_check(c.values[0], r.raw);
    }
    case CondKind::all:
      for (const auto& k : c.children)
        if (!eval(k)) return false;
      return true;
    case CondKind::any:
      for (const auto& k : c.children)
        if (eval(k)) return true;
      return false;
    case CondKind::not_:
      return !eval(c.children[0]);
    case CondKind::exists: {
      bool found = false;
      for_each(*c.over, [&] { found = found || eval(c.children[0]); });
      return found;
    }
    case CondKind::later: {
      const auto a = hl7v2::parse_dtm(first_component(resolve(c.source.v2).raw, d));
      const auto b = hl7v2::parse_dtm(first_component(resolve(c.other.v2).raw, d));
      if (!a || !b) return false;
      return dtm_later(*a, *b, c.months, c.days, zone);
    }
    case CondKind::same:
      return same_text(resolve(c.source.v2).raw, resolve(c.other.v2).raw);
    case CondKind::mapped: {
      const Resolved r = resolve(c.source.v2);
      if (r.raw.empty()) return false;
      // A whole CE/CWE (a field or a repetition) is matched by its codings, as `map` after
      // ce-codeable-concept matches it; a component by its code alone.
      if (r.comp == 0) return coded_entry(*c.table, r) != nullptr;
      tmp_code.clear();
      text_into(tmp_code, r.raw);
      return c.table->find(tmp_code, sending_facility()) != nullptr;
    }
    case CondKind::previous:
    case CondKind::changed:
    case CondKind::ends_with:  // FHIR -> v2 only (the loader refuses it here)
      return false;
  }
  return false;
}

// ---- iteration --------------------------------------------------------------------------

template <typename F>
void V2Run::for_each(const Each& e, F&& body) {
  const std::size_t n = keys.size();
  if (nframes >= kMaxFrames) return;
  switch (e.kind) {
    case EachKind::none:
      body();
      return;
    case EachKind::segments:
      for (std::size_t i = 0; i < n; ++i) {
        if (keys[i] != e.seg_key) continue;
        frames[nframes++] = Frame{e.seg_key, static_cast<std::uint32_t>(i + 1), 0, 0};
        const bool pass = !e.where || eval(*e.where);
        if (pass) body();
        --nframes;
        if (pass && e.first) return;
      }
      return;
    case EachKind::segments_after: {
      // The anchor: the bound segment with that id, else its first occurrence.
      std::uint32_t anchor = 0;
      for (int i = nframes - 1; i >= 0 && anchor == 0; --i)
        if (frames[i].seg_key == e.anchor_key) anchor = frames[i].seg_pos;
      if (anchor == 0)
        for (std::size_t i = 0; i < n && anchor == 0; ++i)
          if (keys[i] == e.anchor_key) anchor = static_cast<std::uint32_t>(i + 1);
      if (anchor == 0) return;
      for (std::size_t i = anchor; i < n; ++i) {
        if (keys[i] == e.seg_key) {
          frames[nframes++] = Frame{e.seg_key, static_cast<std::uint32_t>(i + 1), 0, 0};
          const bool pass = !e.where || eval(*e.where);
          if (pass) body();
          --nframes;
          if (pass && e.first) return;
          continue;
        }
        bool skip = false;
        for (auto k : e.skip_keys) skip = skip || keys[i] == k;
        if (!skip) break;
      }
      return;
    }
    case EachKind::field_reps: {
      Resolved r = resolve(e.field);
      if (r.seg_pos == 0) return;
      const std::size_t reps = msg.segment(r.seg_pos).repetition_count(e.field.field);
      for (std::size_t k = 1; k <= reps; ++k) {
        frames[nframes++] =
            Frame{e.seg_key, r.seg_pos, e.field.field, static_cast<std::uint32_t>(k)};
        body();
        --nframes;
      }
      return;
    }
    case EachKind::fhir_items:
      return;
  }
}

// ---- templates --------------------------------------------------------------------------

bool V2Run::render(const Template& t, std::string& dst, bool url) {
  for (const auto& p : t.parts) {
    dst.append(p.literal);
    if (p.source < 0) continue;
    const Resolved r = resolve(t.sources[static_cast<std::size_t>(p.source)].v2);
    if (r.raw.empty()) return false;
    tmp_hole.clear();
    text_into(tmp_hole, r.raw);
    std::string_view v = tmp_hole;
    if (p.transform >= 0) {
      tmp_hole2.clear();
      if (!scalar(static_cast<Tf>(p.transform), v, tmp_hole2, r, nullptr)) return false;
      v = tmp_hole2;
    }
    if (url)
      append_url_encoded(dst, v);
    else
      dst.append(v);
  }
  return true;
}

// ---- transforms -------------------------------------------------------------------------

static std::string_view first_component(std::string_view v, const hl7v2::Delimiters& d) {
  for (std::size_t i = 0; i < v.size(); ++i)
    if (v[i] == d.component || v[i] == d.subcomponent) return v.substr(0, i);
  return v;
}

bool V2Run::dtm(const Resolved& r, std::string_view text, hl7v2::Dtm& out, std::string_view rule) {
  auto p = hl7v2::parse_dtm(first_component(text, d));
  if (!p) {
    issue(Severity::error, location(r), "102", "not a valid date/time: " + p.error().message, rule);
    return false;
  }
  out = *p;
  return true;
}

// Writes the text result of a scalar transform into `dst`. Returns false when absent.
bool V2Run::scalar(Tf tf, std::string_view v, std::string& dst, const Resolved& r,
                   const Producer* p, std::string_view rule) {
  switch (tf) {
    case Tf::dtm_instant:
    case Tf::dtm_datetime:
    case Tf::dtm_date: {
      hl7v2::Dtm x;
      if (!dtm(r, v, x, rule)) return false;
      const DateKind k = tf == Tf::dtm_instant ? DateKind::instant
                         : tf == Tf::dtm_date  ? DateKind::date
                                               : DateKind::date_time;
      if (!append_fhir_date(dst, x, k, zone)) {
        issue(Severity::warning, location(r), "102",
              "date/time has no time of day; an instant needs one", rule);
        return false;
      }
      return true;
    }
    case Tf::dtm_instant_plus: {
      hl7v2::Dtm x;
      if (!dtm(r, v, x, rule)) return false;
      std::string_view amount;
      std::string_view unit;
      Resolved ra;
      for (const auto& [name, src] : p->args) {
        const Resolved a = resolve(src.v2);
        if (name == "amount") {
          amount = a.raw;
          ra = a;
        } else if (name == "unit") {
          unit = first_component(a.raw, d);
        }
      }
      if (amount.empty()) return false;
      const auto mins = duration_minutes(first_component(amount, d), unit);
      if (!mins) {
        // A duration sent but not understood is the sender's to hear of, where it was sent
        // (a mapping that needs the end refuses the message by the `duration` check).
        issue(Severity::warning, location(ra), "102", "duration or its unit not understood", rule);
        return false;
      }
      if (x.precision < hl7v2::DtmPrecision::hour) return false;
      const int off = effective_offset(x, zone);
      hl7v2::Dtm e = add_minutes(x, *mins);
      if (e.precision < hl7v2::DtmPrecision::second) e.precision = hl7v2::DtmPrecision::second;
      e.offset_minutes = off;
      return append_fhir_date(dst, e, DateKind::instant, zone);
    }
    case Tf::duration_minutes: {
      std::string_view unit;
      if (p)
        for (const auto& [name, src] : p->args)
          if (name == "unit") unit = first_component(resolve(src.v2).raw, d);
      const auto mins = duration_minutes(first_component(v, d), unit);
      if (!mins) {
        issue(Severity::warning, location(r), "102", "duration or its unit not understood", rule);
        return false;
      }
      if (*mins < 1) return false;
      char buf[24];
      const auto res = std::to_chars(buf, buf + sizeof buf, *mins);
      dst.append(buf, res.ptr);
      return true;
    }
    case Tf::integer:
    case Tf::positive_int: {
      std::int64_t val = 0;
      const auto t = trim(v);
      const auto res = std::from_chars(t.data(), t.data() + t.size(), val);
      if (res.ec != std::errc() || res.ptr != t.data() + t.size() ||
          (tf == Tf::positive_int && val < 1)) {
        issue(Severity::warning, location(r), "102", "not a whole number", rule);
        return false;
      }
      char buf[24];
      const auto w = std::to_chars(buf, buf + sizeof buf, val);
      dst.append(buf, w.ptr);
      return true;
    }
    case Tf::decimal: {
      const auto t = trim(v);
      double val = 0;
      const auto res = std::from_chars(t.data(), t.data() + t.size(), val);
      if (res.ec != std::errc() || res.ptr != t.data() + t.size()) {
        issue(Severity::warning, location(r), "102", "not a number", rule);
        return false;
      }
      dst.append(t.front() == '.' ? "0" : "").append(t);
      return true;
    }
    case Tf::boolean: {
      if (iequals(v, "Y") || iequals(v, "true") || v == "1") {
        dst.append("true");
        return true;
      }
      if (iequals(v, "N") || iequals(v, "false") || v == "0") {
        dst.append("false");
        return true;
      }
      issue(Severity::warning, location(r), "102", "not a yes/no value", rule);
      return false;
    }
    case Tf::trim:
    case Tf::upper:
    case Tf::lower:
    case Tf::uri_encode:
      return *apply_text_transform(tf, v, dst);
    case Tf::xtn_phone: {
      // XTN-12 (unformatted), else XTN-1, else the number in parts (XTN-5..8), as the v2-to-FHIR
      // IG reads XTN: "+44 1632 960123 ext. 12". With a country code, the area code's trunk 0
      // is dropped.
      std::string_view number = part(r, 12);
      if (number.empty()) number = part(r, 1);
      if (!number.empty()) {
        text_into(dst, number);
        return true;
      }
      const auto country = part(r, 5), local = part(r, 7), ext = part(r, 8);
      auto area = part(r, 6);
      if (local.empty()) return false;
      if (!country.empty()) {
        dst.push_back('+');
        text_into(dst, country.front() == '+' ? country.substr(1) : country);
        dst.push_back(' ');
        if (area.size() > 1 && area.front() == '0') area.remove_prefix(1);
      }
      if (!area.empty()) {
        text_into(dst, area);
        dst.push_back(' ');
      }
      text_into(dst, local);
      if (!ext.empty()) {
        dst.append(" ext. ");
        text_into(dst, ext);
      }
      return true;
    }
    case Tf::oid_uri:
      if (!run_check("oid", v)) return false;
      dst.append("urn:oid:").append(v);
      return true;
    case Tf::nhs_number: {
      auto n = fhir::normalize_nhs_number(v);
      if (!n) {
        issue(Severity::error, location(r), "102",
              "NHS number is not 10 digits with a valid check digit", rule);
        return false;
      }
      dst.append(*n);
      return true;
    }
    case Tf::ods_code: {
      const std::size_t start = dst.size();
      for (char c : trim(v)) dst.push_back(c >= 'a' && c <= 'z' ? static_cast<char>(c - 32) : c);
      if (!fhir::ods_code_valid(std::string_view(dst).substr(start))) {
        dst.resize(start);
        issue(Severity::warning, location(r), "102", "not an ODS code", rule);
        return false;
      }
      return true;
    }
    case Tf::base64: {
      // Base64 data as sent (ED.5): checked, never re-encoded. MIME-style line breaks (sent as
      // escapes such as \X0D\\X0A\) and blanks are removed; anything else that is not base64
      // refuses the message: an empty or partial document must never be filed in its place
      // (it is a conditional create, so the corrected resend would then be ignored).
      const std::size_t start = dst.size();
      for (const char c : v)
        if (c != '\r' && c != '\n' && c != ' ' && c != '\t') dst.push_back(c);
      if (dst.size() == start) return false;
      if (!fhir::valid_base64(std::string_view(dst).substr(start))) {
        dst.resize(start);
        issue(Severity::error, location(r), "102",
              "not valid base64 (RFC 4648 alphabet and padding): the document is refused", rule);
        return false;
      }
      return true;
    }
    case Tf::base64_encode:
      if (v.empty()) return false;
      append_base64(dst, v);
      return true;
    case Tf::ed_content_type: {
      // ED.2 type of data (table 0191: AP, IM, TEXT, AU, ...) or a MIME top-level type, and
      // ED.3 data subtype (table 0291: PDF, JPEG, RTF, ...), as one MIME type.
      const auto type = part(r, 2);
      const auto sub = part(r, 3);
      if (type.empty() && sub.empty()) return false;
      return append_mime_type(dst, type, sub);
    }
    case Tf::formatted_text:
      append_formatted_text(dst, v);
      return !dst.empty();
    default:
      return false;
  }
}

// ---- structure transforms ---------------------------------------------------------------

void V2Run::coding_system(std::string_view cs, std::string& dst) {
  if (const CodeTable* t = plan.table("v2-coding-system-to-uri"))
    if (const auto* e = t->find(cs)) {
      dst.append(e->target);
      return;
    }
  // HL7nnnn / HL7 table style.
  if (cs.size() == 7 && (cs.substr(0, 3) == "HL7" || cs.substr(0, 3) == "hl7")) {
    dst.append("http://terminology.hl7.org/CodeSystem/v2-").append(cs.substr(3));
    return;
  }
  dst.append(plan.codesystem_base).push_back('/');
  append_url_encoded(dst, sending_facility());
  dst.push_back('/');
  append_url_encoded(dst, cs);
}

std::string_view V2Run::sending_facility() const noexcept {
  auto v = trim(msg.segment(1).component(4, 1, 1));
  return v.empty() ? std::string_view("unknown") : v;
}

// Writes {"system":..,"code":..,"display":..} for CE parts starting at `base` (1 or 4).
bool V2Run::coding(const Resolved& r, std::size_t base) {
  const auto code = part(r, base);
  if (code.empty()) return false;
  const auto display = part(r, base + 1);
  const auto cs = part(r, base + 2);
  out.push_back('{');
  if (!cs.empty()) {
    out.append("\"system\":");
    tmp_hole.clear();
    coding_system(cs, tmp_hole);
    json_plain(tmp_hole);
    out.push_back(',');
  }
  out.append("\"code\":");
  json_text(code);
  if (!display.empty()) {
    out.append(",\"display\":");
    json_text(display);
  }
  out.push_back('}');
  return true;
}

const CodeTable::Entry* V2Run::coded_entry(const CodeTable& t, const Resolved& r) {
  if (t.entries.empty()) return nullptr;  // a hook no one has filled costs nothing
  for (const std::size_t base : {std::size_t{1}, std::size_t{4}}) {
    const auto code = part(r, base);
    if (code.empty()) continue;
    tmp_sys.clear();
    if (const auto cs = part(r, base + 2); !cs.empty()) coding_system(cs, tmp_sys);
    tmp_code.clear();
    text_into(tmp_code, code);
    if (const auto* e = t.find_coding(tmp_sys, tmp_code, sending_facility())) return e;
  }
  return nullptr;
}

bool V2Run::sent_as_alternate(const Resolved& r, const CodeTable::Entry& e) {
  const auto code = part(r, 4);
  if (code.empty()) return false;
  tmp_code.clear();
  text_into(tmp_code, code);
  if (tmp_code != e.target) return false;
  tmp_sys.clear();
  if (const auto cs = part(r, 6); !cs.empty()) coding_system(cs, tmp_sys);
  return tmp_sys == e.target_system;
}

void V2Run::table_coding(const CodeTable::Entry& e) {
  out.push_back('{');
  if (!e.target_system.empty()) {
    out.append("\"system\":");
    json_plain(e.target_system);
    out.push_back(',');
  }
  out.append("\"code\":");
  json_plain(e.target);
  if (!e.display.empty()) {
    out.append(",\"display\":");
    json_plain(e.display);
  }
  out.push_back('}');
}

// With a code table (`map`), the coded transforms translate: ce-coding writes the table's
// coding when the field's code is in it, else the coding as sent; ce-codeable-concept keeps
// the codings as sent, first and in their order (so FHIR -> v2 writes the field back as it
// came), and adds the table's coding after them.
bool V2Run::structure(Tf tf, const Resolved& r, std::string_view rule, const CodeTable* table) {
  switch (tf) {
    case Tf::ce_coding:
      if (const auto* e = table ? coded_entry(*table, r) : nullptr) {
        table_coding(*e);
        return true;
      }
      return coding(r, 1);
    case Tf::ce_codeable_concept: {
      const std::size_t mark = out.size();
      out.append("{\"coding\":[");
      const bool a = coding(r, 1);
      if (a && !part(r, 4).empty()) out.push_back(',');
      const bool b = coding(r, 4);
      // The translation is not added when it was sent as the alternate coding (CWE-4 to -6),
      // as fcpgw itself writes a translated field back (cwe), so a round trip adds nothing.
      if (const auto* e = (a || b) && table ? coded_entry(*table, r) : nullptr;
          e && !sent_as_alternate(r, *e)) {
        out.push_back(',');
        table_coding(*e);
      }
      if (!a && !b) {
        out.resize(mark);
        out.push_back('{');
      } else {
        out.push_back(']');
      }
      // text: original text (CWE-9), else the first display, else a code-less identifier.
      std::string_view text = part(r, 9);
      if (text.empty()) text = part(r, 2);
      if (text.empty() && part(r, 3).empty() && !part(r, 1).empty()) text = part(r, 1);
      if (!text.empty()) {
        if (out.back() != '{') out.push_back(',');
        out.append("\"text\":");
        json_text(text);
      }
      if (out.back() == '{') {
        out.resize(mark);
        return false;
      }
      out.push_back('}');
      return true;
    }
    case Tf::cx_identifier: {
      std::string& sys = t_sys;
      std::string& val = t_val;
      const auto type = part(r, 5);
      const auto aa_ns = subpart(r, 4, 1);
      const std::string_view national = national_system(r);
      if (part(r, 1).empty()) return false;
      if (!cx_system_value(r, sys, val)) {
        if (national == plan.constant("sys.nhs-number"))
          issue(Severity::error, location(r, 1), "102",
                "NHS number is not 10 digits with a valid check digit (modulus 11)", rule);
        return false;
      }
      out.push_back('{');
      if (!national.empty()) out.append("\"use\":\"official\",");
      out.append("\"system\":");
      json_plain(sys);
      out.append(",\"value\":");
      json_plain(val);
      // A national number is typed NH whatever the sender wrote in CX-5 (NHS, NHSNBR or
      // nothing are not table 0203 codes); other identifiers keep their CX-5.
      if (const std::string_view code = national.empty() ? type : std::string_view("NH");
          !code.empty()) {
        out.append(
            ",\"type\":{\"coding\":[{\"system\":\"http://terminology.hl7.org/CodeSystem/"
            "v2-0203\",\"code\":");
        json_text(code);
        if (const CodeTable* t = plan.table("v2-0203-identifier-type"))
          if (const auto* e = t->find(code); e && !e->display.empty()) {
            out.append(",\"display\":");
            json_plain(e->display);
          }
        out.append("}]}");
      }
      // A local identifier assigned by an organisation with an ODS code: assigner. A national
      // authority is not an organisation, and a word that is not an ODS code (a system name,
      // the sending application) never becomes one.
      if (national.empty() && !aa_ns.empty() && fhir::ods_code_valid(aa_ns)) {
        out.append(",\"assigner\":{\"identifier\":{\"system\":");
        json_plain(plan.constant("sys.ods-organization"));
        out.append(",\"value\":");
        json_text(aa_ns);
        out.append("}}");
      }
      out.push_back('}');
      return true;
    }
    case Tf::xcn_identifier: {
      std::string& sys = t_sys;
      std::string& val = t_val;
      if (!xcn_system_value(r, sys, val, rule)) return false;
      out.append("{\"system\":");
      json_plain(sys);
      out.append(",\"value\":");
      json_plain(val);
      out.push_back('}');
      return true;
    }
    default:
      return false;
  }
}

// The system of a national patient number (DOMAIN 1.5), or empty. The assigning authority
// decides when there is one: its namespace id (CX-4.1: NHS, NHSNBR, CHI, HSNI ...) or its
// universal id (CX-4.2: the NHS number OID 2.16.840.1.113883.2.1.4.1, a system URI) found in
// table v2-assigning-authority-to-system. With no authority at all, the identifier type
// (CX-5: NH, NHS ...) in table v2-0203-to-national-system decides. Both tables are data, so
// an engineer adds a sender's spelling without a rebuild.
std::string_view V2Run::national_system(const Resolved& r) const {
  const auto ns = subpart(r, 4, 1);
  const auto uid = subpart(r, 4, 2);
  if (!ns.empty() || !uid.empty()) {
    if (const CodeTable* t = plan.table("v2-assigning-authority-to-system")) {
      if (const auto* e = ns.empty() ? nullptr : t->find(ns)) return e->target;
      if (const auto* e = uid.empty() ? nullptr : t->find(uid)) return e->target;
    }
    return {};
  }
  if (const CodeTable* t = plan.table("v2-0203-to-national-system"))
    if (const auto* e = t->find(part(r, 5))) return e->target;
  return {};
}

// True when the CX is an NHS number (recognised as above) with a valid check digit.
bool V2Run::cx_nhs_number(const Resolved& r) {
  if (national_system(r) != plan.constant("sys.nhs-number")) return false;
  std::string v;  // short: no allocation
  text_into(v, part(r, 1));
  return fhir::nhs_number_valid(v);
}

// For a CX repetition that is an NHS number (as above), compared with the NHS numbers of the
// earlier repetitions of the same field: `differ` true when one differs (one person has one NHS
// number, DOMAIN 2.4), else true when one is the same (the number sent again).
bool V2Run::cx_nhs_earlier(const Resolved& r, bool differ) {
  if (r.comp != 0 || !cx_nhs_number(r)) return false;
  std::string mine;
  text_into(mine, part(r, 1));
  const auto n = fhir::normalize_nhs_number(mine);
  for (std::uint32_t k = 1; k < r.rep; ++k) {
    Resolved e = r;
    e.rep = k;
    if (!cx_nhs_number(e)) continue;
    std::string other;
    text_into(other, part(e, 1));
    if ((fhir::normalize_nhs_number(other) != n) == differ) return true;
  }
  return false;
}

// System and value of a CX identifier (DOMAIN 1.5 / 3.4): a national number (the NHS number
// with its check digit verified), an ISO OID or URI assigning authority, else
// <id-base>/<assigning authority>/<type>.
bool V2Run::cx_system_value(const Resolved& r, std::string& sys, std::string& val) {
  const auto id = part(r, 1);
  if (id.empty()) return false;
  const auto aa_ns = subpart(r, 4, 1);
  const auto aa_uid = subpart(r, 4, 2);
  const auto aa_type = subpart(r, 4, 3);
  const auto type = part(r, 5);
  sys.clear();
  val.clear();
  if (const std::string_view national = national_system(r); !national.empty()) {
    std::string t;
    text_into(t, id);
    if (national == plan.constant("sys.nhs-number")) {
      auto n = fhir::normalize_nhs_number(t);
      if (!n) return false;
      t = *n;
    } else {
      t = std::string(trim(t));  // no check digit rule is documented for CHI or H&C numbers
      if (t.empty()) return false;
    }
    sys.append(national);
    val.append(t);
    return true;
  }
  if (!aa_uid.empty() && iequals(aa_type, "ISO") && run_check("oid", aa_uid)) {
    sys.append("urn:oid:").append(aa_uid);
  } else if (!aa_uid.empty() && (iequals(aa_type, "URI") || iequals(aa_type, "URL"))) {
    text_into(sys, aa_uid);
  } else {
    sys.append(plan.id_base).push_back('/');
    append_url_encoded(sys, aa_ns.empty() ? sending_facility() : aa_ns);
    sys.push_back('/');
    std::string_view t = type.empty() ? std::string_view("id") : type;
    std::string lower;
    for (char c : t) lower.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c);
    append_url_encoded(sys, lower);  // a malformed CX-5 (spaces) must still give a valid uri
  }
  text_into(val, id);
  return true;
}

// System and value of an XCN person identifier: HCPC / GMC / GMP / NMC / SDS / GPhC by XCN-9 or
// XCN-13 (format checked), national formats recognised when both are empty, else local.
bool V2Run::xcn_system_value(const Resolved& r, std::string& sys_out, std::string& val,
                             std::string_view rule) {
  const auto id = part(r, 1);
  if (id.empty()) return false;
  sys_out.clear();
  val.clear();
  text_into(val, id);
  const std::string_view value = val;
  const auto aa = subpart(r, 9, 1);
  const auto idtype = part(r, 13);
  std::string_view sys;
  struct Known {
    std::string_view authority;
    std::string_view constant;
    bool (*valid)(std::string_view) noexcept;
  };
  static constexpr Known kKnown[] = {
      {"HCPC", "sys.hcpc", fhir::hcpc_number_valid},
      {"GMC", "sys.gmc", fhir::gmc_number_valid},
      {"GMP", "sys.gmp", fhir::gmp_number_valid},
      {"NMC", "sys.nmc", nullptr},
      {"SDS", "sys.sds-user", nullptr},
      {"GPHC", "sys.gphc", nullptr},
  };
  for (const auto& k : kKnown) {
    if (!iequals(aa, k.authority) && !iequals(idtype, k.authority)) continue;
    if (k.valid && !k.valid(value)) {
      if (!rule.empty())
        issue(Severity::warning, location(r, 1), "102",
              std::string(k.authority) + " number has the wrong format; kept as a local identifier",
              rule);
      break;
    }
    sys = plan.constant(k.constant);
    break;
  }
  if (sys.empty() && aa.empty() && idtype.empty()) {
    // HL7 UK leaves XCN-9..14 unsupported: recognise unambiguous national formats.
    if (fhir::gmp_number_valid(value))
      sys = plan.constant("sys.gmp");
    else if (value.size() > 2 && value.substr(0, 2) == "PH" && fhir::hcpc_number_valid(value))
      sys = plan.constant("sys.hcpc");
  }
  if (sys.empty() && iequals(idtype, "NPI")) sys = "http://hl7.org/fhir/sid/us-npi";
  if (!sys.empty()) {
    sys_out.append(sys);
  } else {
    sys_out.append(plan.id_base).push_back('/');
    append_url_encoded(sys_out, aa.empty() ? sending_facility() : aa);
    sys_out.append("/practitioner");
  }
  return true;
}

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
  if (valid_utf8(msg.raw())) return;
  const auto cs = trim(msg.segment(1).repetition(18, 1));
  const std::string message =
      cs.empty() ? "not valid UTF-8 (no MSH-18: read as UTF-8): replaced with U+FFFD"
      : iequals(cs, "UNICODE UTF-8")
          ? "not valid UTF-8 (MSH-18 says UNICODE UTF-8): replaced with U+FFFD"
          : "not valid UTF-8 (MSH-18 names no single-byte set fcpgw reads): replaced with U+FFFD";
  constexpr auto not_utf8 = [](std::string_view text, const hl7v2::Delimiters&) {
    return !valid_utf8(text);
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
