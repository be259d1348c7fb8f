// Compiles a FHIR -> v2 mapping: segments, fields, and the written-once checks.

#include <algorithm>

#include "mappings/loader_impl.h"

namespace fcpgw::mappings {

void Loader::compile_reverse(const Value& doc, FhirToV2Plan& plan) {
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

void Loader::compile_segments(const std::string& rule, const Value& list,
                              std::vector<SegmentRule>& out, bool top) {
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

void Loader::compile_fields(const std::string& rule, const Value& set, const std::string& seg,
                            std::vector<FieldRule>& out, std::vector<Written>* scope) {
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
void Loader::check_written_once(const std::string& rid, const std::string& f, const FieldRule& fr,
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

bool Loader::always_writes(const FieldRule& fr) {
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

}  // namespace fcpgw::mappings
