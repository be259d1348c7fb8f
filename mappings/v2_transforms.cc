// Transforms of a v2 -> FHIR run: dates and durations (dtm), scalar transforms, and the
// structure transforms (codings, code tables, CX/XCN identifiers).

#include <charconv>

#include "fhir/identifiers.h"
#include "fhir/primitives.h"
#include "hl7v2/base/base64.h"
#include "hl7v2/message.h"
#include "hl7v2/types.h"
#include "mappings/v2_run.h"

namespace fcpgw::mappings {

namespace {

// System and value of an identifier being written by structure(): kept per thread so that
// their capacity is reused from message to message (structure() never nests).
thread_local std::string t_sys, t_val;

}  // namespace

// ---- transforms -------------------------------------------------------------------------

std::string_view first_component(std::string_view v, const hl7v2::Delimiters& d) {
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
      base::append_base64(dst, v);
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

}  // namespace fcpgw::mappings
