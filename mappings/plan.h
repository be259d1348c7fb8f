#pragma once
// Internal: the compiled form of mapping files (built by the loader, loader_impl.h) that the
// translators run.
// Everything here is built once at load time and never changes afterwards.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mappings/engine.h"
#include "mappings/transforms.h"

namespace fcpgw::mappings {

// ---- code tables ------------------------------------------------------------------------

/// One ConceptMap, flattened: source code -> target code (first target wins).
struct CodeTable {
  std::string id;   ///< ConceptMap.id (what mapping files name)
  std::string url;  ///< ConceptMap.url
  struct Entry {
    std::string source_system;  ///< group.source: empty matches a code of any system
    std::string code;
    std::string target_system;  ///< group.target
    std::string target;
    std::string display;
    /// target.dependsOn `MSH-4`: the entry holds only for this sending facility (MSH-4.1,
    /// ASCII case ignored); empty for every sender.
    std::string facility;
  };
  std::vector<Entry> entries;
  /// ASCII case-insensitive match on the source code (v2 senders vary the case of codes), for
  /// any source system. An entry for one sending facility matches only `facility`, and wins
  /// over an entry for every sender.
  const Entry* find(std::string_view code, std::string_view facility = {}) const noexcept;
  /// A coding as sent: the code as find() matches it, and the system (the URI the coding is
  /// written with; empty when it has none) equal to the group's source, or a group without a
  /// source. The most specific entry wins: one for this facility, then one for this system.
  const Entry* find_coding(std::string_view system, std::string_view code,
                           std::string_view facility) const noexcept;
  /// Reverse lookup: first entry whose target equals `target` (exact).
  const Entry* find_target(std::string_view target) const noexcept;
};

// ---- v2 side ----------------------------------------------------------------------------

/// A compiled v2 path. Segment occurrence and field repetition may be bound by an enclosing
/// `each`; otherwise the first occurrence / the given repetition is used.
struct V2Ref {
  std::uint32_t seg_key = 0;       ///< 3-character id packed (see pack_id)
  std::uint16_t slot = 0;          ///< index of the id in Plan::v2_segments
  std::uint16_t field = 0;         ///< >= 1 (MSH numbering: MSH-1 is the separator)
  std::uint16_t component = 0;     ///< 0 = whole repetition
  std::uint16_t subcomponent = 0;  ///< 0 = whole component
  std::uint32_t repetition = 1;
  bool repetition_given = false;
  /// Number of this (segment, field, repetition, component, subcomponent) among the distinct
  /// v2 paths of the plan (Plan::v2_path_count): the run keeps each one's value per message.
  std::uint16_t path = kNoPath;
  static constexpr std::uint16_t kNoPath = 0xFFFF;
  std::string text;  ///< as written, for messages
};

constexpr std::uint32_t pack_id(std::string_view id) noexcept {
  return id.size() < 3 ? 0
                       : (std::uint32_t(static_cast<unsigned char>(id[0])) << 16) |
                             (std::uint32_t(static_cast<unsigned char>(id[1])) << 8) |
                             std::uint32_t(static_cast<unsigned char>(id[2]));
}

// ---- FHIR side (reverse direction) ------------------------------------------------------

struct FhirStep {
  std::string name;                   ///< element name; empty for a resolve() step
  int index = -1;                     ///< [n]
  bool resolve = false;               ///< resolve(): follow the Reference held in the current value
  std::string resolve_type;           ///< resolve(Type): keep only targets of this type
  std::vector<FhirStep> filter_path;  ///< [sub.path=value], [sub.path!=value], [sub.path$=suffix]
  std::string filter_value;
  bool has_filter = false;
  enum class Filter : std::uint8_t { equals, not_equals, ends_with } filter = Filter::equals;
};
struct FhirPath {
  std::vector<FhirStep> steps;
  std::string text;
};

// ---- shared: sources, conditions, templates ---------------------------------------------

/// Where a scalar value comes from: a v2 path (v2 -> FHIR) or a FHIR path (FHIR -> v2).
struct Source {
  bool is_fhir = false;
  V2Ref v2;
  FhirPath fhir;
  std::string_view text() const noexcept { return is_fhir ? fhir.text : v2.text; }
};

enum class CondKind : std::uint8_t {
  present,
  absent,
  equals,
  in,
  valid,
  ends_with,  ///< FHIR -> v2: the text ends with values[0]
  all,
  any,
  not_,
  previous,
  changed,
  exists,  ///< some item of `over` (segments or FHIR items) satisfies children[0]
  later,   ///< source is later than `other` (+ months/days), both valid dates
  same,    ///< source and `other` are both present and equal (ASCII case and blanks ignored)
  mapped,  ///< the value (a code, or a whole CE/CWE: its codings) has an entry in `table`
  always
};
struct Each;
struct Condition {
  CondKind kind = CondKind::always;
  Source source;
  Source other;                     ///< later, same: the value compared against
  int months = 0, days = 0;         ///< later: added to `other` before comparing
  std::shared_ptr<Each> over;       ///< exists: what to iterate
  std::vector<std::string> values;  ///< equals/in values; valid: checker name; changed: paths
  std::vector<FhirPath> changed;
  std::vector<Condition> children;
  const CodeTable* table = nullptr;  ///< mapped
};

/// A text template: literal text with `{v2-path}`, `{fhir-path}` or `{$var}` holes (constants are
/// folded into the literal text at load time). A hole may name a scalar transform
/// (`{MSH-4.1|lower}`). The template is absent when any hole is empty.
struct TemplatePart {
  std::string literal;
  int source = -1;     ///< index into Template::sources, or -1 for pure literal
  int transform = -1;  ///< scalar transform id applied to the hole, or -1
  int var = -1;        ///< runtime variable (reverse direction: event, control id)
};
struct Template {
  std::vector<TemplatePart> parts;
  std::vector<Source> sources;
  bool constant() const noexcept { return sources.empty(); }
};

/// A named transform as the loader knows it (the catalogue, catalogue.cc).
struct TransformInfo {
  std::string_view name;
  Tf id;
  bool structure;  ///< writes a JSON object
  bool numeric;    ///< writes a JSON number / boolean (unquoted)
  bool v2_to_fhir;
  bool fhir_to_v2;
  std::vector<std::string_view> args;    ///< named arguments it needs
  std::vector<std::string_view> tables;  ///< code tables it needs (by id)
};
const std::vector<TransformInfo>& transform_catalogue();
const TransformInfo* find_transform(std::string_view name);
const TransformInfo& transform_info(Tf id);

/// A check of the `valid` condition (`{"valid": [path, "nhs-number"]}`).
struct ValidCheckInfo {
  std::string_view name;
  bool v2_to_fhir;  ///< available in v2 -> FHIR (DTM precision and CX read v2 values only)
  bool fhir_to_v2;  ///< available in FHIR -> v2
};
const std::vector<ValidCheckInfo>& valid_check_catalogue();

enum class EachKind : std::uint8_t { none, segments, segments_after, field_reps, fhir_items };
struct Each {
  EachKind kind = EachKind::none;
  /// Bind only the first item that passes `where` (a rule with it writes a single element).
  bool first = false;
  /// fhir_items: iterate over the lines of the text values instead (`{$line}`), base64-decoded
  /// first when `decode_base64`.
  bool lines = false;
  bool decode_base64 = false;
  std::uint16_t slot = 0;
  std::uint32_t seg_key = 0;
  std::uint32_t anchor_key = 0;  ///< segments_after
  std::vector<std::uint32_t> skip_keys;
  V2Ref field;  ///< field_reps: the field (repetitions iterated)
  /// segments: keep only the segments for which this holds (evaluated with the segment bound).
  std::shared_ptr<const Condition> where;
  FhirPath fhir;
  std::string text;
};

/// A value producer: `from` (first present source), optional transform / code table / else.
struct Producer {
  std::vector<Source> sources;
  Tf transform = Tf::none;
  std::vector<std::pair<std::string, Source>> args;
  const CodeTable* table = nullptr;
  bool reverse_table = false;  ///< look up target -> source (reverse direction)
  // else
  std::string else_literal;  ///< JSON fragment (v2->FHIR) or plain text (FHIR->v2)
  bool has_else_literal = false;
  std::vector<std::pair<std::string, std::string>> by_event;  ///< trigger -> JSON fragment/text
  std::unique_ptr<Producer> else_producer;
  // join over an each
  bool join = false;
  std::string join_separator;
};

// ---- v2 -> FHIR plan --------------------------------------------------------------------

/// `choose`: the children are the cases (each with its own `when`); the first that holds and
/// gives a value is written.
enum class NodeKind : std::uint8_t { object, array, literal, tmpl, produce, ref, choose };
struct Node {
  // Fields read on every visit first (a plan has hundreds of nodes, walked once per message);
  // the names kept for tracing and messages last.
  NodeKind kind = NodeKind::object;
  bool url_context = false;  ///< tmpl: percent-encode holes
  bool append = false;       ///< created by an `[+]` step (a fresh array item)
  int ref_target = -1;       ///< ref: index of the resource
  int index = -1;            ///< created by an `[n]` step
  /// The value is the same for every message (literals only, no conditions or iterations
  /// below): `constant` holds its JSON, written as is when not tracing.
  bool is_constant = false;
  /// Object members: this member and the `run_length - 1` after it are written unconditionally
  /// with constant values; `run` is their `,"a":..,"b":..` text (0: not such a member).
  std::uint32_t run_length = 0;
  std::unique_ptr<Condition> when;
  std::vector<Node> children;  ///< object members / array items
  std::string constant;
  std::string run;
  std::string key_frag;  ///< precomputed `,"member":` (the comma skipped for the first member)
  std::string literal;   ///< JSON fragment (literal)
  Template tmpl;         ///< tmpl (written as a JSON string)
  Producer producer;     ///< produce
  Each each;
  std::string member;  ///< JSON member name (object members), empty for array items
  std::string rule;    ///< rule id ("file: resources[0].set[3]")
};

struct Identity {
  std::unique_ptr<Condition> when;
  Each each;  ///< optional: first iteration whose when holds and value is present
  Template system;
  Template value;
  Tf transform = Tf::none;  ///< cx-identifier / xcn-identifier: system and value from `from`
  V2Ref from;
  std::string rule;
};

struct Reject {
  std::unique_ptr<Condition> when;
  Severity severity = Severity::error;  ///< checks may warn or inform without rejecting
  Each each;                            ///< optional: one check per item (segment / FHIR item)
  Source location_path;                 ///< when `location` is a path: resolved per item
  bool location_is_path = false;
  std::string code;
  std::string location;
  std::string message;
  std::string rule;
};

struct ResourcePlan {
  std::string key;
  std::string type;
  std::string rule;
  std::unique_ptr<Condition> when;
  Each each;  ///< one resource per iteration (segments)
  std::vector<Identity> identity;
  std::vector<Reject> rejects;
  Node body;              ///< object node: the resource's members (after resourceType)
  std::string head_frag;  ///< `{"resourceType":"X"` precomputed
  std::string type_frag;  ///< `X` for urls
  bool create = false;    ///< conditional create (POST + ifNoneExist) instead of update (PUT)
};

struct V2ToFhirPlan {
  std::vector<std::string> accepts;  ///< "SIU^S12"
  std::vector<ResourcePlan> resources;
  std::string bundle_type = "transaction";
  Node bundle_body;  ///< Bundle members from "bundle.set" (identifier, timestamp)
  std::vector<Reject> rejects;
  /// `bundle.message-header`: written first when the output is a FHIR message
  /// (Options::Bundle::message); the entries then carry no request.
  std::unique_ptr<ResourcePlan> message_header;
  bool entries_have_requests() const noexcept {
    return bundle_type == "transaction" || bundle_type == "batch";
  }
};

// ---- FHIR -> v2 plan --------------------------------------------------------------------

struct FieldRule {
  std::string rule;
  std::unique_ptr<Condition> when;
  V2Ref target;                 ///< segment id ignored; field/repetition/component/subcomponent
  bool new_repetition = false;  ///< `[+]`
  Each each;                    ///< fhir_items
  Template tmpl;                ///< value template (constant or with FHIR holes)
  bool has_tmpl = false;
  Producer producer;
  bool has_producer = false;
  std::vector<FieldRule> children;
};
struct SegmentRule {
  std::string rule;
  std::string id;
  std::unique_ptr<Condition> when;
  std::unique_ptr<FhirPath> context;  ///< root for the segment's rules
  Each each;                          ///< one segment per item
  std::vector<FieldRule> fields;
  /// Segments written right after each segment of this rule, with its item as their root
  /// (the NTEs of an OBX); their set ids restart at 1 under each.
  std::vector<SegmentRule> then;
};
struct EventRule {
  std::unique_ptr<Condition> when;
  std::string event;
  std::string rule;
};
struct FhirToV2Plan {
  std::vector<std::string> accepts;  ///< resource types
  std::string message_code = "SIU";
  std::string structure = "SIU_S12";
  std::vector<EventRule> events;
  std::vector<Reject> rejects;
  std::vector<SegmentRule> segments;
  FhirPath focus;  ///< how to find the focal resource in a Bundle (by resourceType)
};

struct Mapping {
  MappingInfo info;
  /// Selection by content: the mapping applies only when this holds (forward: on the v2
  /// message; reverse: on the focal resource). A mapping with a `when` that holds is preferred
  /// to one without for the same message type / resource type.
  std::unique_ptr<Condition> when;
  bool v2_to_fhir = true;
  V2ToFhirPlan forward;
  FhirToV2Plan reverse;
};

struct Plan {
  std::vector<std::unique_ptr<CodeTable>> tables;
  std::vector<std::unique_ptr<Mapping>> mappings;
  std::vector<MappingInfo> infos;
  std::vector<std::pair<std::string, std::string>> constants;
  std::vector<std::uint32_t> v2_segments;  ///< distinct segment ids referenced (slots)
  std::size_t v2_path_count = 0;           ///< distinct v2 paths (V2Ref::path)
  Uuid id_namespace{};
  bool default_london = true;
  /// Table `sender-timezone` (MSH-4.1 -> Europe/London | UTC), when loaded: a sending
  /// facility's own zone, over `default-timezone`.
  const CodeTable* sender_timezones = nullptr;
  std::string id_base;
  std::string codesystem_base;

  const CodeTable* table(std::string_view id) const noexcept;
  std::string_view constant(std::string_view name) const noexcept;
};

/// Builds the plan (loader.cc).
boost::system::result<std::shared_ptr<const Plan>, std::vector<LoadError>> build_plan(
    std::span<const SourceFile> files, const Constants& overrides);

}  // namespace fcpgw::mappings
