// Conditions and templates of a v2 -> FHIR run.

#include "hl7v2/types.h"
#include "mappings/v2_run.h"

namespace fcpgw::mappings {

// ---- conditions -------------------------------------------------------------------------

bool run_check(std::string_view check, std::string_view v) {
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

}  // namespace fcpgw::mappings
