#include "hl7v2/message.h"

#include <array>
#include <cstring>
#include <limits>
#include <stdexcept>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace fcpgw::hl7v2 {

namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";

bool is_upper(char c) noexcept { return c >= 'A' && c <= 'Z'; }
bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
bool is_alnum(char c) noexcept { return is_upper(c) || is_digit(c) || (c >= 'a' && c <= 'z'); }
bool is_eol(char c) noexcept { return c == '\r' || c == '\n'; }
bool is_blank(char c) noexcept { return c == ' ' || c == '\t'; }
// A delimiter must be a printable, non-alphanumeric ASCII character.
bool valid_delimiter(char c) noexcept { return c > 0x20 && c < 0x7f && !is_alnum(c); }

std::uint32_t pack(const char* p) noexcept {
  return (static_cast<std::uint32_t>(static_cast<unsigned char>(p[0])) << 16) |
         (static_cast<std::uint32_t>(static_cast<unsigned char>(p[1])) << 8) |
         static_cast<std::uint32_t>(static_cast<unsigned char>(p[2]));
}

// Printable rendering of at most `max` bytes of input, for error messages.
std::string sanitize(std::string_view s, std::size_t max = 8) {
  std::string out;
  for (std::size_t i = 0; i < s.size() && i < max; ++i) {
    const char c = s[i];
    out.push_back(c >= 0x20 && c < 0x7f ? c : '?');
  }
  if (s.size() > max) out.append("...");
  return out;
}

std::string field_name(std::string_view seg, std::size_t field) {
  std::string s(seg);
  s += '-';
  s += std::to_string(field);
  return s;
}

// Finds the bytes that end a token while indexing: the field separator, the repetition
// separator, CR and LF. Where SSE2 is there (always on x86-64) it classifies 64 bytes at a
// time into a bit mask and keeps it, so that the tokens inside one block (most are shorter than
// 64 bytes) are found from the mask without looking at the bytes again.
class StopScanner {
 public:
  explicit StopScanner(const Delimiters& d) noexcept {
    stop_[static_cast<unsigned char>(d.field)] = true;
    stop_[static_cast<unsigned char>(d.repetition)] = true;
    stop_['\r'] = true;
    stop_['\n'] = true;
#if defined(__SSE2__)
    field_ = _mm_set1_epi8(d.field);
    repetition_ = _mm_set1_epi8(d.repetition);
#endif
  }
  // Offset of the first stop byte in b[p, n), or n (`b` and `n` the same on every call).
  std::size_t next(const char* b, std::size_t p, std::size_t n) noexcept {
#if defined(__SSE2__)
    if (p >= base_ && p < base_ + 64) {
      // Inside the block classified last: the stops at or after p.
      const std::uint64_t m = mask_ & (~std::uint64_t{0} << (p - base_));
      if (m != 0) return base_ + static_cast<std::size_t>(__builtin_ctzll(m));
      p = base_ + 64;
    }
    for (; p + 64 <= n; p += 64) {
      const std::uint64_t m = classify(b + p);
      if (m != 0) {
        base_ = p;
        mask_ = m;
        return p + static_cast<std::size_t>(__builtin_ctzll(m));
      }
    }
#endif
    while (p < n && !stop_[static_cast<unsigned char>(b[p])]) ++p;
    return p;
  }

 private:
#if defined(__SSE2__)
  std::uint64_t classify16(const char* q) const noexcept {
    const __m128i cr = _mm_set1_epi8('\r');
    const __m128i lf = _mm_set1_epi8('\n');
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(q));
    const __m128i hit =
        _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, field_), _mm_cmpeq_epi8(v, repetition_)),
                     _mm_or_si128(_mm_cmpeq_epi8(v, cr), _mm_cmpeq_epi8(v, lf)));
    return static_cast<std::uint32_t>(_mm_movemask_epi8(hit));
  }
  std::uint64_t classify(const char* q) const noexcept {
    return classify16(q) | (classify16(q + 16) << 16) | (classify16(q + 32) << 32) |
           (classify16(q + 48) << 48);
  }
#endif
  std::array<bool, 256> stop_{};
#if defined(__SSE2__)
  __m128i field_;
  __m128i repetition_;
  std::size_t base_ = ~std::size_t{0} - 64;  // block classified last (none yet)
  std::uint64_t mask_ = 0;
#endif
};

// Skips a BOM and blank lines; returns the offset of the first non-blank line (or size()).
// A line holding only spaces/tabs counts as blank; a line starting with blanks followed by
// text does not, and its offset is returned.
std::size_t skip_blank_lines(std::string_view b, std::size_t pos) noexcept {
  while (pos < b.size()) {
    if (is_eol(b[pos])) {
      ++pos;
      continue;
    }
    std::size_t q = pos;
    while (q < b.size() && is_blank(b[q])) ++q;
    if (q == pos) return pos;
    if (q < b.size() && !is_eol(b[q])) return pos;
    pos = q;
  }
  return pos;
}

template <class FieldFn>
void fill_header(MshHeader& h, FieldFn field) {
  const Delimiters& d = h.delimiters;
  h.sending_application.assign(field(3));
  h.sending_facility.assign(field(4));
  h.receiving_application.assign(field(5));
  h.receiving_facility.assign(field(6));
  h.date_time.assign(field(7));
  const std::string_view type = field(9);
  h.message_type.assign(type);
  const std::string_view first_rep = nth_part(type, d.repetition, 1);
  h.message_code.assign(nth_part(first_rep, d.component, 1));
  h.trigger_event.assign(nth_part(first_rep, d.component, 2));
  h.message_structure.assign(nth_part(first_rep, d.component, 3));
  h.control_id.assign(field(10));
  h.processing_id.assign(field(11));
  h.version.assign(field(12));
  h.accept_ack_type.assign(field(15));
  h.application_ack_type.assign(field(16));
  h.character_set.assign(field(18));
}

}  // namespace

void throw_exception_from_error(const ParseError& e, const boost::source_location&) {
  throw std::invalid_argument(e.message);
}

std::optional<MshHeader> parse_header_lenient(std::string_view b) {
  std::size_t pos = b.substr(0, 3) == kBom ? 3 : 0;
  pos = skip_blank_lines(b, pos);
  if (b.size() < pos + 4 || b.compare(pos, 3, "MSH") != 0 || is_eol(b[pos + 3])) {
    return std::nullopt;
  }
  std::size_t eol = pos;
  while (eol < b.size() && !is_eol(b[eol])) ++eol;
  const std::string_view line = b.substr(pos, eol - pos);
  MshHeader h;
  Delimiters& d = h.delimiters;
  d.field = line[3];
  // tokens[k] is the text after the k-th field separator: tokens[1] = MSH-2, tokens[k] = MSH-(k+1).
  std::array<std::string_view, 19> tokens{};
  std::size_t k = 0;
  std::size_t start = 4;
  for (std::size_t i = 4; i <= line.size() && k + 1 < tokens.size(); ++i) {
    if (i == line.size() || line[i] == d.field) {
      tokens[++k] = line.substr(start, i - start);
      start = i + 1;
    }
  }
  const std::string_view enc = tokens[1];
  if (enc.size() >= 1) d.component = enc[0];
  if (enc.size() >= 2) d.repetition = enc[1];
  if (enc.size() >= 3) d.escape = enc[2];
  if (enc.size() >= 4) d.subcomponent = enc[3];
  if (enc.size() >= 5) d.truncation = enc[4];
  fill_header(h, [&](std::size_t n) -> std::string_view {
    return n >= 2 && n - 1 < tokens.size() ? tokens[n - 1] : std::string_view{};
  });
  return h;
}

// ---------------------------------------------------------------------------------------
// Parsing

struct MessageParser {
  Message& m;
  const Limits& limits;

  ParseError error(ParseErrc code, std::size_t seg_index, std::string_view seg_id,
                   std::size_t field, std::size_t offset, std::string msg) const {
    ParseError e;
    e.code = code;
    e.segment_index = seg_index;
    e.segment_id = sanitize(seg_id);
    if (seg_id.size() == 3 && seg_index > 0) {
      const std::uint32_t key = pack(seg_id.data());
      std::size_t occ = 1;
      for (std::size_t i = 0; i + 1 < seg_index && i < m.segs_.size(); ++i) {
        occ += (m.segs_[i].key == key);
      }
      e.segment_occurrence = occ;
    }
    e.field = field;
    e.byte_offset = offset;
    e.message = std::move(msg);
    e.header = parse_header_lenient(m.buf_);
    return e;
  }

  std::string where(std::size_t seg_index, std::string_view id) const {
    std::string s = "segment " + std::to_string(seg_index);
    if (!id.empty()) {
      s += " (";
      s += sanitize(id);
      s += ')';
    }
    return s;
  }

  boost::system::result<void, ParseError> run() {
    const std::string& b = m.buf_;
    const std::size_t n = b.size();
    if (n > limits.max_message_bytes || n >= std::numeric_limits<std::uint32_t>::max()) {
      return error(ParseErrc::too_large, 0, {}, 0, std::min(n, limits.max_message_bytes),
                   "message is " + std::to_string(n) + " bytes; the limit is " +
                       std::to_string(limits.max_message_bytes) + " bytes");
    }
    std::size_t pos = std::string_view(b).substr(0, 3) == kBom ? 3 : 0;
    pos = skip_blank_lines(b, pos);
    if (pos >= n) {
      return error(ParseErrc::empty, 0, {}, 0, pos,
                   "message is empty; expected 'MSH' at byte " + std::to_string(pos));
    }

    // --- MSH: delimiters first.
    if (n - pos < 3 || b.compare(pos, 3, "MSH") != 0) {
      std::size_t e = pos;
      while (e < n && e < pos + 3 && !is_eol(b[e])) ++e;
      return error(ParseErrc::not_msh, 1, std::string_view(b).substr(pos, e - pos), 0, pos,
                   "segment 1: expected 'MSH' at byte " + std::to_string(pos) + ", found '" +
                       sanitize(std::string_view(b).substr(pos, e - pos)) + "'");
    }
    if (pos + 3 >= n || !valid_delimiter(b[pos + 3])) {
      return error(ParseErrc::bad_delimiters, 1, "MSH", 1, pos + 3,
                   "MSH-1: expected a field separator (printable, not a letter or digit) at byte " +
                       std::to_string(pos + 3));
    }
    Delimiters d;
    d.field = b[pos + 3];
    std::size_t enc_end = pos + 4;
    while (enc_end < n && b[enc_end] != d.field && !is_eol(b[enc_end])) ++enc_end;
    const std::size_t enc_len = enc_end - (pos + 4);
    if (enc_len != 4 && enc_len != 5) {
      return error(ParseErrc::bad_delimiters, 1, "MSH", 2, pos + 4,
                   "MSH-2: expected 4 or 5 encoding characters at byte " + std::to_string(pos + 4) +
                       ", found " + std::to_string(enc_len));
    }
    std::array<char, 6> all{d.field};
    for (std::size_t i = 0; i < enc_len; ++i) {
      const char c = b[pos + 4 + i];
      bool ok = valid_delimiter(c);
      for (std::size_t j = 0; j <= i && ok; ++j) ok = all[j] != c;
      if (!ok) {
        return error(ParseErrc::bad_delimiters, 1, "MSH", 2, pos + 4 + i,
                     "MSH-2: encoding character " + std::to_string(i + 1) + " '" +
                         sanitize(std::string_view(&b[pos + 4 + i], 1)) +
                         "' is invalid; expected distinct printable characters that are not "
                         "letters or digits");
      }
      all[i + 1] = c;
    }
    d.component = all[1];
    d.repetition = all[2];
    d.escape = all[3];
    d.subcomponent = all[4];
    if (enc_len == 5) d.truncation = all[5];
    m.delims_ = d;

    StopScanner scan(d);

    m.segs_.reserve(32);
    m.toks_.reserve(n / 6 + 8);
    std::size_t seg_no = 0;
    while (pos < n) {
      const char c0 = b[pos];
      if (is_eol(c0)) {
        ++pos;
        continue;
      }
      if (is_blank(c0)) {
        const std::size_t q = skip_blank_lines(b, pos);
        if (q != pos) {
          pos = q;
          continue;
        }
      }
      ++seg_no;
      const bool msh = seg_no == 1;
      std::size_t p = pos + 3;
      if (!msh) {
        const bool id_ok = n - pos >= 3 && is_upper(b[pos]) &&
                           (is_upper(b[pos + 1]) || is_digit(b[pos + 1])) &&
                           (is_upper(b[pos + 2]) || is_digit(b[pos + 2])) &&
                           (p == n || b[p] == d.field || is_eol(b[p]));
        if (!id_ok) {
          std::size_t e = pos;
          while (e < n && e < pos + 8 && b[e] != d.field && !is_eol(b[e])) ++e;
          const std::string_view bad = std::string_view(b).substr(pos, e - pos);
          return error(ParseErrc::bad_segment_id, seg_no, bad, 0, pos,
                       "segment " + std::to_string(seg_no) + ": invalid segment id '" +
                           sanitize(bad) + "' at byte " + std::to_string(pos) +
                           "; expected three upper-case letters or digits followed by '" +
                           std::string(1, d.field) + "'");
        }
      }
      if (seg_no > limits.max_segments) {
        return error(ParseErrc::too_many_segments, seg_no, std::string_view(b).substr(pos, 3), 0,
                     pos,
                     "segment " + std::to_string(seg_no) + ": more than " +
                         std::to_string(limits.max_segments) + " segments");
      }
      const std::size_t first_tok = m.toks_.size();
      // For MSH, field numbers are one more than token numbers (MSH-1 is the separator).
      const std::size_t field_bias = msh ? 1 : 0;
      if (msh) {
        m.toks_.push_back(static_cast<std::uint32_t>(pos + 4));  // MSH-2
        p = enc_end;
      }
      std::size_t reps = 1;
      while (true) {
        p = scan.next(b.data(), p, n);
        if (p >= n) break;
        const char c = b[p];
        if (c == d.field) {
          m.toks_.push_back(static_cast<std::uint32_t>(p + 1));
          reps = 1;
          const std::size_t field_no = m.toks_.size() - first_tok + field_bias;
          if (field_no > limits.max_fields_per_segment) {
            const std::string_view id = std::string_view(b).substr(pos, 3);
            return error(ParseErrc::too_many_fields, seg_no, id, field_no, p,
                         where(seg_no, id) + ": more than " +
                             std::to_string(limits.max_fields_per_segment) + " fields (field " +
                             std::to_string(field_no) + " at byte " + std::to_string(p) + ")");
          }
        } else if (c == d.repetition) {
          if (++reps > limits.max_repetitions_per_field) {
            const std::string_view id = std::string_view(b).substr(pos, 3);
            const std::size_t field_no = m.toks_.size() - first_tok + field_bias;
            ParseError e = error(ParseErrc::too_many_repetitions, seg_no, id, field_no, p,
                                 field_name(id, field_no) + ": more than " +
                                     std::to_string(limits.max_repetitions_per_field) +
                                     " repetitions (" + where(seg_no, id) + ", repetition " +
                                     std::to_string(reps) + " at byte " + std::to_string(p) + ")");
            e.repetition = reps;
            return e;
          }
        } else {
          break;  // CR or LF
        }
        ++p;
      }
      Message::SegInfo info;
      info.begin = static_cast<std::uint32_t>(pos);
      info.end = static_cast<std::uint32_t>(p);
      info.first_tok = static_cast<std::uint32_t>(first_tok);
      info.tok_count = static_cast<std::uint32_t>(m.toks_.size() - first_tok);
      info.key = pack(&b[pos]);
      m.segs_.push_back(info);
      if (msh) {
        auto r = check_msh();
        if (!r) return r;
      }
      pos = p;
    }
    return {};
  }

  boost::system::result<void, ParseError> check_msh() {
    const Segment msh = m.segment(1);
    const auto missing = [&](std::size_t field, std::size_t component, std::string what) {
      std::size_t offset = msh.raw().data() - m.buf_.data() + msh.raw().size();
      const std::string_view f = msh.field(field);
      if (!f.empty()) offset = static_cast<std::size_t>(f.data() - m.buf_.data());
      // Built by appending: `"." + std::to_string(n)` (operator+ that inserts at the front of a
      // temporary) trips a known GCC 12 -Wrestrict false positive at -O3 (GCC bug 105329).
      std::string text = field_name("MSH", field);
      if (component != 0) {
        text.push_back('.');
        text.append(std::to_string(component));
      }
      text.append(": ").append(what).append(" is required");
      ParseError e =
          error(ParseErrc::missing_required_field, 1, "MSH", field, offset, std::move(text));
      e.component = component;
      return e;
    };
    if (msh.field(9).empty()) return missing(9, 0, "message type");
    if (msh.component(9, 1, 1).empty()) return missing(9, 1, "message code");
    if (msh.field(10).empty()) return missing(10, 0, "message control id");
    if (msh.field(12).empty()) return missing(12, 0, "version id");
    if (msh.component(12, 1, 1).empty()) return missing(12, 1, "version id");
    return {};
  }
};

boost::system::result<Message, ParseError> Message::parse(std::string bytes, const Limits& limits) {
  Message m;
  m.buf_ = std::move(bytes);
  MessageParser parser{m, limits};
  auto r = parser.run();
  if (!r) return r.error();
  return m;
}

// ---------------------------------------------------------------------------------------
// Access

Segment Message::segment(std::size_t index) const noexcept {
  if (index == 0 || index > segs_.size()) return {};
  return Segment(this, static_cast<std::uint32_t>(index - 1));
}

std::optional<Segment> Message::find(std::string_view id, std::size_t occurrence) const noexcept {
  if (id.size() != 3 || occurrence == 0) return std::nullopt;
  const std::uint32_t key = pack(id.data());
  for (std::size_t i = 0; i < segs_.size(); ++i) {
    if (segs_[i].key == key && --occurrence == 0) {
      return Segment(this, static_cast<std::uint32_t>(i));
    }
  }
  return std::nullopt;
}

std::optional<Segment> Message::find_next(std::string_view id,
                                          std::size_t after_index) const noexcept {
  if (id.size() != 3) return std::nullopt;
  const std::uint32_t key = pack(id.data());
  for (std::size_t i = after_index; i < segs_.size(); ++i) {
    if (segs_[i].key == key) return Segment(this, static_cast<std::uint32_t>(i));
  }
  return std::nullopt;
}

std::size_t Message::count(std::string_view id) const noexcept {
  if (id.size() != 3) return 0;
  const std::uint32_t key = pack(id.data());
  std::size_t c = 0;
  for (const SegInfo& s : segs_) c += (s.key == key);
  return c;
}

std::vector<Segment> Message::all(std::string_view id) const {
  std::vector<Segment> out;
  if (id.size() != 3) return out;
  const std::uint32_t key = pack(id.data());
  for (std::size_t i = 0; i < segs_.size(); ++i) {
    if (segs_[i].key == key) out.push_back(Segment(this, static_cast<std::uint32_t>(i)));
  }
  return out;
}

std::string_view Message::get(const Path& p) const noexcept {
  const auto s = find(p.segment_id(), p.occurrence);
  return s ? s->get(p) : std::string_view{};
}

std::string Message::text(const Path& p) const { return unescape(get(p)); }

std::string_view Message::message_code() const noexcept { return segment(1).component(9, 1, 1); }
std::string_view Message::trigger_event() const noexcept { return segment(1).component(9, 1, 2); }
std::string_view Message::message_structure() const noexcept {
  return segment(1).component(9, 1, 3);
}
std::string_view Message::control_id() const noexcept { return segment(1).field(10); }
std::string_view Message::version() const noexcept { return segment(1).component(12, 1, 1); }

MshHeader Message::header() const {
  MshHeader h;
  h.delimiters = delims_;
  const Segment msh = segment(1);
  if (msh) fill_header(h, [&](std::size_t n) { return msh.field(n); });
  return h;
}

std::string_view Segment::id() const noexcept {
  return std::string_view(msg_->buf_).substr(msg_->segs_[idx_].begin, 3);
}

std::string_view Segment::raw() const noexcept {
  const auto& s = msg_->segs_[idx_];
  return std::string_view(msg_->buf_).substr(s.begin, s.end - s.begin);
}

std::size_t Segment::field_count() const noexcept {
  const auto& s = msg_->segs_[idx_];
  return s.tok_count + (s.key == pack("MSH") ? 1 : 0);
}

std::string_view Segment::field(std::size_t n) const noexcept {
  if (msg_ == nullptr || n == 0) return {};
  const auto& s = msg_->segs_[idx_];
  const std::string_view buf(msg_->buf_);
  std::size_t t = n - 1;
  if (s.key == pack("MSH")) {
    if (n == 1) return s.end > s.begin + 3 ? buf.substr(s.begin + 3, 1) : std::string_view{};
    t = n - 2;
  }
  if (t >= s.tok_count) return {};
  const std::size_t begin = msg_->toks_[s.first_tok + t];
  const std::size_t end = t + 1 < s.tok_count ? msg_->toks_[s.first_tok + t + 1] - 1 : s.end;
  return buf.substr(begin, end - begin);
}

namespace {
bool is_msh_delimiter_field(const Segment& s, std::size_t n) noexcept {
  return n <= 2 && s.id() == "MSH";
}
}  // namespace

std::size_t Segment::repetition_count(std::size_t n) const noexcept {
  const std::string_view f = field(n);
  if (f.empty()) return 0;
  if (is_msh_delimiter_field(*this, n)) return 1;
  return count_parts(f, msg_->delims_.repetition);
}

std::string_view Segment::repetition(std::size_t n, std::size_t rep) const noexcept {
  const std::string_view f = field(n);
  if (is_msh_delimiter_field(*this, n)) return rep == 1 ? f : std::string_view{};
  return nth_part(f, msg_->delims_.repetition, rep);
}

std::string_view Segment::component(std::size_t n, std::size_t rep,
                                    std::size_t comp) const noexcept {
  const std::string_view r = repetition(n, rep);
  if (comp == 0) return r;
  if (is_msh_delimiter_field(*this, n)) return comp == 1 ? r : std::string_view{};
  return nth_part(r, msg_->delims_.component, comp);
}

std::string_view Segment::subcomponent(std::size_t n, std::size_t rep, std::size_t comp,
                                       std::size_t sub) const noexcept {
  const std::string_view c = component(n, rep, comp);
  if (sub == 0 || comp == 0) return c;
  if (is_msh_delimiter_field(*this, n)) return sub == 1 ? c : std::string_view{};
  return nth_part(c, msg_->delims_.subcomponent, sub);
}

std::string_view Segment::get(const Path& p) const noexcept {
  if (msg_ == nullptr) return {};
  return subcomponent(p.field, p.repetition, p.component, p.subcomponent);
}

std::string Segment::text(const Path& p) const {
  if (msg_ == nullptr) return {};
  return hl7v2::unescape(get(p), msg_->delims_);
}

}  // namespace fcpgw::hl7v2
