#include "fhir/identifiers.h"

namespace fcpgw::fhir {
namespace {
bool digit(char c) { return c >= '0' && c <= '9'; }
bool upper(char c) { return c >= 'A' && c <= 'Z'; }
bool all_digits(std::string_view s) {
  for (const char c : s)
    if (!digit(c)) return false;
  return true;
}
}  // namespace

std::optional<std::string> normalize_nhs_number(std::string_view text) {
  std::string d;
  for (const char c : text) {
    if (c == ' ') continue;
    if (!digit(c) || d.size() == 10) return std::nullopt;
    d.push_back(c);
  }
  if (d.size() != 10) return std::nullopt;
  int sum = 0;
  for (int i = 0; i < 9; ++i) sum += (d[static_cast<std::size_t>(i)] - '0') * (10 - i);
  int check = 11 - sum % 11;
  if (check == 11) check = 0;
  if (check == 10 || check != d[9] - '0') return std::nullopt;
  return d;
}

bool nhs_number_valid(std::string_view text) noexcept {
  int n = 0, sum = 0, last = -1;
  for (const char c : text) {
    if (c == ' ') continue;
    if (!digit(c) || n == 10) return false;
    if (n < 9)
      sum += (c - '0') * (10 - n);
    else
      last = c - '0';
    ++n;
  }
  if (n != 10) return false;
  int check = 11 - sum % 11;
  if (check == 11) check = 0;
  return check != 10 && check == last;
}

bool ods_code_valid(std::string_view code) noexcept {
  bool any_digit = false;
  for (const char c : code) {
    if (!digit(c) && !upper(c)) return false;
    any_digit = any_digit || digit(c);
  }
  const std::string_view first = code.substr(0, 1);
  switch (code.size()) {
    case 3:  // organisations: trusts R.., care trusts T.., independent providers N..,
             // ICBs Q.., NHS England X.. / regions Y..; sub-ICB locations, CSUs, Welsh boards
             // start with a digit (00Q, 0DE, 7A1)
      return std::string_view("RTNQXY").find(first) != std::string_view::npos || digit(code[0]);
    case 5:  // sites of those (RR801, NT401, 7A1A1), pharmacies F.... (FA123), NI Z....,
             // other bodies 8.... (8HE48): always with a digit
      return any_digit &&
             (std::string_view("RTNFXZ").find(first) != std::string_view::npos || digit(code[0]));
    case 6:  // GP practices and branches: a letter and five digits (A81001, Y02906, W97001)
      return upper(code[0]) && all_digits(code.substr(1));
    case 7:  // dental contracts: V and six digits
      return code[0] == 'V' && all_digits(code.substr(1));
    default:
      return false;
  }
}

bool gmc_number_valid(std::string_view code) noexcept {
  if (code.size() != 7) return false;
  if (code[0] == 'L') return all_digits(code.substr(1));
  return all_digits(code);
}

bool gmp_number_valid(std::string_view code) noexcept {
  return code.size() == 8 && code[0] == 'G' && all_digits(code.substr(1));
}

bool hcpc_number_valid(std::string_view code) noexcept {
  return code.size() >= 3 && code.size() <= 8 && upper(code[0]) && upper(code[1]) &&
         all_digits(code.substr(2));
}

std::optional<std::string_view> uk_identifier_problem(std::string_view system,
                                                      std::string_view value) noexcept {
  if (system == kNhsNumberSystem) {
    for (const char c : value)
      if (c == ' ') return "NHS number must be 10 digits without spaces";
    if (value.size() != 10 || !all_digits(value)) return "NHS number must be exactly 10 digits";
    if (!nhs_number_valid(value)) return "NHS number check digit is not valid";
  } else if (system == kOdsOrganizationSystem || system == kOdsSiteSystem) {
    if (!ods_code_valid(value))
      return "ODS code does not have the shape of an ODS organisation or site code";
  } else if (system == kGmcSystem) {
    if (!gmc_number_valid(value)) return "GMC number must be 7 digits or L + 6 digits";
  } else if (system == kGmpSystem) {
    if (!gmp_number_valid(value)) return "GMP number must be G + 7 digits";
  } else if (system == kHcpcSystem) {
    if (!hcpc_number_valid(value)) return "HCPC number must be 2 letters + 1-6 digits";
  }
  return std::nullopt;
}

}  // namespace fcpgw::fhir
