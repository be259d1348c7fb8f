#include "hl7v2/builder.h"

#include <algorithm>
#include <tuple>

namespace fcpgw::hl7v2 {

namespace {

bool valid_id(std::string_view id) noexcept {
  const auto up = [](char c) { return c >= 'A' && c <= 'Z'; };
  const auto dig = [](char c) { return c >= '0' && c <= '9'; };
  return id.size() == 3 && up(id[0]) && (up(id[1]) || dig(id[1])) && (up(id[2]) || dig(id[2]));
}

std::uint32_t at_least_1(std::uint32_t v) noexcept { return v == 0 ? 1 : v; }

/// A C0 control character or DEL: never written raw into ER7.
constexpr bool is_control(char c) noexcept {
  const auto u = static_cast<unsigned char>(c);
  return u < 0x20 || u == 0x7F;
}

/// escape_append, and every control character not already a delimiter becomes a `\Xhh\` hex
/// escape (as CR and LF do there): raw, a NUL or BEL is invalid text, and VT / FS would break
/// MLLP framing. unescape() gives the bytes back.
void escape_text(std::string& out, std::string_view text, const Delimiters& d) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::size_t run = 0;  // start of the pending run without control characters
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (!is_control(c) || d.is_special(c)) continue;
    escape_append(out, text.substr(run, i - run), d);
    const auto u = static_cast<unsigned char>(c);
    out.push_back(d.escape);
    out.push_back('X');
    out.push_back(kHex[u >> 4]);
    out.push_back(kHex[u & 15]);
    out.push_back(d.escape);
    run = i + 1;
  }
  escape_append(out, text.substr(run), d);
}

}  // namespace

MessageBuilder::MessageBuilder(const Delimiters& delimiters, char terminator)
    : d_(delimiters), terminator_(terminator) {
  out_.reserve(1024);
  scratch_.reserve(512);
  entries_.reserve(32);
}

MessageBuilder& MessageBuilder::segment(std::string_view id) {
  flush();
  if (!valid_id(id)) {
    ++dropped_;
    return *this;
  }
  seg_id_[0] = id[0];
  seg_id_[1] = id[1];
  seg_id_[2] = id[2];
  open_ = true;
  return *this;
}

MessageBuilder& MessageBuilder::set(std::uint32_t field, std::string_view text) {
  add(Position{field, 1, 1, 1}, text, false);
  return *this;
}

MessageBuilder& MessageBuilder::set(const Position& pos, std::string_view text) {
  add(pos, text, false);
  return *this;
}

MessageBuilder& MessageBuilder::set_component(std::uint32_t field, std::uint32_t component,
                                              std::string_view text) {
  add(Position{field, 1, component, 1}, text, false);
  return *this;
}

MessageBuilder& MessageBuilder::set_raw(const Position& pos, std::string_view er7) {
  add(pos, er7, true);
  return *this;
}

void MessageBuilder::add(const Position& in, std::string_view value, bool raw) {
  Position pos{at_least_1(in.field), at_least_1(in.repetition), at_least_1(in.component),
               at_least_1(in.subcomponent)};
  const bool msh = open_ && seg_id_[0] == 'M' && seg_id_[1] == 'S' && seg_id_[2] == 'H';
  if (!open_ || pos.field > max_field || pos.repetition > max_field ||
      pos.component > max_component || pos.subcomponent > max_component ||
      (msh && pos.field <= 2)) {
    ++dropped_;
    return;
  }
  if (value.empty()) {
    // An empty value clears whatever was set at this position before.
    entries_.push_back(Entry{pos, static_cast<std::uint32_t>(scratch_.size()), 0,
                             static_cast<std::uint32_t>(entries_.size())});
    return;
  }
  const std::size_t begin = scratch_.size();
  if (raw) {
    scratch_.append(value);
  } else {
    escape_text(scratch_, value, d_);
  }
  entries_.push_back(Entry{pos, static_cast<std::uint32_t>(begin),
                           static_cast<std::uint32_t>(scratch_.size() - begin),
                           static_cast<std::uint32_t>(entries_.size())});
}

void MessageBuilder::flush() {
  if (!open_) return;
  open_ = false;
  const bool msh = seg_id_[0] == 'M' && seg_id_[1] == 'S' && seg_id_[2] == 'H';
  out_.append(seg_id_, 3);
  std::uint32_t cf = 0;
  if (msh) {
    out_.push_back(d_.field);
    out_.append(d_.encoding_characters());
    cf = 2;
  }
  const auto key = [](const Entry& e) {
    return std::tie(e.pos.field, e.pos.repetition, e.pos.component, e.pos.subcomponent, e.order);
  };
  std::sort(entries_.begin(), entries_.end(),
            [&](const Entry& a, const Entry& b) { return key(a) < key(b); });
  std::uint32_t cr = 1, cc = 1, cs = 1;
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    const Entry& e = entries_[i];
    if (i + 1 < entries_.size()) {
      const Entry& n = entries_[i + 1];
      if (n.pos.field == e.pos.field && n.pos.repetition == e.pos.repetition &&
          n.pos.component == e.pos.component && n.pos.subcomponent == e.pos.subcomponent) {
        continue;  // a later value at the same position wins
      }
    }
    if (e.length == 0) continue;
    if (e.pos.field > cf) {
      out_.append(e.pos.field - cf, d_.field);
      cf = e.pos.field;
      cr = cc = cs = 1;
    }
    if (e.pos.repetition > cr) {
      out_.append(e.pos.repetition - cr, d_.repetition);
      cr = e.pos.repetition;
      cc = cs = 1;
    }
    if (e.pos.component > cc) {
      out_.append(e.pos.component - cc, d_.component);
      cc = e.pos.component;
      cs = 1;
    }
    if (e.pos.subcomponent > cs) {
      out_.append(e.pos.subcomponent - cs, d_.subcomponent);
      cs = e.pos.subcomponent;
    }
    out_.append(scratch_, e.begin, e.length);
  }
  out_.push_back(terminator_);
  entries_.clear();
  scratch_.clear();
}

const std::string& MessageBuilder::str() {
  flush();
  return out_;
}

std::string MessageBuilder::take() {
  flush();
  std::string s = std::move(out_);
  out_.clear();
  return s;
}

}  // namespace fcpgw::hl7v2
