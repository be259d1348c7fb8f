#pragma once
// fcpgw mapping engine: translates HL7 v2 messages to FHIR R4 (UK Core) and back, driven by
// mapping files (JSON data, see mappings/README.md) and code tables (FHIR ConceptMaps).
//
// The engine does no I/O: the caller reads the mapping files and passes their text to
// Engine::load(), which checks every file and every rule and compiles each mapping into an
// immutable plan. A loaded Engine is cheap to copy (it shares the plan) and safe to use from
// several threads at once.

#include <rapidjson/document.h>

#include <boost/system/result.hpp>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fcpgw::hl7v2 {
class Message;
}

namespace fcpgw::mappings {

/// One mapping file or code table, as text. `name` (e.g. "v2-to-fhir/siu.json",
/// "tables/v2-0278-to-appointment-status.json") is used in error messages only.
struct SourceFile {
  std::string name;
  std::string text;
};

/// A problem found while loading: the file, the rule inside it (its `#id` when it has one,
/// `#appointment-status (path "status")`, else a JSON-pointer-like path such as
/// `resources[0].set[5]`; empty for file-level problems) and what is wrong.
struct LoadError {
  std::string file;
  std::string rule;
  std::string message;
};
/// "file: rule: message" (rule omitted when empty).
std::string to_string(const LoadError& e);

/// Named configurable values referenced by mapping files as `{name}` (e.g. `sys.nhs-number`,
/// `id-base`, `default-timezone`). Mapping files declare defaults in their "constants"
/// object; overrides (from the gateway configuration) replace them. Overriding a name that no
/// file declares is a load error.
struct Constants {
  std::vector<std::pair<std::string, std::string>> values;
  Constants& set(std::string name, std::string value) {
    values.emplace_back(std::move(name), std::move(value));
    return *this;
  }
};

enum class Severity : std::uint8_t { error, warning, information };
std::string_view to_string(Severity s) noexcept;

/// A problem in the data being translated (never a code failure).
struct Issue {
  Severity severity = Severity::error;
  /// Where: a v2 location like `PID-3[1].1` (repetitions 1-based) for v2 input, or a FHIR
  /// element path like `Appointment.participant[0].actor` for FHIR input.
  std::string location;
  /// For v2 input: the HL7 table 0357 error code ("101" required field missing, "102" data type
  /// error, "103" table value not found, "200" unsupported message type, "207" application
  /// error). For FHIR input: the FHIR issue-type code ("required", "value", "not-supported", ...).
  std::string code;
  /// Readable text; never carries patient data (no names, NHS numbers or free text).
  std::string message;
  /// Id of the mapping rule that raised the issue (`v2-to-fhir/siu.json: resources[1].set[0]`),
  /// empty when not tied to a rule.
  std::string rule;
};

/// Result of one translation.
struct Translation {
  std::string output;         ///< FHIR JSON (compact) or ER7 text (segments end with CR)
  std::string content_type;   ///< "fhir-json" or "er7"
  std::string mapping;        ///< name of the mapping that ran, e.g. "siu-to-fhir"
  std::string message_type;   ///< v2 message type of the input or output, e.g. "SIU^S12"
  std::vector<Issue> issues;  ///< warnings and information; errors make the translation fail
};

/// What one loaded mapping does (for `fcpgw mappings` listings).
struct MappingInfo {
  std::string name;       ///< e.g. "siu-to-fhir"
  std::string file;       ///< file it came from
  std::string direction;  ///< "v2-to-fhir" or "fhir-to-v2"
  std::string description;
  std::vector<std::string> accepts;  ///< v2 message types ("SIU^S12") or FHIR resource types
  std::size_t rules = 0;             ///< number of compiled rules
};

/// One step of a translation, for debugging a mapping (`fcpgw translate --trace`): which rule
/// wrote which output element, from which input and how. The views are valid only during
/// TraceSink::on(). Events carry locations and rule ids, never values (no patient data).
struct TraceEvent {
  /// The output element: a FHIR element path in the Bundle (`entry[0].resource.status`, `entry[2]`
  /// for a whole resource) or a v2 location (`SCH-25[1].1`, `NTE[2]-3[1]`).
  std::string_view element;
  /// The input it came from: v2 locations (`SCH-25[1].1`, `AIP[2]-3[1]`) or FHIR element paths
  /// (`Bundle.entry[0].resource.status`), comma-separated when several (templates); empty for
  /// constants.
  std::string_view source;
  /// How: `table <id>`, `transform <name>`, `template`, `constant`, `else by event S15`,
  /// `reference to <key>`, `resource <key>` ...
  std::string_view via;
  /// The mapping rule: `v2-to-fhir/siu.json: resources[0].set[5]`.
  std::string_view rule;
};
/// "element  <- source via how  (rule)", e.g.
/// `entry[0].resource.status  <- SCH-25[1].1 via table v2-0278-to-appointment-status
/// (v2-to-fhir/siu.json: resources[0].set[5])`.
std::string to_string(const TraceEvent& e);

/// Something a mapping rule did not write (`fcpgw translate --explain`): a whole resource or
/// segment, or one element, because its condition (`when`) did not hold, or because its rule
/// found no value (its sources were empty, a code was not in its table). Locations, rule ids
/// and the condition as written in the mapping, never values (no patient data).
struct SkipEvent {
  /// What was not written: `resource location (Location)`, `segment NTE`, or an element path
  /// of the output (`entry[0].resource.comment`, `SCH-7`).
  std::string_view what;
  /// The input item it was for, when the rule repeats over segments or items (`AIL[2]`).
  std::string_view item;
  /// The condition that failed, e.g. `present AIL-3.1`, `all(present AIL-3.1, not(...))`;
  /// empty when the rule ran and found no value.
  std::string_view condition;
  /// The mapping rule: `v2-to-fhir/siu.json: resources[6]`.
  std::string_view rule;
  /// Why a rule that ran found no value: `AIL-3[1].1 empty`, `AIL-3[1].1, AIL-3[1].2 empty`,
  /// `PID-8[1] not in table t, else PID-6[1] empty`, `transform dtm-instant gave no value for
  /// TQ1-7[1]`, `resource location not written`.
  std::string_view reason = {};
};
/// "what (for item) not written: when present AIL-3.1 did not hold  (rule)", or with a reason
/// "what (for item) not written: AIL-3[1].1 empty  (rule)".
std::string to_string(const SkipEvent& e);

/// Receives the trace of a translation. Called synchronously, in output order, from the thread
/// that translates; events of a translation that fails are delivered too (up to the failure).
class TraceSink {
 public:
  virtual ~TraceSink() = default;
  virtual void on(const TraceEvent& event) = 0;
  /// A rule skipped because its condition did not hold; ignored unless overridden.
  virtual void on_skipped(const SkipEvent& /*event*/) {}
};

/// Per-call choices that are not part of a mapping (they depend on the destination or on the
/// moment of sending), so that one mapping file set serves every destination.
struct Options {
  /// v2 -> FHIR: the shape of the output Bundle. `transaction` is the mapping's own
  /// `bundle.type` (a transaction of conditional updates for the v2 mappings); `message` writes
  /// a FHIR message instead (Bundle.type message, first entry the MessageHeader built from the
  /// mapping's `bundle.message-header`, entries without `request`), as NHS BaRS-style
  /// receivers want. A mapping without `bundle.message-header` rejects `message` (207).
  enum class Bundle : std::uint8_t { transaction, message };
  Bundle bundle = Bundle::transaction;
  /// FHIR -> v2: the message time (a FHIR instant or dateTime with offset, e.g.
  /// "2025-03-14T09:30:00+00:00") that mapping files read as `%message-time`. MSH-7 uses it
  /// only when neither the Bundle (timestamp) nor the resource (meta.lastUpdated, created ...)
  /// has a time of its own. The gateway passes the
  /// current time; tests pass a fixed one. It does not enter MSH-10, so a retry repeats it.
  std::string message_time;
  /// Where to report which rule produced each output element (see TraceEvent); null (the
  /// default) for no tracing, which costs nothing measurable.
  TraceSink* trace = nullptr;
};

struct Plan;  // compiled mappings (internal)

class Engine {
 public:
  /// Loads and checks every file: mapping files (objects with "mapping") and code tables
  /// (ConceptMap resources), in any order. Returns every problem found, not just the first.
  static boost::system::result<Engine, std::vector<LoadError>> load(
      std::span<const SourceFile> files, const Constants& overrides = {});

  /// v2 -> FHIR. Picks the mapping by MSH-9 (message code ^ trigger event). On success the
  /// output is a FHIR JSON Bundle (transaction); on failure the issues say where (v2 location)
  /// and why (table 0357 code), e.g. an NHS number with a bad check digit at `PID-3[1].1`.
  boost::system::result<Translation, std::vector<Issue>> v2_to_fhir(
      const hl7v2::Message& message) const;

  /// Same, writing into `out` (output buffer reused across calls, no allocation once grown):
  /// the fast path for high-volume callers and benchmarks. Returns false when the message is
  /// rejected; `out.issues` then holds the errors (and `out.output` is empty).
  bool v2_to_fhir(const hl7v2::Message& message, Translation& out) const;
  bool v2_to_fhir(const hl7v2::Message& message, Translation& out, const Options& options) const;
  boost::system::result<Translation, std::vector<Issue>> v2_to_fhir(const hl7v2::Message& message,
                                                                    const Options& options) const;

  /// FHIR -> v2. `resource_or_bundle` is an Appointment, or a Bundle holding it with its
  /// Patient and participants (references resolved by urn:uuid fullUrl, relative
  /// `Type/id` or `#contained`). `previous`, when given, is the earlier version of the same
  /// Appointment, used to choose the trigger event (e.g. S13 when start/end changed).
  boost::system::result<Translation, std::vector<Issue>> fhir_to_v2(
      const rapidjson::Value& resource_or_bundle, const rapidjson::Value* previous = nullptr) const;
  /// Same, with options (the message time for MSH-7, see Options::message_time). In a message
  /// Bundle the focal resource is the MessageHeader's focus.
  boost::system::result<Translation, std::vector<Issue>> fhir_to_v2(
      const rapidjson::Value& resource_or_bundle, const rapidjson::Value* previous,
      const Options& options) const;

  /// The loaded mappings.
  std::span<const MappingInfo> mappings() const noexcept;

  /// Effective value of a constant after overrides (empty view when unknown).
  std::string_view constant(std::string_view name) const noexcept;

  Engine(const Engine&) = default;
  Engine(Engine&&) noexcept = default;
  Engine& operator=(const Engine&) = default;
  Engine& operator=(Engine&&) noexcept = default;
  ~Engine();

 private:
  explicit Engine(std::shared_ptr<const Plan> plan);
  std::shared_ptr<const Plan> plan_;
};

[[noreturn]] void throw_exception_from_error(const std::vector<LoadError>& e,
                                             const boost::source_location& loc);
[[noreturn]] void throw_exception_from_error(const std::vector<Issue>& e,
                                             const boost::source_location& loc);

}  // namespace fcpgw::mappings
