#pragma once
// The configuration's plain limit and constant structs (gateway/config/sections.h) as the
// parsers and the mapping engine take them. Kept here, not in config/, so that the
// configuration header stays free of the hl7v2, fhir and mappings libraries.

#include "fhir/json.h"
#include "gateway/config/config.h"
#include "hl7v2/message.h"
#include "mappings/engine.h"

namespace fcpgw::gateway::service {

/// `limits.v2`: bounds for parsing one HL7 v2 message.
hl7v2::Limits v2_limits(const Config& config);
/// `limits.fhir`: bounds for parsing one FHIR JSON document.
fhir::Limits fhir_limits(const Config& config);
/// `mappings.constants`: overrides for the constants the mapping files declare.
mappings::Constants mapping_constants(const Config& config);

}  // namespace fcpgw::gateway::service
