// Compiles conditions (`when`, `reject`, named conditions) and `each`.

#include <algorithm>

#include "mappings/loader_impl.h"
#include "mappings/suggest.h"

namespace fcpgw::mappings {

// {"is": "name"}: the condition of that name in the file's "conditions", compiled in place
// (so it reads the paths of the direction and binding where it is used).
bool Loader::compile_named_condition(const std::string& rule, const Value& a, Condition& out) {
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

bool Loader::compile_condition(const std::string& rule, const Value& v, Condition& out) {
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
      error(rule, "condition 'mapped': unknown code table '" + std::string(a[1].GetString()) + "'");
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

std::unique_ptr<Condition> Loader::maybe_when(const std::string& rule, const Value& v) {
  if (!v.HasMember("when")) return nullptr;
  auto c = std::make_unique<Condition>();
  if (!compile_condition(rule, v["when"], *c)) return nullptr;
  return c;
}

bool Loader::compile_each(const std::string& rule, const Value& v, Each& out) {
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
      error(rule, "each: expected {\"segment\": \"NTE\", \"after\": \"SCH\", \"skip\": [\"TQ1\"]}");
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
bool Loader::compile_each_filter(const std::string& rule, const Value& v, Each& out) {
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

}  // namespace fcpgw::mappings
