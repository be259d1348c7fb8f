#pragma once
// Shared, named pieces of mapping text (README "Shared pieces"): resource templates, segment
// templates and item families kept in shared files (`v2-to-fhir/shared/*.json`,
// `fhir-to-v2/shared/*.json`) and used by name (`{"use": "patient"}`). They are expanded
// into each mapping's JSON before the loader compiles it, so the compiled plan, and hence
// translation, is the same as with copies. RuleOrigins keeps where each expanded rule's text
// really is, so that load errors, traces and issue rule ids name the shared file and the use.

#include <rapidjson/document.h>

#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "mappings/engine.h"

namespace fcpgw::mappings {

/// Where the text of the rules of one expanded mapping file is. Keys are paths in the
/// expanded document (`resources[1]`, `segments[0].set[4]`); a rule id is resolved through its
/// longest recorded prefix.
class RuleOrigins {
 public:
  void add(std::string expanded, const std::string& file, std::string path, std::string via);
  /// {file, rule} for `rule`, a rule id of the expanded document of `file` (annotations such
  /// as ` (path "gender")` allowed anywhere): the shared file and its path, with the uses it
  /// came through (` (via v2-to-fhir/siu.json: resources[1])`); unchanged when not recorded.
  std::pair<std::string, std::string> locate(const std::string& file,
                                             const std::string& rule) const;

 private:
  struct Place {
    std::string file, path, via;
  };
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };
  /// The position of the ')' closing the annotation that starts at rule[i] (" (").
  static std::size_t annotation_end(const std::string& rule, std::size_t i);
  std::unordered_map<std::string, Place, Hash, std::equal_to<>> places_;
  std::unordered_set<std::string, Hash, std::equal_to<>> tops_;  ///< first steps of places_
};

/// A shared file: a JSON object with "pieces" (and no "mapping").
bool is_pieces_file(const rapidjson::Value& doc);

/// The pieces and shared named conditions of every shared file, and their expansion.
class Pieces {
 public:
  /// Reads the pieces of one shared file (`doc` must outlive this object).
  void add_file(const SourceFile& f, const rapidjson::Value& doc, std::vector<LoadError>& errors);
  /// Replaces `doc` (a mapping file) by its expansion: every use replaced by the piece's text
  /// and the shared conditions of its direction added to its "conditions".
  void expand(const SourceFile& f, rapidjson::Document& doc, RuleOrigins& origins,
              std::vector<LoadError>& errors);
  /// After every mapping is expanded: a piece or shared condition nothing uses is an error
  /// (checked only when every file could be read: a mapping that did not parse uses nothing).
  void check_used(std::vector<LoadError>& errors) const;

  enum class Kind { resource, segment, items };

 private:
  struct Piece {
    std::string name, file, direction, path;  // path: "pieces.<name>.<kind>"
    Kind kind;
    const rapidjson::Value* body;
    std::vector<std::string> params;
    bool used = false;
  };
  struct Condition {
    std::string name, file, direction;
    const rapidjson::Value* body;
  };
  std::vector<Piece> pieces_;
  std::vector<Condition> conditions_;
  std::vector<std::string> condition_refs_;  // names used by {"is": name} anywhere

  friend class Expansion;
};

/// Load errors reported more than once (a shared condition checked in every mapping of its
/// direction) are kept once, in first-seen order.
void drop_repeated_errors(std::vector<LoadError>& errors);

}  // namespace fcpgw::mappings
