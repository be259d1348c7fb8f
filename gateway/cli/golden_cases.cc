#include "gateway/cli/golden_cases.h"

#include <algorithm>
#include <map>
#include <string_view>
#include <system_error>

#include "fhir/json.h"
#include "fhir/json_diff.h"
#include "fhir/primitives.h"
#include "fhir/validation.h"
#include "gateway/cli/input.h"
#include "gateway/cli/rule_index.h"
#include "hl7v2/diff.h"
#include "hl7v2/message.h"

namespace fcpgw::gateway {

namespace fs = std::filesystem;

namespace {

constexpr std::uintmax_t kMaxCaseFileBytes = 16u * 1024u * 1024u;

// ---- discovery --------------------------------------------------------------------------

struct Files {
  std::optional<fs::path> v2_input, fhir_input, expected_json, expected_hl7, expected_error,
      expected_warnings, previous, options;
};

struct Suffix {
  std::string_view text;
  std::optional<fs::path> Files::*slot;
};
// Longest first: ".expected.json" must win over ".json".
constexpr Suffix kSuffixes[] = {
    {".expected-warnings.json", &Files::expected_warnings},
    {".expected-error.json", &Files::expected_error},
    {".expected.json", &Files::expected_json},
    {".expected.hl7", &Files::expected_hl7},
    {".previous.json", &Files::previous},
    {".options.json", &Files::options},
    {".hl7", &Files::v2_input},
    {".json", &Files::fhir_input},
};

std::string leaf(const std::optional<fs::path>& p) { return p ? p->filename().string() : ""; }

GoldenCase make_case(const std::string& name, Files& f) {
  GoldenCase c;
  c.name = name;
  c.expected_error = f.expected_error;
  c.expected_warnings = f.expected_warnings;
  c.previous = f.previous;
  c.options = f.options;
  const std::string base = fs::path(name).filename().string();
  if (f.v2_input && f.fhir_input) {
    c.input = *f.v2_input;
    c.problem = "both " + leaf(f.v2_input) + " and " + leaf(f.fhir_input) +
                " exist: give the two cases different names";
    return c;
  }
  if (f.v2_input) {
    c.direction = GoldenCase::Direction::v2_to_fhir;
    c.input = *f.v2_input;
    c.expected = f.expected_json;
    if (f.expected_hl7)
      c.problem = leaf(f.expected_hl7) + " is the expected output of a FHIR input (" + base +
                  ".json); the expected output of " + leaf(f.v2_input) + " is " + base +
                  ".expected.json";
    else if (f.previous)
      c.problem = leaf(f.previous) + " applies to FHIR inputs only";
  } else if (f.fhir_input) {
    c.direction = GoldenCase::Direction::fhir_to_v2;
    c.input = *f.fhir_input;
    c.expected = f.expected_hl7;
    if (f.expected_json)
      c.problem = leaf(f.expected_json) + " is the expected output of a v2 input (" + base +
                  ".hl7); the expected output of " + leaf(f.fhir_input) + " is " + base +
                  ".expected.hl7";
  } else {
    const auto& any = f.expected_json    ? f.expected_json
                      : f.expected_hl7   ? f.expected_hl7
                      : f.expected_error ? f.expected_error
                      : f.previous       ? f.previous
                      : f.options        ? f.options
                                         : f.expected_warnings;
    c.input = any ? *any : fs::path(name);
    c.direction = f.expected_hl7 || f.previous ? GoldenCase::Direction::fhir_to_v2
                                               : GoldenCase::Direction::v2_to_fhir;
    c.problem = leaf(any) + " has no input: add " + base + ".hl7 (v2) or " + base + ".json (FHIR)";
    return c;
  }
  if (!c.problem.empty()) return c;
  if (c.expected && c.expected_error)
    c.problem = "both " + leaf(c.expected) + " and " + leaf(c.expected_error) +
                " exist: a case either translates or is rejected";
  else if (!c.expected && !c.expected_error)
    c.is_new = true;
  return c;
}

std::string expected_output_suffix(GoldenCase::Direction d) {
  return d == GoldenCase::Direction::v2_to_fhir ? ".expected.json" : ".expected.hl7";
}

// A folder's constants.json: an object of constant names and string values.
std::optional<std::string> read_constants_file(const fs::path& p, const std::string& shown,
                                               std::vector<GoldenCase::Constant>& out) {
  std::string text;
  if (auto why = read_bounded_file(p, kMaxCaseFileBytes, text)) return shown + ": " + *why;
  if (std::string_view(text).starts_with("\xEF\xBB\xBF")) text.erase(0, 3);
  auto d = fhir::parse(text);
  if (!d) return shown + ": " + d.error().message;
  for (auto m = d->root().MemberBegin(); m != d->root().MemberEnd(); ++m) {
    const std::string key(m->name.GetString(), m->name.GetStringLength());
    if (!m->value.IsString())
      return shown + ": \"" + key +
             "\": must be a string (a mapping constant's value, e.g. \"id-base\": "
             "\"https://fhir.example.nhs.uk/Id\")";
    out.push_back({key, std::string(m->value.GetString(), m->value.GetStringLength()), shown});
  }
  return std::nullopt;
}

// ---- reading case files -----------------------------------------------------------------

bool read_text(const fs::path& p, std::string& out, std::string& why) {
  if (auto problem = read_bounded_file(p, kMaxCaseFileBytes, out)) {
    why = p.filename().string() + ": " + *problem;
    return false;
  }
  if (std::string_view(out).starts_with("\xEF\xBB\xBF")) out.erase(0, 3);
  return true;
}

std::optional<fhir::Document> read_json(const fs::path& p, std::vector<std::string>& failures) {
  std::string text, why;
  if (!read_text(p, text, why)) {
    failures.push_back(why);
    return std::nullopt;
  }
  auto d = fhir::parse(text);
  if (!d) {
    failures.push_back(p.filename().string() + ": " + d.error().message);
    return std::nullopt;
  }
  return std::move(*d);
}

// An issue a case expects: every given member must match.
struct IssueSpec {
  std::optional<std::string> severity, location, code, message;
  std::string text() const {
    std::string s = severity.value_or("any severity");
    s += " at " + (location ? (location->empty() ? std::string("(message)") : *location)
                            : std::string("any location"));
    if (code) s += " [" + *code + "]";
    if (message) s += " with message containing \"" + *message + "\"";
    return s;
  }
  bool matches(const mappings::Issue& i) const {
    return (!severity || *severity == mappings::to_string(i.severity)) &&
           (!location || *location == i.location) && (!code || *code == i.code) &&
           (!message || i.message.find(*message) != std::string::npos);
  }
};

bool read_issue_specs(const fs::path& p, std::string_view default_severity,
                      std::vector<IssueSpec>& out, std::vector<std::string>& failures) {
  std::string text, why;
  if (!read_text(p, text, why)) {
    failures.push_back(why);
    return false;
  }
  rapidjson::Document d;
  d.Parse(text.data(), text.size());
  const std::string file = p.filename().string();
  if (d.HasParseError() || !d.IsArray()) {
    failures.push_back(
        file + ": must hold a JSON array of {\"severity\", \"location\", \"code\"} objects");
    return false;
  }
  bool ok = true;
  for (rapidjson::SizeType k = 0; k < d.Size(); ++k) {
    const auto& v = d[k];
    const std::string where = file + ": item " + std::to_string(k);
    if (!v.IsObject()) {
      failures.push_back(where + ": must be an object");
      ok = false;
      continue;
    }
    IssueSpec s;
    for (auto m = v.MemberBegin(); m != v.MemberEnd(); ++m) {
      const std::string_view key(m->name.GetString(), m->name.GetStringLength());
      std::optional<std::string>* slot = key == "severity"   ? &s.severity
                                         : key == "location" ? &s.location
                                         : key == "code"     ? &s.code
                                         : key == "message"  ? &s.message
                                                             : nullptr;
      if (!slot) {
        failures.push_back(where + ": unknown key '" + std::string(key) +
                           "' (expected severity, location, code, message)");
        ok = false;
        continue;
      }
      if (!m->value.IsString()) {
        failures.push_back(where + ": '" + std::string(key) + "' must be a string");
        ok = false;
        continue;
      }
      slot->emplace(m->value.GetString(), m->value.GetStringLength());
    }
    if (!s.severity) s.severity = std::string(default_severity);
    out.push_back(std::move(s));
  }
  return ok;
}

std::string issue_text(const mappings::Issue& i) {
  std::string s(mappings::to_string(i.severity));
  s += " at " + (i.location.empty() ? std::string("(message)") : i.location);
  if (!i.code.empty()) s += " [" + i.code + "]";
  s += ": " + i.message;
  if (!i.rule.empty()) s += " (rule " + i.rule + ")";
  return s;
}

// Every expected issue must be among `got`.
void check_issues(const std::vector<IssueSpec>& want, const std::vector<mappings::Issue>& got,
                  std::string_view what, std::vector<std::string>& failures) {
  bool missing = false;
  for (const auto& w : want) {
    if (std::any_of(got.begin(), got.end(), [&](const auto& i) { return w.matches(i); })) continue;
    failures.push_back("missing " + std::string(what) + ": " + w.text());
    missing = true;
  }
  if (!missing) return;
  if (got.empty()) failures.push_back("  the translation reported no issues");
  for (const auto& i : got) failures.push_back("  got " + issue_text(i));
}

// A successful translation reports exactly the warnings the case lists (none without a
// `.expected-warnings.json`): every listed one must be there, and no other.
void check_warnings(const std::vector<IssueSpec>& want, const std::vector<mappings::Issue>& got,
                    std::vector<std::string>& failures) {
  check_issues(want, got, "warning", failures);
  for (const auto& i : got) {
    if (i.severity != mappings::Severity::warning) continue;
    if (std::any_of(want.begin(), want.end(), [&](const auto& w) { return w.matches(i); }))
      continue;
    failures.push_back("unexpected " + issue_text(i) +
                       " (list the warnings a case must give in <name>.expected-warnings.json)");
  }
}

bool read_options(const GoldenCase& c, const GoldenRunOptions& run, mappings::Options& o,
                  std::vector<std::string>& failures) {
  o.message_time = run.message_time;
  if (!c.options) return true;
  auto d = read_json(*c.options, failures);
  if (!d) return false;
  const std::string file = c.options->filename().string();
  bool ok = true;
  for (auto m = d->root().MemberBegin(); m != d->root().MemberEnd(); ++m) {
    const std::string_view key(m->name.GetString(), m->name.GetStringLength());
    const std::string_view val =
        fhir::is_string(m->value)
            ? std::string_view(m->value.GetString(), m->value.GetStringLength())
            : std::string_view();
    if (key == "bundle" && (val == "message" || val == "transaction")) {
      o.bundle = val == "message" ? mappings::Options::Bundle::message
                                  : mappings::Options::Bundle::transaction;
    } else if ((key == "message-time" || key == "message_time") && fhir::valid_instant(val)) {
      o.message_time.assign(val);
    } else if (key == "bundle" || key == "message-time" || key == "message_time") {
      failures.push_back(file + ": '" + std::string(key) + "' must be " +
                         (key == "bundle"
                              ? "\"transaction\" or \"message\""
                              : "a FHIR instant such as \"2025-06-02T09:00:00+01:00\""));
      ok = false;
    } else {
      failures.push_back(file + ": unknown option '" + std::string(key) +
                         "' (known: bundle, message-time)");
      ok = false;
    }
  }
  return ok;
}

// What a case sets besides its input and expected output: the options it runs with, and the
// issues it lists (`.expected-error.json`, `.expected-warnings.json`).
struct Expectations {
  mappings::Options options;
  std::vector<IssueSpec> errors, warnings;
};

bool read_expectations(const GoldenCase& c, const GoldenRunOptions& run, Expectations& want,
                       std::vector<std::string>& failures) {
  if (!read_options(c, run, want.options, failures)) return false;
  if (c.expected_error && !read_issue_specs(*c.expected_error, "error", want.errors, failures))
    return false;
  if (c.expected_warnings &&
      !read_issue_specs(*c.expected_warnings, "warning", want.warnings, failures))
    return false;
  return true;
}

// The location of a difference in the output, when there is one (an element only in the
// expected file has none).
std::optional<std::string_view> output_location(const fhir::JsonDifference& d) {
  if (d.kind == fhir::JsonDifference::Kind::missing) return std::nullopt;
  return d.path;
}
std::optional<std::string_view> output_location(const hl7v2::Difference& d) {
  if (d.kind == hl7v2::Difference::Kind::missing || d.kind == hl7v2::Difference::Kind::order)
    return std::nullopt;
  return d.location;
}

// One line per difference (at most `max`), each ending with the rule that wrote the element;
// `trace` runs the translation again with a trace sink (only when there is a difference).
template <class Diff, class Trace>
void list_differences(const std::vector<Diff>& diffs, std::size_t max,
                      std::vector<std::string>& failures, Trace&& trace) {
  if (diffs.empty()) return;
  RuleIndex rules;
  trace(rules);
  for (std::size_t i = 0; i < diffs.size() && i < max; ++i) {
    std::string line = to_string(diffs[i]);
    if (auto at = output_location(diffs[i])) {
      const std::string rule = rules.rule_for(*at);
      if (!rule.empty()) line += "  (" + rule + ")";
    }
    failures.push_back(std::move(line));
  }
  if (diffs.size() > max)
    failures.push_back("... and " + std::to_string(diffs.size() - max) + " more difference" +
                       (diffs.size() - max == 1 ? "" : "s"));
}

// Texts of the PID segment's leaves long enough to identify a patient: no issue message may
// carry them (issues end up in logs and acknowledgements).
std::vector<std::string> patient_values(const hl7v2::Message& m) {
  std::vector<std::string> out;
  const hl7v2::Delimiters& d = m.delimiters();
  for (const auto& pid : m.all("PID")) {
    std::string leaf_text;
    const std::string_view raw = pid.raw();
    const std::size_t start = std::min(raw.size(), std::size_t{4});
    for (std::size_t i = start; i <= raw.size(); ++i) {
      const bool end = i == raw.size() || raw[i] == d.field || raw[i] == d.component ||
                       raw[i] == d.repetition || raw[i] == d.subcomponent;
      if (!end) {
        leaf_text.push_back(raw[i]);
        continue;
      }
      if (leaf_text.size() >= 5) out.push_back(hl7v2::unescape(leaf_text, d));
      leaf_text.clear();
    }
  }
  return out;
}

void check_no_patient_data(const hl7v2::Message& msg, const std::vector<mappings::Issue>& issues,
                           std::vector<std::string>& failures) {
  if (issues.empty()) return;
  for (const auto& v : patient_values(msg))
    for (const auto& i : issues)
      if (i.message.find(v) != std::string::npos)
        failures.push_back("an issue message carries patient data from PID: " + issue_text(i));
}

// What the case expects besides its inputs (see GoldenCase): compares the translation's
// result with them and says which expected files disagree.
void compare_outcome(const GoldenCase& c, GoldenResult& r, std::string_view what,
                     const Expectations& expect) {
  const GoldenActual& got = *r.actual;
  auto& failures = r.failures;
  if (c.is_new) {
    failures.push_back("no expected result: add " + c.base().filename().string() +
                       expected_output_suffix(c.direction) + " or " + c.base().filename().string() +
                       ".expected-error.json (mappings test --update writes it)");
    r.output_differs = r.warnings_differ = r.errors_differ = true;
    return;
  }
  if (c.expected_error) {
    if (!got.rejected) {
      failures.push_back("expected a rejection, but the " + std::string(what) + " translated");
      r.outcome_differs = true;
      return;
    }
    const std::size_t before = failures.size();
    check_issues(expect.errors, got.issues, "issue", failures);
    r.errors_differ = failures.size() != before;
    return;
  }
  if (got.rejected) {
    failures.push_back("the " + std::string(what) + " was rejected:");
    for (const auto& i : got.issues)
      if (i.severity == mappings::Severity::error) failures.push_back("  " + issue_text(i));
    r.outcome_differs = true;
    return;
  }
  const std::size_t before = failures.size();
  check_warnings(expect.warnings, got.issues, failures);
  r.warnings_differ = failures.size() != before;
}

// A failure no expected file explains.
void broken(GoldenResult& r, std::string line) {
  r.failures.push_back(std::move(line));
  r.broken = true;
}

void run_v2(const mappings::Engine& engine, const GoldenCase& c, const GoldenRunOptions& run,
            GoldenResult& r) {
  std::string text, why;
  if (!read_text(c.input, text, why)) return broken(r, why);
  hl7v2::Limits limits;
  limits.max_message_bytes = kMaxCaseFileBytes;
  auto msg = hl7v2::Message::parse(std::move(text), limits);
  if (!msg)
    return broken(r,
                  c.input.filename().string() + ": not an HL7 v2 message: " + msg.error().message);
  Expectations expect;
  std::vector<std::string> problems;
  if (!read_expectations(c, run, expect, problems)) {
    for (auto& p : problems) broken(r, std::move(p));
    return;
  }

  mappings::Translation t;
  const bool ok = engine.v2_to_fhir(*msg, t, expect.options);
  r.mapping = t.mapping;
  r.actual = GoldenActual{!ok, ok ? t.output : std::string(), t.issues};
  compare_outcome(c, r, "message", expect);
  std::vector<std::string> hard;
  check_no_patient_data(*msg, t.issues, hard);
  if (ok) {
    auto got = fhir::parse(t.output);
    if (!got) {
      hard.push_back("the output is not valid JSON: " + got.error().message);
    } else {
      if (c.expected && !r.outcome_differs) {
        std::vector<std::string> lines;
        if (auto want = read_json(*c.expected, lines)) {
          fhir::JsonDiffOptions o;
          o.max_differences = run.max_differences + 1;
          list_differences(fhir::json_diff(want->root(), got->root(), o), run.max_differences,
                           lines, [&](mappings::TraceSink& sink) {
                             mappings::Options traced = expect.options;
                             traced.trace = &sink;
                             mappings::Translation again;
                             engine.v2_to_fhir(*msg, again, traced);
                           });
          r.output_differs = !lines.empty();
          r.failures.insert(r.failures.end(), lines.begin(), lines.end());
        } else {
          for (auto& l : lines) hard.push_back(std::move(l));
        }
      }
      if (run.validate) {
        for (const auto& i : fhir::validate(got->root()))
          if (i.severity == fhir::Severity::error || i.severity == fhir::Severity::fatal)
            hard.push_back("the output fails validation: " +
                           (i.path.empty() ? std::string("(Bundle)") : i.path) + ": " + i.message);
      }
    }
  }
  mappings::Translation again;
  if (engine.v2_to_fhir(*msg, again, expect.options) != ok || again.output != t.output)
    hard.push_back("translating the same message twice gave different output");
  for (auto& h : hard) broken(r, std::move(h));
}

void run_fhir(const mappings::Engine& engine, const GoldenCase& c, const GoldenRunOptions& run,
              GoldenResult& r) {
  std::vector<std::string> problems;
  auto in = read_json(c.input, problems);
  std::optional<fhir::Document> prev;
  if (in && c.previous) prev = read_json(*c.previous, problems);
  Expectations expect;
  if (!in || (c.previous && !prev) || !read_expectations(c, run, expect, problems)) {
    for (auto& p : problems) broken(r, std::move(p));
    return;
  }
  const rapidjson::Value* previous = prev ? &prev->root() : nullptr;
  auto out = engine.fhir_to_v2(in->root(), previous, expect.options);
  if (out) r.mapping = out->mapping;
  r.actual = out ? GoldenActual{false, out->output, out->issues}
                 : GoldenActual{true, std::string(), out.error()};
  compare_outcome(c, r, "resource", expect);
  std::vector<std::string> hard;
  if (out) {
    auto got = hl7v2::Message::parse(out->output);
    if (!got) {
      hard.push_back("the output does not parse as HL7 v2: " + got.error().message);
    } else if (auto back = engine.v2_to_fhir(*got); !back) {
      // fcpgw must read back every message it writes: an output its own v2 side refuses is
      // broken, whatever the expected file says.
      hard.push_back("fcpgw refuses its own output when reading it back:");
      for (const auto& i : back.error()) hard.push_back("  " + issue_text(i));
    }
    if (got && c.expected && !r.outcome_differs) {
      std::string text, why;
      if (!read_text(*c.expected, text, why)) {
        hard.push_back(why);
      } else if (auto want = hl7v2::Message::parse(std::move(text)); !want) {
        hard.push_back(c.expected->filename().string() +
                       ": not an HL7 v2 message: " + want.error().message);
      } else {
        hl7v2::DiffOptions o;
        o.max_differences = run.max_differences + 1;
        std::vector<std::string> lines;
        list_differences(hl7v2::diff(*want, *got, o), run.max_differences, lines,
                         [&](mappings::TraceSink& sink) {
                           mappings::Options traced = expect.options;
                           traced.trace = &sink;
                           (void)engine.fhir_to_v2(in->root(), previous, traced);
                         });
        r.output_differs = !lines.empty();
        r.failures.insert(r.failures.end(), lines.begin(), lines.end());
      }
    }
  }
  auto again = engine.fhir_to_v2(in->root(), previous, expect.options);
  if (bool(again) != bool(out) || (again && again->output != out->output))
    hard.push_back("translating the same resource twice gave different output");
  for (auto& h : hard) broken(r, std::move(h));
}

}  // namespace

boost::system::result<std::vector<GoldenCase>, std::string> discover_golden_cases(
    const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    return "golden case directory '" + dir.string() + "' " +
           (fs::exists(dir, ec) ? "is not a directory" : "does not exist");
  std::map<std::string, Files> by_name;
  std::map<std::string, fs::path> constants_files;  // by folder relative to `dir` ("." = root)
  // The code tables of each folder (its `tables/*.json`), by folder as above.
  std::map<std::string, std::vector<fs::path>> table_files;
  fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec);
  if (ec) return "cannot list '" + dir.string() + "': " + ec.message();
  for (const fs::recursive_directory_iterator end; it != end; it.increment(ec)) {
    if (ec) return "cannot list '" + dir.string() + "': " + ec.message();
    const fs::path& p = it->path();
    const std::string file = p.filename().string();
    if (file.starts_with(".")) {
      if (it->is_directory(ec)) it.disable_recursion_pending();
      continue;
    }
    if (it->is_directory(ec) && file == kGoldenTablesFolder) {
      it.disable_recursion_pending();
      auto& tables = table_files[p.parent_path().lexically_relative(dir).generic_string()];
      for (const auto& t : fs::directory_iterator(p, ec))
        if (t.path().extension() == ".json" && !t.path().filename().string().starts_with(".") &&
            t.is_regular_file(ec))
          tables.push_back(t.path());
      continue;
    }
    if (!it->is_regular_file(ec)) continue;
    if (file == kGoldenConstantsFile) {
      constants_files[p.parent_path().lexically_relative(dir).generic_string()] = p;
      continue;
    }
    for (const auto& s : kSuffixes) {
      if (!file.ends_with(s.text) || file.size() == s.text.size()) continue;
      const std::string base = file.substr(0, file.size() - s.text.size());
      const std::string name = (p.parent_path() / base).lexically_relative(dir).generic_string();
      by_name[name].*s.slot = p;
      break;
    }
  }
  std::vector<GoldenCase> out;
  out.reserve(by_name.size());
  // Each folder's constants, read once; a bad file fails the cases it applies to.
  struct FolderConstants {
    std::vector<GoldenCase::Constant> values;
    std::string problem;
  };
  std::map<std::string, FolderConstants> folder_constants;
  for (const auto& [folder, path] : constants_files) {
    FolderConstants& fc = folder_constants[folder];
    const std::string shown =
        (fs::path(folder) / kGoldenConstantsFile).lexically_normal().generic_string();
    if (auto problem = read_constants_file(path, shown, fc.values)) fc.problem = *problem;
  }
  for (auto& [name, files] : by_name) {
    GoldenCase c = make_case(name, files);
    // From the root down to the case's own folder: the nearer folder wins.
    std::vector<std::string> folders{"."};
    fs::path walked;
    for (const auto& part : fs::path(name).parent_path()) {
      walked /= part;
      folders.push_back(walked.generic_string());
    }
    for (const std::string& folder : folders) {
      if (const auto t = table_files.find(folder); t != table_files.end())
        for (const fs::path& table : t->second) {
          auto same = std::find_if(c.tables.begin(), c.tables.end(), [&](const fs::path& x) {
            return x.filename() == table.filename();
          });
          if (same != c.tables.end())
            *same = table;
          else
            c.tables.push_back(table);
        }
      const auto found = folder_constants.find(folder);
      if (found == folder_constants.end()) continue;
      if (!found->second.problem.empty() && c.problem.empty()) c.problem = found->second.problem;
      for (const auto& kv : found->second.values) {
        auto same = std::find_if(c.constants.begin(), c.constants.end(),
                                 [&](const auto& x) { return x.name == kv.name; });
        if (same != c.constants.end())
          *same = kv;
        else
          c.constants.push_back(kv);
      }
    }
    std::sort(c.tables.begin(), c.tables.end(),
              [](const fs::path& a, const fs::path& b) { return a.filename() < b.filename(); });
    out.push_back(std::move(c));
  }
  return out;
}

fs::path GoldenCase::base() const {
  fs::path p = input;
  const std::string leaf = p.filename().string();
  for (const auto& s : kSuffixes)
    if (leaf.ends_with(s.text) && leaf.size() > s.text.size())
      return p.parent_path() / leaf.substr(0, leaf.size() - s.text.size());
  return p;
}

GoldenResult run_golden_case(const mappings::Engine& engine, const GoldenCase& c,
                             const GoldenRunOptions& options) {
  GoldenResult r;
  r.name = c.name;
  r.direction = c.direction == GoldenCase::Direction::v2_to_fhir ? "v2 -> FHIR" : "FHIR -> v2";
  if (!c.problem.empty()) {
    r.failures.push_back(c.problem);
    r.broken = true;
    return r;
  }
  if (c.direction == GoldenCase::Direction::v2_to_fhir)
    run_v2(engine, c, options, r);
  else
    run_fhir(engine, c, options, r);
  r.passed = r.failures.empty();
  return r;
}

}  // namespace fcpgw::gateway
