// Fuzz target: FHIR JSON through the shipped mappings to HL7 v2. The engine takes any JSON
// without a crash (also what the validator refuses, and with the input as its own previous
// version); every refusal says why, and every message it writes parses as ER7 and maps back to
// FHIR without a crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fhir/json.h"
#include "fuzz/shipped.h"
#include "hl7v2/message.h"

using namespace fcpgw;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto engine = fuzz::shipped_engine();
  auto doc = fhir::parse(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!doc) return 0;
  mappings::Options options;
  options.message_time = "2024-01-01T00:00:00Z";  // no clock: the same input, the same output
  const rapidjson::Value* self = &doc->root();
  for (const rapidjson::Value* previous : {static_cast<const rapidjson::Value*>(nullptr), self}) {
    auto t = engine->fhir_to_v2(doc->root(), previous, options);
    if (!t) {
      FUZZ_CHECK(!t.error().empty());
      for (const mappings::Issue& i : t.error()) FUZZ_CHECK(!i.message.empty());
      continue;
    }
    auto msg = hl7v2::Message::parse(t->output);
    FUZZ_CHECK(msg.has_value());
    (void)engine->v2_to_fhir(*msg);
  }
  return 0;
}
