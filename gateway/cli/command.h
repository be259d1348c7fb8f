#pragma once
// What the commands of the command line share: their options, the reporter that writes
// diagnostics (never data from the input), and reading inputs (files, standard input; a v2
// stream one message at a time). Internal to gateway/cli/.

#include <cstddef>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/cli/cli.h"
#include "gateway/cli/input.h"
#include "gateway/config/config.h"
#include "hl7v2/message.h"
#include "mappings/engine.h"

namespace fcpgw::gateway::cli {

inline constexpr std::size_t kChunk = 64 * 1024;

inline int code(Exit e) { return static_cast<int>(e); }

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
  bool explain = false;
  std::optional<std::string> config_file;  // --config
  // The configuration in force: the file given with --config, else the built-in defaults
  // (the same as config/default.json). Explicit flags win over it.
  Config config = Config::defaults();
  std::size_t max_input = 0;  // --max-input-bytes, else limits.input.max_bytes
  // mappings test
  std::optional<std::string> golden_dir;
  std::string filter;
  bool verbose = false;
  bool update = false;                // --update: write the expected files of failing cases
  std::optional<std::string> accept;  // --accept NAME: the same for one case
  // translate
  std::optional<std::string> message_time;  // --message-time
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

/// "FILE: message N (MLLP frame N)" / "FILE: message N (byte B)".
std::string message_label(const std::string& file, const RawMessage& m);

/// The readable place of a parse error in a stream: "PID-3 (segment 4, byte 812)".
std::string v2_location(const hl7v2::ParseError& e, const RawMessage& m);

/// Writes the mapping's issues (errors only unless `warnings`).
void report_engine_issues(Reporter& rep, const std::string& where,
                          const std::vector<mappings::Issue>& issues, bool warnings, bool v2_input);

// ---------------------------------------------------------------------------------------------
// Inputs

struct OpenedInput {
  InputFile file;
  std::string head;  // bytes read so far
  Detection det;
  bool eof = false;
};

/// Opens `path` and reads until its format is known. Reports problems and returns nullopt.
std::optional<OpenedInput> open_input(const std::string& path, std::size_t max, Reporter& rep);

/// Reads the rest of a single-document input (JSON) into in.head, up to `max` bytes.
bool read_whole(OpenedInput& in, std::size_t max, Reporter& rep);

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

/// JSON text without a leading UTF-8 BOM (RFC 8259 lets a parser ignore one; RapidJSON does
/// not).
std::string_view json_text(const std::string& bytes);

bool is_v2(InputFormat f);

/// The mapping engine for a command (service::load_engine), problems reported; sets
/// `exit_code` on failure.
std::optional<mappings::Engine> load_engine(const Options& opt, Reporter& rep, int& exit_code);

int cmd_translate(const Options& opt, std::ostream& out, Reporter& rep);
int cmd_validate(const Options& opt, std::ostream& out, Reporter& rep);
int cmd_mappings_test(const Options& opt, std::ostream& out, Reporter& rep);
int cmd_mappings_check(const Options& opt, std::ostream& out, Reporter& rep);

}  // namespace fcpgw::gateway::cli
