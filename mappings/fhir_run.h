#pragma once
// Internal: the state of one FHIR -> v2 translation (fhir_to_v2.cc).

#include <rapidjson/document.h>

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "hl7v2/builder.h"
#include "mappings/plan.h"

namespace fcpgw::mappings {

struct FhirRun {
  explicit FhirRun(const Plan& p) : plan(p) {}
  const Plan& plan;
  const rapidjson::Value* input = nullptr;     ///< as given (resource or Bundle)
  const rapidjson::Value* bundle = nullptr;    ///< the Bundle, when the input is one
  const rapidjson::Value* focus = nullptr;     ///< the focal resource (Appointment)
  const rapidjson::Value* previous = nullptr;  ///< earlier version of the focal resource
  rapidjson::Value message_time;               ///< `%message-time` (Options), null when not given
  std::string_view focus_type;
  std::vector<Issue> issues;
  bool failed = false;
  std::string event;
  std::string control_id;
  std::map<std::uint32_t, std::uint32_t> next_rep;  // field -> last repetition written
  std::size_t writes = 0;
  std::map<std::string, std::uint32_t> set_ids;  // segment id -> segments written (`{$set-id}`)
  std::uint32_t set_id = 0;                      // of the segment being written
  std::string line;                              // `{$line}` inside an each over lines
  TraceSink* trace = nullptr;                    // Options::trace; null: no tracing
  std::string_view trace_segment;                // id of the segment being written

  const rapidjson::Value* resolve_reference(const rapidjson::Value& ref) const;
  void eval_steps(const std::vector<FhirStep>& steps, std::size_t i, const rapidjson::Value* v,
                  std::vector<const rapidjson::Value*>& out) const;
  std::vector<const rapidjson::Value*> eval(const FhirPath& p, const rapidjson::Value* root) const;
  /// The first non-empty scalar `p` gives, appended to `dst`; `at` (if given) receives it.
  bool text(const FhirPath& p, const rapidjson::Value* root, std::string& dst,
            const rapidjson::Value** at = nullptr) const;
  bool cond(const Condition& c, const rapidjson::Value* root);
  bool render(const Template& t, const rapidjson::Value* root, std::string& dst);
  /// `where` is the input value `v` came from (its element path names any issue), or null.
  bool scalar(Tf tf, std::string_view v, std::string& dst, const rapidjson::Value* where,
              const Producer* p, const rapidjson::Value* root, std::string_view rule);
  bool produce(const Producer& p, const rapidjson::Value* root, std::string& dst,
               std::string_view rule);
  /// An error at the element path of `where` (a value in the input; null: no location).
  void issue(std::string_view code, const rapidjson::Value* where, std::string_view message,
             std::string_view rule);
  /// Records an issue once: a second one with the same severity, location and message (several
  /// field rules reading one bad element) is dropped. An error fails the translation.
  void add_issue(Issue i);
  /// The items of an `each` (FHIR items), filtered by its `where`, only the first with `first`.
  std::vector<const rapidjson::Value*> items(const Each& e, const rapidjson::Value* root);
  /// Calls `f` once per line of `text` (LF or CRLF), with the line in `line` (`{$line}`).
  void for_each_line(std::string_view text, const std::function<void()>& f);
  /// Element path of a value inside the input, from its root
  /// (`Bundle.entry[2].resource.component[1]`; with `of_type`, in the validator's style
  /// `Bundle.entry[2].resource.ofType(Observation).component[1]`, which issues use). Empty when `v`
  /// is not in the input (e.g. `%message-time`).
  std::string locate(const rapidjson::Value* v, bool of_type = false) const;
  /// The mapping that takes `resource` (by type; one whose `when` holds beats one without).
  const Mapping* pick(const rapidjson::Value& resource);
  void checks(const std::vector<Reject>& list);
  void fields(hl7v2::MessageBuilder& b, const std::vector<FieldRule>& rules,
              const rapidjson::Value* root, std::uint32_t rep_field, std::uint32_t rep);
  std::string run(const FhirToV2Plan& plan);
  void segments(hl7v2::MessageBuilder& b, const std::vector<SegmentRule>& list,
                const rapidjson::Value* base);
  /// Reports a segment or field rule whose `when` did not hold (trace.cc); only when `trace`.
  void trace_skipped(std::string_view what, const Condition& c, const std::string& rule);
  /// Reports a field rule that ran and found no value (trace.cc); only when `trace`.
  void trace_unwritten(const FieldRule& r, const rapidjson::Value* root);
  /// Reports a field just written (trace.cc), called only when `trace` is set.
  void trace_field(const FieldRule& r, const rapidjson::Value* root, std::uint32_t field,
                   std::uint32_t rep, std::uint32_t component, std::uint32_t subcomponent);
};

}  // namespace fcpgw::mappings
