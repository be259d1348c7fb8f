#include "fhir/validation.h"

#include <algorithm>
#include <array>
#include <climits>
#include <cstdio>
#include <string>
#include <vector>

#include "fhir/definitions.h"
#include "fhir/definitions_detail.h"
#include "fhir/identifiers.h"
#include "fhir/primitives.h"
#include "hl7v2/base/calendar.h"

namespace fcpgw::fhir {
namespace {

Issue make_issue(Severity severity, IssueType type, std::string path, std::string message) {
  Issue i;
  i.severity = severity;
  i.type = type;
  i.path = std::move(path);
  i.message = std::move(message);
  return i;
}

using detail::ElementDef;
using detail::Kind;
using detail::Member;
using detail::Tables;
using rapidjson::Value;

std::string_view sv(const Value& v) { return {v.GetString(), v.GetStringLength()}; }

const Value* member(const Value& obj, std::string_view name) {
  if (!obj.IsObject()) return nullptr;
  auto it = obj.FindMember(Value(rapidjson::StringRef(name.data(), name.size())));
  return it == obj.MemberEnd() ? nullptr : &it->value;
}
std::string_view str_member(const Value& obj, std::string_view name) {
  const Value* v = member(obj, name);
  return v && is_string(*v) ? sv(*v) : std::string_view{};
}
bool has(const Value& obj, std::string_view name) { return member(obj, name) != nullptr; }
bool has_prefix_member(const Value& obj, std::string_view prefix) {
  if (!obj.IsObject()) return false;
  for (auto m = obj.MemberBegin(); m != obj.MemberEnd(); ++m)
    if (sv(m->name).starts_with(prefix) && sv(m->name).size() > prefix.size()) return true;
  return false;
}
bool coding_has(const Value* cc, std::string_view system,
                std::initializer_list<std::string_view> codes) {
  if (!cc) return false;
  const Value* coding = member(*cc, "coding");
  if (!coding || !coding->IsArray()) return false;
  for (const Value& c : coding->GetArray()) {
    if (str_member(c, "system") != system) continue;
    const auto code = str_member(c, "code");
    for (auto want : codes)
      if (code == want) return true;
  }
  return false;
}

// Comparable form of a date/dateTime: fields, and whether a time (with zone) is present.
struct When {
  int precision = 0;  // 1 year 2 month 3 day 4 time
  long long key[3] = {0, 0, 0};
  long long utc_seconds = 0;  // when precision 4
  double fraction = 0;
};
int num(std::string_view s, std::size_t pos, std::size_t n) {
  int v = 0;
  for (std::size_t i = 0; i < n; ++i) v = v * 10 + (s[pos + i] - '0');
  return v;
}
std::optional<When> parse_when(std::string_view s) {
  if (!valid_date_time(s)) return std::nullopt;
  When w;
  w.key[0] = num(s, 0, 4);
  w.precision = 1;
  if (s.size() >= 7) w.key[1] = num(s, 5, 2), w.precision = 2;
  if (s.size() >= 10) w.key[2] = num(s, 8, 2), w.precision = 3;
  if (s.size() > 10) {
    w.precision = 4;
    long long secs =
        base::days_from_civil(w.key[0], static_cast<int>(w.key[1]), static_cast<int>(w.key[2])) *
            86400 +
        num(s, 11, 2) * 3600 + num(s, 14, 2) * 60 + num(s, 17, 2);
    std::size_t i = 19;
    if (s[i] == '.') {
      double scale = 0.1;
      for (++i; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i, scale /= 10)
        w.fraction += (s[i] - '0') * scale;
    }
    if (s[i] != 'Z') {
      const long long off = num(s, i + 1, 2) * 3600 + num(s, i + 4, 2) * 60;
      secs += s[i] == '+' ? -off : off;
    }
    w.utc_seconds = secs;
  }
  return w;
}
// True when start is definitely after end.
bool after(const When& a, const When& b) {
  if (a.precision == 4 && b.precision == 4)
    return a.utc_seconds > b.utc_seconds ||
           (a.utc_seconds == b.utc_seconds && a.fraction > b.fraction);
  const int p = std::min({a.precision, b.precision, 3});
  for (int i = 0; i < p; ++i) {
    if (a.key[i] != b.key[i]) return a.key[i] > b.key[i];
  }
  return false;
}

// A JSON number written as an integer (no fraction or exponent, R4 integer syntax) within
// [lo, hi]. Raw numbers are integers only as "-0" (allowed by the integer regex) or beyond
// 64 bits (out of every R4 range).
bool integer_in(const Value& v, long long lo, long long hi, bool minus_zero) {
  if (v.IsNumber()) {
    if (v.IsDouble() || !v.IsInt64()) return false;
    return v.GetInt64() >= lo && v.GetInt64() <= hi;
  }
  return minus_zero && raw_number_text(v) == "-0";
}

struct Segment {
  std::string_view name;
  int index = -1;
  bool of_type = false;
};

// Per-resource bookkeeping for dom-3 / ref-1.
struct ResourceScope {
  std::vector<std::pair<std::string_view, std::string>> local_refs;  // "#id" refs with path
  bool refs_container = false;  // some descendant references "#"
};

class Validator {
 public:
  Validator(const ValidationOptions& opt, std::vector<Issue>& out)
      : t_(detail::tables()), opt_(opt), out_(out) {}

  void run(const Value& resource) {
    if (!resource.IsObject()) {
      add(Severity::error, IssueType::structure, "a resource must be a JSON object");
      return;
    }
    validate_resource(resource, /*contained=*/false);
  }

 private:
  // ---- issues and paths ----
  std::string path(std::string_view extra = {}) const {
    std::string p;
    for (const Segment& s : path_) {
      if (s.of_type) {
        p += ".ofType(";
        p += s.name;
        p += ')';
        continue;
      }
      if (!p.empty()) p += '.';
      p += s.name;
      if (s.index >= 0) p += '[' + std::to_string(s.index) + ']';
    }
    if (!extra.empty()) {
      if (!p.empty()) p += '.';
      p += extra;
    }
    return p;
  }
  bool full() const { return out_.size() - start_ >= opt_.max_issues; }
  void add(Severity sev, IssueType type, std::string message, std::string_view extra = {}) {
    if (stopped_) return;
    if (full()) {
      stopped_ = true;
      out_.push_back(
          make_issue(Severity::warning, IssueType::too_costly, {},
                     "validation stopped after " + std::to_string(opt_.max_issues) + " issues"));
      return;
    }
    out_.push_back(make_issue(sev, type, path(extra), std::move(message)));
  }
  void push(std::string_view name, int index = -1, bool of_type = false) {
    path_.push_back({name, index, of_type});
  }
  void pop() { path_.pop_back(); }

  // ---- resources ----
  void validate_resource(const Value& res, bool contained) {
    const Value* rt = member(res, "resourceType");
    if (!rt || !is_string(*rt) || rt->GetStringLength() == 0) {
      add(Severity::error, IssueType::required, "resourceType is required and must be a string",
          "resourceType");
      return;
    }
    const std::string_view type_name = sv(*rt);
    push(type_name, -1, /*of_type=*/!path_.empty());
    const std::uint16_t ty = detail::type_index(type_name);
    if (ty == detail::kNoType || t_.types[ty].kind != Kind::resource) {
      if (is_r4_resource_type(type_name)) {
        add(Severity::information, IssueType::not_supported,
            "resource type " + std::string(type_name) + " is not validated by this gateway");
      } else {
        add(Severity::error, IssueType::code_invalid,
            "unknown resource type " + std::string(type_name));
      }
      pop();
      return;
    }
    ResourceScope scope;
    if (!contained) scopes_.push_back(&scope);
    validate_object(res, ty);
    if (contained) check_contained(res);
    if (opt_.narrative && !contained && type_name != "Bundle") {
      const Value* text = member(res, "text");
      if (!text || !has(*text, "div"))
        add(Severity::warning, IssueType::invariant,
            "dom-6: a resource should have narrative for robust management");
    }
    invariants(type_name, res);
    if (!contained) {
      check_contained_refs(res);
      scopes_.pop_back();
    }
    pop();
  }

  void check_contained(const Value& res) {
    if (has(res, "contained"))
      add(Severity::error, IssueType::invariant,
          "dom-2: a contained resource shall not contain other resources", "contained");
    if (const Value* meta = member(res, "meta")) {
      if (has(*meta, "versionId") || has(*meta, "lastUpdated"))
        add(Severity::error, IssueType::invariant,
            "dom-4: a contained resource shall not have meta.versionId or meta.lastUpdated",
            "meta");
      if (has(*meta, "security"))
        add(Severity::error, IssueType::invariant,
            "dom-5: a contained resource shall not have a security label", "meta.security");
    }
  }

  // ---- objects ----
  void validate_object(const Value& obj, std::uint16_t ty) {
    const auto& td = t_.types[ty];
    if (!obj.IsObject()) {
      add(Severity::error, IssueType::structure,
          "expected an object of type " + std::string(td.name));
      return;
    }
    const bool is_resource = td.kind == Kind::resource;
    if (obj.MemberCount() == 0 || (is_resource && obj.MemberCount() == 1)) {
      add(Severity::error, IssueType::invariant,
          "ele-1: an element must have a value or children (empty object)");
      if (obj.MemberCount() == 0) return;
    }
    std::array<std::uint16_t, 256> count{};
    std::array<const Member*, 256> chosen{};
    for (auto m = obj.MemberBegin(); m != obj.MemberEnd(); ++m) {
      const std::string_view name = sv(m->name);
      if (is_resource && name == "resourceType") continue;
      if (name == "fhir_comments") continue;
      if (name.size() > 1 && name[0] == '_') {
        const Member* base = detail::find_member(t_, ty, name.substr(1));
        if (!base || t_.types[base->type].kind != Kind::primitive) {
          add(Severity::error, IssueType::structure, "unknown element", name);
          continue;
        }
        const ElementDef& e = t_.elements[base->element];
        // a primitive that only has extensions still counts as present
        if (!has(obj, name.substr(1))) note_present(count, chosen, base, m->value, e);
        validate_primitive_extension(obj, name, m->value, e);
        continue;
      }
      const Member* mem = detail::find_member(t_, ty, name);
      if (!mem) {
        add(Severity::error, IssueType::structure, "unknown element", name);
        continue;
      }
      const ElementDef& e = t_.elements[mem->element];
      if (chosen[mem->local] && chosen[mem->local] != mem) {
        add(Severity::error, IssueType::structure,
            "only one type of choice element " + std::string(e.name) + " may be present", name);
      }
      note_present(count, chosen, mem, m->value, e);
      validate_member(obj, name, m->value, *mem, e);
    }
    // required elements and maximum counts
    for (std::uint16_t k = 0; k < td.element_count; ++k) {
      const ElementDef& e = t_.elements[td.first_element + k];
      if (count[k] < e.min) {
        std::string n(e.name);
        add(Severity::error, IssueType::required,
            count[k] == 0 ? "missing required element " + n
                          : "element " + n + " needs at least " + std::to_string(e.min) + " items",
            n);
      }
      if (e.max != detail::kMany && count[k] > e.max)
        add(Severity::error, IssueType::structure,
            "element " + std::string(e.name) + " allows at most " + std::to_string(e.max), e.name);
    }
    type_invariants(ty, obj);
  }

  static void note_present(std::array<std::uint16_t, 256>& count,
                           std::array<const Member*, 256>& chosen, const Member* mem,
                           const Value& v, const ElementDef&) {
    const auto n = v.IsArray() ? v.Size() : 1u;
    count[mem->local] = static_cast<std::uint16_t>(std::max<unsigned>(count[mem->local], n));
    if (!chosen[mem->local]) chosen[mem->local] = mem;
  }

  void validate_member(const Value& obj, std::string_view name, const Value& v, const Member& mem,
                       const ElementDef& e) {
    const bool many = e.max != 1;
    const Kind kind = t_.types[mem.type].kind;
    if (many) {
      if (!v.IsArray()) {
        add(Severity::error, IssueType::structure,
            "element " + std::string(e.name) + " has cardinality 0..* and must be an array", name);
        push(name);
        validate_value(v, mem, e);
        pop();
        return;
      }
      if (v.Empty()) {
        add(Severity::error, IssueType::invariant, "ele-1: empty array", name);
        return;
      }
      const Value* ext = nullptr;
      if (kind == Kind::primitive) {
        char buf[128];
        if (name.size() + 1 <= sizeof buf) {
          buf[0] = '_';
          std::copy(name.begin(), name.end(), buf + 1);
          ext = member(obj, std::string_view(buf, name.size() + 1));
        }
      }
      int i = 0;
      for (const Value& item : v.GetArray()) {
        push(name, i);
        if (item.IsNull()) {
          const bool has_ext = kind == Kind::primitive && ext && ext->IsArray() &&
                               static_cast<unsigned>(i) < ext->Size() && (*ext)[i].IsObject();
          if (!has_ext)
            add(Severity::error, IssueType::structure,
                "null is only allowed where the matching _" + std::string(name) +
                    " entry carries an extension");
        } else {
          validate_value(item, mem, e);
        }
        pop();
        ++i;
      }
      return;
    }
    if (v.IsArray()) {
      add(Severity::error, IssueType::structure,
          "element " + std::string(e.name) + " has maximum cardinality 1 and must not be an array",
          name);
      return;
    }
    push(name);
    validate_value(v, mem, e);
    pop();
  }

  void validate_value(const Value& v, const Member& mem, const ElementDef& e) {
    const auto& td = t_.types[mem.type];
    switch (td.kind) {
      case Kind::primitive:
        validate_primitive(v, *t_.primitive[mem.type], e);
        return;
      case Kind::resource_slot:
        if (!v.IsObject()) {
          add(Severity::error, IssueType::structure, "expected a resource object");
          return;
        }
        {
          const bool contained = !path_.empty() && path_.back().name == "contained";
          if (contained) contained_ids_check(v);
          validate_resource(v, contained);
        }
        return;
      default:
        validate_object(v, mem.type);
        if (e.value_set >= 0 && (mem.type == t_.codeable_concept || mem.type == t_.coding))
          check_coded_binding(v, mem.type, e);
        return;
    }
  }

  void contained_ids_check(const Value& res) {
    if (!has(res, "id"))
      add(Severity::error, IssueType::required, "a contained resource must have an id", "id");
  }

  // Required binding on a Coding or CodeableConcept: some coding must carry a (system, code)
  // of the value set. A code of the value set under another system is an error; a coding
  // without a system is matched by code alone and gets a warning.
  void check_coded_binding(const Value& v, std::uint16_t ty, const ElementDef& e) {
    if (!v.IsObject()) return;
    const auto& vsd = t_.value_sets[static_cast<std::size_t>(e.value_set)];
    if (vsd.code_count == detail::kNotEnumerable) return;
    bool any_code = false, found = false, wrong_system = false;
    auto check = [&](const Value& coding, std::string_view where) {
      const Value* code = member(coding, "code");
      if (!code || !is_string(*code)) return;
      any_code = true;
      const Value* system = member(coding, "system");
      if (!system || !is_string(*system)) {
        if (detail::value_set_has(t_, e.value_set, sv(*code))) found = true;
        if (!system)
          add(Severity::warning, IssueType::code_invalid,
              "a Coding in the required value set " + std::string(vsd.url) +
                  " should have a system",
              where);
        return;
      }
      switch (detail::value_set_match(t_, e.value_set, sv(*system), sv(*code))) {
        case detail::CodingMatch::in_value_set:
          found = true;
          break;
        case detail::CodingMatch::wrong_system:
          wrong_system = true;
          break;
        case detail::CodingMatch::not_in_value_set:
          break;
      }
    };
    if (ty == t_.coding) {
      check(v, {});
    } else if (const Value* codings = member(v, "coding"); codings && codings->IsArray()) {
      char where[32];
      for (rapidjson::SizeType i = 0; i < codings->Size(); ++i) {
        const int n = std::snprintf(where, sizeof where, "coding[%u]", i);
        check((*codings)[i], std::string_view(where, static_cast<std::size_t>(n)));
      }
    }
    if (any_code && !found)
      add(Severity::error, IssueType::code_invalid,
          wrong_system ? "code is from the wrong code system for the required value set " +
                             std::string(vsd.url)
                       : "no code from the required value set " + std::string(vsd.url));
  }

  void validate_primitive(const Value& v, Primitive p, const ElementDef& e) {
    switch (p) {
      case Primitive::boolean:
        if (!v.IsBool()) add(Severity::error, IssueType::value, "expected a JSON boolean");
        return;
      case Primitive::integer:
        if (!integer_in(v, INT32_MIN, INT32_MAX, /*minus_zero=*/true))
          add(Severity::error, IssueType::value, "expected a JSON integer (32-bit)");
        return;
      case Primitive::unsignedInt:
        if (!integer_in(v, 0, INT32_MAX, /*minus_zero=*/false))
          add(Severity::error, IssueType::value, "expected an unsignedInt (0..2147483647)");
        return;
      case Primitive::positiveInt:
        if (!integer_in(v, 1, INT32_MAX, /*minus_zero=*/false))
          add(Severity::error, IssueType::value, "expected a positiveInt (1..2147483647)");
        return;
      case Primitive::decimal:
        if (!is_number(v)) add(Severity::error, IssueType::value, "expected a JSON number");
        return;
      default:
        break;
    }
    if (!is_string(v)) {
      add(Severity::error, IssueType::value,
          "expected a JSON string of type " + std::string(to_string(p)));
      return;
    }
    const std::string_view s = sv(v);
    if (s.empty()) {
      add(Severity::error, IssueType::invariant, "ele-1: empty string");
      return;
    }
    if (!valid_primitive_text(p, s)) {
      add(Severity::error, IssueType::value, "not a valid " + std::string(to_string(p)));
      return;
    }
    if (e.value_set >= 0 && !detail::value_set_has(t_, e.value_set, s)) {
      add(Severity::error, IssueType::code_invalid,
          "code is not in the required value set " +
              std::string(t_.value_sets[static_cast<std::size_t>(e.value_set)].url));
    }
    if (p == Primitive::uri || p == Primitive::canonical || p == Primitive::url ||
        p == Primitive::string) {
      // local references ("#id") for dom-3/ref-1
      if (s[0] == '#' && (e.name == "reference" || p != Primitive::string)) note_local_ref(s);
    }
  }

  void note_local_ref(std::string_view s) {
    ResourceScope* scope = scopes_.back();
    if (s.size() == 1) {
      scope->refs_container = true;
      return;
    }
    scope->local_refs.emplace_back(s.substr(1), path());
  }

  void validate_primitive_extension(const Value& obj, std::string_view name, const Value& v,
                                    const ElementDef& e) {
    const std::string_view base = name.substr(1);
    const Value* value = member(obj, base);
    const bool many = e.max != 1;
    auto check_one = [&](const Value& x) {
      if (!x.IsObject()) {
        add(Severity::error, IssueType::structure, "expected an object with id/extension");
        return;
      }
      validate_object(x, t_.element_type);
    };
    if (many) {
      if (!v.IsArray()) {
        add(Severity::error, IssueType::structure, "must be an array", name);
        return;
      }
      if (value && value->IsArray() && value->Size() != v.Size())
        add(Severity::error, IssueType::structure,
            "must have as many entries as " + std::string(base), name);
      int i = 0;
      for (const Value& x : v.GetArray()) {
        push(name, i++);
        if (!x.IsNull()) check_one(x);
        pop();
      }
      return;
    }
    push(name);
    check_one(v);
    pop();
  }

  // ---- datatype invariants ----
  void type_invariants(std::uint16_t ty, const Value& obj) {
    if (ty == t_.extension) {
      const bool ext = has(obj, "extension"), val = has_prefix_member(obj, "value");
      if (ext == val)
        add(Severity::error, IssueType::invariant,
            "ext-1: an extension must have either extensions or value[x], not both");
    } else if (ty == t_.period) {
      const auto a = parse_when(str_member(obj, "start")), b = parse_when(str_member(obj, "end"));
      if (a && b && after(*a, *b))
        add(Severity::error, IssueType::invariant,
            "per-1: if present, start shall have a lower value than end");
    } else if (ty == t_.identifier) {
      if (!opt_.uk_core) return;
      const auto system = str_member(obj, "system"), value = str_member(obj, "value");
      if (system.empty() || value.empty()) return;
      if (auto problem = uk_identifier_problem(system, value))
        add(Severity::error, IssueType::business_rule, std::string(*problem), "value");
    } else if (ty == t_.contact_point) {
      if (has(obj, "value") && !has(obj, "system"))
        add(Severity::error, IssueType::invariant,
            "cpt-2: a system is required if a value is provided");
    } else if (ty == t_.quantity) {
      if (has(obj, "code") && !has(obj, "system"))
        add(Severity::error, IssueType::invariant,
            "qty-3: if a code for the unit is present, the system shall also be present");
    } else if (ty == t_.attachment) {
      if (has(obj, "data") && !has(obj, "contentType"))
        add(Severity::error, IssueType::invariant,
            "att-1: if the Attachment has data, it shall have a contentType");
    } else if (ty == t_.reference) {
      // ref-1 is checked when the resource scope closes (needs all contained ids)
    }
  }

  // ---- resource invariants ----
  void invariants(std::string_view type, const Value& res) {
    if (type == "Appointment")
      appointment(res);
    else if (type == "Bundle")
      bundle(res);
    else if (type == "Condition")
      condition(res);
    else if (type == "Observation")
      observation(res);
    else if (type == "ServiceRequest") {
      if (has(res, "orderDetail") && !has(res, "code"))
        add(Severity::error, IssueType::invariant,
            "prr-1: orderDetail shall only be present if code is present", "orderDetail");
    } else if (type == "Patient") {
      each(res, "contact", [&](const Value& c) {
        if (!(has(c, "name") || has(c, "telecom") || has(c, "address") || has(c, "organization")))
          add(Severity::error, IssueType::invariant,
              "pat-1: contact shall contain some details or a reference to an organization");
      });
    } else if (type == "Organization") {
      if (!has(res, "identifier") && !has(res, "name"))
        add(Severity::error, IssueType::invariant,
            "org-1: the organization shall at least have a name or an identifier");
    } else if (type == "Composition") {
      each(res, "section", [&](const Value& s) { composition_section(s); });
    } else if (type == "Task") {
      const auto a = parse_when(str_member(res, "authoredOn"));
      const auto m = parse_when(str_member(res, "lastModified"));
      if (a && m && after(*a, *m))
        add(Severity::error, IssueType::invariant,
            "inv-1: lastModified shall be greater than or equal to authoredOn", "lastModified");
    }
  }

  template <typename F>
  void each(const Value& obj, std::string_view name, F&& f) {
    const Value* arr = member(obj, name);
    if (!arr || !arr->IsArray()) return;
    int i = 0;
    for (const Value& x : arr->GetArray()) {
      push(name, i++);
      if (x.IsObject()) f(x);
      pop();
    }
  }

  void composition_section(const Value& s) {
    const bool text = has(s, "text"), entry = has(s, "entry"), sub = has(s, "section");
    if (!text && !entry && !sub)
      add(Severity::error, IssueType::invariant,
          "cmp-1: a section must contain at least one of text, entries, or sub-sections");
    if (has(s, "emptyReason") && entry)
      add(Severity::error, IssueType::invariant,
          "cmp-2: a section can only have an emptyReason if it is empty");
    each(s, "section", [&](const Value& x) { composition_section(x); });
  }

  void check_contained_refs(const Value& res) {
    // Only for the resource that owns the scope (contained resources share their container's).
    const Value* contained = member(res, "contained");
    ResourceScope* scope = scopes_.back();
    std::vector<std::string_view> ids;

    if (contained && contained->IsArray())
      for (const Value& c : contained->GetArray()) {
        const auto id = str_member(c, "id");
        if (!id.empty()) ids.push_back(id);
      }
    for (const auto& [id, at] : scope->local_refs) {
      if (std::find(ids.begin(), ids.end(), id) == ids.end()) {
        if (!stopped_ && !full())
          out_.push_back(make_issue(Severity::error, IssueType::invariant, at,
                                    "ref-1: a local reference must point to a contained resource"));
      }
    }
    int i = 0;
    if (contained && contained->IsArray()) {
      for (const Value& c : contained->GetArray()) {
        const auto id = str_member(c, "id");
        const bool referenced =
            scope->refs_container || std::any_of(scope->local_refs.begin(), scope->local_refs.end(),
                                                 [&](const auto& r) { return r.first == id; });
        if (!id.empty() && !referenced) {
          push("contained", i);
          add(Severity::error, IssueType::invariant,
              "dom-3: a contained resource shall be referenced from elsewhere in the resource");
          pop();
        }
        ++i;
      }
    }
    scope->local_refs.clear();
    scope->refs_container = false;
  }

  void appointment(const Value& res) {
    each(res, "participant", [&](const Value& p) {
      if (!has(p, "type") && !has(p, "actor"))
        add(Severity::error, IssueType::invariant,
            "app-1: either the type or actor on the participant shall be specified");
    });
    const bool start = has(res, "start"), end = has(res, "end");
    if (start != end)
      add(Severity::error, IssueType::invariant,
          "app-2: either start and end are specified, or neither");
    const auto status = str_member(res, "status");
    if (start && end) {
      const auto a = instant_utc_seconds(str_member(res, "start"));
      const auto b = instant_utc_seconds(str_member(res, "end"));
      if (a && b && *b < *a)
        add(Severity::error, IssueType::invariant, "Appointment.end is before its start", "end");
    }
    if ((!start || !end) &&
        !(status == "proposed" || status == "cancelled" || status == "waitlist"))
      add(Severity::error, IssueType::invariant,
          "app-3: only proposed, cancelled or waitlist appointments can be missing start/end");
    if (has(res, "cancelationReason") && !(status == "noshow" || status == "cancelled"))
      add(Severity::error, IssueType::invariant,
          "app-4: cancelationReason is only used for appointments that are cancelled or no-show",
          "cancelationReason");
  }

  void condition(const Value& res) {
    constexpr std::string_view kVer = "http://terminology.hl7.org/CodeSystem/condition-ver-status";
    constexpr std::string_view kClin = "http://terminology.hl7.org/CodeSystem/condition-clinical";
    const Value* clinical = member(res, "clinicalStatus");
    const bool eie = coding_has(member(res, "verificationStatus"), kVer, {"entered-in-error"});
    bool problem_list = false;
    if (const Value* cats = member(res, "category"); cats && cats->IsArray())
      for (const Value& c : cats->GetArray())
        problem_list = problem_list ||
                       coding_has(&c, "http://terminology.hl7.org/CodeSystem/condition-category",
                                  {"problem-list-item"});
    if (!clinical && !eie && problem_list)
      add(Severity::warning, IssueType::invariant,
          "con-3: clinicalStatus should be present if verificationStatus is not entered-in-error "
          "and category is problem-list-item");
    if (has_prefix_member(res, "abatement") &&
        !coding_has(clinical, kClin, {"inactive", "resolved", "remission"}))
      add(Severity::error, IssueType::invariant,
          "con-4: if the condition is abated, clinicalStatus must be inactive, resolved or "
          "remission");
    if (eie && clinical)
      add(Severity::error, IssueType::invariant,
          "con-5: clinicalStatus shall not be present if verificationStatus is entered-in-error");
  }

  void observation(const Value& res) {
    const bool value = has_prefix_member(res, "value");
    if (value && has(res, "dataAbsentReason"))
      add(Severity::error, IssueType::invariant,
          "obs-6: dataAbsentReason shall only be present if value[x] is not present",
          "dataAbsentReason");
    each(res, "component", [&](const Value& c) {
      if (has_prefix_member(c, "value") && has(c, "dataAbsentReason"))
        add(Severity::error, IssueType::invariant,
            "obs-6: dataAbsentReason shall only be present if value[x] is not present",
            "dataAbsentReason");
    });
    if (!value) return;
    const Value* code = member(res, "code");
    const Value* codings = code ? member(*code, "coding") : nullptr;
    if (!codings || !codings->IsArray()) return;
    each(res, "component", [&](const Value& c) {
      const Value* cc = member(c, "code");
      const Value* cod = cc ? member(*cc, "coding") : nullptr;
      if (!cod || !cod->IsArray()) return;
      for (const Value& a : cod->GetArray())
        for (const Value& b : codings->GetArray())
          if (json_equal(a, b)) {
            add(Severity::error, IssueType::invariant,
                "obs-7: if a component code equals Observation.code, Observation.value[x] shall "
                "not be present");
            return;
          }
    });
  }

  void bundle(const Value& res) {
    const auto type = str_member(res, "type");
    const bool search_or_history = type == "searchset" || type == "history";
    if (has(res, "total") && !search_or_history)
      add(Severity::error, IssueType::invariant, "bdl-1: total only when a search or history",
          "total");
    const bool needs_request = type == "batch" || type == "transaction" || type == "history";
    const bool needs_response =
        type == "batch-response" || type == "transaction-response" || type == "history";
    if (type == "document") {
      const Value* id = member(res, "identifier");
      if (!id || !has(*id, "system") || !has(*id, "value"))
        add(Severity::error, IssueType::invariant,
            "bdl-9: a document must have an identifier with a system and a value", "identifier");
      if (!has(res, "timestamp"))
        add(Severity::error, IssueType::invariant, "bdl-10: a document must have a date",
            "timestamp");
    }
    const Value* entries = member(res, "entry");
    const bool has_entries = entries && entries->IsArray() && !entries->Empty();
    auto first_type = [&]() -> std::string_view {
      if (!has_entries) return {};
      const Value* r = member((*entries)[0], "resource");
      return r ? str_member(*r, "resourceType") : std::string_view{};
    };
    if (type == "document" && first_type() != "Composition")
      add(Severity::error, IssueType::invariant,
          "bdl-11: a document must have a Composition as the first resource", "entry");
    if (type == "message" && first_type() != "MessageHeader")
      add(Severity::error, IssueType::invariant,
          "bdl-12: a message must have a MessageHeader as the first resource", "entry");
    if (!has_entries) return;
    std::vector<std::pair<std::string_view, std::string_view>> full_urls;  // url, versionId
    each(res, "entry", [&](const Value& e) {
      const Value* resource = member(e, "resource");
      if (has(e, "search") && type != "searchset")
        add(Severity::error, IssueType::invariant, "bdl-2: entry.search only when a search",
            "search");
      if (needs_request && !has(e, "request"))
        add(Severity::error, IssueType::invariant,
            "bdl-3: entry.request mandatory for batch/transaction/history", "request");
      if (!needs_request && has(e, "request"))
        add(Severity::error, IssueType::invariant,
            "bdl-3: entry.request allowed only for batch/transaction/history", "request");
      if (needs_response && !has(e, "response"))
        add(Severity::error, IssueType::invariant,
            "bdl-4: entry.response mandatory for batch-response/transaction-response/history",
            "response");
      if (!needs_response && has(e, "response"))
        add(Severity::error, IssueType::invariant,
            "bdl-4: entry.response allowed only for batch-response/transaction-response/history",
            "response");
      if (!resource && !has(e, "request") && !has(e, "response"))
        add(Severity::error, IssueType::invariant,
            "bdl-5: entry must have a resource or a request or a response");
      const auto full_url = str_member(e, "fullUrl");
      if (!full_url.empty()) {
        if (full_url.find("/_history/") != std::string_view::npos)
          add(Severity::error, IssueType::invariant,
              "bdl-8: fullUrl cannot be a version specific reference", "fullUrl");
        std::string_view version;
        if (resource)
          if (const Value* meta = member(*resource, "meta"))
            version = str_member(*meta, "versionId");
        if (type != "history") {
          for (const auto& [u, v] : full_urls)
            if (u == full_url && v == version) {
              add(Severity::error, IssueType::invariant,
                  "bdl-7: fullUrl must be unique in a bundle, or else entries with the same "
                  "fullUrl must have different meta.versionId",
                  "fullUrl");
              break;
            }
        }
        full_urls.emplace_back(full_url, version);
      }
    });
  }

  const Tables& t_;
  const ValidationOptions& opt_;
  std::vector<Issue>& out_;
  std::size_t start_ = out_.size();
  bool stopped_ = false;
  std::vector<Segment> path_;
  std::vector<ResourceScope*> scopes_;
};

}  // namespace

std::string_view to_string(Severity s) noexcept {
  switch (s) {
    case Severity::fatal:
      return "fatal";
    case Severity::error:
      return "error";
    case Severity::warning:
      return "warning";
    case Severity::information:
      return "information";
  }
  return "error";
}

std::string_view to_string(IssueType t) noexcept {
  switch (t) {
    case IssueType::invalid:
      return "invalid";
    case IssueType::structure:
      return "structure";
    case IssueType::required:
      return "required";
    case IssueType::value:
      return "value";
    case IssueType::invariant:
      return "invariant";
    case IssueType::code_invalid:
      return "code-invalid";
    case IssueType::not_supported:
      return "not-supported";
    case IssueType::too_costly:
      return "too-costly";
    case IssueType::informational:
      return "informational";
    case IssueType::business_rule:
      return "business-rule";
    case IssueType::too_long:
      return "too-long";
    case IssueType::not_found:
      return "not-found";
    case IssueType::duplicate:
      return "duplicate";
    case IssueType::processing:
      return "processing";
    case IssueType::exception:
      return "exception";
    case IssueType::transient:
      return "transient";
  }
  return "invalid";
}

std::optional<IssueType> issue_type_from_string(std::string_view code) noexcept {
  for (auto t = static_cast<std::uint8_t>(IssueType::invalid);
       t <= static_cast<std::uint8_t>(IssueType::transient); ++t) {
    if (to_string(static_cast<IssueType>(t)) == code) return static_cast<IssueType>(t);
  }
  return std::nullopt;
}

bool has_errors(std::span<const Issue> issues) noexcept {
  return std::any_of(issues.begin(), issues.end(), [](const Issue& i) {
    return i.severity == Severity::fatal || i.severity == Severity::error;
  });
}

void validate(const rapidjson::Value& resource, std::vector<Issue>& out,
              const ValidationOptions& options) {
  Validator v(options, out);
  v.run(resource);
}

std::vector<Issue> validate(const rapidjson::Value& resource, const ValidationOptions& options) {
  std::vector<Issue> out;
  validate(resource, out, options);
  return out;
}

Issue to_issue(const ParseError& e) {
  Issue i;
  const bool limit = e.kind == ParseError::Kind::too_large || e.kind == ParseError::Kind::too_deep;
  i.severity = limit ? Severity::fatal : Severity::error;
  i.type = limit ? IssueType::too_costly : IssueType::structure;
  i.path = e.path;
  i.message = e.message;
  return i;
}

std::vector<Issue> parse_and_validate(std::string_view json, const Limits& limits,
                                      const ValidationOptions& options) {
  auto doc = parse(json, limits);
  if (!doc) return {to_issue(doc.error())};
  return validate(doc->root(), options);
}

}  // namespace fcpgw::fhir
