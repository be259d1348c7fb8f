#include "gateway/cli/command.h"

#include <algorithm>
#include <string>

#include "gateway/service/issues.h"
#include "gateway/service/mapping_files.h"

namespace fcpgw::gateway::cli {

std::string message_label(const std::string& file, const RawMessage& m) {
  std::string s = file + ": message " + std::to_string(m.index);
  if (m.framed) {
    s += " (MLLP frame " + std::to_string(m.index) + ")";
  } else {
    s += " (byte " + std::to_string(m.offset) + ")";
  }
  return s;
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
                          const std::vector<mappings::Issue>& issues, bool warnings,
                          bool v2_input) {
  for (const mappings::Issue& i : issues) {
    if (i.severity != mappings::Severity::error && !warnings) continue;
    rep.error(where, service::to_text(service::from_mapping(i, v2_input)));
  }
}

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

// JSON text without a leading UTF-8 BOM (RFC 8259 lets a parser ignore one; RapidJSON does not).
std::string_view json_text(const std::string& bytes) {
  std::string_view v(bytes);
  if (v.starts_with("\xEF\xBB\xBF")) v.remove_prefix(3);
  return v;
}

bool is_v2(InputFormat f) { return f == InputFormat::er7 || f == InputFormat::mllp; }

// ---------------------------------------------------------------------------------------------
// Mapping engine

std::optional<mappings::Engine> load_engine(const Options& opt, Reporter& rep, int& exit_code) {
  auto engine = service::load_engine(opt.config, opt.mappings);
  if (!engine) {
    for (const std::string& line : engine.error().lines) rep.line(line);
    exit_code = code(engine.error().environment ? Exit::internal : Exit::bad_input);
    return std::nullopt;
  }
  return std::move(*engine);
}

}  // namespace fcpgw::gateway::cli
