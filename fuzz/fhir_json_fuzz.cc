// Parses arbitrary bytes as FHIR JSON with the default limits; when they parse, validates,
// writes back (compact and pretty) and checks that re-parsing gives an equal JSON value, and
// renders the issues as an OperationOutcome.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "fhir/json.h"
#include "fhir/validation.h"

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
  for (Format f : {Format::compact, Format::pretty}) {
    auto out = writer.write(doc->root(), f);
    if (!out) std::abort();  // parsed input is always writable
    Limits roomy;
    roomy.max_bytes = 16 * out->size() + 1024;  // pretty output is larger than the input
    auto again = parse(*out, roomy);
    if (!again || !json_equal(doc->root(), again->root())) std::abort();
  }
  return 0;
}
