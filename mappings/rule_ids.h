#pragma once
// Internal: the ids that mapping and shared files give their rules (`"id":
// "appointment-status"`), so that load errors, traces, issue rule ids and golden-case
// differences name a rule by a name that stays the same when rules are inserted before it,
// rather than by its place (`resources[0].set[3]`), which changes.

#include <rapidjson/document.h>

#include <map>
#include <string>
#include <vector>

#include "mappings/engine.h"

namespace fcpgw::mappings {

class RuleIds {
 public:
  /// Reads the ids of the rules of one mapping or shared file, as written (before shared pieces
  /// are expanded): resources, segments, rules of any `set`, `add`, `then`, `choose`,
  /// `identity`, `reject`, `checks` and `event`, item families and piece blocks. An id is
  /// letters, digits, '-' and '_', unique in its file; anything else is reported.
  void add_file(const SourceFile& f, const rapidjson::Value& doc, std::vector<LoadError>& errors);

  /// `where`, a rule's place in `file` as RuleOrigins::locate gives it (`resources[0].set[3]
  /// (path "status")`, with a ` (via file: place)` of the uses it came through), with the
  /// longest start of each place that has an id written `#id`: `#appointment-status (path
  /// "status")`, `#participants.set[1] (path "actor")`.
  std::string name(const std::string& file, const std::string& where) const;

 private:
  std::string name_one(const std::string& file, const std::string& where) const;
  void scan(const std::string& file, const rapidjson::Value& v, const std::string& path, bool rule,
            std::vector<LoadError>& errors);
  std::map<std::string, std::map<std::string, std::string, std::less<>>, std::less<>>
      ids_;  // file -> place -> id
};

}  // namespace fcpgw::mappings
