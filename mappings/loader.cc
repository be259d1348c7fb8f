// Loads mapping files and code tables, checks every rule and compiles the plan.

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cstring>

#include "fhir/definitions.h"
#include "hl7v2/path.h"
#include "mappings/json_source.h"
#include "mappings/pieces.h"
#include "mappings/plan.h"
#include "mappings/rule_ids.h"
#include "mappings/suggest.h"
#include "mappings/v2_segments.h"

namespace fcpgw::mappings {

// ---- transform catalogue ----------------------------------------------------------------

const std::vector<TransformInfo>& transform_catalogue() {
  static const std::vector<TransformInfo> k = {
      {"dtm-instant", Tf::dtm_instant, false, false, true, false, {}, {}},
      {"dtm-datetime", Tf::dtm_datetime, false, false, true, false, {}, {}},
      {"dtm-date", Tf::dtm_date, false, false, true, false, {}, {}},
      {"dtm-instant-plus", Tf::dtm_instant_plus, false, false, true, false, {"amount", "unit"}, {}},
      {"duration-minutes", Tf::duration_minutes, false, true, true, false, {"unit"}, {}},
      {"integer", Tf::integer, false, true, true, false, {}, {}},
      {"positive-int", Tf::positive_int, false, true, true, false, {}, {}},
      {"decimal", Tf::decimal, false, true, true, false, {}, {}},
      {"boolean", Tf::boolean, false, true, true, false, {}, {}},
      {"trim", Tf::trim, false, false, true, true, {}, {}},
      {"upper", Tf::upper, false, false, true, true, {}, {}},
      {"lower", Tf::lower, false, false, true, true, {}, {}},
      {"uri-encode", Tf::uri_encode, false, false, true, true, {}, {}},
      {"oid-uri", Tf::oid_uri, false, false, true, false, {}, {}},
      {"xtn-phone", Tf::xtn_phone, false, false, true, false, {}, {}},
      {"nhs-number", Tf::nhs_number, false, false, true, true, {}, {}},
      {"ods-code", Tf::ods_code, false, false, true, true, {}, {}},
      {"cx-identifier",
       Tf::cx_identifier,
       true,
       false,
       true,
       false,
       {},
       {"v2-0203-identifier-type", "v2-assigning-authority-to-system",
        "v2-0203-to-national-system"}},
      {"xcn-identifier", Tf::xcn_identifier, true, false, true, false, {}, {}},
      {"ce-codeable-concept",
       Tf::ce_codeable_concept,
       true,
       false,
       true,
       false,
       {},
       {"v2-coding-system-to-uri"}},
      {"ce-coding", Tf::ce_coding, true, false, true, false, {}, {"v2-coding-system-to-uri"}},
      {"base64", Tf::base64, false, false, true, false, {}, {}},
      {"base64-encode", Tf::base64_encode, false, false, true, false, {}, {}},
      {"ed-content-type", Tf::ed_content_type, false, false, true, false, {}, {}},
      {"formatted-text", Tf::formatted_text, false, false, true, false, {}, {}},
      {"mime-ed-type", Tf::mime_ed_type, false, false, false, true, {}, {}},
      {"mime-ed-subtype", Tf::mime_ed_subtype, false, false, false, true, {}, {}},
      {"id-base-facility", Tf::id_base_facility, false, false, false, true, {}, {}},
      {"v2-coding-system",
       Tf::v2_coding_system,
       false,
       false,
       false,
       true,
       {},
       {"v2-coding-system-to-uri"}},
      {"search-identifier-system", Tf::search_identifier_system, false, false, false, true, {}, {}},
      {"search-identifier-value", Tf::search_identifier_value, false, false, false, true, {}, {}},
      {"fhir-dtm", Tf::fhir_dtm, false, false, false, true, {}, {}},
      {"minutes-between", Tf::minutes_between, false, false, false, true, {"end"}, {}},
  };
  return k;
}

const TransformInfo* find_transform(std::string_view name) {
  for (const auto& t : transform_catalogue())
    if (t.name == name) return &t;
  return nullptr;
}

const TransformInfo& transform_info(Tf id) {
  for (const auto& t : transform_catalogue())
    if (t.id == id) return t;
  return transform_catalogue().front();
}

const std::vector<ValidCheckInfo>& valid_check_catalogue() {
  static const std::vector<ValidCheckInfo> k = {
      {"nhs-number", true, true},
      {"ods-code", true, true},
      {"hcpc", true, true},
      {"hcpc-physiotherapist", true, true},
      {"gmc", true, true},
      {"gmp", true, true},
      {"oid", true, true},
      {"dtm", true, true},
      {"full-date", true, false},
      {"dtm-time", true, false},
      {"duration", true, false},
      {"cx-nhs-number", true, false},
      {"cx-nhs-number-conflict", true, false},
      {"cx-nhs-number-repeat", true, false},
      {"multi-line", false, true},
  };
  return k;
}

// ---- Plan lookups -----------------------------------------------------------------------

const CodeTable::Entry* CodeTable::find(std::string_view code,
                                        std::string_view facility) const noexcept {
  code = trim(code);
  facility = trim(facility);
  const Entry* any = nullptr;
  for (const auto& e : entries) {
    if (!iequals(e.code, code)) continue;
    if (e.facility.empty()) {
      if (!any) any = &e;
    } else if (iequals(e.facility, facility)) {
      return &e;
    }
  }
  return any;
}

const CodeTable::Entry* CodeTable::find_coding(std::string_view system, std::string_view code,
                                               std::string_view facility) const noexcept {
  code = trim(code);
  facility = trim(facility);
  const Entry* best = nullptr;
  int best_score = -1;
  for (const auto& e : entries) {
    if (!iequals(e.code, code)) continue;
    if (!e.source_system.empty() && e.source_system != system) continue;
    if (!e.facility.empty() && !iequals(e.facility, facility)) continue;
    const int score = (e.facility.empty() ? 0 : 2) + (e.source_system.empty() ? 0 : 1);
    if (score > best_score) best = &e, best_score = score;
  }
  return best;
}

const CodeTable::Entry* CodeTable::find_target(std::string_view target) const noexcept {
  for (const auto& e : entries)
    if (e.target == target) return &e;
  return nullptr;
}

const CodeTable* Plan::table(std::string_view id) const noexcept {
  for (const auto& t : tables)
    if (t->id == id) return t.get();
  return nullptr;
}

std::string_view Plan::constant(std::string_view name) const noexcept {
  for (const auto& [k, v] : constants)
    if (k == name) return v;
  return {};
}

const Mapping* Plan::find_v2(std::string_view code, std::string_view event) const noexcept {
  for (const auto& m : mappings) {
    if (!m->v2_to_fhir) continue;
    for (const auto& a : m->forward.accepts) {
      const auto caret = a.find('^');
      if (caret == std::string::npos) continue;
      if (iequals(std::string_view(a).substr(0, caret), code) &&
          iequals(std::string_view(a).substr(caret + 1), event))
        return m.get();
    }
  }
  return nullptr;
}

const Mapping* Plan::find_fhir(std::string_view resource_type) const noexcept {
  for (const auto& m : mappings) {
    if (m->v2_to_fhir) continue;
    for (const auto& a : m->reverse.accepts)
      if (a == resource_type) return m.get();
  }
  return nullptr;
}

// ---- the loader -------------------------------------------------------------------------

namespace {

using rapidjson::Value;

std::string json_text(const Value& v) {
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  v.Accept(w);
  return std::string(sb.GetString(), sb.GetSize());
}

std::string quoted(std::string_view s) {
  std::string out = "\"";
  append_json_escaped(out, s);
  out += '"';
  return out;
}

bool is_v2_path_text(std::string_view s) {
  return s.size() >= 5 && s[0] >= 'A' && s[0] <= 'Z' &&
         ((s[1] >= 'A' && s[1] <= 'Z') || (s[1] >= '0' && s[1] <= '9')) &&
         ((s[2] >= 'A' && s[2] <= 'Z') || (s[2] >= '0' && s[2] <= '9')) &&
         (s[3] == '-' || s[3] == '[');
}

bool is_segment_id(std::string_view s) {
  return s.size() == 3 && s[0] >= 'A' && s[0] <= 'Z' &&
         ((s[1] >= 'A' && s[1] <= 'Z') || (s[1] >= '0' && s[1] <= '9')) &&
         ((s[2] >= 'A' && s[2] <= 'Z') || (s[2] >= '0' && s[2] <= '9'));
}

// `scheme:rest` (RFC 3986): a letter, then letters, digits, '+', '-', '.', a ':' and something
// after it, with no blanks or control characters anywhere.
bool is_absolute_uri(std::string_view s) {
  const auto colon = s.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == s.size()) return false;
  const auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  if (!alpha(s[0])) return false;
  for (std::size_t i = 1; i < colon; ++i)
    if (!alpha(s[i]) && !(s[i] >= '0' && s[i] <= '9') && s[i] != '+' && s[i] != '-' && s[i] != '.')
      return false;
  for (char c : s)
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7F) return false;
  return true;
}

class Loader {
 public:
  Loader(Plan& plan, std::vector<LoadError>& errors) : plan_(plan), errors_(errors) {}

  // -- errors --
  void error(const std::string& rule, std::string message) {
    auto [file, where] = origins_ ? origins_->locate(file_, rule) : std::pair{file_, rule};
    errors_.push_back(LoadError{std::move(file), std::move(where), std::move(message)});
  }
  /// How traces and issues name a rule: its file and its id or place (RuleIds::name).
  std::string rule_id(const std::string& rule) const {
    auto [file, where] = origins_ ? origins_->locate(file_, rule) : std::pair{file_, rule};
    if (ids_) where = ids_->name(file, where);
    return file + ": " + where;
  }
  void set_rule_ids(const RuleIds* ids) { ids_ = ids; }
  /// The file that declares constant `name` first, or null for the engine's own.
  const std::string* constant_file(std::string_view name) const {
    for (const auto& [k, f] : constant_files_)
      if (k == name) return &f;
    return nullptr;
  }
  /// Where the rules of the next mapping really are, when it uses shared pieces (pieces.h).
  void set_origins(const RuleOrigins* origins) { origins_ = origins; }

  // -- pass 1: code tables --
  void load_table(const SourceFile& f, const Value& doc) {
    file_ = f.name;
    auto t = std::make_unique<CodeTable>();
    check_concept_map_keys(doc);
    if (!doc.HasMember("id") || !doc["id"].IsString()) {
      error("", "ConceptMap has no id");
      return;
    }
    t->id = doc["id"].GetString();
    if (doc.HasMember("url") && doc["url"].IsString()) t->url = doc["url"].GetString();
    if (plan_.table(t->id)) {
      error("", "duplicate code table id '" + t->id + "'");
      return;
    }
    // A ConceptMap without groups is an empty table: a hook that maps nothing until an
    // engineer adds entries (FHIR JSON has no empty arrays, so it has no `group` at all).
    if (!doc.HasMember("group")) {
      plan_.tables.push_back(std::move(t));
      return;
    }
    if (!doc["group"].IsArray()) {
      error("group", "ConceptMap group must be an array");
      return;
    }
    std::size_t gi = 0;
    for (const auto& g : doc["group"].GetArray()) {
      const std::size_t group_first = t->entries.size();
      const std::string gpath = "group[" + std::to_string(gi++) + "]";
      std::string src_sys =
          g.HasMember("source") && g["source"].IsString() ? g["source"].GetString() : "";
      std::string tgt_sys =
          g.HasMember("target") && g["target"].IsString() ? g["target"].GetString() : "";
      if (!g.HasMember("element") || !g["element"].IsArray()) {
        error(gpath, "group has no element array");
        continue;
      }
      std::size_t ei = 0;
      for (const auto& e : g["element"].GetArray()) {
        const std::string epath = gpath + ".element[" + std::to_string(ei++) + "]";
        if (!e.HasMember("code") || !e["code"].IsString()) {
          error(epath, "element has no code");
          continue;
        }
        if (!e.HasMember("target") || !e["target"].IsArray() || e["target"].Empty()) continue;
        const Value& tg = e["target"][0];
        const std::string eq = tg.HasMember("equivalence") && tg["equivalence"].IsString()
                                   ? tg["equivalence"].GetString()
                                   : "equivalent";
        if (eq == "unmatched" || eq == "disjoint") continue;  // "no mapping"
        if (!tg.HasMember("code") || !tg["code"].IsString()) {
          error(epath + ".target[0]", "target has no code");
          continue;
        }
        CodeTable::Entry en;
        en.source_system = src_sys;
        en.code = e["code"].GetString();
        en.target_system = tgt_sys;
        en.target = tg["code"].GetString();
        if (tg.HasMember("display") && tg["display"].IsString())
          en.display = tg["display"].GetString();
        if (!table_depends_on(epath + ".target[0]", tg, en)) continue;
        // One source code (of one sending facility) has one target in a group: a second,
        // different one would make the lookup depend on the order of the file.
        const CodeTable::Entry* twin = nullptr;
        for (std::size_t k = group_first; k < t->entries.size() && !twin; ++k)
          if (iequals(t->entries[k].code, en.code) && iequals(t->entries[k].facility, en.facility))
            twin = &t->entries[k];
        if (twin && twin->target != en.target) {
          error(epath, gpath + (src_sys.empty() ? "" : " (source " + src_sys + ")") +
                           ": source code '" + en.code + "'" +
                           (en.facility.empty() ? "" : " for MSH-4 '" + en.facility + "'") +
                           " is mapped twice, to '" + twin->target + "' and to '" + en.target +
                           "': a source code has one target in a group");
          continue;
        }
        if (twin) continue;
        t->entries.push_back(std::move(en));
      }
    }
    plan_.tables.push_back(std::move(t));
  }

  // target.dependsOn: the one dependency fcpgw can honour is the sending facility (property
  // `MSH-4`, value its namespace id MSH-4.1), which scopes an entry to one sender. Any other
  // would be silently ignored by the lookup, and so map codes its author meant to exclude.
  bool table_depends_on(const std::string& tpath, const Value& tg, CodeTable::Entry& en) {
    if (!tg.HasMember("dependsOn")) return true;
    const Value& deps = tg["dependsOn"];
    if (!deps.IsArray()) {
      error(tpath + ".dependsOn", "dependsOn must be an array");
      return false;
    }
    std::size_t di = 0;
    for (const auto& dep : deps.GetArray()) {
      const std::string dpath = tpath + ".dependsOn[" + std::to_string(di++) + "]";
      const bool facility = dep.IsObject() && dep.HasMember("property") &&
                            dep["property"].IsString() &&
                            std::string_view(dep["property"].GetString()) == "MSH-4";
      if (!facility || !dep.HasMember("value") || !dep["value"].IsString() ||
          trim(dep["value"].GetString()).empty()) {
        error(dpath,
              "dependsOn: only {\"property\": \"MSH-4\", \"value\": \"<sending facility>\"} "
              "is read (the entry then holds for that MSH-4.1 only)");
        return false;
      }
      if (!en.facility.empty()) {
        error(dpath, "dependsOn: MSH-4 given twice");
        return false;
      }
      en.facility = std::string(trim(dep["value"].GetString()));
    }
    return true;
  }

  // A member that is not an R4 element of a ConceptMap (a misspelt `equivalence`) would be
  // ignored, and the code mapped as if it were equivalent.
  void check_concept_map_keys(const Value& doc) {
    check_keys(doc, "", {"resourceType",  "id",
                         "url",           "meta",
                         "implicitRules", "language",
                         "text",          "contained",
                         "extension",     "modifierExtension",
                         "identifier",    "version",
                         "name",          "title",
                         "status",        "experimental",
                         "date",          "publisher",
                         "contact",       "description",
                         "useContext",    "jurisdiction",
                         "purpose",       "copyright",
                         "sourceUri",     "sourceCanonical",
                         "targetUri",     "targetCanonical",
                         "group"});
    if (!doc.HasMember("group") || !doc["group"].IsArray()) return;
    for (rapidjson::SizeType gi = 0; gi < doc["group"].Size(); ++gi) {
      const Value& g = doc["group"][gi];
      const std::string gp = "group[" + std::to_string(gi) + "]";
      check_keys(g, gp,
                 {"id", "extension", "modifierExtension", "source", "sourceVersion", "target",
                  "targetVersion", "unmapped", "element"});
      if (!g.IsObject() || !g.HasMember("element") || !g["element"].IsArray()) continue;
      for (rapidjson::SizeType ei = 0; ei < g["element"].Size(); ++ei) {
        const Value& e = g["element"][ei];
        const std::string ep = gp + ".element[" + std::to_string(ei) + "]";
        check_keys(e, ep, {"id", "extension", "modifierExtension", "code", "display", "target"});
        if (!e.IsObject() || !e.HasMember("target") || !e["target"].IsArray()) continue;
        for (rapidjson::SizeType ti = 0; ti < e["target"].Size(); ++ti)
          check_keys(e["target"][ti], ep + ".target[" + std::to_string(ti) + "]",
                     {"id", "extension", "modifierExtension", "code", "display", "equivalence",
                      "comment", "dependsOn", "product"});
      }
    }
  }

  // -- constants --
  void collect_constants(const SourceFile& f, const Value& doc) {
    file_ = f.name;
    if (!doc.HasMember("constants")) return;
    const Value& c = doc["constants"];
    if (!c.IsObject()) {
      error("constants", "must be an object of name -> string");
      return;
    }
    for (auto it = c.MemberBegin(); it != c.MemberEnd(); ++it) {
      const std::string name = it->name.GetString();
      if (!it->value.IsString()) {
        error("constants." + name, "constant value must be a string");
        continue;
      }
      const std::string val = it->value.GetString();
      bool found = false;
      for (auto& [k, v] : plan_.constants)
        if (k == name) {
          found = true;
          if (v != val)
            error("constants." + name,
                  "constant '" + name + "' declared twice with different values");
        }
      if (!found) {
        plan_.constants.emplace_back(name, val);
        constant_files_.emplace_back(name, file_);
      }
    }
  }

  // -- pass 2: mappings --
  void load_mapping(const SourceFile& f, const Value& doc) {
    file_ = f.name;
    auto m = std::make_unique<Mapping>();
    m->info.file = f.name;
    m->info.name = doc["mapping"].IsString() ? doc["mapping"].GetString() : "";
    named_conditions_ = nullptr;
    if (doc.HasMember("conditions")) {
      if (!doc["conditions"].IsObject())
        error("conditions", "expected an object of name -> condition");
      else
        named_conditions_ = &doc["conditions"];
    }
    if (doc.HasMember("description") && doc["description"].IsString())
      m->info.description = doc["description"].GetString();
    const std::string dir = doc.HasMember("direction") && doc["direction"].IsString()
                                ? doc["direction"].GetString()
                                : "";
    m->info.direction = dir;
    // The keys of the file's direction: `segments` in a v2 -> FHIR file would be ignored.
    if (dir == "v2-to-fhir")
      check_keys(doc, "",
                 {"$schema", "mapping", "direction", "description", "comment", "accepts", "when",
                  "constants", "conditions", "bundle", "reject", "checks", "resources"});
    else if (dir == "fhir-to-v2")
      check_keys(doc, "",
                 {"$schema", "mapping", "direction", "description", "comment", "accepts", "when",
                  "constants", "conditions", "message", "reject", "checks", "event", "segments"});
    if (!doc.HasMember("accepts") || !doc["accepts"].IsArray() || doc["accepts"].Empty()) {
      error("accepts", "a non-empty array of accepted message types / resource types is required");
    } else {
      for (const auto& a : doc["accepts"].GetArray()) {
        if (!a.IsString()) {
          error("accepts", "entries must be strings");
          continue;
        }
        m->info.accepts.emplace_back(a.GetString());
      }
    }
    rules_ = 0;
    if (dir == "v2-to-fhir") {
      m->v2_to_fhir = true;
      for (const auto& a : m->info.accepts) {
        const auto caret = a.find('^');
        if (caret == std::string::npos || caret == 0 || caret + 1 == a.size())
          error("accepts", "'" + a + "' is not MESSAGE^EVENT (e.g. SIU^S12)");
      }
      m->forward.accepts = m->info.accepts;
      m->when = maybe_when("when", doc);
      compile_forward(doc, m->forward);
    } else if (dir == "fhir-to-v2") {
      m->v2_to_fhir = false;
      for (const auto& a : m->info.accepts)
        if (!fhir::is_r4_resource_type(a))
          error("accepts", "'" + a + "' is not an R4 resource type");
      m->reverse.accepts = m->info.accepts;
      reverse_ = true;
      m->when = maybe_when("when", doc);
      reverse_ = false;
      compile_reverse(doc, m->reverse);
    } else {
      error("direction", "must be \"v2-to-fhir\" or \"fhir-to-v2\"");
    }
    // Every named condition is checked, used or not, in the file's direction.
    if (named_conditions_ && (dir == "v2-to-fhir" || dir == "fhir-to-v2")) {
      reverse_ = dir == "fhir-to-v2";
      for (auto it = named_conditions_->MemberBegin(); it != named_conditions_->MemberEnd(); ++it) {
        Condition c;
        compile_named_condition(std::string("conditions.") + it->name.GetString(), it->name, c);
      }
      reverse_ = false;
    }
    named_conditions_ = nullptr;
    m->info.rules = rules_;
    plan_.mappings.push_back(std::move(m));
  }

 private:
  Plan& plan_;
  std::vector<LoadError>& errors_;
  std::string file_;
  const RuleOrigins* origins_ = nullptr;
  const RuleIds* ids_ = nullptr;
  std::vector<std::pair<std::string, std::string>> constant_files_;  ///< name -> first file
  const Value* named_conditions_ = nullptr;  ///< "conditions" of the file being loaded
  std::vector<std::string> expanding_;       ///< names being compiled (cycle check)
  std::size_t rules_ = 0;
  bool reverse_ = false;
  // resource keys of the current forward mapping, for refs
  std::vector<std::string> resource_keys_;

  void check_keys(const Value& obj, const std::string& rule,
                  std::initializer_list<std::string_view> allowed) {
    if (!obj.IsObject()) return;
    for (auto it = obj.MemberBegin(); it != obj.MemberEnd(); ++it) {
      const std::string_view k(it->name.GetString(), it->name.GetStringLength());
      if (std::find(allowed.begin(), allowed.end(), k) == allowed.end())
        error(rule, "unknown key '" + std::string(k) + "'" + did_you_mean(k, allowed));
    }
  }

  // -- v2 paths --
  std::uint16_t slot_of(std::uint32_t key) {
    for (std::size_t i = 0; i < plan_.v2_segments.size(); ++i)
      if (plan_.v2_segments[i] == key) return static_cast<std::uint16_t>(i);
    plan_.v2_segments.push_back(key);
    return static_cast<std::uint16_t>(plan_.v2_segments.size() - 1);
  }

  bool check_segment(const std::string& rule, std::string_view id, const std::string& what) {
    if (!is_segment_id(id)) {
      error(rule, what + ": '" + std::string(id) + "' is not a segment id");
      return false;
    }
    if (id[0] != 'Z' && !segment_field_count(id)) {
      Closest near(id);
      for (const auto& s : known_segments()) near.offer(s.id);
      error(rule, what + ": unknown segment '" + std::string(id) + "'" + near.hint());
      return false;
    }
    return true;
  }

  bool compile_v2(const std::string& rule, std::string_view text, V2Ref& out) {
    auto p = hl7v2::parse_path(text);
    if (!p) {
      error(rule, "bad v2 path '" + std::string(text) + "': " + p.error().message);
      return false;
    }
    const std::string_view seg = p->segment_id();
    if (!check_segment(rule, seg, "v2 path '" + std::string(text) + "'")) return false;
    if (const auto n = segment_field_count(seg); n && p->field > *n) {
      error(rule, "v2 path '" + std::string(text) + "': " + std::string(seg) + " has " +
                      std::to_string(*n) + " fields");
      return false;
    }
    if (p->occurrence_given && p->occurrence != 1) {
      error(rule,
            "v2 path '" + std::string(text) +
                "': segment occurrences are chosen with \"each\", not [n] after the segment id");
      return false;
    }
    out.seg_key = pack_id(seg);
    out.slot = slot_of(out.seg_key);
    out.field = static_cast<std::uint16_t>(p->field);
    out.component = static_cast<std::uint16_t>(p->component);
    out.subcomponent = static_cast<std::uint16_t>(p->subcomponent);
    out.repetition = p->repetition;
    out.repetition_given = p->repetition_given;
    out.text = std::string(text);
    out.path = path_of(out);
    return true;
  }

  // The number of a distinct v2 path (V2Ref::path); kNoPath once there are too many.
  struct PathKey {
    std::uint32_t seg_key, repetition;
    std::uint16_t field, component, subcomponent;
    bool repetition_given;
    bool operator==(const PathKey&) const = default;
  };
  std::vector<PathKey> paths_;
  std::uint16_t path_of(const V2Ref& r) {
    const PathKey k{r.seg_key,   r.repetition,   r.field,
                    r.component, r.subcomponent, r.repetition_given};
    for (std::size_t i = 0; i < paths_.size(); ++i)
      if (paths_[i] == k) return static_cast<std::uint16_t>(i);
    if (paths_.size() >= V2Ref::kNoPath) return V2Ref::kNoPath;
    paths_.push_back(k);
    plan_.v2_path_count = paths_.size();
    return static_cast<std::uint16_t>(paths_.size() - 1);
  }

  // -- FHIR paths (reverse direction sources) --
  bool compile_fhir(const std::string& rule, std::string_view text, FhirPath& out) {
    out.text = std::string(text);
    out.steps.clear();
    std::size_t i = 0;
    auto fail = [&](const std::string& why) {
      error(rule, "bad FHIR path '" + std::string(text) + "': " + why);
      return false;
    };
    if (text.empty()) return fail("empty");
    while (i < text.size()) {
      FhirStep st;
      std::size_t j = i;
      while (j < text.size() && text[j] != '.' && text[j] != '[' && text[j] != '(') ++j;
      st.name = std::string(text.substr(i, j - i));
      if (st.name.empty()) return fail("empty element name at character " + std::to_string(i));
      const bool root_var = out.steps.empty() && (st.name == "%focus" || st.name == "%bundle" ||
                                                  st.name == "%message-time");
      for (char c : root_var ? std::string_view() : std::string_view(st.name))
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_'))
          return fail("unexpected character '" + std::string(1, c) + "'");
      if (j < text.size() && text[j] == '(') {
        if (st.name != "resolve") return fail("unknown function '" + st.name + "'");
        const std::size_t close = text.find(')', j);
        if (close == std::string_view::npos) return fail("missing ')'");
        st.resolve = true;
        st.resolve_type = std::string(text.substr(j + 1, close - j - 1));
        st.name.clear();
        if (!st.resolve_type.empty() && !fhir::is_r4_resource_type(st.resolve_type))
          return fail("'" + st.resolve_type + "' is not a resource type");
        j = close + 1;
      }
      while (j < text.size() && text[j] == '[') {
        const std::size_t close = text.find(']', j);
        if (close == std::string_view::npos) return fail("missing ']'");
        const std::string_view inner = text.substr(j + 1, close - j - 1);
        const auto eq = inner.find('=');
        if (eq == std::string_view::npos) {
          int v = 0;
          if (inner.empty()) return fail("empty []");
          for (char c : inner) {
            if (c < '0' || c > '9') return fail("index must be a number or sub.path=value");
            v = v * 10 + (c - '0');
          }
          st.index = v;
        } else {
          // [sub.path=value], [sub.path!=value] (no value equal, or none), [sub.path$=suffix]
          std::size_t end = eq;
          if (eq > 0 && (inner[eq - 1] == '!' || inner[eq - 1] == '$')) {
            st.filter =
                inner[eq - 1] == '!' ? FhirStep::Filter::not_equals : FhirStep::Filter::ends_with;
            end = eq - 1;
          }
          if (st.has_filter) return fail("one [sub.path=value] filter per step");
          FhirPath sub;
          if (!compile_fhir(rule, inner.substr(0, end), sub)) return false;
          st.filter_path = std::move(sub.steps);
          st.filter_value = std::string(inner.substr(eq + 1));
          st.has_filter = true;
        }
        j = close + 1;
      }
      out.steps.push_back(std::move(st));
      if (j < text.size()) {
        if (text[j] != '.') return fail("expected '.' at character " + std::to_string(j));
        ++j;
        if (j == text.size()) return fail("ends with '.'");
      }
      i = j;
    }
    return true;
  }

  bool compile_source(const std::string& rule, std::string_view text, Source& out) {
    out.is_fhir = reverse_;
    if (reverse_) return compile_fhir(rule, text, out.fhir);
    return compile_v2(rule, text, out.v2);
  }

  // -- templates: "text {PATH} {const.name} {PATH|transform}" --
  bool compile_template(const std::string& rule, std::string_view text, Template& out) {
    out.parts.clear();
    out.sources.clear();
    std::string lit;
    std::size_t i = 0;
    while (i < text.size()) {
      const char c = text[i];
      if (c == '{') {
        const std::size_t close = text.find('}', i);
        if (close == std::string_view::npos) {
          error(rule, "template '" + std::string(text) + "': missing '}'");
          return false;
        }
        std::string_view hole = text.substr(i + 1, close - i - 1);
        std::string_view tf_name;
        if (const auto bar = hole.find('|'); bar != std::string_view::npos) {
          tf_name = hole.substr(bar + 1);
          hole = hole.substr(0, bar);
        }
        i = close + 1;
        if (hole.empty()) {
          error(rule, "template '" + std::string(text) + "': empty {}");
          return false;
        }
        const bool is_var = hole.front() == '$';
        const bool is_path =
            !is_var && (reverse_ ? !plan_has_constant(hole) : is_v2_path_text(hole));
        if (!is_var && !is_path) {
          const std::string_view v = plan_.constant(hole);
          if (v.empty() && !plan_has_constant(hole)) {
            error(rule, "unknown constant '" + std::string(hole) + "'" + constant_hint(hole));
            return false;
          }
          lit += v;
          if (!tf_name.empty())
            error(rule, "a transform cannot be applied to constant '" + std::string(hole) + "'");
          continue;
        }
        TemplatePart part;
        part.literal = std::move(lit);
        lit.clear();
        if (is_var) {
          static constexpr std::string_view kVars[] = {"$event", "$control-id", "$set-id", "$line"};
          const auto* v = std::find(std::begin(kVars), std::end(kVars), hole);
          if (!reverse_ || v == std::end(kVars)) {
            error(rule, "unknown variable '" + std::string(hole) +
                            "' ($event, $control-id, $set-id, $line; FHIR -> v2 only)");
            return false;
          }
          part.var = static_cast<int>(v - std::begin(kVars));
        } else {
          Source s;
          if (!compile_source(rule, hole, s)) return false;
          out.sources.push_back(std::move(s));
          part.source = static_cast<int>(out.sources.size() - 1);
        }
        if (!tf_name.empty()) {
          const TransformInfo* t = find_transform(tf_name);
          if (!t) {
            error(rule,
                  "unknown transform '" + std::string(tf_name) + "'" + transform_hint(tf_name));
            return false;
          }
          if (t->structure || !t->args.empty() || !(reverse_ ? t->fhir_to_v2 : t->v2_to_fhir)) {
            error(rule,
                  "transform '" + std::string(tf_name) + "' cannot be used inside a template");
            return false;
          }
          part.transform = static_cast<int>(t->id);
        }
        out.parts.push_back(std::move(part));
      } else {
        lit.push_back(c);
        ++i;
      }
    }
    if (!lit.empty() || out.parts.empty()) {
      TemplatePart part;
      part.literal = std::move(lit);
      out.parts.push_back(std::move(part));
    }
    return true;
  }

  std::string constant_hint(std::string_view name) const {
    Closest near(name);
    for (const auto& [k, v] : plan_.constants) near.offer(k);
    return near.hint();
  }
  std::string table_hint(std::string_view id) const {
    Closest near(id);
    for (const auto& t : plan_.tables) near.offer(t->id);
    return near.hint();
  }
  std::string transform_hint(std::string_view name) const {
    Closest near(name);
    for (const auto& t : transform_catalogue())
      if (reverse_ ? t.fhir_to_v2 : t.v2_to_fhir) near.offer(t.name);
    return near.hint();
  }

  bool plan_has_constant(std::string_view name) const {
    for (const auto& [k, v] : plan_.constants)
      if (k == name) return true;
    return false;
  }

  // -- conditions --
  // {"is": "name"}: the condition of that name in the file's "conditions", compiled in place
  // (so it reads the paths of the direction and binding where it is used).
  bool compile_named_condition(const std::string& rule, const Value& a, Condition& out) {
    if (!a.IsString()) {
      error(rule, "condition 'is': expected the name of a condition in \"conditions\"");
      return false;
    }
    const std::string name = a.GetString();
    if (!named_conditions_ || !named_conditions_->HasMember(a)) {
      Closest near(name);
      if (named_conditions_)
        for (auto it = named_conditions_->MemberBegin(); it != named_conditions_->MemberEnd(); ++it)
          near.offer(it->name.GetString());
      error(rule,
            "condition 'is': no condition named '" + name + "' in \"conditions\"" + near.hint());
      return false;
    }
    if (std::find(expanding_.begin(), expanding_.end(), name) != expanding_.end()) {
      error(rule, "condition 'is': '" + name + "' refers to itself");
      return false;
    }
    expanding_.push_back(name);
    const bool ok = compile_condition(rule, (*named_conditions_)[a], out);
    expanding_.pop_back();
    return ok;
  }

  bool compile_condition(const std::string& rule, const Value& v, Condition& out) {
    if (!v.IsObject() || v.MemberCount() != 1) {
      error(rule,
            "condition must be an object with exactly one of present, absent, equals, in, "
            "valid, ends-with, exists, later, same, mapped, all, any, not, previous, changed");
      return false;
    }
    const auto it = v.MemberBegin();
    const std::string k = it->name.GetString();
    const Value& a = it->value;
    if (k == "is") return compile_named_condition(rule, a, out);
    auto one_source = [&](const Value& x) {
      if (!x.IsString()) {
        error(rule, "condition '" + k + "': expected a path string");
        return false;
      }
      return compile_source(rule, x.GetString(), out.source);
    };
    if (k == "present" || k == "absent") {
      out.kind = k == "present" ? CondKind::present : CondKind::absent;
      return one_source(a);
    }
    if (k == "ends-with") {
      if (!reverse_ || !a.IsArray() || a.Size() != 2 || !a[0].IsString() || !a[1].IsString() ||
          a[1].GetStringLength() == 0) {
        error(rule, "condition 'ends-with': expected [path, suffix] (FHIR -> v2 only)");
        return false;
      }
      out.kind = CondKind::ends_with;
      out.values.emplace_back(a[1].GetString());
      return compile_source(rule, a[0].GetString(), out.source);
    }
    if (k == "equals" || k == "in" || k == "valid") {
      // `valid` may name a third path, the check's argument: the unit of a duration.
      const bool with_arg = k == "valid" && a.IsArray() && a.Size() == 3;
      if (!a.IsArray() || (a.Size() != 2 && !with_arg) || !a[0].IsString()) {
        error(rule, "condition '" + k + "': expected [path, " +
                        (k == "in" ? std::string("[values]") : std::string("value")) + "]");
        return false;
      }
      out.kind = k == "equals" ? CondKind::equals : k == "in" ? CondKind::in : CondKind::valid;
      if (!compile_source(rule, a[0].GetString(), out.source)) return false;
      if (k == "in") {
        if (!a[1].IsArray()) {
          error(rule, "condition 'in': second item must be an array of strings");
          return false;
        }
        for (const auto& x : a[1].GetArray()) {
          if (!x.IsString()) {
            error(rule, "condition 'in': values must be strings");
            return false;
          }
          out.values.emplace_back(x.GetString());
        }
      } else {
        if (!a[1].IsString()) {
          error(rule, "condition '" + k + "': value must be a string");
          return false;
        }
        out.values.emplace_back(a[1].GetString());
        if (k == "valid") {
          const auto& checks = valid_check_catalogue();
          const auto check = std::find_if(checks.begin(), checks.end(),
                                          [&](const auto& c) { return c.name == out.values[0]; });
          if (check == checks.end()) {
            std::string names;
            for (const auto& c : checks) names += (names.empty() ? "" : ", ") + std::string(c.name);
            error(rule, "condition 'valid': unknown check '" + out.values[0] + "' (" + names + ")");
            return false;
          }
          if (!reverse_ && !check->v2_to_fhir) {
            error(rule, "condition 'valid': check '" + out.values[0] +
                            "' is only available in FHIR -> v2 mappings");
            return false;
          }
          // DTM precision and CX checks read v2 values only.
          if (reverse_ && !check->fhir_to_v2) {
            error(rule, "condition 'valid': check '" + out.values[0] +
                            "' is only available in v2 -> FHIR mappings");
            return false;
          }
          if (with_arg && (out.values[0] != "duration" || !a[2].IsString())) {
            error(rule,
                  "condition 'valid': only check 'duration' takes a third item (the path "
                  "of its unit)");
            return false;
          }
          if (with_arg && !compile_source(rule, a[2].GetString(), out.other)) return false;
        }
      }
      return true;
    }
    if (k == "exists") {
      // {"exists": [each, condition]}: some segment / FHIR item for which the condition holds.
      out.kind = CondKind::exists;
      if (!a.IsArray() || a.Size() != 2) {
        error(rule, "condition 'exists': expected [each, condition]");
        return false;
      }
      out.over = std::make_shared<Each>();
      if (!compile_each(rule, a[0], *out.over)) return false;
      out.children.emplace_back();
      return compile_condition(rule, a[1], out.children.back());
    }
    if (k == "later") {
      // {"later": [a, b]} or {"later": [a, b, {"months": n, "days": n}]}: a is after b (+ n).
      out.kind = CondKind::later;
      if (!a.IsArray() || a.Size() < 2 || a.Size() > 3 || !a[0].IsString() || !a[1].IsString()) {
        error(rule, "condition 'later': expected [path, path] or [path, path, {months, days}]");
        return false;
      }
      if (!compile_source(rule, a[0].GetString(), out.source) ||
          !compile_source(rule, a[1].GetString(), out.other))
        return false;
      if (a.Size() == 3) {
        const Value& by = a[2];
        check_keys(by, rule, {"months", "days"});
        if (!by.IsObject()) {
          error(rule, "condition 'later': third item must be {\"months\": n, \"days\": n}");
          return false;
        }
        for (auto it = by.MemberBegin(); it != by.MemberEnd(); ++it) {
          if (!it->value.IsInt() || it->value.GetInt() < 0 || it->value.GetInt() > 1200) {
            error(rule, "condition 'later': months/days must be whole numbers 0..1200");
            return false;
          }
          (std::string_view(it->name.GetString()) == "months" ? out.months : out.days) =
              it->value.GetInt();
        }
      }
      return true;
    }
    if (k == "same") {
      // {"same": [a, b]}: two values that must agree (PID-2 and a PID-3 NHS number; a
      // CodeableConcept's text and its coding's display).
      out.kind = CondKind::same;
      if (!a.IsArray() || a.Size() != 2 || !a[0].IsString() || !a[1].IsString()) {
        error(rule, "condition 'same': expected [path, path]");
        return false;
      }
      return compile_source(rule, a[0].GetString(), out.source) &&
             compile_source(rule, a[1].GetString(), out.other);
    }
    if (k == "mapped") {
      // {"mapped": [path, table]}: the value has an entry in the code table (a whole CE/CWE
      // field is matched as the coded transforms match it, by its codings).
      out.kind = CondKind::mapped;
      if (!a.IsArray() || a.Size() != 2 || !a[0].IsString() || !a[1].IsString()) {
        error(rule, "condition 'mapped': expected [path, code table id]");
        return false;
      }
      out.table = plan_.table(a[1].GetString());
      if (!out.table) {
        error(rule,
              "condition 'mapped': unknown code table '" + std::string(a[1].GetString()) + "'");
        return false;
      }
      return compile_source(rule, a[0].GetString(), out.source);
    }
    if (k == "all" || k == "any") {
      out.kind = k == "all" ? CondKind::all : CondKind::any;
      if (!a.IsArray() || a.Empty()) {
        error(rule, "condition '" + k + "': expected a non-empty array of conditions");
        return false;
      }
      for (const auto& x : a.GetArray()) {
        out.children.emplace_back();
        if (!compile_condition(rule, x, out.children.back())) return false;
      }
      return true;
    }
    if (k == "not") {
      out.kind = CondKind::not_;
      out.children.emplace_back();
      return compile_condition(rule, a, out.children.back());
    }
    if (k == "previous" && reverse_) {
      out.kind = CondKind::previous;
      if (!a.IsString() || (std::string_view(a.GetString()) != "present" &&
                            std::string_view(a.GetString()) != "absent")) {
        error(rule, "condition 'previous': expected \"present\" or \"absent\"");
        return false;
      }
      out.values.emplace_back(a.GetString());
      return true;
    }
    if (k == "changed" && reverse_) {
      out.kind = CondKind::changed;
      if (!a.IsArray() || a.Empty()) {
        error(rule, "condition 'changed': expected an array of FHIR paths");
        return false;
      }
      for (const auto& x : a.GetArray()) {
        FhirPath p;
        if (!x.IsString() || !compile_fhir(rule, x.GetString(), p)) {
          if (!x.IsString()) error(rule, "condition 'changed': paths must be strings");
          return false;
        }
        out.changed.push_back(std::move(p));
      }
      return true;
    }
    static constexpr std::string_view kConditions[] = {
        "present", "absent", "equals", "in",  "valid",    "exists",  "later",
        "same",    "all",    "any",    "not", "previous", "changed", "is"};
    error(rule, "unknown condition '" + k + "'" + did_you_mean(k, kConditions));
    return false;
  }

  std::unique_ptr<Condition> maybe_when(const std::string& rule, const Value& v) {
    if (!v.HasMember("when")) return nullptr;
    auto c = std::make_unique<Condition>();
    if (!compile_condition(rule, v["when"], *c)) return nullptr;
    return c;
  }

  // -- each --
  bool compile_each(const std::string& rule, const Value& v, Each& out) {
    if (reverse_) {
      if (v.IsObject()) {
        // {"items": path, "where": cond, "first": true} or {"lines": path, "decode": "base64"}
        check_keys(v, rule + ".each", {"items", "lines", "decode", "where", "first"});
        const bool lines = v.HasMember("lines");
        const char* key = lines ? "lines" : "items";
        if (!v.HasMember(key) || !v[key].IsString()) {
          error(rule,
                "each: expected {\"items\": path, \"where\": condition, \"first\": true} or "
                "{\"lines\": path, \"decode\": \"base64\"}");
          return false;
        }
        out.kind = EachKind::fhir_items;
        out.text = v[key].GetString();
        out.lines = lines;
        if (v.HasMember("decode")) {
          if (!lines || !v["decode"].IsString() ||
              std::string_view(v["decode"].GetString()) != "base64") {
            error(rule, "each.decode: only \"base64\", with \"lines\"");
            return false;
          }
          out.decode_base64 = true;
        }
        if (!compile_each_filter(rule, v, out)) return false;
        return compile_fhir(rule, out.text, out.fhir);
      }
      if (!v.IsString()) {
        error(rule, "each: expected a FHIR path");
        return false;
      }
      out.kind = EachKind::fhir_items;
      out.text = v.GetString();
      return compile_fhir(rule, out.text, out.fhir);
    }
    if (v.IsString()) {
      const std::string_view s = v.GetString();
      out.text = std::string(s);
      if (s.size() == 3) {
        if (!check_segment(rule, s, "each")) return false;
        out.kind = EachKind::segments;
        out.seg_key = pack_id(s);
        out.slot = slot_of(out.seg_key);
        return true;
      }
      if (!compile_v2(rule, s, out.field)) return false;
      if (out.field.component != 0 || out.field.repetition_given) {
        error(rule, "each '" + std::string(s) +
                        "': name a whole field (e.g. PID-3) to repeat over its repetitions");
        return false;
      }
      out.kind = EachKind::field_reps;
      out.seg_key = out.field.seg_key;
      out.slot = out.field.slot;
      return true;
    }
    if (v.IsObject() && !v.HasMember("after")) {
      // {"segment": "OBX", "where": condition, "first": true}
      check_keys(v, rule + ".each", {"segment", "where", "first"});
      if (!v.HasMember("segment") || !v["segment"].IsString() ||
          !check_segment(rule, v["segment"].GetString(), "each.segment")) {
        if (!v.HasMember("segment") || !v["segment"].IsString())
          error(rule, "each: expected {\"segment\": \"OBX\", \"where\": condition}");
        return false;
      }
      out.kind = EachKind::segments;
      out.text = v["segment"].GetString();
      out.seg_key = pack_id(out.text);
      out.slot = slot_of(out.seg_key);
      return compile_each_filter(rule, v, out);
    }
    if (v.IsObject()) {
      check_keys(v, rule + ".each", {"segment", "after", "skip", "where", "first"});
      if (!v.HasMember("segment") || !v["segment"].IsString() || !v.HasMember("after") ||
          !v["after"].IsString()) {
        error(rule,
              "each: expected {\"segment\": \"NTE\", \"after\": \"SCH\", \"skip\": [\"TQ1\"]}");
        return false;
      }
      if (!compile_each_filter(rule, v, out)) return false;
      const std::string_view s = v["segment"].GetString();
      const std::string_view a = v["after"].GetString();
      if (!check_segment(rule, s, "each.segment") || !check_segment(rule, a, "each.after"))
        return false;
      out.kind = EachKind::segments_after;
      out.seg_key = pack_id(s);
      out.slot = slot_of(out.seg_key);
      out.anchor_key = pack_id(a);
      slot_of(out.anchor_key);
      out.text = std::string(s) + " after " + std::string(a);
      if (v.HasMember("skip")) {
        if (!v["skip"].IsArray()) {
          error(rule, "each.skip: expected an array of segment ids");
          return false;
        }
        for (const auto& x : v["skip"].GetArray()) {
          if (!x.IsString() || !check_segment(rule, x.GetString(), "each.skip")) return false;
          out.skip_keys.push_back(pack_id(x.GetString()));
        }
      }
      return true;
    }
    error(rule, "each: expected a segment id, a field path or {segment, after, skip}");
    return false;
  }

  // "where" and "first" of an object-form each.
  bool compile_each_filter(const std::string& rule, const Value& v, Each& out) {
    if (v.HasMember("first")) {
      if (!v["first"].IsBool()) {
        error(rule, "each.first: expected true or false");
        return false;
      }
      out.first = v["first"].GetBool();
    }
    if (v.HasMember("where")) {
      auto c = std::make_shared<Condition>();
      if (!compile_condition(rule + ".each.where", v["where"], *c)) return false;
      out.where = std::move(c);
    }
    return true;
  }

  // -- producers --
  bool compile_producer(const std::string& rule, const Value& v, Producer& p, bool allow_join) {
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
  bool fold_constant_holes(const std::string& rule, std::string& text) {
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

  std::string literal_fragment(const Value& v) {
    if (reverse_) return v.IsString() ? std::string(v.GetString()) : json_text(v);
    return json_text(v);
  }

  // ---- forward (v2 -> FHIR) ----

  void compile_forward(const Value& doc, V2ToFhirPlan& plan) {
    if (doc.HasMember("bundle")) {
      const Value& b = doc["bundle"];
      check_keys(b, "bundle", {"type", "set", "message-header", "comment"});
      if (b.HasMember("type") && b["type"].IsString()) plan.bundle_type = b["type"].GetString();
      if (plan.bundle_type != "transaction" && plan.bundle_type != "batch" &&
          plan.bundle_type != "document" && plan.bundle_type != "collection")
        error("bundle.type", "must be \"transaction\", \"batch\", \"document\" or \"collection\"");
    }
    if (!doc.HasMember("resources") || !doc["resources"].IsArray() || doc["resources"].Empty()) {
      error("resources", "a non-empty array of resources is required");
      return;
    }
    resource_keys_.clear();
    for (const auto& r : doc["resources"].GetArray())
      resource_keys_.push_back(
          r.IsObject() && r.HasMember("key") && r["key"].IsString() ? r["key"].GetString() : "");
    for (std::size_t i = 0; i < resource_keys_.size(); ++i)
      for (std::size_t j = 0; j < i; ++j)
        if (!resource_keys_[i].empty() && resource_keys_[i] == resource_keys_[j])
          error("resources[" + std::to_string(i) + "]",
                "duplicate resource key '" + resource_keys_[i] + "'");
    if (doc.HasMember("reject")) compile_rejects("reject", doc["reject"], plan.rejects);
    if (doc.HasMember("checks")) compile_rejects("checks", doc["checks"], plan.rejects);
    std::size_t i = 0;
    for (const auto& r : doc["resources"].GetArray()) {
      const std::string rule = "resources[" + std::to_string(i++) + "]";
      plan.resources.emplace_back();
      compile_resource(rule, r, plan.resources.back());
    }
    // Bundle-level members (identifier, timestamp: a document needs both, bdl-9/bdl-10).
    plan.bundle_body.kind = NodeKind::object;
    if (doc.HasMember("bundle") && doc["bundle"].HasMember("set"))
      compile_set("bundle.set", doc["bundle"]["set"], plan.bundle_body, "Bundle");
    for (const auto& c : plan.bundle_body.children)
      if (c.member == "type" || c.member == "entry")
        error("bundle.set", "Bundle." + c.member + " is written by the engine");
    // The MessageHeader of the FHIR message shape (Options::Bundle::message): the same
    // resources follow it, without requests.
    if (doc.HasMember("bundle") && doc["bundle"].HasMember("message-header")) {
      plan.message_header = std::make_unique<ResourcePlan>();
      compile_resource("bundle.message-header", doc["bundle"]["message-header"],
                       *plan.message_header);
      if (plan.message_header->type != "MessageHeader")
        error("bundle.message-header", "resourceType must be MessageHeader");
      if (plan.message_header->each.kind != EachKind::none)
        error("bundle.message-header", "a MessageHeader is written once (no \"each\")");
    }
    for (auto& rp : plan.resources) fold_constants(rp.body);
    fold_constants(plan.bundle_body);
    if (plan.message_header) fold_constants(plan.message_header->body);
  }

  // Precomputes the JSON of constant subtrees and of runs of constant object members
  // (Node::is_constant, Node::run), so that a run writes them in one piece.
  static bool written_as_constant(const Node& c) {
    return !c.when && c.each.kind == EachKind::none && c.is_constant;
  }
  static void fold_constants(Node& n) {
    for (auto& c : n.children) fold_constants(c);
    n.is_constant = false;
    n.constant.clear();
    switch (n.kind) {
      case NodeKind::literal:
        n.is_constant = true;
        n.constant = n.literal;
        break;
      case NodeKind::object:
      case NodeKind::array: {
        if (n.children.empty()) break;
        bool all = true;
        for (const auto& c : n.children) all = all && written_as_constant(c);
        if (!all) break;
        const bool object = n.kind == NodeKind::object;
        n.constant.push_back(object ? '{' : '[');
        for (std::size_t i = 0; i < n.children.size(); ++i) {
          const Node& c = n.children[i];
          if (object)
            n.constant.append(std::string_view(c.key_frag).substr(i == 0 ? 1 : 0));
          else if (i != 0)
            n.constant.push_back(',');
          n.constant.append(c.constant);
        }
        n.constant.push_back(object ? '}' : ']');
        n.is_constant = true;
        break;
      }
      default:
        break;
    }
    if (n.kind != NodeKind::object) return;
    for (std::size_t i = 0; i < n.children.size(); ++i) {
      Node& c = n.children[i];
      c.run_length = 0;
      c.run.clear();
      if (!written_as_constant(c)) continue;
      std::size_t j = i;
      for (; j < n.children.size() && written_as_constant(n.children[j]); ++j) {
        c.run.append(n.children[j].key_frag);
        c.run.append(n.children[j].constant);
      }
      c.run_length = static_cast<std::uint32_t>(j - i);
    }
  }

  void compile_rejects(const std::string& rule, const Value& v, std::vector<Reject>& out) {
    if (!v.IsArray()) {
      error(rule, "expected an array of {when, code, location, message}");
      return;
    }
    std::size_t i = 0;
    for (const auto& x : v.GetArray()) {
      const std::string r = rule + "[" + std::to_string(i++) + "]";
      check_keys(x, r,
                 {"id", "when", "each", "severity", "code", "location", "message", "comment"});
      Reject rj;
      rj.rule = rule_id(r);
      if (x.HasMember("each") && !compile_each(r + ".each", x["each"], rj.each)) continue;
      if (x.HasMember("severity")) {
        const std::string_view sv =
            x["severity"].IsString() ? x["severity"].GetString() : std::string_view();
        if (sv == "error")
          rj.severity = Severity::error;
        else if (sv == "warning")
          rj.severity = Severity::warning;
        else if (sv == "information")
          rj.severity = Severity::information;
        else
          error(r, "severity: expected \"error\", \"warning\" or \"information\"");
      }
      rj.when = maybe_when(r, x);
      if (!rj.when) {
        error(r, "reject needs a \"when\" condition");
        continue;
      }
      rj.code = x.HasMember("code") && x["code"].IsString() ? x["code"].GetString() : "207";
      rj.location =
          x.HasMember("location") && x["location"].IsString() ? x["location"].GetString() : "";
      // With "each", a path location is resolved per item (`OBX[3]-5`, `Bundle.entry[2]...`).
      if (rj.each.kind != EachKind::none && !rj.location.empty() &&
          (reverse_ || is_v2_path_text(rj.location))) {
        rj.location_is_path = compile_source(r, rj.location, rj.location_path);
        if (!rj.location_is_path) continue;
      }
      rj.message =
          x.HasMember("message") && x["message"].IsString() ? x["message"].GetString() : "";
      if (rj.message.empty()) error(r, "reject needs a \"message\"");
      out.push_back(std::move(rj));
    }
  }

  void compile_resource(const std::string& rule, const Value& r, ResourcePlan& rp) {
    ++rules_;
    if (!r.IsObject()) {
      error(rule, "expected an object");
      return;
    }
    check_keys(r, rule,
               {"id", "key", "resourceType", "profile", "when", "each", "identity", "reject",
                "request", "set", "comment"});
    rp.rule = rule_id(rule);
    rp.key = r.HasMember("key") && r["key"].IsString() ? r["key"].GetString() : "";
    if (rp.key.empty()) error(rule, "resource needs a \"key\"");
    rp.type = r.HasMember("resourceType") && r["resourceType"].IsString()
                  ? r["resourceType"].GetString()
                  : "";
    if (!fhir::is_r4_resource_type(rp.type)) {
      error(rule, "unknown resourceType '" + rp.type + "'");
      return;
    }
    rp.head_frag = "{\"resourceType\":" + quoted(rp.type);
    rp.type_frag = rp.type;
    rp.when = maybe_when(rule, r);
    if (r.HasMember("request")) {
      const std::string_view rq = r["request"].IsString() ? r["request"].GetString() : "";
      if (rq == "create")
        rp.create = true;
      else if (rq != "update")
        error(rule + ".request",
              "expected \"update\" (conditional update, the default) or \"create\" "
              "(conditional create)");
    }
    if (r.HasMember("each")) {
      compile_each(rule + ".each", r["each"], rp.each);
      if (rp.each.kind != EachKind::segments && rp.each.kind != EachKind::none)
        error(rule + ".each", "a resource repeats over segments only (e.g. \"AIP\")");
    }
    if (r.HasMember("reject")) compile_rejects(rule + ".reject", r["reject"], rp.rejects);
    if (r.HasMember("identity")) {
      const Value& ids = r["identity"];
      if (!ids.IsArray()) {
        error(rule + ".identity", "expected an array of {system, value, when, each}");
      } else {
        std::size_t k = 0;
        for (const auto& x : ids.GetArray()) {
          const std::string ir = rule + ".identity[" + std::to_string(k++) + "]";
          check_keys(x, ir,
                     {"id", "system", "value", "from", "transform", "when", "each", "comment"});
          Identity id;
          id.rule = rule_id(ir);
          id.when = maybe_when(ir, x);
          if (x.HasMember("each")) compile_each(ir + ".each", x["each"], id.each);
          if (x.HasMember("from")) {
            const TransformInfo* t = x.HasMember("transform") && x["transform"].IsString()
                                         ? find_transform(x["transform"].GetString())
                                         : nullptr;
            if (!t || (t->id != Tf::cx_identifier && t->id != Tf::xcn_identifier)) {
              error(ir,
                    "identity with \"from\" needs \"transform\": \"cx-identifier\" or "
                    "\"xcn-identifier\"");
              continue;
            }
            if (!x["from"].IsString() || !compile_v2(ir, x["from"].GetString(), id.from)) continue;
            id.transform = t->id;
            rp.identity.push_back(std::move(id));
            continue;
          }
          if (!x.HasMember("system") || !x["system"].IsString() || !x.HasMember("value") ||
              !x["value"].IsString()) {
            error(ir, "identity needs \"system\" and \"value\" templates");
            continue;
          }
          compile_template(ir, x["system"].GetString(), id.system);
          compile_template(ir, x["value"].GetString(), id.value);
          if (id.value.constant()) error(ir, "identity value must contain a v2 path");
          rp.identity.push_back(std::move(id));
        }
      }
    }
    rp.body.kind = NodeKind::object;
    rp.body.rule = rp.rule;
    if (r.HasMember("profile")) {
      const Value& pr = r["profile"];
      if (!pr.IsString()) {
        error(rule + ".profile", "expected a canonical URL");
      } else {
        Node meta;
        meta.kind = NodeKind::object;
        meta.member = "meta";
        meta.key_frag = ",\"meta\":";
        meta.rule = rp.rule;
        Node prof;
        prof.kind = NodeKind::literal;
        prof.member = "profile";
        prof.key_frag = ",\"profile\":";
        prof.literal = "[" + quoted(pr.GetString()) + "]";
        prof.rule = rp.rule;
        meta.children.push_back(std::move(prof));
        rp.body.children.push_back(std::move(meta));
      }
    }
    if (r.HasMember("set")) compile_set(rule + ".set", r["set"], rp.body, rp.type);
  }

  // Rules of a "set" list into the object node `obj` whose FHIR type path is `type_path`.
  void compile_set(const std::string& rule, const Value& set, Node& obj,
                   const std::string& type_path) {
    if (!set.IsArray()) {
      error(rule, "set: expected an array of rules");
      return;
    }
    std::size_t i = 0;
    for (const auto& x : set.GetArray())
      compile_rule(rule + "[" + std::to_string(i++) + "]", x, obj, type_path);
  }

  struct PathStep {
    std::string name;
    bool append = false;
    int index = -1;
  };

  bool parse_out_path(const std::string& rule, std::string_view path,
                      std::vector<PathStep>& steps) {
    std::size_t i = 0;
    while (i < path.size()) {
      PathStep st;
      std::size_t j = i;
      while (j < path.size() && path[j] != '.' && path[j] != '[') ++j;
      st.name = std::string(path.substr(i, j - i));
      if (st.name.empty()) {
        error(rule, "bad path '" + std::string(path) + "'");
        return false;
      }
      if (j < path.size() && path[j] == '[') {
        const std::size_t close = path.find(']', j);
        if (close == std::string_view::npos) {
          error(rule, "bad path '" + std::string(path) + "': missing ']'");
          return false;
        }
        const std::string_view in = path.substr(j + 1, close - j - 1);
        if (in == "+") {
          st.append = true;
        } else {
          int v = 0;
          if (in.empty()) {
            error(rule, "bad path '" + std::string(path) + "': use [+] or [n]");
            return false;
          }
          for (char c : in) {
            if (c < '0' || c > '9') {
              error(rule, "bad path '" + std::string(path) + "': use [+] or [n]");
              return false;
            }
            v = v * 10 + (c - '0');
          }
          st.index = v;
        }
        j = close + 1;
      }
      steps.push_back(std::move(st));
      if (j < path.size()) {
        if (path[j] != '.') {
          error(rule, "bad path '" + std::string(path) + "'");
          return false;
        }
        ++j;
      }
      i = j;
    }
    return !steps.empty();
  }

  // Checks member `name` of FHIR type `type_path`; returns the member's type path ("" if unknown
  // and reported). Arrays: sets `many`.
  std::string member_type(const std::string& rule, const std::string& type_path,
                          const std::string& name, bool& many, bool& ok) {
    ok = true;
    many = false;
    if (type_path.empty()) return "";
    if (name.size() > 1 && name[0] == '_') {
      // `_birthDate`: the id and extensions of a primitive element (FHIR JSON format).
      const auto prim = fhir::find_element(type_path, std::string_view(name).substr(1));
      if (!prim || !is_primitive_type(prim->type)) {
        error(rule, "'" + name + "': '" + name.substr(1) + "' is not a primitive element of " +
                        type_path);
        ok = false;
        return "";
      }
      many = prim->many;
      return "Element";
    }
    const auto info = fhir::find_element(type_path, name);
    if (!info) {
      error(rule, "unknown FHIR element '" + name + "' in " + type_path +
                      did_you_mean(name, fhir::element_names(type_path)));
      ok = false;
      return "";
    }
    many = info->many;
    std::string t(info->type);
    if (t == "BackboneElement" || t == "Element") t = type_path + "." + name;
    return t;
  }

  static bool is_primitive_type(std::string_view t) {
    return !t.empty() && t[0] >= 'a' && t[0] <= 'z';
  }

  Node* find_member(Node& obj, const std::string& name) {
    for (auto& c : obj.children)
      if (c.member == name) return &c;
    return nullptr;
  }

  void compile_rule(const std::string& rule, const Value& x, Node& obj,
                    const std::string& type_path) {
    ++rules_;
    if (!x.IsObject()) {
      error(rule, "a rule must be an object");
      return;
    }
    check_keys(x, rule,
               {"id", "path", "value", "from", "transform", "args", "map", "else", "join", "each",
                "when", "set", "ref", "choose", "comment"});
    if (!x.HasMember("path") || !x["path"].IsString()) {
      error(rule, "rule needs a \"path\"");
      return;
    }
    const std::string path = x["path"].GetString();
    const std::string rid = rule + " (path \"" + path + "\")";
    std::vector<PathStep> steps;
    if (!parse_out_path(rid, path, steps)) return;
    if (rule_kinds(x) + (x.HasMember("choose") ? 1 : 0) != 1) {
      error(rid, "a rule has exactly one of \"value\", \"from\", \"set\", \"ref\", \"choose\"");
      return;
    }
    check_from_keys(rid, x);
    const bool has_each = x.HasMember("each");
    const bool has_join = x.HasMember("join");
    const bool each_first = has_each && x["each"].IsObject() && x["each"].HasMember("first") &&
                            x["each"]["first"].IsTrue();
    if (has_each && !has_join && !each_first && !steps.back().append) {
      error(rid,
            "a rule with \"each\" must end its path with [+] (or join the values with \"join\")");
      return;
    }
    // Walk/create the containers.
    Node* cur = &obj;
    std::string tp = type_path;
    for (std::size_t s = 0; s < steps.size(); ++s) {
      const PathStep& st = steps[s];
      const bool last = s + 1 == steps.size();
      bool many = false;
      bool ok = true;
      const std::string mt = member_type(rid, tp, st.name, many, ok);
      if (!ok) return;
      if (!tp.empty() && (st.append || st.index >= 0) && !many) {
        error(rid, "'" + st.name + "' is not an array in " + tp + " (drop the [..])");
        return;
      }
      if (!tp.empty() && many && !st.append && st.index < 0) {
        error(rid, "'" + st.name + "' is an array in " + tp + ": write " + st.name + "[+] or " +
                       st.name + "[0]");
        return;
      }
      if (!last && is_primitive_type(mt)) {
        error(rid, "'" + st.name + "' is a primitive (" + mt + ") and has no children");
        return;
      }
      // container member
      Node* member = find_member(*cur, st.name);
      const bool is_array = st.append || st.index >= 0;
      if (!member || (!is_array && last)) {
        if (member && !is_array && last) {
          error(rid, "element '" + st.name + "' is set twice");
          return;
        }
        cur->children.emplace_back();
        member = &cur->children.back();
        member->member = st.name;
        member->key_frag = "," + quoted(st.name) + ":";
        member->kind = is_array ? NodeKind::array : NodeKind::object;
        member->rule = rule_id(rid);
      } else if ((member->kind == NodeKind::array) != is_array) {
        error(rid, "element '" + st.name + "' used both as array and single value");
        return;
      }
      if (is_array) {
        Node* item = nullptr;
        if (st.index >= 0) {
          for (auto& c : member->children)
            if (c.index == st.index) item = &c;
          if (item && last) {
            error(rid, "element '" + st.name + "[" + std::to_string(st.index) + "]' is set twice");
            return;
          }
        }
        if (!item) {
          member->children.emplace_back();
          item = &member->children.back();
          item->kind = NodeKind::object;
          item->append = st.append;
          item->index = st.index;
          item->rule = rule_id(rid);
        }
        cur = item;
      } else {
        cur = member;
      }
      tp = mt;
    }
    // `cur` is the node the rule fills.
    Node& n = *cur;
    n.rule = rule_id(rid);
    n.when = maybe_when(rid, x);
    if (has_each && !compile_each(rid, x["each"], n.each)) return;
    if (x.HasMember("choose")) {
      compile_choose(rule, rid, x, n, tp, has_each);
      return;
    }
    compile_body(rule, rid, path, x, n, tp, has_each);
  }

  // `transform`, `args`, `map`, `else` and `join` act on the value `from` reads: on a rule
  // without it they would be ignored.
  void check_from_keys(const std::string& rid, const Value& x) {
    if (x.HasMember("from")) return;
    for (const char* k : {"transform", "args", "map", "map-reverse", "else", "join"})
      if (x.HasMember(k))
        error(rid, "'" + std::string(k) +
                       "' acts on the value of \"from\", which this rule does not have");
  }

  static int rule_kinds(const Value& x) {
    return (x.HasMember("value") ? 1 : 0) + (x.HasMember("from") ? 1 : 0) +
           (x.HasMember("set") ? 1 : 0) + (x.HasMember("ref") ? 1 : 0);
  }

  // `choose`: a list of cases for one element, each with an optional `when` and one of
  // value/from/set/ref; the first case whose `when` holds and that gives a value is written.
  void compile_choose(const std::string& rule, const std::string& rid, const Value& x, Node& n,
                      const std::string& tp, bool has_each) {
    const Value& cases = x["choose"];
    if (!cases.IsArray() || cases.Empty()) {
      error(rid, "choose: expected a non-empty array of cases ({when, value | from | set | ref})");
      return;
    }
    if (x.HasMember("join")) error(rid, "choose: \"join\" is not supported; join inside a case");
    n.kind = NodeKind::choose;
    for (rapidjson::SizeType i = 0; i < cases.Size(); ++i) {
      const std::string crule = rule + ".choose[" + std::to_string(i) + "]";
      const Value& c = cases[i];
      if (!c.IsObject()) {
        error(crule, "a case must be an object");
        continue;
      }
      check_keys(c, crule,
                 {"id", "value", "from", "transform", "args", "map", "else", "when", "set", "ref",
                  "comment"});
      if (rule_kinds(c) != 1) {
        error(crule, "a case has exactly one of \"value\", \"from\", \"set\", \"ref\"");
        continue;
      }
      check_from_keys(crule, c);
      // A literal without `when` always applies: the cases after it could never be reached.
      const bool always =
          !c.HasMember("when") && c.HasMember("value") && !c["value"].IsObject() &&
          !c["value"].IsArray() &&
          !(c["value"].IsString() &&
            std::string_view(c["value"].GetString()).find('{') != std::string_view::npos);
      if (always && i + 1 != cases.Size())
        error(crule,
              "a literal case without \"when\" must be the last (the cases after it could never "
              "apply)");
      n.children.emplace_back();
      Node& cn = n.children.back();
      const std::string cid = rid + ".choose[" + std::to_string(i) + "]";
      cn.rule = rule_id(cid);
      cn.when = maybe_when(cid, c);
      compile_body(crule, cid, x["path"].GetString(), c, cn, tp, has_each);
    }
  }

  // The value part of a rule (or of a case of `choose`): set, ref, value or from.
  void compile_body(const std::string& rule, const std::string& rid, const std::string& path,
                    const Value& x, Node& n, const std::string& tp, bool has_each) {
    if (x.HasMember("set")) {
      if (is_primitive_type(tp)) {
        error(rid, "\"set\" on a primitive element (" + tp + ")");
        return;
      }
      n.kind = NodeKind::object;
      compile_set(rule + ".set", x["set"], n, tp);
      return;
    }
    if (x.HasMember("ref")) {
      if (!x["ref"].IsString()) {
        error(rid, "ref: expected a resource key");
        return;
      }
      const std::string key = x["ref"].GetString();
      const auto it = std::find(resource_keys_.begin(), resource_keys_.end(), key);
      if (it == resource_keys_.end()) {
        error(rid, "ref: no resource with key '" + key + "'" + did_you_mean(key, resource_keys_));
        return;
      }
      if (!tp.empty() && tp != "Reference") {
        error(rid, "ref: '" + path + "' is " + tp + ", not a Reference");
        return;
      }
      n.kind = NodeKind::ref;
      n.ref_target = static_cast<int>(it - resource_keys_.begin());
      return;
    }
    if (x.HasMember("value")) {
      const Value& v = x["value"];
      if (!check_value_shape(rid, path, v, tp)) return;
      if (v.IsString()) {
        n.kind = NodeKind::tmpl;
        compile_template(rid, v.GetString(), n.tmpl);
        if (n.tmpl.constant()) {
          n.kind = NodeKind::literal;
          n.literal = quoted(n.tmpl.parts.empty() ? "" : n.tmpl.parts[0].literal);
        }
      } else if (v.IsObject() || v.IsArray()) {
        // Object/array literal: strings inside are templates.
        compile_literal_tree(rid, v, n, tp);
      } else {
        n.kind = NodeKind::literal;
        n.literal = json_text(v);
      }
      if (has_each && n.kind == NodeKind::literal && !n.each.text.empty()) {
        // a literal repeated per item is allowed (e.g. one coding per segment)
      }
      return;
    }
    // from
    n.kind = NodeKind::produce;
    if (!compile_producer(rid, x, n.producer, has_each)) return;
    if (n.producer.join && !has_each) error(rid, "join needs \"each\"");
    if (n.producer.transform != Tf::none && transform_info(n.producer.transform).structure &&
        is_primitive_type(tp))
      error(rid, "transform '" + std::string(transform_info(n.producer.transform).name) +
                     "' builds an object but '" + path + "' is a " + tp);
    if (is_complex_type(tp) &&
        (n.producer.transform == Tf::none || !transform_info(n.producer.transform).structure))
      error(rid,
            "'" + path + "' is a " + tp + ": a value read with \"from\" is text" +
                (n.producer.transform == Tf::none
                     ? ""
                     : " (transform '" + std::string(transform_info(n.producer.transform).name) +
                           "' gives text)") +
                "; write its elements (\"set\") or use a transform that builds one");
  }

  // A complex element (CodeableConcept, Period, Reference ...) holds an object, a primitive
  // one a JSON scalar: the FHIR JSON a literal would write is otherwise invalid.
  static bool is_complex_type(const std::string& tp) {
    return !tp.empty() && !is_primitive_type(tp) && tp != "Resource";
  }
  bool check_value_shape(const std::string& rid, const std::string& path, const Value& v,
                         const std::string& tp) {
    if (is_complex_type(tp) && !v.IsObject() && !v.IsArray()) {
      error(rid, "'" + path + "' is a " + tp + ", not text or a number: write its elements (\"" +
                     path + "\" with \"set\", or an object value)");
      return false;
    }
    if (is_primitive_type(tp) && v.IsObject()) {
      error(rid, "'" + path + "' is a " + tp + ": an object cannot be written there");
      return false;
    }
    return true;
  }

  void compile_literal_tree(const std::string& rid, const Value& v, Node& n,
                            const std::string& tp) {
    if (v.IsObject()) {
      n.kind = NodeKind::object;
      for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) {
        const std::string name = it->name.GetString();
        bool many = false;
        bool ok = true;
        const std::string mt = member_type(rid, tp, name, many, ok);
        if (!ok) continue;
        Node c;
        c.member = name;
        c.key_frag = "," + quoted(name) + ":";
        c.rule = n.rule;
        if (many && !it->value.IsArray() && !tp.empty()) {
          error(rid, "'" + name + "' is an array in " + tp);
          continue;
        }
        if (!it->value.IsArray() && !check_value_shape(rid, name, it->value, mt)) continue;
        compile_literal_tree(rid, it->value, c, mt);
        n.children.push_back(std::move(c));
      }
    } else if (v.IsArray()) {
      n.kind = NodeKind::array;
      for (const auto& e : v.GetArray()) {
        if (!check_value_shape(rid, n.member, e, tp)) continue;
        Node c;
        c.rule = n.rule;
        compile_literal_tree(rid, e, c, tp);
        n.children.push_back(std::move(c));
      }
    } else if (v.IsString()) {
      n.kind = NodeKind::tmpl;
      compile_template(rid, v.GetString(), n.tmpl);
      if (n.tmpl.constant()) {
        n.kind = NodeKind::literal;
        n.literal = quoted(n.tmpl.parts.empty() ? "" : n.tmpl.parts[0].literal);
      }
    } else {
      n.kind = NodeKind::literal;
      n.literal = json_text(v);
    }
  }

  // ---- reverse (FHIR -> v2) ----

  void compile_reverse(const Value& doc, FhirToV2Plan& plan) {
    reverse_ = true;
    if (doc.HasMember("message")) {
      const Value& m = doc["message"];
      check_keys(m, "message", {"code", "structure"});
      if (m.HasMember("code") && m["code"].IsString()) plan.message_code = m["code"].GetString();
      if (m.HasMember("structure") && m["structure"].IsString())
        plan.structure = m["structure"].GetString();
    }
    if (doc.HasMember("reject")) compile_rejects("reject", doc["reject"], plan.rejects);
    if (doc.HasMember("checks")) compile_rejects("checks", doc["checks"], plan.rejects);
    if (!doc.HasMember("event") || !doc["event"].IsArray() || doc["event"].Empty()) {
      error("event", "a non-empty array of {when, value} choosing the trigger event is required");
    } else {
      std::size_t i = 0;
      for (const auto& e : doc["event"].GetArray()) {
        const std::string r = "event[" + std::to_string(i++) + "]";
        ++rules_;
        check_keys(e, r, {"id", "when", "value", "comment"});
        EventRule er;
        er.rule = rule_id(r);
        er.when = maybe_when(r, e);
        if (!e.HasMember("value") || !e["value"].IsString()) {
          error(r, "event rule needs a \"value\" (trigger event code)");
          continue;
        }
        er.event = e["value"].GetString();
        plan.events.push_back(std::move(er));
      }
    }
    if (!doc.HasMember("segments") || !doc["segments"].IsArray() || doc["segments"].Empty()) {
      error("segments", "a non-empty array of segments is required");
      reverse_ = false;
      return;
    }
    compile_segments("segments", doc["segments"], plan.segments, true);
    if (plan.segments.empty() || plan.segments[0].id != "MSH")
      error("segments", "the first segment must be MSH");
    reverse_ = false;
  }

  void compile_segments(const std::string& rule, const Value& list, std::vector<SegmentRule>& out,
                        bool top) {
    if (!list.IsArray() || list.Empty()) {
      error(rule, "a non-empty array of segments is required");
      return;
    }
    std::size_t i = 0;
    for (const auto& s : list.GetArray()) {
      const std::string r = rule + "[" + std::to_string(i++) + "]";
      ++rules_;
      check_keys(s, r, {"id", "segment", "when", "context", "each", "set", "then", "comment"});
      SegmentRule sr;
      sr.rule = rule_id(r);
      if (!s.HasMember("segment") || !s["segment"].IsString() ||
          !check_segment(r, s["segment"].GetString(), "segment")) {
        if (!s.HasMember("segment")) error(r, "needs \"segment\"");
        continue;
      }
      sr.id = s["segment"].GetString();
      sr.when = maybe_when(r, s);
      if (s.HasMember("context")) {
        sr.context = std::make_unique<FhirPath>();
        if (!s["context"].IsString())
          error(r, "context: expected a FHIR path");
        else
          compile_fhir(r, s["context"].GetString(), *sr.context);
      }
      if (s.HasMember("each")) compile_each(r + ".each", s["each"], sr.each);
      if (s.HasMember("set")) compile_fields(r + ".set", s["set"], sr.id, sr.fields);
      if (sr.id == "MSH" && !(top && i == 1)) error(r, "MSH must be the first segment");
      if (s.HasMember("then")) compile_segments(r + ".then", s["then"], sr.then, false);
      out.push_back(std::move(sr));
    }
  }

  // A v2 location written by a field rule, for finding two rules that write the same one.
  struct Written {
    std::uint16_t field, component, subcomponent;
    std::uint32_t repetition;
    std::string rule;
  };

  void compile_fields(const std::string& rule, const Value& set, const std::string& seg,
                      std::vector<FieldRule>& out, std::vector<Written>* scope = nullptr) {
    std::vector<Written> own;
    if (!scope) scope = &own;
    if (!set.IsArray()) {
      error(rule, "expected an array of field rules");
      return;
    }
    std::size_t i = 0;
    for (const auto& x : set.GetArray()) {
      const std::string r = rule + "[" + std::to_string(i++) + "]";
      ++rules_;
      check_keys(x, r,
                 {"id", "field", "value", "from", "transform", "args", "map", "map-reverse", "else",
                  "each", "when", "set", "comment"});
      if (!x.HasMember("field") || !x["field"].IsString()) {
        error(r, "field rule needs \"field\" (a v2 path like SCH-11.4 or PID-3[+])");
        continue;
      }
      std::string f = x["field"].GetString();
      const std::string rid = r + " (field \"" + f + "\")";
      FieldRule fr;
      fr.rule = rule_id(rid);
      if (f.size() > 3 && f.compare(f.size() - 3, 3, "[+]") == 0) {
        fr.new_repetition = true;
        f.resize(f.size() - 3);
      }
      const bool saved = reverse_;
      reverse_ = false;
      const bool ok = compile_v2(rid, f, fr.target);
      reverse_ = saved;
      if (!ok) continue;
      if (f.compare(0, 3, seg) != 0) {
        error(rid, "field belongs to segment " + f.substr(0, 3) + ", not " + seg);
        continue;
      }
      if (seg == "MSH" && fr.target.field <= 2) {
        error(rid, "MSH-1 and MSH-2 are written from the delimiters");
        continue;
      }
      if (fr.new_repetition && (fr.target.component != 0 || fr.target.repetition_given)) {
        error(rid, "[+] applies to a whole field (e.g. PID-3[+])");
        continue;
      }
      fr.when = maybe_when(rid, x);
      if (x.HasMember("each")) {
        if (!fr.new_repetition) {
          error(rid, "a rule with \"each\" writes one repetition per item: end the field with [+]");
          continue;
        }
        compile_each(rid, x["each"], fr.each);
      }
      check_from_keys(rid, x);
      const int kinds = (x.HasMember("value") ? 1 : 0) + (x.HasMember("from") ? 1 : 0) +
                        (x.HasMember("set") ? 1 : 0);
      if (kinds != 1) {
        error(rid, "a field rule has exactly one of \"value\", \"from\", \"set\"");
        continue;
      }
      if (x.HasMember("value")) {
        if (!x["value"].IsString()) {
          error(rid, "value: expected a string template");
          continue;
        }
        fr.has_tmpl = compile_template(rid, x["value"].GetString(), fr.tmpl);
      } else if (x.HasMember("from")) {
        fr.has_producer = compile_producer(rid, x, fr.producer, false);
      } else {
        compile_fields(r + ".set", x["set"], seg, fr.children, fr.new_repetition ? nullptr : scope);
        for (const auto& c : fr.children)
          if (c.target.field != fr.target.field)
            error(rid, "nested rules must write inside field " + f);
      }
      if (!fr.new_repetition && x.IsObject() && !x.HasMember("set"))
        check_written_once(rid, f, fr, x.HasMember("when"), *scope);
      out.push_back(std::move(fr));
    }
  }

  // A place written again by a later rule of the segment: the later one replaces what the
  // earlier wrote whenever it gives a value. That is an override (a default, then a value
  // read when present); but a later rule without `when` that always gives one (a constant, or
  // an `else`) hides the earlier rule for good.
  void check_written_once(const std::string& rid, const std::string& f, const FieldRule& fr,
                          bool has_when, std::vector<Written>& scope) {
    const Written w{fr.target.field, std::max<std::uint16_t>(fr.target.component, 1),
                    std::max<std::uint16_t>(fr.target.subcomponent, 1),
                    fr.target.repetition_given ? fr.target.repetition : 1u, fr.rule};
    if (!has_when && always_writes(fr))
      for (const auto& o : scope)
        if (o.field == w.field && o.component == w.component && o.subcomponent == w.subcomponent &&
            o.repetition == w.repetition) {
          error(rid, f + " is also written by " + o.rule +
                         ", and this rule always writes it (a constant, or an \"else\"), so "
                         "that rule's value never shows: give this one a \"when\", or try both "
                         "sources in one \"from\": [a, b]");
          break;
        }
    scope.push_back(w);
  }
  static bool always_writes(const FieldRule& fr) {
    if (fr.has_tmpl) {
      // Constants are folded in; a variable ($line) may be empty, and so may a constant.
      if (!fr.tmpl.constant()) return false;
      bool text = false;
      for (const auto& part : fr.tmpl.parts) {
        if (part.var >= 0) return false;
        text = text || !part.literal.empty();
      }
      return text;
    }
    if (!fr.has_producer) return false;
    const Producer* p = &fr.producer;
    while (p->else_producer) p = p->else_producer.get();
    return p->has_else_literal && !p->else_literal.empty();
  }
};

}  // namespace

boost::system::result<std::shared_ptr<const Plan>, std::vector<LoadError>> build_plan(
    std::span<const SourceFile> files, const Constants& overrides) {
  auto plan = std::make_shared<Plan>();
  std::vector<LoadError> errors;
  Loader loader(*plan, errors);
  std::vector<std::unique_ptr<rapidjson::Document>> docs(files.size());
  std::vector<int> kind(files.size(), 0);  // 1 table, 2 mapping
  for (std::size_t i = 0; i < files.size(); ++i) {
    auto d = std::make_unique<rapidjson::Document>();
    if (auto problem = parse_source(files[i].text, *d)) {
      errors.push_back({files[i].name, "", std::move(*problem)});
      continue;
    }
    if (!d->IsObject()) {
      errors.push_back({files[i].name, "", "expected a JSON object"});
      continue;
    }
    if (d->HasMember("resourceType") && (*d)["resourceType"].IsString() &&
        std::string_view((*d)["resourceType"].GetString()) == "ConceptMap") {
      kind[i] = 1;
    } else if (d->HasMember("mapping")) {
      kind[i] = 2;
    } else if (is_pieces_file(*d)) {
      kind[i] = 3;
    } else {
      errors.push_back({files[i].name, "",
                        "neither a mapping file (no \"mapping\"), a shared file (no "
                        "\"pieces\") nor a ConceptMap"});
      continue;
    }
    docs[i] = std::move(d);
  }
  for (std::size_t i = 0; i < files.size(); ++i)
    if (kind[i] == 1) loader.load_table(files[i], *docs[i]);
  // Shared pieces are expanded into the mappings before anything else reads them.
  RuleIds ids;
  for (std::size_t i = 0; i < files.size(); ++i)
    if (kind[i] == 2 || kind[i] == 3) ids.add_file(files[i], *docs[i], errors);
  loader.set_rule_ids(&ids);
  Pieces pieces;
  std::vector<RuleOrigins> origins(files.size());
  for (std::size_t i = 0; i < files.size(); ++i)
    if (kind[i] == 3) pieces.add_file(files[i], *docs[i], errors);
  for (std::size_t i = 0; i < files.size(); ++i)
    if (kind[i] == 2) pieces.expand(files[i], *docs[i], origins[i], errors);
  if (std::find(kind.begin(), kind.end(), 0) == kind.end()) pieces.check_used(errors);
  for (std::size_t i = 0; i < files.size(); ++i)
    if (kind[i] == 2) loader.collect_constants(files[i], *docs[i]);
  // Built-in defaults for the engine's own constants.
  auto ensure = [&](const char* name, const char* value) {
    for (const auto& [k, v] : plan->constants)
      if (k == name) return;
    plan->constants.emplace_back(name, value);
  };
  ensure("default-timezone", "Europe/London");
  ensure("id-namespace", "5e0b6a56-8f3c-5c3e-9a57-6d2b3f1c9a10");
  ensure("id-base", "https://fcpgw.example.org/Id");
  ensure("codesystem-base", "https://fcpgw.example.org/CodeSystem");
  for (const auto& [k, v] : overrides.values) {
    bool found = false;
    for (auto& [pk, pv] : plan->constants)
      if (pk == k) {
        pv = v;
        found = true;
      }
    if (!found)
      errors.push_back({"(configuration)", "constants." + k, "unknown constant '" + k + "'"});
  }
  // `*-base` constants are the start of URIs that mappings continue with `/`
  // (`{id-base}/{MSH-4.1}/...`): an absolute URI without a final '/'. A wrong one would mint
  // identifier systems that receivers keep for good.
  for (const auto& [k, v] : plan->constants) {
    if (!k.ends_with("-base")) continue;
    std::string why;
    if (!is_absolute_uri(v))
      why = "is not an absolute URI (scheme:..., e.g. https://fhir.example.nhs.uk/Id)";
    else if (v.ends_with('/'))
      why = "ends with '/': mappings add the '/' themselves ({" + k + "}/...)";
    if (why.empty()) continue;
    // As for default-timezone: a configured value is named "(constants)" (the gateway names
    // the configuration key), a declared one by its file.
    bool overridden = false;
    for (const auto& [ok, ov] : overrides.values) overridden = overridden || ok == k;
    const std::string* declared = loader.constant_file(k);
    if (overridden || !declared)
      errors.push_back({"(constants)", k, "'" + v + "' " + why});
    else
      errors.push_back({*declared, "constants." + k, "'" + v + "' " + why});
  }
  const std::string_view tz = plan->constant("default-timezone");
  if (tz == "Europe/London") {
    plan->default_london = true;
  } else if (tz == "UTC" || tz == "Etc/UTC") {
    plan->default_london = false;
  } else {
    errors.push_back({"(constants)", "default-timezone",
                      "unsupported time zone '" + std::string(tz) + "' (Europe/London or UTC)"});
  }
  plan->sender_timezones = plan->table("sender-timezone");
  if (plan->sender_timezones)
    for (const auto& e : plan->sender_timezones->entries)
      if (e.target != "Europe/London" && e.target != "UTC" && e.target != "Etc/UTC")
        errors.push_back({"(tables)", "sender-timezone." + e.code,
                          "unsupported time zone '" + e.target + "' (Europe/London or UTC)"});
  if (auto u = parse_uuid(plan->constant("id-namespace")))
    plan->id_namespace = *u;
  else
    errors.push_back({"(constants)", "id-namespace", "not a UUID"});
  plan->id_base = std::string(plan->constant("id-base"));
  plan->codesystem_base = std::string(plan->constant("codesystem-base"));
  for (std::size_t i = 0; i < files.size(); ++i)
    if (kind[i] == 2) {
      loader.set_origins(&origins[i]);
      loader.load_mapping(files[i], *docs[i]);
    }
  // Two mappings claiming the same message type.
  for (std::size_t i = 0; i < plan->mappings.size(); ++i)
    for (std::size_t j = 0; j < i; ++j) {
      const auto& a = *plan->mappings[i];
      const auto& b = *plan->mappings[j];
      if (a.v2_to_fhir != b.v2_to_fhir) continue;
      if (a.when || b.when) continue;  // chosen by content: the one whose `when` holds
      for (const auto& x : a.info.accepts)
        for (const auto& y : b.info.accepts)
          if (x == y)
            errors.push_back(
                {a.info.file, "accepts", "'" + x + "' is already handled by " + b.info.file});
    }
  for (auto& e : errors) e.rule = ids.name(e.file, e.rule);
  drop_repeated_errors(errors);
  if (!errors.empty()) return errors;
  for (const auto& m : plan->mappings) plan->infos.push_back(m->info);
  return std::shared_ptr<const Plan>(std::move(plan));
}

}  // namespace fcpgw::mappings
