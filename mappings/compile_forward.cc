// Compiles a v2 -> FHIR mapping: resources, `set`, rules, `choose`, literal trees.

#include <algorithm>

#include "fhir/definitions.h"
#include "mappings/loader_impl.h"
#include "mappings/suggest.h"

namespace fcpgw::mappings {

void Loader::compile_forward(const Value& doc, V2ToFhirPlan& plan) {
  if (doc.HasMember("bundle")) {
    const Value& b = doc["bundle"];
    check_keys(b, "bundle", {"type", "set", "message-header", "comment"});
    if (b.HasMember("type") && b["type"].IsString()) plan.bundle_type = b["type"].GetString();
    if (plan.bundle_type != "transaction" && plan.bundle_type != "batch" &&
        plan.bundle_type != "document" && plan.bundle_type != "collection")
      error("bundle.type", "must be \"transaction\", \"batch\", \"document\" or \"collection\"");
  }
  if (!doc.HasMember("resources") || !doc["resources"].IsArray() || doc["resources"].Empty()) {
    error("resources", "a non-empty array of resources is required");
    return;
  }
  resource_keys_.clear();
  for (const auto& r : doc["resources"].GetArray())
    resource_keys_.push_back(
        r.IsObject() && r.HasMember("key") && r["key"].IsString() ? r["key"].GetString() : "");
  for (std::size_t i = 0; i < resource_keys_.size(); ++i)
    for (std::size_t j = 0; j < i; ++j)
      if (!resource_keys_[i].empty() && resource_keys_[i] == resource_keys_[j])
        error("resources[" + std::to_string(i) + "]",
              "duplicate resource key '" + resource_keys_[i] + "'");
  if (doc.HasMember("reject")) compile_rejects("reject", doc["reject"], plan.rejects);
  if (doc.HasMember("checks")) compile_rejects("checks", doc["checks"], plan.rejects);
  std::size_t i = 0;
  for (const auto& r : doc["resources"].GetArray()) {
    const std::string rule = "resources[" + std::to_string(i++) + "]";
    plan.resources.emplace_back();
    compile_resource(rule, r, plan.resources.back());
  }
  // Bundle-level members (identifier, timestamp: a document needs both, bdl-9/bdl-10).
  plan.bundle_body.kind = NodeKind::object;
  if (doc.HasMember("bundle") && doc["bundle"].HasMember("set"))
    compile_set("bundle.set", doc["bundle"]["set"], plan.bundle_body, "Bundle");
  for (const auto& c : plan.bundle_body.children)
    if (c.member == "type" || c.member == "entry")
      error("bundle.set", "Bundle." + c.member + " is written by the engine");
  // The MessageHeader of the FHIR message shape (Options::Bundle::message): the same
  // resources follow it, without requests.
  if (doc.HasMember("bundle") && doc["bundle"].HasMember("message-header")) {
    plan.message_header = std::make_unique<ResourcePlan>();
    compile_resource("bundle.message-header", doc["bundle"]["message-header"],
                     *plan.message_header);
    if (plan.message_header->type != "MessageHeader")
      error("bundle.message-header", "resourceType must be MessageHeader");
    if (plan.message_header->each.kind != EachKind::none)
      error("bundle.message-header", "a MessageHeader is written once (no \"each\")");
  }
  for (auto& rp : plan.resources) fold_constants(rp.body);
  fold_constants(plan.bundle_body);
  if (plan.message_header) fold_constants(plan.message_header->body);
}

// Precomputes the JSON of constant subtrees and of runs of constant object members
// (Node::is_constant, Node::run), so that a run writes them in one piece.
bool Loader::written_as_constant(const Node& c) {
  return !c.when && c.each.kind == EachKind::none && c.is_constant;
}

void Loader::fold_constants(Node& n) {
  for (auto& c : n.children) fold_constants(c);
  n.is_constant = false;
  n.constant.clear();
  switch (n.kind) {
    case NodeKind::literal:
      n.is_constant = true;
      n.constant = n.literal;
      break;
    case NodeKind::object:
    case NodeKind::array: {
      if (n.children.empty()) break;
      bool all = true;
      for (const auto& c : n.children) all = all && written_as_constant(c);
      if (!all) break;
      const bool object = n.kind == NodeKind::object;
      n.constant.push_back(object ? '{' : '[');
      for (std::size_t i = 0; i < n.children.size(); ++i) {
        const Node& c = n.children[i];
        if (object)
          n.constant.append(std::string_view(c.key_frag).substr(i == 0 ? 1 : 0));
        else if (i != 0)
          n.constant.push_back(',');
        n.constant.append(c.constant);
      }
      n.constant.push_back(object ? '}' : ']');
      n.is_constant = true;
      break;
    }
    default:
      break;
  }
  if (n.kind != NodeKind::object) return;
  for (std::size_t i = 0; i < n.children.size(); ++i) {
    Node& c = n.children[i];
    c.run_length = 0;
    c.run.clear();
    if (!written_as_constant(c)) continue;
    std::size_t j = i;
    for (; j < n.children.size() && written_as_constant(n.children[j]); ++j) {
      c.run.append(n.children[j].key_frag);
      c.run.append(n.children[j].constant);
    }
    c.run_length = static_cast<std::uint32_t>(j - i);
  }
}

void Loader::compile_rejects(const std::string& rule, const Value& v, std::vector<Reject>& out) {
  if (!v.IsArray()) {
    error(rule, "expected an array of {when, code, location, message}");
    return;
  }
  std::size_t i = 0;
  for (const auto& x : v.GetArray()) {
    const std::string r = rule + "[" + std::to_string(i++) + "]";
    check_keys(x, r, {"id", "when", "each", "severity", "code", "location", "message", "comment"});
    Reject rj;
    rj.rule = rule_id(r);
    if (x.HasMember("each") && !compile_each(r + ".each", x["each"], rj.each)) continue;
    if (x.HasMember("severity")) {
      const std::string_view sv =
          x["severity"].IsString() ? x["severity"].GetString() : std::string_view();
      if (sv == "error")
        rj.severity = Severity::error;
      else if (sv == "warning")
        rj.severity = Severity::warning;
      else if (sv == "information")
        rj.severity = Severity::information;
      else
        error(r, "severity: expected \"error\", \"warning\" or \"information\"");
    }
    rj.when = maybe_when(r, x);
    if (!rj.when) {
      error(r, "reject needs a \"when\" condition");
      continue;
    }
    rj.code = x.HasMember("code") && x["code"].IsString() ? x["code"].GetString() : "207";
    rj.location =
        x.HasMember("location") && x["location"].IsString() ? x["location"].GetString() : "";
    // With "each", a path location is resolved per item (`OBX[3]-5`, `Bundle.entry[2]...`).
    if (rj.each.kind != EachKind::none && !rj.location.empty() &&
        (reverse_ || is_v2_path_text(rj.location))) {
      rj.location_is_path = compile_source(r, rj.location, rj.location_path);
      if (!rj.location_is_path) continue;
    }
    rj.message = x.HasMember("message") && x["message"].IsString() ? x["message"].GetString() : "";
    if (rj.message.empty()) error(r, "reject needs a \"message\"");
    out.push_back(std::move(rj));
  }
}

void Loader::compile_resource(const std::string& rule, const Value& r, ResourcePlan& rp) {
  ++rules_;
  if (!r.IsObject()) {
    error(rule, "expected an object");
    return;
  }
  check_keys(r, rule,
             {"id", "key", "resourceType", "profile", "when", "each", "identity", "reject",
              "request", "set", "comment"});
  rp.rule = rule_id(rule);
  rp.key = r.HasMember("key") && r["key"].IsString() ? r["key"].GetString() : "";
  if (rp.key.empty()) error(rule, "resource needs a \"key\"");
  rp.type = r.HasMember("resourceType") && r["resourceType"].IsString()
                ? r["resourceType"].GetString()
                : "";
  if (!fhir::is_r4_resource_type(rp.type)) {
    error(rule, "unknown resourceType '" + rp.type + "'");
    return;
  }
  rp.head_frag = "{\"resourceType\":" + quoted(rp.type);
  rp.type_frag = rp.type;
  rp.when = maybe_when(rule, r);
  if (r.HasMember("request")) {
    const std::string_view rq = r["request"].IsString() ? r["request"].GetString() : "";
    if (rq == "create")
      rp.create = true;
    else if (rq != "update")
      error(rule + ".request",
            "expected \"update\" (conditional update, the default) or \"create\" "
            "(conditional create)");
  }
  if (r.HasMember("each")) {
    compile_each(rule + ".each", r["each"], rp.each);
    if (rp.each.kind != EachKind::segments && rp.each.kind != EachKind::none)
      error(rule + ".each", "a resource repeats over segments only (e.g. \"AIP\")");
  }
  if (r.HasMember("reject")) compile_rejects(rule + ".reject", r["reject"], rp.rejects);
  if (r.HasMember("identity")) {
    const Value& ids = r["identity"];
    if (!ids.IsArray()) {
      error(rule + ".identity", "expected an array of {system, value, when, each}");
    } else {
      std::size_t k = 0;
      for (const auto& x : ids.GetArray()) {
        const std::string ir = rule + ".identity[" + std::to_string(k++) + "]";
        check_keys(x, ir,
                   {"id", "system", "value", "from", "transform", "when", "each", "comment"});
        Identity id;
        id.rule = rule_id(ir);
        id.when = maybe_when(ir, x);
        if (x.HasMember("each")) compile_each(ir + ".each", x["each"], id.each);
        if (x.HasMember("from")) {
          const TransformInfo* t = x.HasMember("transform") && x["transform"].IsString()
                                       ? find_transform(x["transform"].GetString())
                                       : nullptr;
          if (!t || (t->id != Tf::cx_identifier && t->id != Tf::xcn_identifier)) {
            error(ir,
                  "identity with \"from\" needs \"transform\": \"cx-identifier\" or "
                  "\"xcn-identifier\"");
            continue;
          }
          if (!x["from"].IsString() || !compile_v2(ir, x["from"].GetString(), id.from)) continue;
          id.transform = t->id;
          rp.identity.push_back(std::move(id));
          continue;
        }
        if (!x.HasMember("system") || !x["system"].IsString() || !x.HasMember("value") ||
            !x["value"].IsString()) {
          error(ir, "identity needs \"system\" and \"value\" templates");
          continue;
        }
        compile_template(ir, x["system"].GetString(), id.system);
        compile_template(ir, x["value"].GetString(), id.value);
        if (id.value.constant()) error(ir, "identity value must contain a v2 path");
        rp.identity.push_back(std::move(id));
      }
    }
  }
  rp.body.kind = NodeKind::object;
  rp.body.rule = rp.rule;
  if (r.HasMember("profile")) {
    const Value& pr = r["profile"];
    if (!pr.IsString()) {
      error(rule + ".profile", "expected a canonical URL");
    } else {
      Node meta;
      meta.kind = NodeKind::object;
      meta.member = "meta";
      meta.key_frag = ",\"meta\":";
      meta.rule = rp.rule;
      Node prof;
      prof.kind = NodeKind::literal;
      prof.member = "profile";
      prof.key_frag = ",\"profile\":";
      prof.literal = "[" + quoted(pr.GetString()) + "]";
      prof.rule = rp.rule;
      meta.children.push_back(std::move(prof));
      rp.body.children.push_back(std::move(meta));
    }
  }
  if (r.HasMember("set")) compile_set(rule + ".set", r["set"], rp.body, rp.type);
}

// Rules of a "set" list into the object node `obj` whose FHIR type path is `type_path`.
void Loader::compile_set(const std::string& rule, const Value& set, Node& obj,
                         const std::string& type_path) {
  if (!set.IsArray()) {
    error(rule, "set: expected an array of rules");
    return;
  }
  std::size_t i = 0;
  for (const auto& x : set.GetArray())
    compile_rule(rule + "[" + std::to_string(i++) + "]", x, obj, type_path);
}

bool Loader::parse_out_path(const std::string& rule, std::string_view path,
                            std::vector<PathStep>& steps) {
  std::size_t i = 0;
  while (i < path.size()) {
    PathStep st;
    std::size_t j = i;
    while (j < path.size() && path[j] != '.' && path[j] != '[') ++j;
    st.name = std::string(path.substr(i, j - i));
    if (st.name.empty()) {
      error(rule, "bad path '" + std::string(path) + "'");
      return false;
    }
    if (j < path.size() && path[j] == '[') {
      const std::size_t close = path.find(']', j);
      if (close == std::string_view::npos) {
        error(rule, "bad path '" + std::string(path) + "': missing ']'");
        return false;
      }
      const std::string_view in = path.substr(j + 1, close - j - 1);
      if (in == "+") {
        st.append = true;
      } else {
        int v = 0;
        if (in.empty()) {
          error(rule, "bad path '" + std::string(path) + "': use [+] or [n]");
          return false;
        }
        for (char c : in) {
          if (c < '0' || c > '9') {
            error(rule, "bad path '" + std::string(path) + "': use [+] or [n]");
            return false;
          }
          v = v * 10 + (c - '0');
        }
        st.index = v;
      }
      j = close + 1;
    }
    steps.push_back(std::move(st));
    if (j < path.size()) {
      if (path[j] != '.') {
        error(rule, "bad path '" + std::string(path) + "'");
        return false;
      }
      ++j;
    }
    i = j;
  }
  return !steps.empty();
}

// Checks member `name` of FHIR type `type_path`; returns the member's type path ("" if unknown
// and reported). Arrays: sets `many`.
std::string Loader::member_type(const std::string& rule, const std::string& type_path,
                                const std::string& name, bool& many, bool& ok) {
  ok = true;
  many = false;
  if (type_path.empty()) return "";
  if (name.size() > 1 && name[0] == '_') {
    // `_birthDate`: the id and extensions of a primitive element (FHIR JSON format).
    const auto prim = fhir::find_element(type_path, std::string_view(name).substr(1));
    if (!prim || !is_primitive_type(prim->type)) {
      error(rule,
            "'" + name + "': '" + name.substr(1) + "' is not a primitive element of " + type_path);
      ok = false;
      return "";
    }
    many = prim->many;
    return "Element";
  }
  const auto info = fhir::find_element(type_path, name);
  if (!info) {
    error(rule, "unknown FHIR element '" + name + "' in " + type_path +
                    did_you_mean(name, fhir::element_names(type_path)));
    ok = false;
    return "";
  }
  many = info->many;
  std::string t(info->type);
  if (t == "BackboneElement" || t == "Element") t = type_path + "." + name;
  return t;
}

bool Loader::is_primitive_type(std::string_view t) {
  return !t.empty() && t[0] >= 'a' && t[0] <= 'z';
}

Node* Loader::find_member(Node& obj, const std::string& name) {
  for (auto& c : obj.children)
    if (c.member == name) return &c;
  return nullptr;
}

void Loader::compile_rule(const std::string& rule, const Value& x, Node& obj,
                          const std::string& type_path) {
  ++rules_;
  if (!x.IsObject()) {
    error(rule, "a rule must be an object");
    return;
  }
  check_keys(x, rule,
             {"id", "path", "value", "from", "transform", "args", "map", "else", "join", "each",
              "when", "set", "ref", "choose", "comment"});
  if (!x.HasMember("path") || !x["path"].IsString()) {
    error(rule, "rule needs a \"path\"");
    return;
  }
  const std::string path = x["path"].GetString();
  const std::string rid = rule + " (path \"" + path + "\")";
  std::vector<PathStep> steps;
  if (!parse_out_path(rid, path, steps)) return;
  if (rule_kinds(x) + (x.HasMember("choose") ? 1 : 0) != 1) {
    error(rid, "a rule has exactly one of \"value\", \"from\", \"set\", \"ref\", \"choose\"");
    return;
  }
  check_from_keys(rid, x);
  const bool has_each = x.HasMember("each");
  const bool has_join = x.HasMember("join");
  const bool each_first = has_each && x["each"].IsObject() && x["each"].HasMember("first") &&
                          x["each"]["first"].IsTrue();
  if (has_each && !has_join && !each_first && !steps.back().append) {
    error(rid,
          "a rule with \"each\" must end its path with [+] (or join the values with \"join\")");
    return;
  }
  // Walk/create the containers.
  Node* cur = &obj;
  std::string tp = type_path;
  for (std::size_t s = 0; s < steps.size(); ++s) {
    const PathStep& st = steps[s];
    const bool last = s + 1 == steps.size();
    bool many = false;
    bool ok = true;
    const std::string mt = member_type(rid, tp, st.name, many, ok);
    if (!ok) return;
    if (!tp.empty() && (st.append || st.index >= 0) && !many) {
      error(rid, "'" + st.name + "' is not an array in " + tp + " (drop the [..])");
      return;
    }
    if (!tp.empty() && many && !st.append && st.index < 0) {
      error(rid, "'" + st.name + "' is an array in " + tp + ": write " + st.name + "[+] or " +
                     st.name + "[0]");
      return;
    }
    if (!last && is_primitive_type(mt)) {
      error(rid, "'" + st.name + "' is a primitive (" + mt + ") and has no children");
      return;
    }
    // container member
    Node* member = find_member(*cur, st.name);
    const bool is_array = st.append || st.index >= 0;
    if (!member || (!is_array && last)) {
      if (member && !is_array && last) {
        error(rid, "element '" + st.name + "' is set twice");
        return;
      }
      cur->children.emplace_back();
      member = &cur->children.back();
      member->member = st.name;
      member->key_frag = "," + quoted(st.name) + ":";
      member->kind = is_array ? NodeKind::array : NodeKind::object;
      member->rule = rule_id(rid);
    } else if ((member->kind == NodeKind::array) != is_array) {
      error(rid, "element '" + st.name + "' used both as array and single value");
      return;
    }
    if (is_array) {
      Node* item = nullptr;
      if (st.index >= 0) {
        for (auto& c : member->children)
          if (c.index == st.index) item = &c;
        if (item && last) {
          error(rid, "element '" + st.name + "[" + std::to_string(st.index) + "]' is set twice");
          return;
        }
      }
      if (!item) {
        member->children.emplace_back();
        item = &member->children.back();
        item->kind = NodeKind::object;
        item->append = st.append;
        item->index = st.index;
        item->rule = rule_id(rid);
      }
      cur = item;
    } else {
      cur = member;
    }
    tp = mt;
  }
  // `cur` is the node the rule fills.
  Node& n = *cur;
  n.rule = rule_id(rid);
  n.when = maybe_when(rid, x);
  if (has_each && !compile_each(rid, x["each"], n.each)) return;
  if (x.HasMember("choose")) {
    compile_choose(rule, rid, x, n, tp, has_each);
    return;
  }
  compile_body(rule, rid, path, x, n, tp, has_each);
}

// `transform`, `args`, `map`, `else` and `join` act on the value `from` reads: on a rule
// without it they would be ignored.
void Loader::check_from_keys(const std::string& rid, const Value& x) {
  if (x.HasMember("from")) return;
  for (const char* k : {"transform", "args", "map", "map-reverse", "else", "join"})
    if (x.HasMember(k))
      error(rid, "'" + std::string(k) +
                     "' acts on the value of \"from\", which this rule does not have");
}

int Loader::rule_kinds(const Value& x) {
  return (x.HasMember("value") ? 1 : 0) + (x.HasMember("from") ? 1 : 0) +
         (x.HasMember("set") ? 1 : 0) + (x.HasMember("ref") ? 1 : 0);
}

// `choose`: a list of cases for one element, each with an optional `when` and one of
// value/from/set/ref; the first case whose `when` holds and that gives a value is written.
void Loader::compile_choose(const std::string& rule, const std::string& rid, const Value& x,
                            Node& n, const std::string& tp, bool has_each) {
  const Value& cases = x["choose"];
  if (!cases.IsArray() || cases.Empty()) {
    error(rid, "choose: expected a non-empty array of cases ({when, value | from | set | ref})");
    return;
  }
  if (x.HasMember("join")) error(rid, "choose: \"join\" is not supported; join inside a case");
  n.kind = NodeKind::choose;
  for (rapidjson::SizeType i = 0; i < cases.Size(); ++i) {
    const std::string crule = rule + ".choose[" + std::to_string(i) + "]";
    const Value& c = cases[i];
    if (!c.IsObject()) {
      error(crule, "a case must be an object");
      continue;
    }
    check_keys(c, crule,
               {"id", "value", "from", "transform", "args", "map", "else", "when", "set", "ref",
                "comment"});
    if (rule_kinds(c) != 1) {
      error(crule, "a case has exactly one of \"value\", \"from\", \"set\", \"ref\"");
      continue;
    }
    check_from_keys(crule, c);
    // A literal without `when` always applies: the cases after it could never be reached.
    const bool always =
        !c.HasMember("when") && c.HasMember("value") && !c["value"].IsObject() &&
        !c["value"].IsArray() &&
        !(c["value"].IsString() &&
          std::string_view(c["value"].GetString()).find('{') != std::string_view::npos);
    if (always && i + 1 != cases.Size())
      error(crule,
            "a literal case without \"when\" must be the last (the cases after it could never "
            "apply)");
    n.children.emplace_back();
    Node& cn = n.children.back();
    const std::string cid = rid + ".choose[" + std::to_string(i) + "]";
    cn.rule = rule_id(cid);
    cn.when = maybe_when(cid, c);
    compile_body(crule, cid, x["path"].GetString(), c, cn, tp, has_each);
  }
}

// The value part of a rule (or of a case of `choose`): set, ref, value or from.
void Loader::compile_body(const std::string& rule, const std::string& rid, const std::string& path,
                          const Value& x, Node& n, const std::string& tp, bool has_each) {
  if (x.HasMember("set")) {
    if (is_primitive_type(tp)) {
      error(rid, "\"set\" on a primitive element (" + tp + ")");
      return;
    }
    n.kind = NodeKind::object;
    compile_set(rule + ".set", x["set"], n, tp);
    return;
  }
  if (x.HasMember("ref")) {
    if (!x["ref"].IsString()) {
      error(rid, "ref: expected a resource key");
      return;
    }
    const std::string key = x["ref"].GetString();
    const auto it = std::find(resource_keys_.begin(), resource_keys_.end(), key);
    if (it == resource_keys_.end()) {
      error(rid, "ref: no resource with key '" + key + "'" + did_you_mean(key, resource_keys_));
      return;
    }
    if (!tp.empty() && tp != "Reference") {
      error(rid, "ref: '" + path + "' is " + tp + ", not a Reference");
      return;
    }
    n.kind = NodeKind::ref;
    n.ref_target = static_cast<int>(it - resource_keys_.begin());
    return;
  }
  if (x.HasMember("value")) {
    const Value& v = x["value"];
    if (!check_value_shape(rid, path, v, tp)) return;
    if (v.IsString()) {
      n.kind = NodeKind::tmpl;
      compile_template(rid, v.GetString(), n.tmpl);
      if (n.tmpl.constant()) {
        n.kind = NodeKind::literal;
        n.literal = quoted(n.tmpl.parts.empty() ? "" : n.tmpl.parts[0].literal);
      }
    } else if (v.IsObject() || v.IsArray()) {
      // Object/array literal: strings inside are templates.
      compile_literal_tree(rid, v, n, tp);
    } else {
      n.kind = NodeKind::literal;
      n.literal = json_text(v);
    }
    if (has_each && n.kind == NodeKind::literal && !n.each.text.empty()) {
      // a literal repeated per item is allowed (e.g. one coding per segment)
    }
    return;
  }
  // from
  n.kind = NodeKind::produce;
  if (!compile_producer(rid, x, n.producer, has_each)) return;
  if (n.producer.join && !has_each) error(rid, "join needs \"each\"");
  if (n.producer.transform != Tf::none && transform_info(n.producer.transform).structure &&
      is_primitive_type(tp))
    error(rid, "transform '" + std::string(transform_info(n.producer.transform).name) +
                   "' builds an object but '" + path + "' is a " + tp);
  if (is_complex_type(tp) &&
      (n.producer.transform == Tf::none || !transform_info(n.producer.transform).structure))
    error(rid, "'" + path + "' is a " + tp + ": a value read with \"from\" is text" +
                   (n.producer.transform == Tf::none
                        ? ""
                        : " (transform '" + std::string(transform_info(n.producer.transform).name) +
                              "' gives text)") +
                   "; write its elements (\"set\") or use a transform that builds one");
}

// A complex element (CodeableConcept, Period, Reference ...) holds an object, a primitive
// one a JSON scalar: the FHIR JSON a literal would write is otherwise invalid.
bool Loader::is_complex_type(const std::string& tp) {
  return !tp.empty() && !is_primitive_type(tp) && tp != "Resource";
}

bool Loader::check_value_shape(const std::string& rid, const std::string& path, const Value& v,
                               const std::string& tp) {
  if (is_complex_type(tp) && !v.IsObject() && !v.IsArray()) {
    error(rid, "'" + path + "' is a " + tp + ", not text or a number: write its elements (\"" +
                   path + "\" with \"set\", or an object value)");
    return false;
  }
  if (is_primitive_type(tp) && v.IsObject()) {
    error(rid, "'" + path + "' is a " + tp + ": an object cannot be written there");
    return false;
  }
  return true;
}

void Loader::compile_literal_tree(const std::string& rid, const Value& v, Node& n,
                                  const std::string& tp) {
  if (v.IsObject()) {
    n.kind = NodeKind::object;
    for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) {
      const std::string name = it->name.GetString();
      bool many = false;
      bool ok = true;
      const std::string mt = member_type(rid, tp, name, many, ok);
      if (!ok) continue;
      Node c;
      c.member = name;
      c.key_frag = "," + quoted(name) + ":";
      c.rule = n.rule;
      if (many && !it->value.IsArray() && !tp.empty()) {
        error(rid, "'" + name + "' is an array in " + tp);
        continue;
      }
      if (!it->value.IsArray() && !check_value_shape(rid, name, it->value, mt)) continue;
      compile_literal_tree(rid, it->value, c, mt);
      n.children.push_back(std::move(c));
    }
  } else if (v.IsArray()) {
    n.kind = NodeKind::array;
    for (const auto& e : v.GetArray()) {
      if (!check_value_shape(rid, n.member, e, tp)) continue;
      Node c;
      c.rule = n.rule;
      compile_literal_tree(rid, e, c, tp);
      n.children.push_back(std::move(c));
    }
  } else if (v.IsString()) {
    n.kind = NodeKind::tmpl;
    compile_template(rid, v.GetString(), n.tmpl);
    if (n.tmpl.constant()) {
      n.kind = NodeKind::literal;
      n.literal = quoted(n.tmpl.parts.empty() ? "" : n.tmpl.parts[0].literal);
    }
  } else {
    n.kind = NodeKind::literal;
    n.literal = json_text(v);
  }
}

}  // namespace fcpgw::mappings
