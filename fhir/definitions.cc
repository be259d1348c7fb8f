#include "fhir/definitions.h"

#include <algorithm>
#include <array>
#include <deque>

#include "fhir/definitions_detail.h"

namespace fcpgw::fhir {
namespace detail {
namespace {

#define FCPGW_R4_VERSION(v) [[maybe_unused]] constexpr std::string_view kR4Version = v;
#define FCPGW_TYPES(...) constexpr TypeDef kTypes[] = {__VA_ARGS__};
#define FCPGW_ELEMENTS(...) constexpr ElementDef kElements[] = {__VA_ARGS__};
#define FCPGW_ELEMENT_TYPES(...) constexpr std::uint16_t kElementTypes[] = {__VA_ARGS__};
#define FCPGW_VALUE_SETS(...) constexpr ValueSetDef kValueSets[] = {__VA_ARGS__};
#define FCPGW_CODES(...) constexpr std::string_view kCodes[] = {__VA_ARGS__};
#define FCPGW_SYSTEMS(...) constexpr std::string_view kSystems[] = {__VA_ARGS__};
#define FCPGW_CODE_SYSTEMS(...) constexpr std::uint16_t kCodeSystems[] = {__VA_ARGS__};
#define FCPGW_SUPPORTED_RESOURCES(...) constexpr std::string_view kSupported[] = {__VA_ARGS__};
#define FCPGW_ALL_RESOURCES(...) constexpr std::string_view kAllResources[] = {__VA_ARGS__};
#include "fhir/generated/r4_definitions.inc"
#undef FCPGW_R4_VERSION
#undef FCPGW_TYPES
#undef FCPGW_ELEMENTS
#undef FCPGW_ELEMENT_TYPES
#undef FCPGW_VALUE_SETS
#undef FCPGW_CODES
#undef FCPGW_SYSTEMS
#undef FCPGW_CODE_SYSTEMS
#undef FCPGW_SUPPORTED_RESOURCES
static_assert(std::size(kCodeSystems) == std::size(kCodes), "one code system per code");
#undef FCPGW_ALL_RESOURCES

std::string capitalize(std::string_view s) {
  std::string out(s);
  if (!out.empty() && out[0] >= 'a' && out[0] <= 'z') out[0] = static_cast<char>(out[0] - 32);
  return out;
}

Tables build() {
  Tables t;
  t.types = kTypes;
  t.elements = kElements;
  t.element_types = kElementTypes;
  t.value_sets = kValueSets;
  t.codes = kCodes;
  t.code_systems = kCodeSystems;
  t.systems = kSystems;
  const auto n = static_cast<std::uint16_t>(std::size(kTypes));
  t.members.resize(n);
  t.primitive.resize(n);
  // Choice names need storage that does not move: count first.
  std::size_t choice_names = 0;
  for (const auto& e : kElements)
    if (e.name.ends_with("[x]")) choice_names += e.type_count;
  t.owned_names.reserve(choice_names);
  for (std::uint16_t i = 0; i < n; ++i) {
    const TypeDef& td = kTypes[i];
    t.type_by_name.emplace(td.name, i);
    if (td.kind == Kind::primitive) t.primitive[i] = primitive_from_name(td.name);
    t.max_elements_per_type = std::max(t.max_elements_per_type, td.element_count);
    auto& members = t.members[i];
    for (std::uint16_t k = 0; k < td.element_count; ++k) {
      const auto ei = static_cast<std::uint16_t>(td.first_element + k);
      const ElementDef& e = kElements[ei];
      if (e.name.ends_with("[x]")) {
        const std::string_view base = e.name.substr(0, e.name.size() - 3);
        for (std::uint16_t j = 0; j < e.type_count; ++j) {
          const std::uint16_t ty = kElementTypes[e.first_type + j];
          t.owned_names.push_back(std::string(base) + capitalize(kTypes[ty].name));
          members.push_back({t.owned_names.back(), ei, k, ty});
        }
      } else {
        members.push_back({e.name, ei, k, kElementTypes[e.first_type]});
      }
    }
    std::sort(members.begin(), members.end(),
              [](const Member& a, const Member& b) { return a.json_name < b.json_name; });
  }
  auto idx = [&](std::string_view name) {
    auto it = t.type_by_name.find(name);
    return it == t.type_by_name.end() ? kNoType : it->second;
  };
  t.resource_slot = idx("Resource");
  t.extension = idx("Extension");
  t.reference = idx("Reference");
  t.period = idx("Period");
  t.identifier = idx("Identifier");
  t.coding = idx("Coding");
  t.codeable_concept = idx("CodeableConcept");
  t.quantity = idx("Quantity");
  t.contact_point = idx("ContactPoint");
  t.attachment = idx("Attachment");
  t.element_type = idx("Element");
  return t;
}

}  // namespace

const Tables& tables() {
  static const Tables t = build();
  return t;
}

const Member* find_member(const Tables& t, std::uint16_t type, std::string_view name) noexcept {
  const auto& m = t.members[type];
  auto it = std::lower_bound(m.begin(), m.end(), name,
                             [](const Member& a, std::string_view n) { return a.json_name < n; });
  return it != m.end() && it->json_name == name ? &*it : nullptr;
}

std::uint16_t type_index(std::string_view name) noexcept {
  const Tables& t = tables();
  auto it = t.type_by_name.find(name);
  return it == t.type_by_name.end() ? kNoType : it->second;
}

bool value_set_has(const Tables& t, std::int16_t vs, std::string_view code) noexcept {
  const ValueSetDef& v = t.value_sets[static_cast<std::size_t>(vs)];
  if (v.code_count == kNotEnumerable) return true;
  auto first = t.codes.begin() + v.first_code;
  auto last = first + v.code_count;
  return std::binary_search(first, last, code);
}

CodingMatch value_set_match(const Tables& t, std::int16_t vs, std::string_view system,
                            std::string_view code) noexcept {
  const ValueSetDef& v = t.value_sets[static_cast<std::size_t>(vs)];
  if (v.code_count == kNotEnumerable) return CodingMatch::in_value_set;
  const auto first = t.codes.begin() + v.first_code;
  const auto [lo, hi] = std::equal_range(first, first + v.code_count, code);
  if (lo == hi) return CodingMatch::not_in_value_set;
  for (auto it = lo; it != hi; ++it)
    if (t.systems[t.code_systems[static_cast<std::size_t>(it - t.codes.begin())]] == system)
      return CodingMatch::in_value_set;
  return CodingMatch::wrong_system;
}

}  // namespace detail

std::span<const std::string_view> supported_resource_types() noexcept { return detail::kSupported; }

bool is_supported_resource_type(std::string_view name) noexcept {
  return std::find(std::begin(detail::kSupported), std::end(detail::kSupported), name) !=
         std::end(detail::kSupported);
}

std::span<const std::string_view> r4_resource_types() noexcept { return detail::kAllResources; }

bool is_r4_resource_type(std::string_view name) noexcept {
  return std::binary_search(std::begin(detail::kAllResources), std::end(detail::kAllResources),
                            name);
}

std::optional<bool> value_set_contains(std::string_view url, std::string_view code) noexcept {
  if (auto bar = url.find('|'); bar != std::string_view::npos) url = url.substr(0, bar);
  const auto& t = detail::tables();
  for (std::size_t i = 0; i < t.value_sets.size(); ++i) {
    if (t.value_sets[i].url != url) continue;
    if (t.value_sets[i].code_count == detail::kNotEnumerable) return std::nullopt;
    return detail::value_set_has(t, static_cast<std::int16_t>(i), code);
  }
  return std::nullopt;
}

std::optional<ElementInfo> find_element(std::string_view type_path,
                                        std::string_view member) noexcept {
  const auto& t = detail::tables();
  const auto ty = detail::type_index(type_path);
  if (ty == detail::kNoType) return std::nullopt;
  const detail::Member* m = detail::find_member(t, ty, member);
  if (!m) return std::nullopt;
  const detail::ElementDef& e = t.elements[m->element];
  ElementInfo info;
  info.name = e.name;
  info.type = t.types[m->type].name;
  info.min = e.min;
  info.many = e.max == detail::kMany;
  if (e.value_set >= 0) info.value_set = t.value_sets[static_cast<std::size_t>(e.value_set)].url;
  return info;
}

std::vector<std::string_view> element_names(std::string_view type_path) {
  std::vector<std::string_view> out;
  const auto ty = detail::type_index(type_path);
  if (ty == detail::kNoType) return out;
  for (const auto& m : detail::tables().members[ty]) out.push_back(m.json_name);
  return out;
}

}  // namespace fcpgw::fhir
