#pragma once
// Internal: the loader that checks mapping files and code tables and compiles them into a Plan
// (build_plan, loader.cc). One class, its member functions defined by concern:
//   loader.cc             the driver: files, constants, passes, errors, hints, build_plan
//   code_tables.cc        ConceptMap code tables (and CodeTable lookups)
//   compile_paths.cc      v2 paths, FHIR paths, templates
//   compile_conditions.cc conditions and `each`
//   compile_producers.cc  producers (`from`, transforms, `else`) and literals
//   compile_forward.cc    v2 -> FHIR: resources, `set`, rules, `choose`, literal trees
//   compile_reverse.cc    FHIR -> v2: segments, fields, written-once checks
// The transform and valid-check catalogues are in catalogue.cc.

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mappings/pieces.h"
#include "mappings/plan.h"
#include "mappings/rule_ids.h"

namespace fcpgw::mappings {

using rapidjson::Value;

inline std::string json_text(const Value& v) {
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  v.Accept(w);
  return std::string(sb.GetString(), sb.GetSize());
}

inline std::string quoted(std::string_view s) {
  std::string out = "\"";
  append_json_escaped(out, s);
  out += '"';
  return out;
}

inline bool is_v2_path_text(std::string_view s) {
  return s.size() >= 5 && s[0] >= 'A' && s[0] <= 'Z' &&
         ((s[1] >= 'A' && s[1] <= 'Z') || (s[1] >= '0' && s[1] <= '9')) &&
         ((s[2] >= 'A' && s[2] <= 'Z') || (s[2] >= '0' && s[2] <= '9')) &&
         (s[3] == '-' || s[3] == '[');
}

inline bool is_segment_id(std::string_view s) {
  return s.size() == 3 && s[0] >= 'A' && s[0] <= 'Z' &&
         ((s[1] >= 'A' && s[1] <= 'Z') || (s[1] >= '0' && s[1] <= '9')) &&
         ((s[2] >= 'A' && s[2] <= 'Z') || (s[2] >= '0' && s[2] <= '9'));
}

// `scheme:rest` (RFC 3986): a letter, then letters, digits, '+', '-', '.', a ':' and something
// after it, with no blanks or control characters anywhere.
inline bool is_absolute_uri(std::string_view s) {
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
  void error(const std::string& rule, std::string message);
  /// How traces and issues name a rule: its file and its id or place (RuleIds::name).
  std::string rule_id(const std::string& rule) const;
  void set_rule_ids(const RuleIds* ids) { ids_ = ids; }
  /// The file that declares constant `name` first, or null for the engine's own.
  const std::string* constant_file(std::string_view name) const;
  /// Where the rules of the next mapping really are, when it uses shared pieces (pieces.h).
  void set_origins(const RuleOrigins* origins) { origins_ = origins; }

  // -- pass 1: code tables --
  void load_table(const SourceFile& f, const Value& doc);
  bool table_depends_on(const std::string& tpath, const Value& tg, CodeTable::Entry& en);
  void check_concept_map_keys(const Value& doc);

  // -- constants --
  void collect_constants(const SourceFile& f, const Value& doc);

  // -- pass 2: mappings --
  void load_mapping(const SourceFile& f, const Value& doc);

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
                  std::initializer_list<std::string_view> allowed);

  // -- v2 paths --
  std::uint16_t slot_of(std::uint32_t key);
  bool check_segment(const std::string& rule, std::string_view id, const std::string& what);
  bool compile_v2(const std::string& rule, std::string_view text, V2Ref& out);

  // The number of a distinct v2 path (V2Ref::path); kNoPath once there are too many.
  struct PathKey {
    std::uint32_t seg_key, repetition;
    std::uint16_t field, component, subcomponent;
    bool repetition_given;
    bool operator==(const PathKey&) const = default;
  };
  std::vector<PathKey> paths_;
  std::uint16_t path_of(const V2Ref& r);

  // -- FHIR paths (reverse direction sources) --
  bool compile_fhir(const std::string& rule, std::string_view text, FhirPath& out);
  bool compile_source(const std::string& rule, std::string_view text, Source& out);

  // -- templates: "text {PATH} {const.name} {PATH|transform}" --
  bool compile_template(const std::string& rule, std::string_view text, Template& out);

  // -- "did you mean" hints, constants --
  std::string constant_hint(std::string_view name) const;
  std::string table_hint(std::string_view id) const;
  std::string transform_hint(std::string_view name) const;
  bool plan_has_constant(std::string_view name) const;

  // -- conditions --
  bool compile_named_condition(const std::string& rule, const Value& a, Condition& out);
  bool compile_condition(const std::string& rule, const Value& v, Condition& out);
  std::unique_ptr<Condition> maybe_when(const std::string& rule, const Value& v);

  // -- each --
  bool compile_each(const std::string& rule, const Value& v, Each& out);
  bool compile_each_filter(const std::string& rule, const Value& v, Each& out);

  // -- producers --
  bool compile_producer(const std::string& rule, const Value& v, Producer& p, bool allow_join);
  bool fold_constant_holes(const std::string& rule, std::string& text);
  std::string literal_fragment(const Value& v);

  // ---- forward (v2 -> FHIR) ----

  void compile_forward(const Value& doc, V2ToFhirPlan& plan);
  static bool written_as_constant(const Node& c);
  static void fold_constants(Node& n);
  void compile_rejects(const std::string& rule, const Value& v, std::vector<Reject>& out);
  void compile_resource(const std::string& rule, const Value& r, ResourcePlan& rp);
  void compile_set(const std::string& rule, const Value& set, Node& obj,
                   const std::string& type_path);

  struct PathStep {
    std::string name;
    bool append = false;
    int index = -1;
  };

  bool parse_out_path(const std::string& rule, std::string_view path, std::vector<PathStep>& steps);
  std::string member_type(const std::string& rule, const std::string& type_path,
                          const std::string& name, bool& many, bool& ok);
  static bool is_primitive_type(std::string_view t);
  Node* find_member(Node& obj, const std::string& name);
  void compile_rule(const std::string& rule, const Value& x, Node& obj,
                    const std::string& type_path);
  void check_from_keys(const std::string& rid, const Value& x);
  static int rule_kinds(const Value& x);
  void compile_choose(const std::string& rule, const std::string& rid, const Value& x, Node& n,
                      const std::string& tp, bool has_each);
  void compile_body(const std::string& rule, const std::string& rid, const std::string& path,
                    const Value& x, Node& n, const std::string& tp, bool has_each);

  static bool is_complex_type(const std::string& tp);
  bool check_value_shape(const std::string& rid, const std::string& path, const Value& v,
                         const std::string& tp);
  void compile_literal_tree(const std::string& rid, const Value& v, Node& n, const std::string& tp);

  // ---- reverse (FHIR -> v2) ----

  void compile_reverse(const Value& doc, FhirToV2Plan& plan);
  void compile_segments(const std::string& rule, const Value& list, std::vector<SegmentRule>& out,
                        bool top);

  // A v2 location written by a field rule, for finding two rules that write the same one.
  struct Written {
    std::uint16_t field, component, subcomponent;
    std::uint32_t repetition;
    std::string rule;
  };

  void compile_fields(const std::string& rule, const Value& set, const std::string& seg,
                      std::vector<FieldRule>& out, std::vector<Written>* scope = nullptr);
  void check_written_once(const std::string& rid, const std::string& f, const FieldRule& fr,
                          bool has_when, std::vector<Written>& scope);
  static bool always_writes(const FieldRule& fr);
};

}  // namespace fcpgw::mappings
