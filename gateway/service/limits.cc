#include "gateway/service/limits.h"

namespace fcpgw::gateway::service {

hl7v2::Limits v2_limits(const Config& config) {
  const config::V2Limits& v2 = config.limits.v2;
  hl7v2::Limits l;
  l.max_message_bytes = v2.max_message_bytes;
  l.max_segments = v2.max_segments;
  l.max_fields_per_segment = v2.max_fields_per_segment;
  l.max_repetitions_per_field = v2.max_repetitions_per_field;
  return l;
}

fhir::Limits fhir_limits(const Config& config) {
  fhir::Limits l;
  l.max_bytes = config.limits.fhir.max_bytes;
  l.max_depth = config.limits.fhir.max_depth;
  return l;
}

mappings::Constants mapping_constants(const Config& config) {
  return mappings::Constants{config.mappings.constants.values};
}

}  // namespace fcpgw::gateway::service
