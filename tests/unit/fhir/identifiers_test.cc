#include "fhir/identifiers.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

using namespace fcpgw::fhir;

TEST(NhsNumber, ValidNumbers) {
  EXPECT_TRUE(nhs_number_valid("9434765919"));
  EXPECT_TRUE(nhs_number_valid("9000000009"));
  EXPECT_TRUE(nhs_number_valid("943 476 5919"));  // spaces stripped (3-3-4 display)
  EXPECT_TRUE(nhs_number_valid("4010232137"));    // another valid number
}

TEST(NhsNumber, InvalidNumbers) {
  EXPECT_FALSE(nhs_number_valid("9434765918"));   // wrong check digit
  EXPECT_FALSE(nhs_number_valid("943476591"));    // 9 digits
  EXPECT_FALSE(nhs_number_valid("94347659190"));  // 11 digits
  EXPECT_FALSE(nhs_number_valid("943-476-5919"));
  EXPECT_FALSE(nhs_number_valid("94347659l9"));
  EXPECT_FALSE(nhs_number_valid(""));
}

// DOMAIN.md §2.4, steps 1-5, written out independently of the library: the check value for
// the first nine digits, or -1 when step 4 makes every number with that prefix invalid.
int reference_check_digit(const std::string& prefix) {
  int sum = 0;
  for (int i = 0; i < 9; ++i) sum += (prefix[static_cast<std::size_t>(i)] - '0') * (10 - i);
  const int result = 11 - (sum % 11);
  if (result == 11) return 0;
  if (result == 10) return -1;
  return result;
}

std::string nine_digits(unsigned n) {
  std::string s = std::to_string(n);
  return std::string(9 - s.size(), '0') + s;
}

TEST(NhsNumber, CheckValueTenIsInvalidForEveryFinalDigit) {
  // Search prefixes until 11 - (sum mod 11) == 10 (sum mod 11 == 1), starting from an
  // arbitrary realistic one rather than a hand-picked number.
  std::string prefix;
  for (unsigned n = 943476591; n < 943476591 + 1000; ++n) {
    const std::string p = nine_digits(n);
    int sum = 0;
    for (int i = 0; i < 9; ++i) sum += (p[static_cast<std::size_t>(i)] - '0') * (10 - i);
    if (11 - sum % 11 == 10) {
      prefix = p;
      break;
    }
  }
  ASSERT_FALSE(prefix.empty());
  ASSERT_EQ(reference_check_digit(prefix), -1);
  for (char last = '0'; last <= '9'; ++last) {
    EXPECT_FALSE(nhs_number_valid(prefix + last)) << prefix << last;
    EXPECT_FALSE(normalize_nhs_number(prefix + last)) << prefix << last;
  }
  // The neighbouring prefixes are not all invalid: the search found a real case.
  int valid_neighbours = 0;
  for (unsigned d = 1; d <= 3; ++d) {
    const std::string p = nine_digits(static_cast<unsigned>(std::stoul(prefix)) + d);
    const int check = reference_check_digit(p);
    if (check < 0) continue;
    EXPECT_TRUE(nhs_number_valid(p + static_cast<char>('0' + check))) << p;
    ++valid_neighbours;
  }
  EXPECT_GT(valid_neighbours, 0);
}

// Every number §2.4 defines as valid passes, in plain and 3-3-4 form, and no other final
// digit does; checked over a spread of prefixes covering every check value 0-10.
TEST(NhsNumber, AgreesWithDomainRulesAcrossPrefixes) {
  int seen[11] = {};
  for (unsigned n = 0; n < 1000000000u; n += 999983u) {  // prime stride over all prefixes
    const std::string p = nine_digits(n);
    const int check = reference_check_digit(p);
    ++seen[check < 0 ? 10 : check];
    for (char last = '0'; last <= '9'; ++last) {
      const bool expected = check >= 0 && last - '0' == check;
      const std::string number = p + last;
      EXPECT_EQ(nhs_number_valid(number), expected) << number;
      EXPECT_EQ(normalize_nhs_number(number).has_value(), expected) << number;
      const std::string spaced =
          number.substr(0, 3) + " " + number.substr(3, 3) + " " + number.substr(6);
      EXPECT_EQ(nhs_number_valid(spaced), expected) << spaced;
    }
  }
  for (int c = 0; c <= 10; ++c) EXPECT_GT(seen[c], 0) << "check value " << c;
  // Published examples (NHS Digital test numbers) and the corpus sample.
  for (std::string_view valid : {"9434765919", "9000000009", "4010232137", "6597923189"})
    EXPECT_TRUE(nhs_number_valid(valid)) << valid;
}

TEST(NhsNumber, Normalize) {
  EXPECT_EQ(normalize_nhs_number("943 476 5919"), "9434765919");
  EXPECT_FALSE(normalize_nhs_number("943 476 5918"));
}

TEST(UkIdentifiers, Formats) {
  EXPECT_TRUE(ods_code_valid("Y12345"));
  EXPECT_TRUE(ods_code_valid("RR8"));
  EXPECT_FALSE(ods_code_valid("y12345"));
  EXPECT_FALSE(ods_code_valid("AB"));
  EXPECT_FALSE(ods_code_valid("A1-23"));
}

TEST(OdsCode, RealShapesOnly) {
  for (const char* ok : {"RR8", "R0A", "NT4", "QE1", "X24", "Y56", "00Q", "0DE", "7A1", "RR801",
                         "NT401", "FA123", "8HE48", "A81001", "W97001", "V123456"})
    EXPECT_TRUE(ods_code_valid(ok)) << ok;
  // Words senders put in assigning authorities, and sending applications, are not ODS codes.
  for (const char* bad : {"CHI", "HSNI", "NHSNBR", "FCPGW", "NASON", "SFAC", "CTX", "XYZHOSPITAL",
                          "A8100", "A810011", "V1234", "RR80", "RR8011"})
    EXPECT_FALSE(ods_code_valid(bad)) << bad;
  EXPECT_TRUE(gmc_number_valid("1234567"));
  EXPECT_TRUE(gmc_number_valid("L123456"));
  EXPECT_FALSE(gmc_number_valid("123456"));
  EXPECT_TRUE(gmp_number_valid("G1234567"));
  EXPECT_FALSE(gmp_number_valid("1234567"));
  EXPECT_TRUE(hcpc_number_valid("PH123456"));
  EXPECT_FALSE(hcpc_number_valid("PH1234567"));
  EXPECT_FALSE(hcpc_number_valid("ph123456"));
  EXPECT_EQ(uk_identifier_problem(kNhsNumberSystem, "943 476 5919"),
            "NHS number must be 10 digits without spaces");
  EXPECT_FALSE(uk_identifier_problem("http://example.org", "anything"));
}
