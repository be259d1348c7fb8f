// Loads mapping files and code tables, checks every rule and compiles the plan.

#include <algorithm>

#include "fhir/definitions.h"
#include "mappings/json_source.h"
#include "mappings/loader_impl.h"
#include "mappings/suggest.h"

namespace fcpgw::mappings {

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

void Loader::error(const std::string& rule, std::string message) {
  auto [file, where] = origins_ ? origins_->locate(file_, rule) : std::pair{file_, rule};
  errors_.push_back(LoadError{std::move(file), std::move(where), std::move(message)});
}

std::string Loader::rule_id(const std::string& rule) const {
  auto [file, where] = origins_ ? origins_->locate(file_, rule) : std::pair{file_, rule};
  if (ids_) where = ids_->name(file, where);
  return file + ": " + where;
}

const std::string* Loader::constant_file(std::string_view name) const {
  for (const auto& [k, f] : constant_files_)
    if (k == name) return &f;
  return nullptr;
}

void Loader::collect_constants(const SourceFile& f, const Value& doc) {
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

void Loader::load_mapping(const SourceFile& f, const Value& doc) {
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
  const std::string dir =
      doc.HasMember("direction") && doc["direction"].IsString() ? doc["direction"].GetString() : "";
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
      if (!fhir::is_r4_resource_type(a)) error("accepts", "'" + a + "' is not an R4 resource type");
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

void Loader::check_keys(const Value& obj, const std::string& rule,
                        std::initializer_list<std::string_view> allowed) {
  if (!obj.IsObject()) return;
  for (auto it = obj.MemberBegin(); it != obj.MemberEnd(); ++it) {
    const std::string_view k(it->name.GetString(), it->name.GetStringLength());
    if (std::find(allowed.begin(), allowed.end(), k) == allowed.end())
      error(rule, "unknown key '" + std::string(k) + "'" + did_you_mean(k, allowed));
  }
}

std::string Loader::constant_hint(std::string_view name) const {
  Closest near(name);
  for (const auto& [k, v] : plan_.constants) near.offer(k);
  return near.hint();
}

std::string Loader::table_hint(std::string_view id) const {
  Closest near(id);
  for (const auto& t : plan_.tables) near.offer(t->id);
  return near.hint();
}

std::string Loader::transform_hint(std::string_view name) const {
  Closest near(name);
  for (const auto& t : transform_catalogue())
    if (reverse_ ? t.fhir_to_v2 : t.v2_to_fhir) near.offer(t.name);
  return near.hint();
}

bool Loader::plan_has_constant(std::string_view name) const {
  for (const auto& [k, v] : plan_.constants)
    if (k == name) return true;
  return false;
}

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
