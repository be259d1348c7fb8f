#include "mappings/engine.h"

#include <stdexcept>

#include "hl7v2/message.h"
#include "mappings/fhir_run.h"
#include "mappings/plan.h"
#include "mappings/v2_run.h"

namespace fcpgw::mappings {

std::string to_string(const LoadError& e) {
  std::string s = e.file;
  if (!e.rule.empty()) s += ": " + e.rule;
  s += ": " + e.message;
  return s;
}

std::string_view to_string(Severity s) noexcept {
  switch (s) {
    case Severity::error:
      return "error";
    case Severity::warning:
      return "warning";
    case Severity::information:
      return "information";
  }
  return "error";
}

void throw_exception_from_error(const std::vector<LoadError>& e, const boost::source_location&) {
  throw std::runtime_error(e.empty() ? std::string("mapping load failed") : to_string(e.front()));
}

void throw_exception_from_error(const std::vector<Issue>& e, const boost::source_location&) {
  throw std::runtime_error(e.empty() ? std::string("translation failed")
                                     : e.front().location + ": " + e.front().message);
}

Engine::Engine(std::shared_ptr<const Plan> plan) : plan_(std::move(plan)) {}
Engine::~Engine() = default;

boost::system::result<Engine, std::vector<LoadError>> Engine::load(
    std::span<const SourceFile> files, const Constants& overrides) {
  auto plan = build_plan(files, overrides);
  if (!plan) return plan.error();
  return Engine(std::move(*plan));
}

std::span<const MappingInfo> Engine::mappings() const noexcept { return plan_->infos; }

std::string_view Engine::constant(std::string_view name) const noexcept {
  return plan_->constant(name);
}

namespace {

// Buffers kept per thread and lent to each V2Run, so that steady-state translation does not
// allocate.
struct V2Buffers {
  std::vector<std::uint32_t> keys, first;
  std::vector<Uuid> seen;
  std::vector<V2Run::CachedId> ids;
  std::string a, b, text, hole, hole2, render, join, sys, val, name, url, json, code;
  std::string out;  ///< storage of V2Run::out
};

void swap_buffers(V2Run& r, V2Buffers& s) {
  r.keys.swap(s.keys);
  r.first.swap(s.first);
  r.seen.swap(s.seen);
  r.ids.swap(s.ids);
  r.tmp_a.swap(s.a);
  r.tmp_b.swap(s.b);
  r.tmp_text.swap(s.text);
  r.tmp_hole.swap(s.hole);
  r.tmp_hole2.swap(s.hole2);
  r.tmp_render.swap(s.render);
  r.tmp_join.swap(s.join);
  r.tmp_sys.swap(s.sys);
  r.tmp_val.swap(s.val);
  r.tmp_name.swap(s.name);
  r.tmp_url.swap(s.url);
  r.tmp_json.swap(s.json);
  r.tmp_code.swap(s.code);
  r.out.swap_storage(s.out);
}

}  // namespace

bool Engine::v2_to_fhir(const hl7v2::Message& message, Translation& out) const {
  return v2_to_fhir(message, out, Options{});
}

bool Engine::v2_to_fhir(const hl7v2::Message& message, Translation& out,
                        const Options& options) const {
  out.output.clear();
  out.issues.clear();
  out.content_type = "fhir-json";
  out.message_type.assign(message.message_code());
  out.message_type.push_back('^');
  out.message_type.append(message.trigger_event());
  thread_local V2Buffers buffers;
  // Mappings for this MSH-9; one whose `when` holds on the message beats one without.
  const Mapping* m = nullptr;
  const Mapping* fallback = nullptr;
  for (const auto& mm : plan_->mappings) {
    if (!mm->v2_to_fhir) continue;
    bool accepts = false;
    for (const auto& a : mm->forward.accepts) {
      const auto caret = a.find('^');
      accepts = accepts || (caret != std::string::npos &&
                            iequals(std::string_view(a).substr(0, caret), message.message_code()) &&
                            iequals(std::string_view(a).substr(caret + 1), message.trigger_event()));
    }
    if (!accepts) continue;
    if (!mm->when) {
      if (!fallback) fallback = mm.get();
      continue;
    }
    V2Run probe(*plan_, *mm, message, out.output, out.issues);
    swap_buffers(probe, buffers);
    probe.prepare();
    const bool holds = probe.eval(*mm->when);
    swap_buffers(probe, buffers);
    if (holds) {
      m = mm.get();
      break;
    }
  }
  if (!m) m = fallback;
  if (!m) {
    out.mapping.clear();
    const bool known_code = [&] {
      for (const auto& mm : plan_->mappings)
        if (mm->v2_to_fhir)
          for (const auto& a : mm->forward.accepts)
            if (a.size() > message.message_code().size() &&
                std::string_view(a).substr(0, message.message_code().size()) ==
                    message.message_code() &&
                a[message.message_code().size()] == '^')
              return true;
      return false;
    }();
    out.issues.push_back(
        Issue{Severity::error,
              known_code ? "MSH-9[1].2" : "MSH-9[1].1",
              known_code ? "201" : "200",
              known_code ? "no mapping for this trigger event" : "no mapping for this message type",
              {}});
    return false;
  }
  out.mapping = m->info.name;
  V2Run run(*plan_, *m, message, out.output, out.issues);
  run.message_shape = options.bundle == Options::Bundle::message;
  run.trace = options.trace;
  swap_buffers(run, buffers);
  run.prepare();
  run.run();
  const bool ok = !run.failed;
  swap_buffers(run, buffers);
  if (!ok) out.output.clear();
  return ok;
}

boost::system::result<Translation, std::vector<Issue>> Engine::v2_to_fhir(
    const hl7v2::Message& message) const {
  return v2_to_fhir(message, Options{});
}

boost::system::result<Translation, std::vector<Issue>> Engine::v2_to_fhir(
    const hl7v2::Message& message, const Options& options) const {
  Translation t;
  if (!v2_to_fhir(message, t, options)) {
    std::vector<Issue> errors;
    for (auto& i : t.issues)
      if (i.severity == Severity::error) errors.push_back(std::move(i));
    return errors;
  }
  return t;
}

boost::system::result<Translation, std::vector<Issue>> Engine::fhir_to_v2(
    const rapidjson::Value& input, const rapidjson::Value* previous) const {
  return fhir_to_v2(input, previous, Options{});
}

boost::system::result<Translation, std::vector<Issue>> Engine::fhir_to_v2(
    const rapidjson::Value& input, const rapidjson::Value* previous, const Options& options) const {
  auto fail = [](std::string code, std::string where, std::string msg) {
    return std::vector<Issue>{
        Issue{Severity::error, std::move(where), std::move(code), std::move(msg), {}}};
  };
  if (!input.IsObject() || !input.HasMember("resourceType") || !input["resourceType"].IsString())
    return fail("structure", "", "input is not a FHIR resource (no resourceType)");
  FhirRun run(*plan_);
  run.input = &input;
  run.trace = options.trace;
  if (!options.message_time.empty())
    run.message_time.SetString(rapidjson::StringRef(options.message_time.data(),
                                                    options.message_time.size()));
  std::string_view type(input["resourceType"].GetString(), input["resourceType"].GetStringLength());
  const Mapping* m = nullptr;
  if (type == "Bundle") {
    run.bundle = &input;
    run.focus = &input;
    // A message Bundle names its focal resource: the first MessageHeader's focus.
    if (input.HasMember("entry") && input["entry"].IsArray())
      for (const auto& e : input["entry"].GetArray()) {
        if (!e.IsObject() || !e.HasMember("resource") || !e["resource"].IsObject()) continue;
        const auto& r = e["resource"];
        if (!r.HasMember("resourceType") || !r["resourceType"].IsString() ||
            std::string_view(r["resourceType"].GetString()) != "MessageHeader")
          continue;
        if (r.HasMember("focus") && r["focus"].IsArray() && !r["focus"].Empty())
          if (const auto* f = run.resolve_reference(r["focus"][0]))
            if (f->HasMember("resourceType") && (*f)["resourceType"].IsString())
              if (const Mapping* mm = run.pick(*f)) {
                m = mm;
                run.focus = f;
              }
        break;
      }
    if (!m && input.HasMember("entry") && input["entry"].IsArray())
      for (const auto& e : input["entry"].GetArray()) {
        if (!e.IsObject() || !e.HasMember("resource") || !e["resource"].IsObject()) continue;
        const auto& r = e["resource"];
        if (!r.HasMember("resourceType") || !r["resourceType"].IsString()) continue;
        if (const Mapping* mm = run.pick(r)) {
          m = mm;
          run.focus = &r;
          break;
        }
      }
    if (!m)
      return fail("not-supported", "Bundle.entry",
                  "the Bundle holds no resource that a mapping accepts");
  } else {
    m = run.pick(input);
    run.focus = &input;
    if (!m)
      return fail("not-supported", std::string(type),
                  "no mapping for resource type " + std::string(type));
  }
  run.focus_type = (*run.focus)["resourceType"].GetString();
  if (previous && previous->IsObject()) {
    // Accept the previous Appointment alone or inside a Bundle.
    run.previous = previous;
    if (previous->HasMember("resourceType") && (*previous)["resourceType"].IsString() &&
        std::string_view((*previous)["resourceType"].GetString()) == "Bundle") {
      run.previous = nullptr;
      if (previous->HasMember("entry") && (*previous)["entry"].IsArray())
        for (const auto& e : (*previous)["entry"].GetArray())
          if (e.IsObject() && e.HasMember("resource") && e["resource"].IsObject() &&
              e["resource"].HasMember("resourceType") && e["resource"]["resourceType"].IsString() &&
              std::string_view(e["resource"]["resourceType"].GetString()) == run.focus_type)
            run.previous = &e["resource"];
    }
  }
  Translation t;
  t.output = run.run(m->reverse);
  if (run.failed) return run.issues;
  t.content_type = "er7";
  t.mapping = m->info.name;
  t.message_type = m->reverse.message_code + "^" + run.event;
  t.issues = std::move(run.issues);
  return t;
}

}  // namespace fcpgw::mappings
