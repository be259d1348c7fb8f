// Compiles v2 paths, FHIR paths and templates.

#include <algorithm>

#include "fhir/definitions.h"
#include "hl7v2/path.h"
#include "mappings/loader_impl.h"
#include "mappings/suggest.h"
#include "mappings/v2_segments.h"

namespace fcpgw::mappings {

std::uint16_t Loader::slot_of(std::uint32_t key) {
  for (std::size_t i = 0; i < plan_.v2_segments.size(); ++i)
    if (plan_.v2_segments[i] == key) return static_cast<std::uint16_t>(i);
  plan_.v2_segments.push_back(key);
  return static_cast<std::uint16_t>(plan_.v2_segments.size() - 1);
}

bool Loader::check_segment(const std::string& rule, std::string_view id, const std::string& what) {
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

bool Loader::compile_v2(const std::string& rule, std::string_view text, V2Ref& out) {
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

std::uint16_t Loader::path_of(const V2Ref& r) {
  const PathKey k{r.seg_key,   r.repetition,   r.field,
                  r.component, r.subcomponent, r.repetition_given};
  for (std::size_t i = 0; i < paths_.size(); ++i)
    if (paths_[i] == k) return static_cast<std::uint16_t>(i);
  if (paths_.size() >= V2Ref::kNoPath) return V2Ref::kNoPath;
  paths_.push_back(k);
  plan_.v2_path_count = paths_.size();
  return static_cast<std::uint16_t>(paths_.size() - 1);
}

bool Loader::compile_fhir(const std::string& rule, std::string_view text, FhirPath& out) {
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
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
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

bool Loader::compile_source(const std::string& rule, std::string_view text, Source& out) {
  out.is_fhir = reverse_;
  if (reverse_) return compile_fhir(rule, text, out.fhir);
  return compile_v2(rule, text, out.v2);
}

bool Loader::compile_template(const std::string& rule, std::string_view text, Template& out) {
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
      const bool is_path = !is_var && (reverse_ ? !plan_has_constant(hole) : is_v2_path_text(hole));
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
          error(rule, "unknown transform '" + std::string(tf_name) + "'" + transform_hint(tf_name));
          return false;
        }
        if (t->structure || !t->args.empty() || !(reverse_ ? t->fhir_to_v2 : t->v2_to_fhir)) {
          error(rule, "transform '" + std::string(tf_name) + "' cannot be used inside a template");
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

}  // namespace fcpgw::mappings
