#include "hl7v2/path.h"

#include <stdexcept>

namespace fcpgw::hl7v2 {

namespace {

bool is_upper(char c) noexcept { return c >= 'A' && c <= 'Z'; }
bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

class PathParser {
 public:
  explicit PathParser(std::string_view text) : text_(text) {}

  boost::system::result<Path, PathError> run() {
    Path p;
    if (text_.size() < 3 || !is_upper(text_[0]) || !(is_upper(text_[1]) || is_digit(text_[1])) ||
        !(is_upper(text_[2]) || is_digit(text_[2]))) {
      return fail(0, "a segment id (three characters, A-Z then A-Z or 0-9)");
    }
    p.segment = {text_[0], text_[1], text_[2]};
    pos_ = 3;
    if (peek() == '[') {
      auto n = bracket(99999, "segment occurrence");
      if (!n) return n.error();
      p.occurrence = *n;
      p.occurrence_given = true;
    }
    if (peek() != '-') return fail(pos_, "'-' after the segment id");
    ++pos_;
    auto field = number(9999, "field number");
    if (!field) return field.error();
    p.field = *field;
    if (peek() == '[') {
      auto n = bracket(99999, "repetition");
      if (!n) return n.error();
      p.repetition = *n;
      p.repetition_given = true;
    }
    if (peek() == '.') {
      ++pos_;
      auto comp = number(9999, "component number");
      if (!comp) return comp.error();
      p.component = *comp;
      if (peek() == '.') {
        ++pos_;
        auto sub = number(9999, "subcomponent number");
        if (!sub) return sub.error();
        p.subcomponent = *sub;
      }
    }
    if (pos_ != text_.size()) return fail(pos_, "end of path");
    return p;
  }

 private:
  char peek() const noexcept { return pos_ < text_.size() ? text_[pos_] : '\0'; }

  PathError fail(std::size_t at, std::string_view expected) const {
    std::string msg = "path '";
    // The path text is configuration, not patient data; cap it to keep messages short.
    msg.append(text_.substr(0, 64));
    if (text_.size() > 64) msg.append("...");
    msg.append("': expected ");
    msg.append(expected);
    msg.append(" at character ");
    msg.append(std::to_string(at + 1));
    if (at < text_.size()) {
      msg.append(" (found '");
      msg.push_back(text_[at]);
      msg.append("')");
    } else {
      msg.append(" (end of text)");
    }
    return PathError{at, std::move(msg)};
  }

  boost::system::result<std::uint32_t, PathError> number(std::uint32_t max, std::string_view what) {
    const std::size_t start = pos_;
    std::uint64_t v = 0;
    while (pos_ < text_.size() && is_digit(text_[pos_])) {
      v = v * 10 + static_cast<std::uint64_t>(text_[pos_] - '0');
      if (v > max) return fail(start, std::string(what) + " between 1 and " + std::to_string(max));
      ++pos_;
    }
    if (pos_ == start) return fail(start, what);
    if (v == 0) return fail(start, std::string(what) + " of at least 1 (numbers are 1-based)");
    return {boost::system::in_place_value, static_cast<std::uint32_t>(v)};
  }

  boost::system::result<std::uint32_t, PathError> bracket(std::uint32_t max,
                                                          std::string_view what) {
    ++pos_;  // '['
    auto n = number(max, what);
    if (!n) return n;
    if (peek() != ']') return fail(pos_, "']'");
    ++pos_;
    return n;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

}  // namespace

std::string Path::to_string() const {
  std::string s(segment_id());
  if (occurrence_given || occurrence != 1) {
    s += '[';
    s += std::to_string(occurrence);
    s += ']';
  }
  s += '-';
  s += std::to_string(field);
  if (repetition_given || repetition != 1) {
    s += '[';
    s += std::to_string(repetition);
    s += ']';
  }
  if (component != 0) {
    s += '.';
    s += std::to_string(component);
    if (subcomponent != 0) {
      s += '.';
      s += std::to_string(subcomponent);
    }
  }
  return s;
}

void throw_exception_from_error(const PathError& e, const boost::source_location&) {
  throw std::invalid_argument(e.message);
}

boost::system::result<Path, PathError> parse_path(std::string_view text) {
  return PathParser(text).run();
}

}  // namespace fcpgw::hl7v2
