#pragma once
// Internal view of the generated R4 tables (not part of the public API).

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "fhir/primitives.h"

namespace fcpgw::fhir::detail {

enum class Kind : std::uint8_t { primitive, resource_slot, resource, complex, backbone };
inline constexpr std::uint16_t kMany = 0xFFFF;
inline constexpr std::uint16_t kNotEnumerable = 0xFFFF;
inline constexpr std::uint16_t kNoType = 0xFFFF;

struct TypeDef {
  std::string_view name;
  Kind kind;
  std::uint16_t first_element;
  std::uint16_t element_count;
};
struct ElementDef {
  std::string_view name;
  std::uint16_t min;
  std::uint16_t max;  // kMany for "*"
  std::uint16_t first_type;
  std::uint16_t type_count;
  std::int16_t value_set;  // -1: no required binding
};
struct ValueSetDef {
  std::string_view url;
  std::uint16_t first_code;
  std::uint16_t code_count;  // kNotEnumerable: not checked
};

/// A JSON member name of a type resolved to its element and chosen type.
struct Member {
  std::string_view json_name;
  std::uint16_t element;  // global element index
  std::uint16_t local;    // index within the owning type (for presence counting)
  std::uint16_t type;     // chosen type index
};

struct Tables {
  std::span<const TypeDef> types;
  std::span<const ElementDef> elements;
  std::span<const std::uint16_t> element_types;
  std::span<const ValueSetDef> value_sets;
  std::span<const std::string_view> codes;
  std::span<const std::uint16_t> code_systems;      // per code: index into systems
  std::span<const std::string_view> systems;        // code system URLs
  std::vector<std::vector<Member>> members;         // per type, sorted by json_name
  std::vector<std::optional<Primitive>> primitive;  // per type
  std::unordered_map<std::string_view, std::uint16_t> type_by_name;
  std::vector<std::string> owned_names;  // storage for choice member names
  std::uint16_t max_elements_per_type = 0;
  std::uint16_t resource_slot = kNoType;
  std::uint16_t extension = kNoType, reference = kNoType, period = kNoType, identifier = kNoType,
                coding = kNoType, codeable_concept = kNoType, quantity = kNoType,
                contact_point = kNoType, attachment = kNoType, element_type = kNoType;
};

/// The tables, built once (thread-safe static initialisation).
const Tables& tables();

/// Member `name` of type `type`, or null.
const Member* find_member(const Tables& t, std::uint16_t type, std::string_view name) noexcept;

/// Type index by name (resource, datatype, backbone path); kNoType when unknown.
std::uint16_t type_index(std::string_view name) noexcept;

/// Required value set membership by index.
bool value_set_has(const Tables& t, std::int16_t vs, std::string_view code) noexcept;

/// Membership of a (system, code) pair: in the value set, the code is in it but only from
/// other code systems, or the code is not in it. Non-enumerable value sets match anything.
enum class CodingMatch : std::uint8_t { in_value_set, wrong_system, not_in_value_set };
CodingMatch value_set_match(const Tables& t, std::int16_t vs, std::string_view system,
                            std::string_view code) noexcept;

}  // namespace fcpgw::fhir::detail
