#include "fhir/identifiers.h"

#include <gtest/gtest.h>

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
  // check digit 10: digits 1-9 sum % 11 == 1 -> invalid whatever the last digit
  // 1000000010: 1*10 = 10, 10 % 11 = 10 -> 11-10 = 1 (valid with last 1); craft sum%11==1:
  // 0000000010? sum = 1*2 = 2. Use 1000000060: 10 + 6*2 = 22 -> 0 -> check 11 -> 0.
  EXPECT_TRUE(nhs_number_valid("1000000060"));
  // sum = 10 + 2*... pick "100000001x": 10 + 1*2 = 12, 12 % 11 = 1 -> 10 -> invalid for all x
  for (char last = '0'; last <= '9'; ++last)
    EXPECT_FALSE(nhs_number_valid(std::string("100000001") + last)) << last;
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
