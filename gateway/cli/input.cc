#include "gateway/cli/input.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <system_error>
#include <utility>

namespace fcpgw::gateway {

namespace {

constexpr unsigned char kBom[3] = {0xEF, 0xBB, 0xBF};

bool is_space(unsigned char c) noexcept {
  // Not '\v': 0x0B is the MLLP start byte.
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f';
}

bool is_alnum(unsigned char c) noexcept {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/// The header segments an ER7 stream may begin with: a message, or a file or batch envelope
/// (FHS, BHS; their segments are skipped by the splitter).
constexpr std::string_view kEr7Starts[] = {"MSH", "FHS", "BHS"};

/// Whether `text` begins with a batch header (FHS or BHS as a whole segment id).
bool starts_with_batch_header(std::string_view text) noexcept {
  return (text.starts_with("FHS") || text.starts_with("BHS")) &&
         (text.size() == 3 || !is_alnum(static_cast<unsigned char>(text[3])));
}

}  // namespace

std::string_view to_string(InputFormat f) noexcept {
  switch (f) {
    case InputFormat::empty:
      return "empty";
    case InputFormat::er7:
      return "HL7 v2 (ER7)";
    case InputFormat::mllp:
      return "HL7 v2 (MLLP framed)";
    case InputFormat::fhir_json:
      return "FHIR JSON";
    case InputFormat::unknown:
      break;
  }
  return "unknown";
}

Detection detect_format(std::string_view head, bool at_end) noexcept {
  Detection d;
  std::size_t i = 0;
  // A UTF-8 BOM (or the start of one, when more bytes may follow).
  while (i < 3 && i < head.size() && static_cast<unsigned char>(head[i]) == kBom[i]) ++i;
  if (i > 0 && i < 3) {
    if (i == head.size() && !at_end) {
      d.need_more = true;
      return d;
    }
    i = 0;  // not a BOM after all: judge the first byte itself
  }
  while (i < head.size() && is_space(static_cast<unsigned char>(head[i]))) ++i;
  d.offset = i;
  if (i == head.size()) {
    if (at_end) {
      d.format = InputFormat::empty;
    } else {
      d.need_more = true;
    }
    return d;
  }
  const char c = head[i];
  if (c == hl7v2::mllp_start) {
    d.format = InputFormat::mllp;
  } else if (c == '{') {
    d.format = InputFormat::fhir_json;
  } else {
    const std::string_view rest = head.substr(i);
    for (const std::string_view start : kEr7Starts) {
      // A segment id is decided by its fourth byte too ("BHSX" is not BHS).
      if (rest.size() < 4 && !at_end && start.starts_with(rest.substr(0, 3))) {
        d.need_more = true;
        break;
      }
      if (rest.starts_with(start) &&
          (rest.size() == 3 || !is_alnum(static_cast<unsigned char>(rest[3])))) {
        d.format = InputFormat::er7;
        break;
      }
    }
  }
  return d;
}

// ---------------------------------------------------------------------------------------------
// MessageSplitter

MessageSplitter::MessageSplitter(bool mllp, std::size_t max_message_bytes)
    : mllp_(mllp), max_(max_message_bytes), decoder_(max_message_bytes) {}

void MessageSplitter::feed(std::string_view chunk) {
  if (!bom_done_) {
    // Drop a UTF-8 BOM at the very start of the stream (it may arrive split across chunks).
    while (!chunk.empty() && bom_seen_ < 3 &&
           static_cast<unsigned char>(chunk.front()) == kBom[bom_seen_]) {
      ++bom_seen_;
      chunk.remove_prefix(1);
    }
    if (bom_seen_ == 3) {
      bom_done_ = true;
      pos_ += 3;
    } else if (chunk.empty()) {
      return;  // could still be a BOM
    } else {
      bom_done_ = true;
      if (bom_seen_ > 0) {  // a partial match was data after all
        const std::string partial(reinterpret_cast<const char*>(kBom), bom_seen_);
        mllp_ ? feed_mllp(partial) : feed_er7(partial);
      }
    }
  }
  mllp_ ? feed_mllp(chunk) : feed_er7(chunk);
}

void MessageSplitter::finish() {
  if (!bom_done_) {
    bom_done_ = true;
    if (bom_seen_ > 0 && bom_seen_ < 3) {
      const std::string partial(reinterpret_cast<const char*>(kBom), bom_seen_);
      mllp_ ? feed_mllp(partial) : feed_er7(partial);
    }
  }
  if (mllp_) {
    drain_decoder();
    if (decoder_.in_frame()) {
      RawMessage m;
      m.index = ++count_;
      m.framed = true;
      m.refused = "MLLP frame not terminated: the input ended before its end byte (0x1C)";
      ready_.push_back(std::move(m));
      decoder_.reset();
    }
    return;
  }
  if (in_line_ && line_ == LineKind::undecided) decide_line();
  in_line_ = false;
  close_message();
}

bool MessageSplitter::next(RawMessage& out) {
  if (ready_.empty()) return false;
  out = std::move(ready_.front());
  ready_.pop_front();
  return true;
}

void MessageSplitter::feed_mllp(std::string_view chunk) {
  decoder_.feed(chunk);
  pos_ += chunk.size();
  drain_decoder();
}

void MessageSplitter::drain_decoder() {
  while (auto ev = decoder_.next()) {
    RawMessage m;
    m.framed = true;
    switch (ev->kind) {
      case hl7v2::MllpEvent::Kind::frame:
        if (starts_with_batch_header(ev->payload)) {
          // A whole batch in one frame: its messages are cut out as in an ER7 stream.
          split_framed_batch(ev->payload);
          continue;
        }
        m.bytes = std::move(ev->payload);
        break;
      case hl7v2::MllpEvent::Kind::oversize:
        m.refused = "MLLP frame larger than the limit of " + std::to_string(max_) + " bytes";
        break;
      case hl7v2::MllpEvent::Kind::truncated:
        m.refused =
            "MLLP frame cut short: a new start byte (0x0B) arrived before its end byte (0x1C)";
        break;
    }
    m.index = ++count_;
    ready_.push_back(std::move(m));
  }
}

void MessageSplitter::split_framed_batch(std::string_view payload) {
  MessageSplitter inner(false, max_);
  inner.feed(payload);
  inner.finish();
  RawMessage m;
  while (inner.next(m)) {
    m.index = ++count_;
    m.framed = true;
    m.offset = 0;
    ready_.push_back(std::move(m));
  }
}

void MessageSplitter::feed_er7(std::string_view chunk) {
  const std::size_t n = chunk.size();
  std::size_t i = 0;
  while (i < n) {
    const char c = chunk[i];
    if (!in_line_) {
      if (c == '\n' && kept_cr_) {  // LF of a kept line's CRLF
        append(std::string_view(&chunk[i], 1));
        kept_cr_ = false;
        ++i;
        continue;
      }
      kept_cr_ = false;
      if (c == '\r' || c == '\n') {  // blank line
        ++i;
        continue;
      }
      in_line_ = true;
      line_ = LineKind::undecided;
      head_.clear();
      lead_ws_ = 0;
      line_start_ = pos_ + i;
    }
    if (c == '\r' || c == '\n') {
      if (line_ == LineKind::undecided) decide_line();
      const bool kept = line_ == LineKind::msh || line_ == LineKind::other;
      if (kept) append(std::string_view(&chunk[i], 1));
      kept_cr_ = kept && c == '\r';
      in_line_ = false;
      ++i;
      continue;
    }
    if (line_ == LineKind::undecided) {
      if (head_.empty() && (c == ' ' || c == '\t')) {
        ++lead_ws_;
      } else {
        head_.push_back(c);
        if (head_.size() >= 4) decide_line();
      }
      ++i;
      continue;
    }
    // Rest of a decided line: up to the next terminator in one go.
    std::size_t j = i;
    while (j < n && chunk[j] != '\r' && chunk[j] != '\n') ++j;
    if (line_ != LineKind::envelope) append(chunk.substr(i, j - i));
    i = j;
  }
  pos_ += n;
}

void MessageSplitter::decide_line() {
  const std::string_view h = head_;
  if (h.empty()) {  // blank or whitespace-only line
    line_ = LineKind::envelope;
    return;
  }
  if (h.starts_with("MSH")) {
    line_ = LineKind::msh;
    close_message();
    start_message(line_start_ + lead_ws_);
    append(h);
    return;
  }
  const std::string_view id = h.substr(0, 3);
  if ((id == "FHS" || id == "BHS" || id == "BTS" || id == "FTS") &&
      (h.size() == 3 || !is_alnum(static_cast<unsigned char>(h[3])))) {
    line_ = LineKind::envelope;  // batch/file header or trailer: not part of any message
    return;
  }
  line_ = LineKind::other;
  if (!open_) start_message(line_start_);
  if (lead_ws_ > max_) {  // refused without building a huge string of blanks
    current_.refused = "message larger than the limit of " + std::to_string(max_) + " bytes";
    std::string().swap(current_.bytes);
  } else if (lead_ws_ > 0) {
    append(std::string(lead_ws_, ' '));
  }
  append(h);
}

void MessageSplitter::append(std::string_view bytes) {
  if (!open_ || !current_.refused.empty()) return;
  if (current_.bytes.size() + bytes.size() > max_) {
    current_.refused = "message larger than the limit of " + std::to_string(max_) + " bytes";
    std::string().swap(current_.bytes);
    return;
  }
  current_.bytes.append(bytes);
}

void MessageSplitter::close_message() {
  if (!open_) return;
  ready_.push_back(std::move(current_));
  current_ = RawMessage{};
  open_ = false;
}

void MessageSplitter::start_message(std::uint64_t offset) {
  open_ = true;
  current_.index = ++count_;
  current_.offset = offset;
  current_.framed = false;
}

}  // namespace fcpgw::gateway
