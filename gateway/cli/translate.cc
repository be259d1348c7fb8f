#include <algorithm>
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "fhir/json.h"
#include "fhir/primitives.h"
#include "fhir/validation.h"
#include "gateway/cli/command.h"
#include "gateway/common/text.h"
#include "gateway/service/issues.h"
#include "gateway/service/limits.h"

namespace fcpgw::gateway::cli {

namespace {
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

// Collects the trace of one translation (`--trace`: what each rule wrote) and what was not
// written (`--explain`: rules whose condition did not hold), printed once the translation is
// known to succeed.
class TraceCollector final : public mappings::TraceSink {
 public:
  TraceCollector(bool trace, bool explain) : trace_(trace), explain_(explain) {}
  void on(const mappings::TraceEvent& e) override {
    if (trace_) lines_.push_back(mappings::to_string(e));
  }
  void on_skipped(const mappings::SkipEvent& e) override {
    if (explain_) skipped_.push_back(mappings::to_string(e));
  }
  // Writes the lines under headers naming the input and the mapping, then forgets them.
  void flush(std::ostream& err, const std::string& where, const std::string& mapping) {
    if (trace_) {
      err << "fcpgw: trace: " << where << " (mapping " << mapping << ")\n";
      for (const std::string& l : lines_) err << "  " << l << '\n';
    }
    if (explain_) {
      err << "fcpgw: explain: " << where << " (mapping " << mapping << ")\n";
      if (skipped_.empty()) err << "  every rule's condition held\n";
      for (const std::string& l : skipped_) err << "  " << l << '\n';
    }
    clear();
  }
  void clear() {
    lines_.clear();
    skipped_.clear();
  }

 private:
  bool trace_, explain_;
  std::vector<std::string> lines_;
  std::vector<std::string> skipped_;
};

mappings::Options engine_options(const Options& opt, mappings::TraceSink* trace) {
  mappings::Options o;
  o.trace = trace;
  if (opt.bundle == "transaction") o.bundle = mappings::Options::Bundle::transaction;
  if (opt.bundle == "message") o.bundle = mappings::Options::Bundle::message;
  o.message_time = opt.message_time ? *opt.message_time : utc_now();
  return o;
}

class Translator {
 public:
  Translator(const Options& opt, const mappings::Engine& engine, std::ostream& out, Reporter& rep)
      : opt_(opt),
        engine_(engine),
        out_(out),
        rep_(rep),
        trace_(opt.trace, opt.explain),
        options_(engine_options(opt, opt.trace || opt.explain ? &trace_ : nullptr)) {}

  bool failed() const { return failed_; }

  void v2_input(OpenedInput& in) {
    const hl7v2::Limits limits = service::v2_limits(opt_.config);
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
        rep_.error(where, service::to_text(service::from_parse_error(e, v2_location(e, m))));
        failed_ = true;
        return;
      }
      if (!engine_.v2_to_fhir(*msg, t, options_)) {
        trace_.clear();
        report_engine_issues(rep_, where, t.issues, false, true);
        if (t.issues.empty()) rep_.error(where, "message not translated");
        failed_ = true;
        return;
      }
      // What `validate` reports as an error is refused here: never write invalid FHIR.
      const std::vector<service::Issue> invalid = service::check_fhir_translation(t.output);
      if (service::has_errors(invalid)) {
        trace_.clear();
        for (const service::Issue& i : invalid)
          if (i.severity == fhir::Severity::error || i.severity == fhir::Severity::fatal)
            rep_.error(where, service::to_text(i));
        failed_ = true;
        return;
      }
      if (!opt_.quiet) report_engine_issues(rep_, where, t.issues, true, true);
      if (opt_.trace || opt_.explain) trace_.flush(rep_.stream(), where, t.mapping);
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
    const fhir::Limits limits = service::fhir_limits(opt_.config);
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
      report_engine_issues(rep_, name, t.error(), false, false);
      if (t.error().empty()) rep_.error(name, "resource not translated");
      failed_ = true;
      return;
    }
    if (!opt_.quiet) report_engine_issues(rep_, name, t->issues, true, false);
    if (opt_.trace || opt_.explain) trace_.flush(rep_.stream(), name, t->mapping);
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

}  // namespace

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
  if (opt.message_time && opt.to == "fhir") {
    rep.line("--message-time applies to FHIR -> v2 translation only");
    return code(Exit::bad_input);
  }
  if (opt.message_time && !fhir::valid_instant(*opt.message_time)) {
    rep.line(
        "--message-time: expected a FHIR instant with its offset, such as "
        "2025-06-02T09:00:00+01:00, got \"" +
        printable(*opt.message_time, 80) + "\"");
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
    if (found == "fhir" && (opt.previous || opt.message_time)) {
      rep.error(in->file.name(), std::string(opt.previous ? "--previous" : "--message-time") +
                                     " applies to FHIR -> v2 translation only");
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

}  // namespace fcpgw::gateway::cli
