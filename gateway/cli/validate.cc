#include <rapidjson/document.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "fhir/json.h"
#include "fhir/validation.h"
#include "gateway/cli/command.h"
#include "gateway/service/issues.h"
#include "gateway/service/limits.h"

namespace fcpgw::gateway::cli {

namespace {
// ---------------------------------------------------------------------------------------------
// validate

class Validator {
 public:
  Validator(const Options& opt, std::ostream& out, Reporter& rep)
      : opt_(opt), out_(out), rep_(rep) {}

  bool found_errors() const { return errors_; }
  bool failed() const { return failed_; }
  bool unwritable() const { return unwritable_; }
  int engine_exit() const { return engine_exit_; }

  void fhir_input(OpenedInput& in) {
    if (!read_whole(in, opt_.max_input, rep_)) {
      failed_ = true;
      return;
    }
    const fhir::Limits limits = service::fhir_limits(opt_.config);
    auto doc = fhir::parse(json_text(in.head), limits);
    if (!doc) {
      const std::vector<fhir::Issue> issues = fhir::parse_and_validate(json_text(in.head), limits);
      if (fhir::has_errors(issues)) errors_ = true;
      emit(fhir::operation_outcome(issues).root());
      return;
    }
    std::vector<service::Issue> issues;
    for (const fhir::Issue& f : fhir::validate(doc->root()))
      issues.push_back(service::from_fhir(f));
    // What `translate` would refuse is an error here too: valid FHIR that no mapping takes, or
    // that a mapping's checks refuse (a draft fit note, a DocumentReference without a patient).
    if (!service::has_errors(issues) && engine())
      for (service::Issue& i : service::check_fhir_mapping(*engine_, doc->root()))
        issues.push_back(std::move(i));
    if (failed_) return;
    if (service::has_errors(issues)) errors_ = true;
    emit(fhir::operation_outcome(service::to_fhir_issues(issues)).root());
  }

  void v2_input(OpenedInput& in) {
    if (!engine()) return;
    const hl7v2::Limits limits = service::v2_limits(opt_.config);
    mappings::Translation t;
    const bool ok = for_each_v2_message(in, opt_.max_input, rep_, [&](RawMessage& m) {
      std::vector<service::Issue> issues;
      if (!m.refused.empty()) {
        service::Issue i;
        i.severity = fhir::Severity::fatal;
        i.type = fhir::IssueType::too_costly;
        i.code = hl7v2::ErrorCode::value_too_long;
        i.about_v2 = true;
        i.message = m.refused;
        issues.push_back(std::move(i));
      } else if (auto msg = hl7v2::Message::parse(std::move(m.bytes), limits); !msg) {
        issues.push_back(service::from_parse_error(msg.error(), v2_location(msg.error(), m)));
      } else {
        const bool translated = engine_->v2_to_fhir(*msg, t);
        for (const mappings::Issue& i : t.issues) issues.push_back(service::from_mapping(i, true));
        if (translated) {
          // The translation itself must be valid FHIR: check what the mapping produced.
          for (service::Issue& i : service::check_fhir_translation(t.output))
            issues.push_back(std::move(i));
        }
      }
      if (service::has_errors(issues)) errors_ = true;
      emit(fhir::operation_outcome(service::to_fhir_issues(issues)).root());
    });
    if (!ok) failed_ = true;
  }

 private:
  /// The mappings, loaded on first use; false (reported, `failed_` set) when they do not load.
  bool engine() {
    if (engine_) return true;
    int ec = 0;
    engine_ = load_engine(opt_, rep_, ec);
    if (!engine_) {
      engine_exit_ = ec;
      failed_ = true;
    }
    return engine_.has_value();
  }

  // An OperationOutcome that cannot be written is a fault of ours, never silence.
  void emit(const rapidjson::Value& outcome) {
    auto text = writer_.write(outcome, opt_.pretty ? fhir::Format::pretty : fhir::Format::compact);
    if (!text) {
      rep_.line("internal error: cannot write the OperationOutcome: " + text.error().message());
      unwritable_ = true;
      return;
    }
    out_ << *text << '\n';
  }

  const Options& opt_;
  std::ostream& out_;
  Reporter& rep_;
  std::optional<mappings::Engine> engine_;
  fhir::Writer writer_;
  bool errors_ = false;
  bool failed_ = false;
  bool unwritable_ = false;
  int engine_exit_ = 0;
};

}  // namespace

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
      if (v.engine_exit() != 0) return v.engine_exit();
    }
  }
  out.flush();
  if (v.unwritable()) return code(Exit::internal);  // reported
  if (!out) {
    rep.line("cannot write the output");
    return code(Exit::internal);
  }
  if (unreadable || v.failed()) return code(Exit::bad_input);
  return code(v.found_errors() ? Exit::validation_failed : Exit::ok);
}

}  // namespace fcpgw::gateway::cli
