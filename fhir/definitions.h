#pragma once
// Read access to the generated R4 definition tables (fhir/generated/r4_definitions.inc,
// produced by fhir/gen/generate.mjs from the official 4.0.1 StructureDefinitions/ValueSets).

#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace fcpgw::fhir {

/// The resource types whose definitions are generated and which validate() checks fully:
/// Appointment, AuditEvent, Bundle, Composition, Condition, DocumentReference, Encounter,
/// MessageHeader, Observation, OperationOutcome, Organization, Patient, Practitioner,
/// PractitionerRole, Location, Provenance, ServiceRequest, Task.
std::span<const std::string_view> supported_resource_types() noexcept;

/// True when `name` is one of supported_resource_types().
bool is_supported_resource_type(std::string_view name) noexcept;

/// True when `name` is any R4 (4.0.1) resource type (e.g. "Medication"), supported or not.
bool is_r4_resource_type(std::string_view name) noexcept;

/// Every R4 (4.0.1) resource type, sorted.
std::span<const std::string_view> r4_resource_types() noexcept;

/// Whether `code` is in the expansion of the value set `url` (canonical, `|version` ignored)
/// bound with strength required somewhere in the generated definitions. nullopt when the
/// value set is not in the tables or cannot be enumerated (e.g. BCP-47, MIME types).
std::optional<bool> value_set_contains(std::string_view url, std::string_view code) noexcept;

/// Information about an element of a type, by JSON member name (choice elements by their
/// typed name, e.g. "valueQuantity"), for builders that want to know what they may write.
struct ElementInfo {
  std::string_view name;  ///< definition name ("value[x]" for choices)
  std::string_view type;  ///< the type chosen by the member name (e.g. "Quantity")
  unsigned min = 0;
  bool many = false;           ///< max is "*" (JSON array)
  std::string_view value_set;  ///< required binding's value set, or empty
};

/// Looks up `member` (JSON name) of the type or backbone element `type_path`
/// (e.g. "Appointment", "Appointment.participant", "HumanName"). nullopt if unknown.
std::optional<ElementInfo> find_element(std::string_view type_path,
                                        std::string_view member) noexcept;

/// The JSON member names of the type or backbone element `type_path` (choice elements by each
/// typed name), sorted; empty when the type is unknown. For messages that suggest a name.
std::vector<std::string_view> element_names(std::string_view type_path);

}  // namespace fcpgw::fhir
