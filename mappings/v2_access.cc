// Value access for a v2 -> FHIR run: components of the message (split once per message),
// v2 paths resolved in the current binding, locations for issues, v2 text as JSON text.

#include <charconv>
#include <cstring>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "hl7v2/message.h"
#include "mappings/v2_run.h"

namespace fcpgw::mappings {

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

}  // namespace fcpgw::mappings
