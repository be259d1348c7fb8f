// Fuzz target: HL7 v2 bytes through the shipped mappings to FHIR, as a transaction and as a
// message Bundle. Every refusal says why; every translation is a Bundle that parses and
// validates without errors, and maps back to v2 without a crash.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include "fhir/json.h"
#include "fhir/validation.h"
#include "fuzz/shipped.h"
#include "hl7v2/message.h"

using namespace fcpgw;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto engine = fuzz::shipped_engine();
  auto msg = hl7v2::Message::parse(std::string(reinterpret_cast<const char*>(data), size));
  if (!msg) return 0;
  for (auto shape : {mappings::Options::Bundle::transaction, mappings::Options::Bundle::message}) {
    mappings::Options options;
    options.bundle = shape;
    mappings::Translation t;
    const bool ok = engine->v2_to_fhir(*msg, t, options);
    bool error = false;
    for (const mappings::Issue& i : t.issues) {
      FUZZ_CHECK(!i.message.empty());
      error |= i.severity == mappings::Severity::error;
    }
    if (!ok) {
      FUZZ_CHECK(error);  // a refusal says why
      continue;
    }
    fhir::Limits roomy;
    roomy.max_bytes = t.output.size() + 1;
    auto bundle = fhir::parse(t.output, roomy);
    FUZZ_CHECK(bundle.has_value());
    for (const fhir::Issue& i : fhir::validate(bundle->root())) {
      if (i.severity == fhir::Severity::error || i.severity == fhir::Severity::fatal) {
        std::fprintf(stderr, "invalid translation (%s): %s: %s\n", t.mapping.c_str(),
                     i.path.c_str(), i.message.c_str());
        FUZZ_CHECK(false);
      }
    }
    (void)engine->fhir_to_v2(bundle->root());
  }
  return 0;
}
