// Parses arbitrary bytes as FHIR JSON with the default limits; when they parse, validates,
// writes back (compact and pretty) and checks that re-parsing gives an equal JSON value, that
// every number keeps its exact text (same number tokens in the same order as the input), and
// that writing is idempotent; renders the issues as an OperationOutcome.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "fhir/json.h"
#include "fhir/validation.h"

namespace {

// The number tokens of a well-formed JSON text, in order (strings skipped).
std::vector<std::string_view> number_tokens(std::string_view json) {
  std::vector<std::string_view> out;
  for (std::size_t i = 0; i < json.size();) {
    const char c = json[i];
    if (c == '"') {
      for (++i; i < json.size() && json[i] != '"'; ++i)
        if (json[i] == '\\') ++i;
      ++i;
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      const std::size_t start = i;
      while (i < json.size() &&
             std::string_view("+-.eE0123456789").find(json[i]) != std::string_view::npos)
        ++i;
      out.push_back(json.substr(start, i - start));
    } else {
      ++i;
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace fcpgw::fhir;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto doc = parse(input);
  if (!doc) {
    Issue issue = to_issue(doc.error());
    if (issue.message.empty()) std::abort();
    return 0;
  }
  const auto issues = validate(doc->root());
  Document oo = operation_outcome(issues);
  Writer writer;
  if (!writer.write(oo.root())) std::abort();
  const auto tokens = number_tokens(input);
  for (Format f : {Format::compact, Format::pretty}) {
    auto out = writer.write(doc->root(), f);
    if (!out) std::abort();  // parsed input is always writable
    if (number_tokens(*out) != tokens) std::abort();
    const std::string written(*out);
    Limits roomy;
    roomy.max_bytes = 16 * written.size() + 1024;  // pretty output is larger than the input
    auto again = parse(written, roomy);
    if (!again || !json_equal(doc->root(), again->root())) std::abort();
    auto rewritten = writer.write(again->root(), f);
    if (!rewritten || *rewritten != written) std::abort();
  }
  return 0;
}
