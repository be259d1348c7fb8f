#include "hl7v2/delimiters.h"

#include <cstring>

namespace fcpgw::hl7v2 {

namespace {

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// Decodes the body of a `\X..\` escape into `out`; false (nothing written) when malformed.
bool decode_hex(std::string& out, std::string_view hex) {
  if (hex.empty() || hex.size() % 2 != 0) return false;
  for (char c : hex) {
    if (hex_value(c) < 0) return false;
  }
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    out.push_back(static_cast<char>(hex_value(hex[i]) * 16 + hex_value(hex[i + 1])));
  }
  return true;
}

}  // namespace

std::string Delimiters::encoding_characters() const {
  std::string s{component, repetition, escape, subcomponent};
  if (truncation != '\0') s.push_back(truncation);
  return s;
}

void unescape_append(std::string& out, std::string_view raw, const Delimiters& d) {
  unescape_append(out, raw, d, FormattingEscapes::keep);
}

void unescape_append(std::string& out, std::string_view raw, const Delimiters& d,
                     FormattingEscapes formatting) {
  const bool plain = formatting == FormattingEscapes::plain_text;
  const char esc = d.escape;
  std::size_t i = 0;
  while (i < raw.size()) {
    const std::size_t open = raw.find(esc, i);
    if (open == std::string_view::npos) {
      out.append(raw.substr(i));
      return;
    }
    out.append(raw.substr(i, open - i));
    const std::size_t close = raw.find(esc, open + 1);
    if (close == std::string_view::npos) {  // unterminated: keep verbatim
      out.append(raw.substr(open));
      return;
    }
    const std::string_view body = raw.substr(open + 1, close - open - 1);
    bool done = false;
    if (body.size() == 1) {
      done = true;
      switch (body[0]) {
        case 'F':
          out.push_back(d.field);
          break;
        case 'S':
          out.push_back(d.component);
          break;
        case 'T':
          out.push_back(d.subcomponent);
          break;
        case 'R':
          out.push_back(d.repetition);
          break;
        case 'E':
          out.push_back(d.escape);
          break;
        case 'P':
          if (d.truncation != '\0') {
            out.push_back(d.truncation);
          } else {
            done = false;
          }
          break;
        case 'H':
        case 'N':
          done = plain;  // highlighting on / off carries no text
          break;
        default:
          done = false;
          break;
      }
    } else if (body.size() > 1 && body[0] == 'X') {
      done = decode_hex(out, body.substr(1));
    } else if (plain && body == ".br") {
      out.push_back('\n');
      done = true;
    } else if (plain && !body.empty() && (body[0] == 'Z' || body[0] == '.')) {
      done = true;  // local escapes and other formatting commands carry no text
    }
    if (!done) out.append(raw.substr(open, close - open + 1));  // kept verbatim
    i = close + 1;
  }
}

std::string unescape(std::string_view raw, const Delimiters& d) {
  std::string out;
  if (!has_escape(raw, d)) {
    out.assign(raw);
    return out;
  }
  out.reserve(raw.size());
  unescape_append(out, raw, d);
  return out;
}

void escape_append(std::string& out, std::string_view text, const Delimiters& d) {
  std::size_t run = 0;  // start of the pending run of plain characters
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const char* code = nullptr;
    if (c == d.field) {
      code = "F";
    } else if (c == d.component) {
      code = "S";
    } else if (c == d.subcomponent) {
      code = "T";
    } else if (c == d.repetition) {
      code = "R";
    } else if (c == d.escape) {
      code = "E";
    } else if (d.truncation != '\0' && c == d.truncation) {
      code = "P";
    } else if (c == '\r') {
      code = "X0D";
    } else if (c == '\n') {
      code = "X0A";
    } else {
      continue;
    }
    out.append(text.substr(run, i - run));
    out.push_back(d.escape);
    out.append(code);
    out.push_back(d.escape);
    run = i + 1;
  }
  out.append(text.substr(run));
}

std::string escape(std::string_view text, const Delimiters& d) {
  std::string out;
  out.reserve(text.size() + 8);
  escape_append(out, text, d);
  return out;
}

std::string_view nth_part(std::string_view s, char sep, std::size_t n) noexcept {
  if (n == 0 || s.empty()) return {};
  std::size_t begin = 0;
  for (std::size_t k = 1; k < n; ++k) {
    const void* p = std::memchr(s.data() + begin, sep, s.size() - begin);
    if (p == nullptr) return {};
    begin = static_cast<std::size_t>(static_cast<const char*>(p) - s.data()) + 1;
  }
  const void* p = std::memchr(s.data() + begin, sep, s.size() - begin);
  const std::size_t end =
      p == nullptr ? s.size() : static_cast<std::size_t>(static_cast<const char*>(p) - s.data());
  return s.substr(begin, end - begin);
}

std::size_t count_parts(std::string_view s, char sep) noexcept {
  std::size_t n = 1;
  for (char c : s) n += (c == sep);
  return n;
}

}  // namespace fcpgw::hl7v2
