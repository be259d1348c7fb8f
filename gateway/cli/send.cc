#include "gateway/cli/send.h"

#include <algorithm>
#include <optional>
#include <string_view>

#include "gateway/cli/input.h"
#include "gateway/common/files.h"
#include "gateway/common/text.h"
#include "gateway/mllp/client.h"
#include "hl7v2/message.h"

namespace fcpgw::gateway::cli {

namespace {

enum Exit : int { ok = 0, negative = 1, bad_input = 2, transport = 3 };

constexpr std::size_t kMaxMessageBytes = 16 * 1024 * 1024;
constexpr std::size_t kChunk = 64 * 1024;

// Segment separators LF and CRLF become CR.
std::string to_cr(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '\r' && i + 1 < in.size() && in[i + 1] == '\n') continue;
    out.push_back(in[i] == '\n' ? '\r' : in[i]);
  }
  return out;
}

// The messages of one file, or nullopt (reported on `err`) when it cannot be read or is not
// HL7 v2.
struct FileMessages {
  std::vector<RawMessage> messages;
};

std::optional<FileMessages> read_messages(const std::string& path, std::ostream& err) {
  ReadError error;
  auto file = InputFile::open(path, error);
  if (!file) {
    err << path << ": " << error.message << '\n';
    return std::nullopt;
  }
  std::string data;
  for (;;) {
    const auto n = file->read(data, kChunk, error);
    if (!n) {
      err << file->name() << ": " << error.message << '\n';
      return std::nullopt;
    }
    if (*n == 0) break;
    if (data.size() > kMaxMessageBytes * 4) {
      err << file->name() << ": larger than " << kMaxMessageBytes * 4 << " bytes\n";
      return std::nullopt;
    }
  }
  const Detection d = detect_format(data, true);
  if (d.format != InputFormat::er7 && d.format != InputFormat::mllp) {
    err << file->name() << ": not HL7 v2 (";
    if (d.format == InputFormat::unknown && d.offset < data.size()) {
      err << "starts with " << describe_byte(static_cast<unsigned char>(data[d.offset]));
    } else {
      err << to_string(d.format);
    }
    err << "); expected ER7 starting with MSH, or MLLP frames\n";
    return std::nullopt;
  }
  MessageSplitter splitter(d.format == InputFormat::mllp, kMaxMessageBytes);
  splitter.feed(data);
  splitter.finish();
  FileMessages fm;
  RawMessage m;
  while (splitter.next(m)) fm.messages.push_back(std::move(m));
  return fm;
}

// The line for one ACK; sets `code` to the exit code it implies.
std::string describe_ack(const std::string& ack, std::string_view sent_id, int& code) {
  auto parsed = hl7v2::Message::parse(ack);
  if (!parsed) {
    code = negative;
    return "unreadable ACK: " + printable(parsed.error().message, 200);
  }
  const hl7v2::Message& m = *parsed;
  const auto msa = m.find("MSA");
  if (!msa) {
    code = negative;
    return "ACK without an MSA segment";
  }
  const std::string_view msa2 = msa->field(2);
  if (msa2 != sent_id) {
    code = negative;
    return "mismatched ACK (MSA-2 is \"" + printable(msa2, 64) + "\")";
  }
  const std::string msa1(msa->field(1));
  code = (msa1 == "AA" || msa1 == "CA") ? ok : negative;
  std::string line = msa1.empty() ? std::string("(no MSA-1)") : printable(msa1, 8);
  std::string texts;
  for (const hl7v2::Segment& e : m.all("ERR")) {
    std::string t = m.unescape(e.field(8));
    if (t.empty()) t = m.unescape(e.field(7));
    if (t.empty()) continue;
    texts += texts.empty() ? "" : "; ";
    texts += printable(t, 200);
  }
  if (!texts.empty()) line += ": " + texts;
  return line;
}

}  // namespace

int run_send(std::span<const std::string> files, const SendOptions& o, std::ostream& out,
             std::ostream& err) {
  if (files.empty()) {
    err << "fcpgw send: no input file (give one or more files, or - for standard input)\n";
    return bad_input;
  }
  if (o.port == 0) {
    err << "fcpgw send: the port must be from 1 to 65535\n";
    return bad_input;
  }
  if (o.timeout.count() <= 0) {
    err << "fcpgw send: the timeout must be positive\n";
    return bad_input;
  }
  if (o.cert_file.empty() != o.key_file.empty()) {
    err << "fcpgw send: a client certificate needs both a certificate file and a key file\n";
    return bad_input;
  }
  if (!o.tls && (!o.ca_file.empty() || !o.cert_file.empty() || !o.server_name.empty())) {
    err << "fcpgw send: CA, certificate and server name options need TLS\n";
    return bad_input;
  }
  mllp::ClientOptions co;
  co.host = o.host;
  co.port = o.port;
  co.timeout = o.timeout;
  co.tls = o.tls;
  co.tls_files.ca_file = o.ca_file;
  co.tls_files.cert_file = o.cert_file;
  co.tls_files.key_file = o.key_file;
  co.server_name = o.server_name;
  mllp::MllpClient client(co);

  int worst = ok;
  for (const std::string& path : files) {
    auto fm = read_messages(path, err);
    if (!fm) {
      worst = std::max<int>(worst, bad_input);
      continue;
    }
    const std::string& name = path == "-" ? std::string("<stdin>") : path;
    if (fm->messages.empty()) {
      err << name << ": no message\n";
      worst = std::max<int>(worst, bad_input);
      continue;
    }
    for (RawMessage& raw : fm->messages) {
      const std::string where = name + ": message " + std::to_string(raw.index);
      if (!raw.refused.empty()) {
        err << where << ": " << raw.refused << '\n';
        worst = std::max<int>(worst, bad_input);
        continue;
      }
      std::string bytes = o.lf_to_cr ? to_cr(raw.bytes) : std::move(raw.bytes);
      const auto header = hl7v2::parse_header_lenient(bytes);
      if (!header) {
        err << where << ": not an HL7 v2 message (it does not start with MSH)\n";
        worst = std::max<int>(worst, bad_input);
        continue;
      }
      const std::string id =
          header->control_id.empty() ? "(no MSH-10)" : printable(header->control_id, 64);
      const mllp::SendResult r = client.send(bytes);
      if (!r.ok()) {
        err << name << ": " << id << ": " << r.error << '\n';
        return transport;
      }
      int code = ok;
      const std::string line = describe_ack(r.ack, header->control_id, code);
      out << name << ": " << id << ": " << line << '\n';
      worst = std::max(worst, code);
    }
  }
  out.flush();
  return worst;
}

}  // namespace fcpgw::gateway::cli
