#include "gateway/cli/golden_cases.h"

#include <algorithm>
#include <map>
#include <string_view>
#include <system_error>

#include "fhir/json.h"
#include "fhir/json_diff.h"
#include "fhir/validation.h"
#include "gateway/cli/input.h"
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
    c.problem =
        "no expected result: add " + base +
        (c.direction == GoldenCase::Direction::v2_to_fhir ? ".expected.json" : ".expected.hl7") +
        " or " + base + ".expected-error.json";
  return c;
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
    } else if ((key == "message-time" || key == "message_time") && !val.empty()) {
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

template <class Diff>
void list_differences(const std::vector<Diff>& diffs, std::size_t max,
                      std::vector<std::string>& failures) {
  for (std::size_t i = 0; i < diffs.size() && i < max; ++i) failures.push_back(to_string(diffs[i]));
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

void run_v2(const mappings::Engine& engine, const GoldenCase& c, const GoldenRunOptions& run,
            GoldenResult& r) {
  auto& failures = r.failures;
  std::string text, why;
  if (!read_text(c.input, text, why)) {
    failures.push_back(why);
    return;
  }
  hl7v2::Limits limits;
  limits.max_message_bytes = kMaxCaseFileBytes;
  auto msg = hl7v2::Message::parse(std::move(text), limits);
  if (!msg) {
    failures.push_back(c.input.filename().string() +
                       ": not an HL7 v2 message: " + msg.error().message);
    return;
  }
  Expectations expect;
  if (!read_expectations(c, run, expect, failures)) return;

  mappings::Translation t;
  const bool ok = engine.v2_to_fhir(*msg, t, expect.options);
  r.mapping = t.mapping;
  if (c.expected_error) {
    if (ok) {
      failures.push_back("expected a rejection, but the message translated");
      return;
    }
    check_issues(expect.errors, t.issues, "issue", failures);
    check_no_patient_data(*msg, t.issues, failures);
    return;
  }
  if (!ok) {
    failures.push_back("the message was rejected:");
    for (const auto& i : t.issues)
      if (i.severity == mappings::Severity::error) failures.push_back("  " + issue_text(i));
    return;
  }
  check_warnings(expect.warnings, t.issues, failures);
  check_no_patient_data(*msg, t.issues, failures);
  auto got = fhir::parse(t.output);
  if (!got) {
    failures.push_back("the output is not valid JSON: " + got.error().message);
    return;
  }
  if (auto want = read_json(*c.expected, failures)) {
    fhir::JsonDiffOptions o;
    o.max_differences = run.max_differences + 1;
    list_differences(fhir::json_diff(want->root(), got->root(), o), run.max_differences, failures);
  }
  if (run.validate) {
    for (const auto& i : fhir::validate(got->root()))
      if (i.severity == fhir::Severity::error || i.severity == fhir::Severity::fatal)
        failures.push_back("the output fails validation: " +
                           (i.path.empty() ? std::string("(Bundle)") : i.path) + ": " + i.message);
  }
  mappings::Translation again;
  if (!engine.v2_to_fhir(*msg, again, expect.options) || again.output != t.output)
    failures.push_back("translating the same message twice gave different output");
}

void run_fhir(const mappings::Engine& engine, const GoldenCase& c, const GoldenRunOptions& run,
              GoldenResult& r) {
  auto& failures = r.failures;
  auto in = read_json(c.input, failures);
  if (!in) return;
  std::optional<fhir::Document> prev;
  if (c.previous) {
    prev = read_json(*c.previous, failures);
    if (!prev) return;
  }
  Expectations expect;
  if (!read_expectations(c, run, expect, failures)) return;
  const rapidjson::Value* previous = prev ? &prev->root() : nullptr;
  auto out = engine.fhir_to_v2(in->root(), previous, expect.options);
  if (out) r.mapping = out->mapping;
  if (c.expected_error) {
    if (out) {
      failures.push_back("expected a rejection, but the resource translated");
      return;
    }
    check_issues(expect.errors, out.error(), "issue", failures);
    return;
  }
  if (!out) {
    failures.push_back("the resource was rejected:");
    for (const auto& i : out.error()) failures.push_back("  " + issue_text(i));
    return;
  }
  check_warnings(expect.warnings, out->issues, failures);
  auto got = hl7v2::Message::parse(out->output);
  if (!got) {
    failures.push_back("the output does not parse as HL7 v2: " + got.error().message);
    return;
  }
  // fcpgw must read back every message it writes: an output its own v2 side refuses is a
  // failure, whatever the expected file says.
  if (auto back = engine.v2_to_fhir(*got); !back) {
    failures.push_back("fcpgw refuses its own output when reading it back:");
    for (const auto& i : back.error()) failures.push_back("  " + issue_text(i));
  }
  std::string text, why;
  if (!read_text(*c.expected, text, why)) {
    failures.push_back(why);
  } else if (auto want = hl7v2::Message::parse(std::move(text)); !want) {
    failures.push_back(c.expected->filename().string() +
                       ": not an HL7 v2 message: " + want.error().message);
  } else {
    hl7v2::DiffOptions o;
    o.max_differences = run.max_differences + 1;
    list_differences(hl7v2::diff(*want, *got, o), run.max_differences, failures);
  }
  auto again = engine.fhir_to_v2(in->root(), previous, expect.options);
  if (!again || again->output != out->output)
    failures.push_back("translating the same resource twice gave different output");
}

}  // namespace

boost::system::result<std::vector<GoldenCase>, std::string> discover_golden_cases(
    const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    return "golden case directory '" + dir.string() + "' " +
           (fs::exists(dir, ec) ? "is not a directory" : "does not exist");
  std::map<std::string, Files> by_name;
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
    if (!it->is_regular_file(ec)) continue;
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
  for (auto& [name, files] : by_name) out.push_back(make_case(name, files));
  return out;
}

GoldenResult run_golden_case(const mappings::Engine& engine, const GoldenCase& c,
                             const GoldenRunOptions& options) {
  GoldenResult r;
  r.name = c.name;
  r.direction = c.direction == GoldenCase::Direction::v2_to_fhir ? "v2 -> FHIR" : "FHIR -> v2";
  if (!c.problem.empty()) {
    r.failures.push_back(c.problem);
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
