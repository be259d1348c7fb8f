#include "hl7v2/batch.h"

#include <array>

namespace fcpgw::hl7v2 {

namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";

bool is_eol(char c) noexcept { return c == '\r' || c == '\n'; }

// The segment id of `line` when it is one of the four envelope segments (the id followed by
// the field separator, or alone): "FHS", "BHS", "BTS", "FTS"; else "".
std::string_view envelope_id(std::string_view line) noexcept {
  if (line.size() < 3) return {};
  const std::string_view id = line.substr(0, 3);
  if (id != "FHS" && id != "BHS" && id != "BTS" && id != "FTS") return {};
  if (line.size() > 3) {
    const auto c = static_cast<unsigned char>(line[3]);
    if ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z')) return {};
  }
  return id;
}

bool blank(std::string_view line) noexcept {
  return line.find_first_not_of(" \t") == std::string_view::npos;
}

// FHS/BHS: the separator is the fourth byte, as in MSH; fields numbered as in MSH.
BatchHeader read_header(std::string_view line) {
  BatchHeader h;
  if (line.size() < 4) return h;
  Delimiters& d = h.delimiters;
  d.field = line[3];
  std::array<std::string_view, 12> f{};  // f[k] = field k+1 (f[1] = encoding characters)
  std::size_t k = 0;
  std::size_t start = 4;
  for (std::size_t i = 4; i <= line.size() && k + 1 < f.size(); ++i) {
    if (i == line.size() || line[i] == d.field) {
      f[++k] = line.substr(start, i - start);
      start = i + 1;
    }
  }
  const std::string_view enc = f[1];
  if (enc.size() >= 1) d.component = enc[0];
  if (enc.size() >= 2) d.repetition = enc[1];
  if (enc.size() >= 3) d.escape = enc[2];
  if (enc.size() >= 4) d.subcomponent = enc[3];
  if (enc.size() >= 5) d.truncation = enc[4];
  h.sending_application = f[2];
  h.sending_facility = f[3];
  h.receiving_application = f[4];
  h.receiving_facility = f[5];
  h.control_id = f[10];
  return h;
}

// The first field of a trailer (BTS-1, FTS-1).
std::string first_field(std::string_view line) {
  if (line.size() < 4) return {};
  const char sep = line[3];
  const std::string_view rest = line.substr(4);
  return std::string(rest.substr(0, rest.find(sep)));
}

// One header segment of the answer: `id` with the inbound's routing swapped.
void write_header(std::string& out, std::string_view id, const BatchHeader& in,
                  std::string_view timestamp, std::string_view control_id) {
  const char f = in.delimiters.field;
  out += id;
  out += f;
  out += in.delimiters.encoding_characters();
  for (std::string_view v : {std::string_view(in.receiving_application),
                             std::string_view(in.receiving_facility),
                             std::string_view(in.sending_application),
                             std::string_view(in.sending_facility), timestamp}) {
    out += f;
    out += v;
  }
  out += f;  // -8 security
  out += f;  // -9 name/id/type
  out += f;  // -10 comment
  out += f;
  out += control_id;
  out += f;
  out += in.control_id;
  out += '\r';
}

std::string file_count_problem(const BatchFile& in) {
  // FTS-1 counts the batches (BHS); messages sent straight inside a file have none to count.
  std::size_t batches = 0;
  for (const Batch& b : in.batches) batches += b.header ? 1 : 0;
  return batches == 0 ? std::string() : trailer_count_problem("FTS-1", in.trailer_count, batches);
}

}  // namespace

bool is_batch(std::string_view bytes) noexcept {
  if (bytes.starts_with(kBom)) bytes.remove_prefix(kBom.size());
  while (!bytes.empty()) {
    std::size_t eol = 0;
    while (eol < bytes.size() && !is_eol(bytes[eol])) ++eol;
    const std::string_view line = bytes.substr(0, eol);
    if (!blank(line)) {
      const std::string_view id = envelope_id(line);
      return (id == "FHS" || id == "BHS") && line.size() > 3;
    }
    bytes.remove_prefix(eol < bytes.size() ? eol + 1 : eol);
  }
  return false;
}

BatchFile split_batch(std::string_view bytes) {
  BatchFile out;
  std::size_t pos = bytes.starts_with(kBom) ? kBom.size() : 0;
  // The message being cut: [begin, end) of the bytes, open while `open`.
  std::size_t begin = 0;
  std::size_t end = 0;
  bool open = false;
  bool in_batch = false;  // a BHS has been read and its BTS not yet
  auto current = [&]() -> Batch& {
    if (out.batches.empty() || (!in_batch && out.batches.back().trailer_count)) {
      out.batches.emplace_back();
    }
    return out.batches.back();
  };
  auto close = [&] {
    if (open) current().messages.push_back(bytes.substr(begin, end - begin));
    open = false;
  };
  while (pos < bytes.size()) {
    std::size_t eol = pos;
    while (eol < bytes.size() && !is_eol(bytes[eol])) ++eol;
    std::size_t next = eol;
    if (next < bytes.size()) ++next;
    if (next < bytes.size() && bytes[eol] == '\r' && bytes[next] == '\n') ++next;
    const std::string_view line = bytes.substr(pos, eol - pos);
    if (blank(line)) {
      pos = next;
      continue;
    }
    const std::string_view id = envelope_id(line);
    if (id == "FHS") {
      close();
      out.file = read_header(line);
    } else if (id == "BHS") {
      close();
      out.batches.emplace_back().header = read_header(line);
      in_batch = true;
    } else if (id == "BTS") {
      close();
      current().trailer_count = first_field(line);
      in_batch = false;
    } else if (id == "FTS") {
      close();
      out.trailer_count = first_field(line);
    } else if (line.starts_with("MSH") || !open) {
      // A message starts at each MSH; anything else outside a message is kept as one too.
      close();
      begin = pos;
      end = next;
      open = true;
    } else {
      end = next;
    }
    pos = next;
  }
  close();
  return out;
}

std::string trailer_count_problem(std::string_view field, const std::optional<std::string>& sent,
                                  std::size_t received) {
  if (!sent) return {};
  std::string_view count = *sent;
  while (!count.empty() && count.front() == ' ') count.remove_prefix(1);
  while (!count.empty() && count.back() == ' ') count.remove_suffix(1);
  if (count.empty()) return {};
  std::size_t n = 0;
  for (const char c : count) {
    if (c < '0' || c > '9' || n > 100'000'000) return std::string(field) + " is not a count";
    n = n * 10 + static_cast<std::size_t>(c - '0');
  }
  if (n == received) return {};
  return std::string(field) + " counts " + std::to_string(n) + ", " + std::to_string(received) +
         " received";
}

std::string count_problems(const BatchFile& in) {
  std::string all = file_count_problem(in);
  for (const Batch& b : in.batches) {
    const std::string p = trailer_count_problem("BTS-1", b.trailer_count, b.messages.size());
    if (!p.empty()) all += (all.empty() ? "" : "; ") + p;
  }
  return all;
}

std::string build_batch_ack(const BatchFile& in, const std::vector<std::vector<std::string>>& acks,
                            std::string_view timestamp, std::string_view control_id) {
  std::string out;
  const std::string file_id = std::string(control_id) + "F";
  const BatchHeader none = in.file ? *in.file : BatchHeader{};
  if (in.file) write_header(out, "FHS", *in.file, timestamp, file_id);
  const char f = in.file ? in.file->delimiters.field : '|';
  for (std::size_t b = 0; b < in.batches.size(); ++b) {
    const Batch& batch = in.batches[b];
    const BatchHeader& h = batch.header ? *batch.header : none;
    write_header(out, "BHS", h, timestamp, std::string(control_id) + "B" + std::to_string(b + 1));
    std::size_t count = 0;
    if (b < acks.size()) {
      for (const std::string& ack : acks[b]) {
        out += ack;
        if (!ack.empty() && ack.back() != '\r') out += '\r';
        ++count;
      }
    }
    out += "BTS";
    out += h.delimiters.field;
    out += std::to_string(count);
    const std::string problem =
        trailer_count_problem("BTS-1", batch.trailer_count, batch.messages.size());
    if (!problem.empty()) (out += h.delimiters.field) += problem;
    out += '\r';
  }
  if (in.file) {
    out += "FTS";
    out += f;
    out += std::to_string(in.batches.size());
    const std::string problem = file_count_problem(in);
    if (!problem.empty()) (out += f) += problem;
    out += '\r';
  }
  return out;
}

}  // namespace fcpgw::hl7v2
