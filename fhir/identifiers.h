#pragma once
// UK identifier systems (UK Core) and their format checks.

#include <optional>
#include <string>
#include <string_view>

namespace fcpgw::fhir {

inline constexpr std::string_view kNhsNumberSystem = "https://fhir.nhs.uk/Id/nhs-number";
inline constexpr std::string_view kOdsOrganizationSystem =
    "https://fhir.nhs.uk/Id/ods-organization-code";
inline constexpr std::string_view kOdsSiteSystem = "https://fhir.nhs.uk/Id/ods-site-code";
inline constexpr std::string_view kGmcSystem = "https://fhir.hl7.org.uk/Id/gmc-number";
inline constexpr std::string_view kGmpSystem = "https://fhir.hl7.org.uk/Id/gmp-number";
inline constexpr std::string_view kHcpcSystem = "https://fhir.hl7.org.uk/Id/hcpc-number";
inline constexpr std::string_view kNmcSystem = "https://fhir.hl7.org.uk/Id/nmc-number";
inline constexpr std::string_view kGphcSystem = "https://fhir.hl7.org.uk/Id/gphc-number";
inline constexpr std::string_view kSdsUserSystem = "https://fhir.nhs.uk/Id/sds-user-id";
inline constexpr std::string_view kSdsRoleProfileSystem =
    "https://fhir.nhs.uk/Id/sds-role-profile-id";

/// True when `text` is a valid NHS number: exactly 10 digits once ASCII spaces are removed
/// (so "943 476 5919" is accepted), and the modulus-11 check digit (weights 10..2 over
/// digits 1-9; 11 -> 0; 10 -> invalid) equals digit 10. Anything else is false.
bool nhs_number_valid(std::string_view text) noexcept;

/// The 10 digits of a valid NHS number with spaces removed; nullopt when not valid.
std::optional<std::string> normalize_nhs_number(std::string_view text);

/// ODS organisation or site code, by the shapes ODS issues (upper-case letters and digits):
/// 3 characters for organisations (R.., T.., N.., Q.., X.., Y.. or a leading digit: "RR8",
/// "00Q", "7A1"); 5 with a digit for their sites, pharmacies and other bodies ("RR801",
/// "FA123", "8HE48"); a letter and 5 digits for GP practices ("A81001", "Y12345"); V and
/// 6 digits for dental contracts. A word such as "CHI", "NHSNBR" or a system name is not one.
/// ("NHS" has the shape of an independent provider's code; callers that read assigning
/// authorities recognise it as national first.)
bool ods_code_valid(std::string_view code) noexcept;

/// GMC number: 7 digits, or "L" + 6 digits (limited registration).
bool gmc_number_valid(std::string_view code) noexcept;

/// GMP (GP PPD) code: "G" + 7 digits.
bool gmp_number_valid(std::string_view code) noexcept;

/// HCPC registration number: 2 upper-case letters + 1 to 6 digits (e.g. "PH123456").
bool hcpc_number_valid(std::string_view code) noexcept;

/// Checks `value` against the format of a known UK identifier `system`. Returns nullopt when
/// the value is fine or the system has no known format, else a short reason (no patient data).
std::optional<std::string_view> uk_identifier_problem(std::string_view system,
                                                      std::string_view value) noexcept;

}  // namespace fcpgw::fhir
