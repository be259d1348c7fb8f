#include "gateway/cli/cli.h"

#include <rapidjson/document.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <new>
#include <optional>
#include <string>
#include <vector>

#include "fhir/json.h"
#include "fhir/validation.h"
#include "gateway/cli/golden_cases.h"
#include "gateway/cli/input.h"
#include "gateway/config/config.h"
#include "gateway/service/mapping_files.h"
#include "hl7v2/message.h"
#include "mappings/engine.h"

namespace fcpgw::gateway {

namespace {

constexpr std::size_t kChunk = 64 * 1024;

int code(Exit e) { return static_cast<int>(e); }

// ---------------------------------------------------------------------------------------------
// Options

struct Options {
  std::vector<std::string> files;
  std::string to;  // "", "fhir" or "v2"
  std::optional<std::string> mappings;
  std::optional<std::string> previous;
  std::string bundle;  // "", "transaction" or "message"
  bool pretty = false;
  bool ndjson = false;
  bool lf = false;
  bool quiet = false;
  bool trace = false;
  std::optional<std::string> config_file;  // --config
  // The configuration in force: the file given with --config, else the built-in defaults
  // (the same as config/default.json). Explicit flags win over it.
  Config config = Config::defaults();
  std::size_t max_input = 0;  // --max-input-bytes, else limits.input.max_bytes
  // mappings test
  std::optional<std::string> golden_dir;
  std::string filter;
  bool verbose = false;
};

// ---------------------------------------------------------------------------------------------
// Reporting (never with data from the input: positions, ids of segments and rules only)

class Reporter {
 public:
  explicit Reporter(std::ostream& err) : err_(err) {}
  void error(std::string_view where, std::string_view what) {
    err_ << "fcpgw: " << where << ": " << what << '\n';
  }
  void line(std::string_view text) { err_ << "fcpgw: " << text << '\n'; }
  std::ostream& stream() { return err_; }

 private:
  std::ostream& err_;
};

std::string message_label(const std::string& file, const RawMessage& m) {
  std::string s = file + ": message " + std::to_string(m.index);
  if (m.framed) {
    s += " (MLLP frame " + std::to_string(m.index) + ")";
  } else {
    s += " (byte " + std::to_string(m.offset) + ")";
  }
  return s;
}

std::string_view v2_error_code(hl7v2::ParseErrc e) {
  switch (e) {
    case hl7v2::ParseErrc::missing_required_field:
      return "101";
    case hl7v2::ParseErrc::bad_delimiters:
      return "102";
    case hl7v2::ParseErrc::too_many_segments:
    case hl7v2::ParseErrc::too_many_fields:
    case hl7v2::ParseErrc::too_many_repetitions:
      return "198";
    case hl7v2::ParseErrc::too_large:
      return "199";
    case hl7v2::ParseErrc::empty:
    case hl7v2::ParseErrc::not_msh:
    case hl7v2::ParseErrc::bad_segment_id:
      break;
  }
  return "100";
}

// "PID-3 (segment 4, byte 812)" / "segment 2 (byte 40)" / "byte 0".
std::string v2_location(const hl7v2::ParseError& e, const RawMessage& m) {
  std::string loc;
  const std::string id = printable(e.segment_id, 8);
  const std::uint64_t byte = (m.framed ? 0 : m.offset) + e.byte_offset;
  const std::string byte_text =
      (m.framed ? "byte " + std::to_string(e.byte_offset) + " of the frame"
                : "byte " + std::to_string(byte));
  if (e.segment_index > 0) {
    if (e.field > 0 && !id.empty()) {
      loc = id + "-" + std::to_string(e.field);
      if (e.repetition > 0) loc += "[" + std::to_string(e.repetition) + "]";
      if (e.component > 0) loc += "." + std::to_string(e.component);
      loc += " (segment " + std::to_string(e.segment_index) + ", " + byte_text + ")";
    } else {
      loc = "segment " + std::to_string(e.segment_index);
      if (!id.empty()) loc += " '" + id + "'";
      loc += " (" + byte_text + ")";
    }
  } else {
    loc = byte_text;
  }
  return loc;
}

void report_engine_issues(Reporter& rep, const std::string& where,
                          const std::vector<mappings::Issue>& issues, bool warnings) {
  for (const mappings::Issue& i : issues) {
    if (i.severity != mappings::Severity::error && !warnings) continue;
    std::string text = std::string(mappings::to_string(i.severity)) + ": ";
    text += i.location.empty() ? std::string("(message)") : i.location;
    text += ": " + i.message;
    if (!i.code.empty()) text += " [" + i.code + "]";
    if (!i.rule.empty()) text += " (rule " + i.rule + ")";
    rep.error(where, text);
  }
}

// ---------------------------------------------------------------------------------------------
// Inputs

struct OpenedInput {
  InputFile file;
  std::string head;  // bytes read so far
  Detection det;
  bool eof = false;
};

// Opens `path` and reads until its format is known. Reports problems and returns nullopt.
std::optional<OpenedInput> open_input(const std::string& path, std::size_t max, Reporter& rep) {
  ReadError re;
  auto file = InputFile::open(path, re);
  if (!file) {
    rep.error(path == "-" ? "<stdin>" : path, re.message);
    return std::nullopt;
  }
  OpenedInput in{std::move(*file), {}, {}, false};
  for (;;) {
    in.det = detect_format(in.head, in.eof);
    if (!in.det.need_more) break;
    if (in.head.size() > max) {
      rep.error(in.file.name(), "no content in the first " + std::to_string(max) +
                                    " bytes (limit --max-input-bytes)");
      return std::nullopt;
    }
    auto n = in.file.read(in.head, kChunk, re);
    if (!n) {
      rep.error(in.file.name(), re.message);
      return std::nullopt;
    }
    if (*n == 0) in.eof = true;
  }
  switch (in.det.format) {
    case InputFormat::empty:
      rep.error(in.file.name(), "empty input (no message or resource)");
      return std::nullopt;
    case InputFormat::unknown:
      rep.error(in.file.name(),
                "byte " + std::to_string(in.det.offset) + ": unrecognised input starting with " +
                    describe_byte(static_cast<unsigned char>(in.head[in.det.offset])) +
                    "; expected an HL7 v2 message (MSH...), MLLP frames (0x0B) or a FHIR JSON "
                    "object ('{')");
      return std::nullopt;
    default:
      break;
  }
  return in;
}

// Reads the rest of a single-document input (JSON) into in.head, up to `max` bytes.
bool read_whole(OpenedInput& in, std::size_t max, Reporter& rep) {
  ReadError re;
  while (!in.eof) {
    if (in.head.size() > max) break;
    auto n = in.file.read(in.head, std::min(kChunk, max + 1 - std::min(max, in.head.size())), re);
    if (!n) {
      rep.error(in.file.name(), re.message);
      return false;
    }
    if (*n == 0) in.eof = true;
  }
  if (in.head.size() > max) {
    rep.error(in.file.name(), "input larger than the limit of " + std::to_string(max) +
                                  " bytes (--max-input-bytes)");
    return false;
  }
  return true;
}

// Calls on_message(RawMessage&) for each message of a v2 input, one at a time.
template <class F>
bool for_each_v2_message(OpenedInput& in, std::size_t max, Reporter& rep, F&& on_message) {
  MessageSplitter splitter(in.det.format == InputFormat::mllp, max);
  RawMessage m;
  auto drain = [&] {
    while (splitter.next(m)) on_message(m);
  };
  splitter.feed(in.head);
  std::string().swap(in.head);
  drain();
  std::string chunk;
  chunk.reserve(kChunk);
  ReadError re;
  while (!in.eof) {
    chunk.clear();
    auto n = in.file.read(chunk, kChunk, re);
    if (!n) {
      rep.error(in.file.name(), re.message);
      return false;
    }
    if (*n == 0) {
      in.eof = true;
      break;
    }
    splitter.feed(chunk);
    drain();
  }
  splitter.finish();
  drain();
  return true;
}

// JSON text without a leading UTF-8 BOM (RFC 8259 lets a parser ignore one; RapidJSON does not).
std::string_view json_text(const std::string& bytes) {
  std::string_view v(bytes);
  if (v.starts_with("\xEF\xBB\xBF")) v.remove_prefix(3);
  return v;
}

bool is_v2(InputFormat f) { return f == InputFormat::er7 || f == InputFormat::mllp; }

// ---------------------------------------------------------------------------------------------
// Mapping engine

// A load error caused by a constant the configuration overrides, as a configuration error
// naming its key: the engine reports an unknown name ("(configuration)", "constants.<name>")
// and bad values of its own constants ("(constants)", "<name>").
std::optional<ConfigError> constant_problem(const Config& config, const mappings::LoadError& e) {
  std::string name;
  std::string message;
  if (e.file == "(configuration)" && e.rule.starts_with("constants.")) {
    name = e.rule.substr(std::string_view("constants.").size());
    message = "no mapping declares this constant";
  } else if (e.file == "(constants)") {
    name = e.rule;
    message = e.message;
  } else {
    return std::nullopt;
  }
  for (const auto& [k, v] : config.constants().values) {
    if (k == name) return ConfigError{config.source(), "mappings.constants." + name, message};
  }
  return std::nullopt;
}

std::optional<mappings::Engine> load_engine(const Options& opt, Reporter& rep, int& exit_code) {
  const MappingsLocation loc =
      locate_mappings(opt.mappings, opt.config.mappings_dir(), opt.config.source());
  std::vector<mappings::SourceFile> sources;
  if (auto problem = read_mapping_sources(loc.dir, sources)) {
    rep.line(*problem + " (from " + loc.origin + ")");
    exit_code = code(loc.origin == "built-in default" ? Exit::internal : Exit::bad_input);
    return std::nullopt;
  }
  auto engine = mappings::Engine::load(sources, opt.config.constants());
  if (!engine) {
    for (const mappings::LoadError& e : engine.error()) {
      if (auto problem = constant_problem(opt.config, e)) {
        rep.line(to_string(*problem));
      } else {
        rep.line("mapping error: " + loc.dir + "/" + mappings::to_string(e));
      }
    }
    exit_code = code(Exit::bad_input);
    return std::nullopt;
  }
  return std::move(*engine);
}

// ---------------------------------------------------------------------------------------------
// translate

// The current time as a FHIR instant in UTC with an explicit offset (the message time for
// FHIR -> v2 when the resource carries none).
std::string utc_now() {
  const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  const auto days = std::chrono::floor<std::chrono::days>(now);
  const std::chrono::year_month_day ymd(days);
  const std::chrono::hh_mm_ss hms(now - days);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d+00:00", int(ymd.year()),
                unsigned(ymd.month()), unsigned(ymd.day()), int(hms.hours().count()),
                int(hms.minutes().count()), int(hms.seconds().count()));
  return buf;
}

// Collects the trace of one translation, printed once the translation is known to succeed.
class TraceCollector final : public mappings::TraceSink {
 public:
  void on(const mappings::TraceEvent& e) override { lines_.push_back(mappings::to_string(e)); }
  // Writes the lines under a header naming the input and the mapping, then forgets them.
  void flush(std::ostream& err, const std::string& where, const std::string& mapping) {
    err << "fcpgw: trace: " << where << " (mapping " << mapping << ")\n";
    for (const std::string& l : lines_) err << "  " << l << '\n';
    lines_.clear();
  }
  void clear() { lines_.clear(); }

 private:
  std::vector<std::string> lines_;
};

mappings::Options engine_options(const Options& opt, mappings::TraceSink* trace) {
  mappings::Options o;
  o.trace = trace;
  if (opt.bundle == "transaction") o.bundle = mappings::Options::Bundle::transaction;
  if (opt.bundle == "message") o.bundle = mappings::Options::Bundle::message;
  o.message_time = utc_now();
  return o;
}

class Translator {
 public:
  Translator(const Options& opt, const mappings::Engine& engine, std::ostream& out, Reporter& rep)
      : opt_(opt),
        engine_(engine),
        out_(out),
        rep_(rep),
        options_(engine_options(opt, opt.trace ? &trace_ : nullptr)) {}

  bool failed() const { return failed_; }

  void v2_input(OpenedInput& in) {
    const hl7v2::Limits& limits = opt_.config.v2_limits();
    mappings::Translation t;
    const std::string name = in.file.name();
    const bool ok = for_each_v2_message(in, opt_.max_input, rep_, [&](RawMessage& m) {
      const std::string where = message_label(name, m);
      if (!m.refused.empty()) {
        rep_.error(where, m.refused);
        failed_ = true;
        return;
      }
      auto msg = hl7v2::Message::parse(std::move(m.bytes), limits);
      if (!msg) {
        const hl7v2::ParseError& e = msg.error();
        rep_.error(where, "error: " + v2_location(e, m) + ": " + e.message + " [" +
                              std::string(v2_error_code(e.code)) + "]");
        failed_ = true;
        return;
      }
      if (!engine_.v2_to_fhir(*msg, t, options_)) {
        trace_.clear();
        report_engine_issues(rep_, where, t.issues, false);
        if (t.issues.empty()) rep_.error(where, "message not translated");
        failed_ = true;
        return;
      }
      if (!opt_.quiet) report_engine_issues(rep_, where, t.issues, true);
      if (opt_.trace) trace_.flush(rep_.stream(), where, t.mapping);
      emit_fhir(t.output, where);
    });
    if (!ok) failed_ = true;
  }

  void fhir_input(OpenedInput& in) {
    if (!read_whole(in, opt_.max_input, rep_)) {
      failed_ = true;
      return;
    }
    const std::string name = in.file.name();
    const fhir::Limits& limits = opt_.config.fhir_limits();
    auto doc = fhir::parse(json_text(in.head), limits);
    if (!doc) {
      rep_.error(name, doc.error().message);
      failed_ = true;
      return;
    }
    // Invalid FHIR is refused, not passed on as v2: the mappings read the elements they need
    // but do not check them (a control character in a string would be written raw into ER7,
    // a bad NHS number into PID-3). The same checks as `fcpgw validate`; the messages carry
    // element paths and rule names, never values.
    bool invalid = false;
    for (const fhir::Issue& i : fhir::validate(doc->root())) {
      if (i.severity != fhir::Severity::error && i.severity != fhir::Severity::fatal) continue;
      rep_.error(name, "error: " + (i.path.empty() ? std::string("(resource)") : i.path) + ": " +
                           i.message + " [" + std::string(fhir::to_string(i.type)) + "]");
      invalid = true;
    }
    if (invalid) {
      failed_ = true;
      return;
    }
    std::optional<fhir::Document> previous;
    if (opt_.previous) {
      auto prev_in = open_input(*opt_.previous, opt_.max_input, rep_);
      if (!prev_in) {
        failed_ = true;
        return;
      }
      if (prev_in->det.format != InputFormat::fhir_json) {
        rep_.error(prev_in->file.name(), "--previous must be a FHIR JSON resource");
        failed_ = true;
        return;
      }
      if (!read_whole(*prev_in, opt_.max_input, rep_)) {
        failed_ = true;
        return;
      }
      auto prev = fhir::parse(json_text(prev_in->head), limits);
      if (!prev) {
        rep_.error(prev_in->file.name(), prev.error().message);
        failed_ = true;
        return;
      }
      previous = std::move(*prev);
    }
    auto t = engine_.fhir_to_v2(doc->root(), previous ? &previous->root() : nullptr, options_);
    if (!t) {
      trace_.clear();
      report_engine_issues(rep_, name, t.error(), false);
      if (t.error().empty()) rep_.error(name, "resource not translated");
      failed_ = true;
      return;
    }
    if (!opt_.quiet) report_engine_issues(rep_, name, t->issues, true);
    if (opt_.trace) trace_.flush(rep_.stream(), name, t->mapping);
    std::string text = std::move(t->output);
    if (opt_.lf) std::replace(text.begin(), text.end(), '\r', '\n');
    out_ << text;
    if (text.empty() || text.back() != '\n') out_ << '\n';
    ++outputs_;
  }

 private:
  void emit_fhir(const std::string& json, const std::string& where) {
    if (opt_.pretty) {
      if (outputs_ > 0) {
        rep_.error(where,
                   "--pretty writes a single document, but the input holds several "
                   "messages: leave out --pretty to get one Bundle per line (NDJSON)");
        failed_ = true;
        return;
      }
      auto doc = fhir::parse(json);
      auto text = doc ? writer_.write(doc->root(), fhir::Format::pretty)
                      : boost::system::result<std::string_view>(std::string_view(json));
      if (!text) {
        out_ << json << '\n';
      } else {
        out_ << *text << '\n';
      }
    } else {
      out_ << json << '\n';
    }
    ++outputs_;
  }

  const Options& opt_;
  const mappings::Engine& engine_;
  std::ostream& out_;
  Reporter& rep_;
  TraceCollector trace_;
  const mappings::Options options_;
  fhir::Writer writer_;
  std::size_t outputs_ = 0;
  bool failed_ = false;
};

int cmd_translate(const Options& opt, std::ostream& out, Reporter& rep) {
  if (opt.pretty && opt.ndjson) {
    rep.line("--pretty and --ndjson exclude each other");
    return code(Exit::bad_input);
  }
  if (opt.pretty && opt.files.size() > 1) {
    rep.line(
        "--pretty writes a single document: give one FILE, or leave out --pretty to get "
        "one document per line (NDJSON)");
    return code(Exit::bad_input);
  }
  if (opt.previous && opt.files.size() > 1) {
    rep.line("--previous applies to a single FHIR input: give one FILE");
    return code(Exit::bad_input);
  }
  if (!opt.bundle.empty() && opt.to == "v2") {
    rep.line("--bundle applies to v2 -> FHIR translation only");
    return code(Exit::bad_input);
  }
  if (opt.previous && opt.to == "fhir") {
    rep.line("--previous applies to FHIR -> v2 translation only");
    return code(Exit::bad_input);
  }
  if (std::count(opt.files.begin(), opt.files.end(), "-") > 1) {
    rep.line("standard input ('-') can be given only once");
    return code(Exit::bad_input);
  }
  // The mappings are loaded when the first readable input needs them, so that problems with
  // the inputs themselves are reported whatever state the mappings are in.
  std::optional<mappings::Engine> engine;
  std::optional<Translator> tr;
  std::string direction = opt.to;
  bool any_failed = false;
  for (const std::string& path : opt.files) {
    auto in = open_input(path, opt.max_input, rep);
    if (!in) {
      any_failed = true;
      continue;
    }
    const std::string found = is_v2(in->det.format) ? "fhir" : "v2";
    if (direction.empty()) direction = found;
    if (found != direction) {
      rep.error(in->file.name(),
                std::string("holds ") + std::string(to_string(in->det.format)) +
                    ", which cannot be translated to " + (direction == "fhir" ? "FHIR" : "v2") +
                    (opt.to.empty() ? " like the inputs before it (give inputs of one kind)" : ""));
      any_failed = true;
      continue;
    }
    if (found == "v2" && !opt.bundle.empty()) {
      rep.error(in->file.name(), "--bundle applies to v2 -> FHIR translation only");
      any_failed = true;
      continue;
    }
    if (found == "fhir" && opt.previous) {
      rep.error(in->file.name(), "--previous applies to FHIR -> v2 translation only");
      any_failed = true;
      continue;
    }
    if (!engine) {
      int exit_code = 0;
      engine = load_engine(opt, rep, exit_code);
      if (!engine) return exit_code;
      tr.emplace(opt, *engine, out, rep);
    }
    if (found == "fhir") {
      tr->v2_input(*in);
    } else {
      tr->fhir_input(*in);
    }
  }
  out.flush();
  if (!out) {
    rep.line("cannot write the output");
    return code(Exit::internal);
  }
  return (any_failed || (tr && tr->failed())) ? code(Exit::bad_input) : code(Exit::ok);
}

// ---------------------------------------------------------------------------------------------
// validate

fhir::IssueType fhir_issue_type_for_v2(std::string_view c) {
  using T = fhir::IssueType;
  if (c == "100" || c == "198") return T::structure;
  if (c == "101") return T::required;
  if (c == "102") return T::value;
  if (c == "103") return T::code_invalid;
  if (c == "104") return T::too_long;
  if (c == "200" || c == "201" || c == "202" || c == "203") return T::not_supported;
  if (c == "204") return T::not_found;
  if (c == "205") return T::duplicate;
  // FHIR-side mapping issues already carry an issue-type code.
  return fhir::issue_type_from_string(c).value_or(T::processing);
}

fhir::Severity fhir_severity(mappings::Severity s) {
  switch (s) {
    case mappings::Severity::error:
      return fhir::Severity::error;
    case mappings::Severity::warning:
      return fhir::Severity::warning;
    case mappings::Severity::information:
      return fhir::Severity::information;
  }
  return fhir::Severity::error;
}

// An issue about an HL7 v2 input: the v2 position goes in `location` and the table 0357 code in
// `details` (OperationOutcome.issue.location / details.coding).
fhir::Issue v2_issue(fhir::Severity severity, std::string message, std::string_view v2_code,
                     std::string location) {
  fhir::Issue i;
  i.severity = severity;
  i.type = fhir_issue_type_for_v2(v2_code);
  i.message = std::move(message);
  i.location = std::move(location);
  if (!v2_code.empty() && v2_code.front() >= '0' && v2_code.front() <= '9') {
    i.details_system = "http://terminology.hl7.org/CodeSystem/v2-0357";
    i.details_code = std::string(v2_code);
  }
  return i;
}

class Validator {
 public:
  Validator(const Options& opt, std::ostream& out, Reporter& rep)
      : opt_(opt), out_(out), rep_(rep) {}

  bool found_errors() const { return errors_; }
  bool failed() const { return failed_; }
  int engine_exit() const { return engine_exit_; }

  void fhir_input(OpenedInput& in) {
    if (!read_whole(in, opt_.max_input, rep_)) {
      failed_ = true;
      return;
    }
    const fhir::Limits& limits = opt_.config.fhir_limits();
    const std::vector<fhir::Issue> issues = fhir::parse_and_validate(json_text(in.head), limits);
    if (fhir::has_errors(issues)) errors_ = true;
    emit(fhir::operation_outcome(issues).root());
  }

  void v2_input(OpenedInput& in) {
    if (!engine_) {
      int ec = 0;
      engine_ = load_engine(opt_, rep_, ec);
      if (!engine_) {
        engine_exit_ = ec;
        failed_ = true;
        return;
      }
    }
    const hl7v2::Limits& limits = opt_.config.v2_limits();
    mappings::Translation t;
    const bool ok = for_each_v2_message(in, opt_.max_input, rep_, [&](RawMessage& m) {
      std::vector<fhir::Issue> issues;
      if (!m.refused.empty()) {
        issues.push_back(v2_issue(fhir::Severity::fatal, m.refused, "199", ""));
        issues.back().type = fhir::IssueType::too_costly;
      } else if (auto msg = hl7v2::Message::parse(std::move(m.bytes), limits); !msg) {
        const hl7v2::ParseError& e = msg.error();
        issues.push_back(
            v2_issue(fhir::Severity::error, e.message, v2_error_code(e.code), v2_location(e, m)));
      } else {
        const bool translated = engine_->v2_to_fhir(*msg, t);
        for (const mappings::Issue& i : t.issues) {
          std::string text = i.message;
          if (!i.rule.empty()) text += " (rule " + i.rule + ")";
          issues.push_back(
              v2_issue(fhir_severity(i.severity), std::move(text), i.code, i.location));
        }
        if (translated) {
          // The translation itself must be valid FHIR: check what the mapping produced.
          if (auto out = fhir::parse(t.output)) {
            for (fhir::Issue& i : fhir::validate(out->root())) {
              i.message = "in the FHIR translation: " + i.message;
              issues.push_back(std::move(i));
            }
          } else {
            fhir::Issue i;
            i.type = fhir::IssueType::exception;
            i.message = "the FHIR translation is not valid JSON";
            issues.push_back(std::move(i));
          }
        }
      }
      if (fhir::has_errors(issues)) errors_ = true;
      emit(fhir::operation_outcome(issues).root());
    });
    if (!ok) failed_ = true;
  }

 private:
  void emit(const rapidjson::Value& outcome) {
    auto text = writer_.write(outcome, opt_.pretty ? fhir::Format::pretty : fhir::Format::compact);
    if (text) out_ << *text << '\n';
  }

  const Options& opt_;
  std::ostream& out_;
  Reporter& rep_;
  std::optional<mappings::Engine> engine_;
  fhir::Writer writer_;
  bool errors_ = false;
  bool failed_ = false;
  int engine_exit_ = 0;
};

int cmd_validate(const Options& opt, std::ostream& out, Reporter& rep) {
  if (std::count(opt.files.begin(), opt.files.end(), "-") > 1) {
    rep.line("standard input ('-') can be given only once");
    return code(Exit::bad_input);
  }
  Validator v(opt, out, rep);
  bool unreadable = false;
  for (const std::string& path : opt.files) {
    auto in = open_input(path, opt.max_input, rep);
    if (!in) {
      unreadable = true;  // reported; go on with the next file
      continue;
    }
    if (is_v2(in->det.format)) {
      v.v2_input(*in);
      if (v.engine_exit() != 0) return v.engine_exit();
    } else {
      v.fhir_input(*in);
    }
  }
  out.flush();
  if (!out) {
    rep.line("cannot write the output");
    return code(Exit::internal);
  }
  if (unreadable || v.failed()) return code(Exit::bad_input);
  return code(v.found_errors() ? Exit::validation_failed : Exit::ok);
}

// ---------------------------------------------------------------------------------------------
// mappings test

int cmd_mappings_test(const Options& opt, std::ostream& out, Reporter& rep) {
  const MappingsLocation loc =
      locate_mappings(opt.mappings, opt.config.mappings_dir(), opt.config.source());
  const std::filesystem::path dir = opt.golden_dir ? std::filesystem::path(*opt.golden_dir)
                                                   : std::filesystem::path(loc.dir) / "golden";
  auto cases = discover_golden_cases(dir);
  if (!cases) {
    rep.line(cases.error() + (opt.golden_dir ? "" : " (give the folder of cases as DIR)"));
    return code(Exit::bad_input);
  }
  std::vector<GoldenCase> selected;
  for (auto& c : *cases)
    if (c.name.find(opt.filter) != std::string::npos) selected.push_back(std::move(c));
  if (selected.empty()) {
    rep.line(opt.filter.empty()
                 ? "no golden cases under '" + dir.string() +
                       "' (expected <name>.hl7 or <name>.json with <name>.expected.json, "
                       "<name>.expected.hl7 or <name>.expected-error.json)"
                 : "no golden case under '" + dir.string() + "' matches --filter '" + opt.filter +
                       "'");
    return code(Exit::bad_input);
  }
  int exit_code = 0;
  auto engine = load_engine(opt, rep, exit_code);
  if (!engine) return exit_code;
  std::size_t passed = 0;
  std::size_t failed = 0;
  for (const GoldenCase& c : selected) {
    const GoldenResult r = run_golden_case(*engine, c);
    std::string what = r.direction;
    if (!r.mapping.empty()) what += ", " + r.mapping;
    if (r.passed) {
      ++passed;
      if (opt.verbose) out << "ok   " << r.name << " (" << what << ")\n";
      continue;
    }
    ++failed;
    out << "FAIL " << r.name << " (" << what << ")\n";
    for (const std::string& line : r.failures) out << "     " << line << '\n';
  }
  out << passed << " passed, " << failed << " failed\n";
  out.flush();
  if (!out) {
    rep.line("cannot write the output");
    return code(Exit::internal);
  }
  return code(failed == 0 ? Exit::ok : Exit::cases_failed);
}

}  // namespace

std::string_view version() noexcept { return FCPGW_VERSION; }

int run_cli(std::span<const std::string> args, std::ostream& out, std::ostream& err) noexcept {
  Reporter rep(err);
  try {
    CLI::App app{
        "fcpgw: HL7 v2 <-> FHIR R4 (UK Core) gateway for First Contact Practitioner services.\n"
        "Exit codes: 0 ok, 1 validation found errors, 2 bad input or usage, 3 internal or "
        "environment failure.",
        "fcpgw"};
    app.set_version_flag("--version", std::string("fcpgw ") + std::string(version()));
    app.require_subcommand(0, 1);

    Options opt;
    auto add_config = [&](CLI::App* sub) {
      sub->add_option("--config", opt.config_file,
                      "Configuration file (JSON, see config/README.md): mappings directory, "
                      "mapping constants, limits. Explicit options win over it");
    };
    auto add_common = [&](CLI::App* sub) {
      sub->add_option("--max-input-bytes", opt.max_input,
                      "Largest message or JSON document accepted, in bytes (suffixes KiB, MiB "
                      "allowed; default: limits.input.max_bytes of the configuration, 16MiB)")
          ->transform(CLI::AsSizeValue(false))
          ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 31));
      sub->add_option("--mappings", opt.mappings,
                      "Directory of mapping files (default: mappings.dir of the configuration, "
                      "else $FCPGW_MAPPINGS_DIR, else the bundled mappings)");
      add_config(sub);
      sub->add_flag("--pretty", opt.pretty, "Indent JSON output (one input document only)");
    };

    CLI::App* translate = app.add_subcommand(
        "translate",
        "Translate HL7 v2 messages to FHIR R4 Bundles, or a FHIR resource/Bundle to an HL7 v2 "
        "message. Input: FILEs or '-' for stdin; a file may hold many v2 messages (each "
        "starting with MSH, or MLLP framed). FHIR output: one Bundle per line (NDJSON).");
    translate->add_option("--to", opt.to, "Output: fhir or v2 (default: told from the input)")
        ->check(CLI::IsMember({"fhir", "v2"}));
    translate->add_option("--previous", opt.previous,
                          "Earlier version of the Appointment (FHIR -> v2: chooses the "
                          "trigger event, e.g. S13 when the time changed)");
    translate
        ->add_option("--bundle", opt.bundle,
                     "v2 -> FHIR output shape: transaction (conditional create/update "
                     "entries) or message (FHIR messaging: MessageHeader first, as NHS "
                     "BaRS); default: transaction")
        ->check(CLI::IsMember({"transaction", "message"}));
    translate->add_flag("--ndjson", opt.ndjson,
                        "One compact JSON document per line (the default for FHIR output)");
    translate->add_flag("--lf", opt.lf,
                        "End v2 segments with LF instead of CR (for reading in a terminal)");
    translate->add_flag("-q,--quiet", opt.quiet, "Do not print warnings");
    translate->add_flag("--trace", opt.trace,
                        "Print to stderr, for each output element, the mapping rule and the "
                        "input location that produced it (no values)");
    add_common(translate);
    translate->add_option("FILE", opt.files, "Input files, '-' for standard input")->required();

    CLI::App* validate = app.add_subcommand(
        "validate",
        "Validate FHIR JSON against FHIR R4 and UK Core rules, or check that HL7 v2 messages "
        "parse and map; prints one OperationOutcome per resource or message. Exit 1 when any "
        "has an error.");
    add_common(validate);
    validate->add_option("FILE", opt.files, "Input files, '-' for standard input")->required();

    CLI::App* mappings_cmd =
        app.add_subcommand("mappings", "Work with mapping files (see 'fcpgw mappings test')");
    mappings_cmd->require_subcommand(1);
    CLI::App* mappings_test = mappings_cmd->add_subcommand(
        "test",
        "Run the golden cases under DIR (default: the 'golden' folder of the mappings "
        "directory) and print a readable difference for each failing case. Exit 0 when all "
        "pass, 1 when any fails, 2 for usage errors.");
    mappings_test->add_option("--mappings", opt.mappings,
                              "Directory of mapping files (default: mappings.dir of the "
                              "configuration, else $FCPGW_MAPPINGS_DIR, else the bundled "
                              "mappings)");
    mappings_test->add_option("--filter", opt.filter,
                              "Run only the cases whose name (path under DIR) contains this");
    mappings_test->add_flag("-v,--verbose", opt.verbose, "List the cases that pass too");
    add_config(mappings_test);
    mappings_test->add_option("DIR", opt.golden_dir,
                              "Folder of golden cases (searched recursively)");

    CLI::App* help = app.add_subcommand("help", "Show this help");

    std::vector<std::string> rest(args.begin() + (args.empty() ? 0 : 1), args.end());
    std::reverse(rest.begin(), rest.end());
    try {
      app.parse(rest);
    } catch (const CLI::ParseError& e) {
      if (e.get_exit_code() == 0) {  // --help, --version
        app.exit(e, out, err);
        return code(Exit::ok);
      }
      err << "fcpgw: " << e.what() << "\n";
      err << "Run 'fcpgw help' or 'fcpgw <command> --help' for usage.\n";
      return code(Exit::bad_input);
    }

    if (help->parsed()) {
      out << app.get_formatter()->make_help(&app, "fcpgw", CLI::AppFormatMode::Normal);
      return code(Exit::ok);
    }
    // The configuration, loaded and checked once; a bad one stops here, naming the key.
    if (opt.config_file) {
      auto config = Config::load(*opt.config_file);
      if (!config) {
        for (const ConfigError& e : config.error()) rep.line(to_string(e));
        return code(Exit::bad_input);
      }
      opt.config = std::move(*config);
    }
    if (translate->count("--max-input-bytes") + validate->count("--max-input-bytes") == 0) {
      opt.max_input = opt.config.max_input_bytes();
    }
    if (opt.pretty && validate->parsed() && opt.files.size() > 1) {
      rep.line("--pretty writes a single document: give one FILE");
      return code(Exit::bad_input);
    }
    if (translate->parsed()) return cmd_translate(opt, out, rep);
    if (validate->parsed()) return cmd_validate(opt, out, rep);
    if (mappings_test->parsed()) return cmd_mappings_test(opt, out, rep);
    err << app.help();
    return code(Exit::bad_input);
  } catch (const std::bad_alloc&) {
    rep.line("internal error: out of memory");
  } catch (const std::exception& e) {
    rep.line(std::string("internal error: ") + e.what());
  } catch (...) {
    rep.line("internal error");
  }
  return code(Exit::internal);
}

}  // namespace fcpgw::gateway
