// Code tables: ConceptMap files loaded into CodeTables, and the lookups the runs make.

#include "mappings/loader_impl.h"

namespace fcpgw::mappings {

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

void Loader::load_table(const SourceFile& f, const Value& doc) {
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
bool Loader::table_depends_on(const std::string& tpath, const Value& tg, CodeTable::Entry& en) {
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
void Loader::check_concept_map_keys(const Value& doc) {
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

}  // namespace fcpgw::mappings
