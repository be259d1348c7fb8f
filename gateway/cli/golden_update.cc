#include "gateway/cli/golden_update.h"

#include <algorithm>
#include <optional>
#include <string_view>
#include <system_error>

#include "fhir/json.h"
#include "gateway/common/files.h"

namespace fcpgw::gateway {

namespace fs = std::filesystem;

namespace {

constexpr std::uintmax_t kMaxExpectedFileBytes = 16u * 1024u * 1024u;

std::string json_string(std::string_view s) {
  const rapidjson::Value v(rapidjson::StringRef(s.data(), s.size()));
  auto text = fhir::to_json(v);
  return text ? *text : std::string("\"\"");
}

// ER7 from the engine (segments end in CR) with the line ends of `existing` (an expected file
// already there), else LF: readable in an editor and in a diff.
std::string er7_text(std::string_view output, const std::optional<fs::path>& existing) {
  std::string_view eol = "\n";
  if (existing) {
    std::string old;
    if (!read_bounded_file(*existing, kMaxExpectedFileBytes, old)) {
      if (old.find("\r\n") != std::string::npos)
        eol = "\r\n";
      else if (old.find('\r') != std::string::npos)
        eol = "\r";
    }
  }
  std::string out;
  out.reserve(output.size() + 16);
  for (char ch : output) {
    if (ch == '\r')
      out.append(eol);
    else
      out.push_back(ch);
  }
  if (out.empty() || (out.back() != '\n' && out.back() != '\r')) out.append(eol);
  return out;
}

std::optional<std::string> fhir_text(std::string_view output) {
  auto doc = fhir::parse(output);
  if (!doc) return std::nullopt;
  auto text = fhir::to_json(doc->root(), fhir::Format::pretty);
  if (!text) return std::nullopt;
  return *text + "\n";
}

class Writer {
 public:
  explicit Writer(GoldenUpdate& u) : u_(u) {}

  void write(const fs::path& target, std::string_view text) {
    if (!u_.problem.empty()) return;
    const fs::path temp = target.parent_path() / ("." + target.filename().string() + ".tmp");
    if (auto why = write_file_atomically(target, text, temp)) {
      u_.problem = target.string() + ": " + *why;
      return;
    }
    u_.written.push_back(target);
  }

  void remove(const std::optional<fs::path>& target) {
    if (!target || !u_.problem.empty()) return;
    std::error_code ec;
    if (!fs::remove(*target, ec) && ec) {
      u_.problem = target->string() + ": cannot remove: " + ec.message();
      return;
    }
    u_.removed.push_back(*target);
  }

 private:
  GoldenUpdate& u_;
};

}  // namespace

std::string expected_issues_text(const std::vector<mappings::Issue>& issues,
                                 mappings::Severity severity) {
  std::string out = "[";
  bool first = true;
  for (const mappings::Issue& i : issues) {
    if (i.severity != severity) continue;
    out += first ? "\n  " : ",\n  ";
    first = false;
    out += "{\"severity\": " + json_string(mappings::to_string(i.severity)) +
           ", \"location\": " + json_string(i.location) + ", \"code\": " + json_string(i.code) +
           "}";
  }
  out += first ? "]\n" : "\n]\n";
  return out;
}

GoldenUpdate write_golden_expectations(const GoldenCase& c, const GoldenResult& r) {
  GoldenUpdate u;
  if (r.passed) return u;
  if (r.broken || !r.actual) {
    u.problem = "not updated: the case fails for a reason its expected files do not decide";
    return u;
  }
  const GoldenActual& got = *r.actual;
  const fs::path base = c.base();
  const std::string stem = base.string();
  Writer w(u);
  const bool changed_outcome = c.is_new || r.outcome_differs;
  if (got.rejected) {
    if (changed_outcome || r.errors_differ)
      w.write(c.expected_error.value_or(fs::path(stem + ".expected-error.json")),
              expected_issues_text(got.issues, mappings::Severity::error));
    w.remove(c.expected);
    w.remove(c.expected_warnings);
    return u;
  }
  if (changed_outcome || r.output_differs) {
    if (c.direction == GoldenCase::Direction::v2_to_fhir) {
      auto text = fhir_text(got.output);
      if (!text) {
        u.problem = "not updated: the output is not printable as JSON";
        return u;
      }
      w.write(c.expected.value_or(fs::path(stem + ".expected.json")), *text);
    } else {
      w.write(c.expected.value_or(fs::path(stem + ".expected.hl7")),
              er7_text(got.output, c.expected));
    }
  }
  const bool warns = std::any_of(got.issues.begin(), got.issues.end(), [](const auto& i) {
    return i.severity == mappings::Severity::warning;
  });
  if (warns && (changed_outcome || r.warnings_differ))
    w.write(c.expected_warnings.value_or(fs::path(stem + ".expected-warnings.json")),
            expected_issues_text(got.issues, mappings::Severity::warning));
  else if (!warns && r.warnings_differ)
    w.remove(c.expected_warnings);
  w.remove(c.expected_error);
  return u;
}

}  // namespace fcpgw::gateway
