#include "gateway/http/outcome.h"

#include <cstdint>

#include "hl7v2/base/utf8.h"

namespace fcpgw::gateway::http {

void append_json_string(std::string& out, std::string_view text) {
  static constexpr char hex[] = "0123456789abcdef";
  out += '"';
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      if (const std::size_t n = base::utf8_sequence_length(text, i); n != 0) {
        out.append(text.substr(i, n));
        i += n;
      } else {
        out += "\\ufffd";
        ++i;
      }
      continue;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7F) {
          out += "\\u00";
          out += hex[c >> 4];
          out += hex[c & 0xF];
        } else {
          out += static_cast<char>(c);
        }
    }
    ++i;
  }
  out += '"';
}

std::string operation_outcome(std::string_view severity, std::string_view code,
                              std::string_view diagnostics) {
  std::string out = R"({"resourceType":"OperationOutcome","issue":[{"severity":)";
  append_json_string(out, severity);
  out += R"(,"code":)";
  append_json_string(out, code);
  out += R"(,"diagnostics":)";
  append_json_string(out, diagnostics);
  out += "}]}";
  return out;
}

}  // namespace fcpgw::gateway::http
