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
#include "tests/golden/fhir/number_tokens.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace fcpgw::fhir;
  using testing::number_tokens;
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
