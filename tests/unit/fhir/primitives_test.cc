#include "fhir/primitives.h"

#include <gtest/gtest.h>

using namespace fcpgw::fhir;

TEST(FhirPrimitives, Date) {
  for (auto s : {"2024", "2024-02", "2024-02-29", "2000-02-29", "0001-01-01", "9999-12-31"})
    EXPECT_TRUE(valid_date(s)) << s;
  for (auto s : {"", "0000", "2023-02-29", "1900-02-29", "2024-02-30", "2024-13", "2024-00",
                 "2024-04-31", "24-01-01", "2024-1-01", "2024-01-01T10:00:00Z", "2024-01-1"})
    EXPECT_FALSE(valid_date(s)) << s;
}

TEST(FhirPrimitives, DateTime) {
  for (auto s :
       {"2024", "2024-03", "2024-03-05", "2024-03-05T10:15:00Z", "2024-03-05T10:15:00.123+01:00",
        "2024-03-05T23:59:60-14:00", "2024-03-05T00:00:00+13:59"})
    EXPECT_TRUE(valid_date_time(s)) << s;
  for (auto s :
       {"2024-03-05T10:15:00", "2024-03-05T10:15Z", "2024-03-05T24:00:00Z", "2024-02-30T10:00:00Z",
        "2024-03T10:00:00Z", "2024-03-05T10:15:00+14:01", "2024-03-05T10:15:00+1:00",
        "2024-03-05T10:15:00.Z", "2024-03-05 10:15:00Z", "2024-03-05T10:15:61Z"})
    EXPECT_FALSE(valid_date_time(s)) << s;
}

TEST(FhirPrimitives, InstantAndTime) {
  EXPECT_TRUE(valid_instant("2015-02-07T13:28:17.239+02:00"));
  EXPECT_FALSE(valid_instant("2015-02-07"));
  EXPECT_FALSE(valid_instant("2015-02-07T13:28:17"));
  EXPECT_TRUE(valid_time("13:28:17"));
  EXPECT_TRUE(valid_time("23:59:59.5"));
  EXPECT_FALSE(valid_time("24:00:00"));
  EXPECT_FALSE(valid_time("13:28"));
  EXPECT_FALSE(valid_time("13:28:17Z"));
}

TEST(FhirPrimitives, IdCodeString) {
  EXPECT_TRUE(valid_id("a-B.9"));
  EXPECT_TRUE(valid_id(std::string(64, 'a')));
  EXPECT_FALSE(valid_id(std::string(65, 'a')));
  EXPECT_FALSE(valid_id("a_b"));
  EXPECT_FALSE(valid_id(""));
  EXPECT_TRUE(valid_code("a b"));
  EXPECT_FALSE(valid_code(" a"));
  EXPECT_FALSE(valid_code("a "));
  EXPECT_FALSE(valid_code("a  b"));
  EXPECT_FALSE(valid_code("a\tb"));
  EXPECT_TRUE(valid_string("x\ny\t"));
  EXPECT_FALSE(valid_string("   "));
  EXPECT_FALSE(valid_string(std::string_view("a\x01", 2)));
  EXPECT_FALSE(valid_string(""));
}

TEST(FhirPrimitives, UriOidUuid) {
  EXPECT_TRUE(valid_uri("http://example.org/a?b=c"));
  EXPECT_FALSE(valid_uri("http://example.org/a b"));
  EXPECT_FALSE(valid_uri(""));
  EXPECT_TRUE(valid_oid("urn:oid:2.16.840.1.113883"));
  EXPECT_TRUE(valid_oid("urn:oid:1.0"));
  EXPECT_FALSE(valid_oid("urn:oid:3.1"));
  EXPECT_FALSE(valid_oid("urn:oid:1.01"));
  EXPECT_FALSE(valid_oid("urn:oid:1"));
  EXPECT_FALSE(valid_oid("urn:oid:1..2"));
  EXPECT_FALSE(valid_oid("2.16.840"));
  EXPECT_TRUE(valid_uuid("urn:uuid:c757873d-ec9a-4326-a141-556f43239520"));
  EXPECT_FALSE(valid_uuid("urn:uuid:C757873D-EC9A-4326-A141-556F43239520"));
  EXPECT_FALSE(valid_uuid("c757873d-ec9a-4326-a141-556f43239520"));
  EXPECT_FALSE(valid_uuid("urn:uuid:c757873d-ec9a-4326-a141-556f4323952"));
}

TEST(FhirPrimitives, Base64) {
  EXPECT_TRUE(valid_base64("QUJD"));
  EXPECT_TRUE(valid_base64("QUI="));
  EXPECT_TRUE(valid_base64("QQ=="));
  EXPECT_TRUE(valid_base64("QUJD\nREVG"));
  EXPECT_FALSE(valid_base64("QUJ"));   // length % 4
  EXPECT_FALSE(valid_base64("QU=D"));  // data after padding
  EXPECT_FALSE(valid_base64("Q==="));  // too much padding
  EXPECT_FALSE(valid_base64("QU*D"));  // alphabet
  EXPECT_FALSE(valid_base64(""));
  // Stricter than RFC 4648 (base::decode_base64 reads "" and blank text as no bytes): a FHIR
  // base64Binary value has content.
  EXPECT_FALSE(valid_base64(" \r\n"));
}

TEST(FhirPrimitives, XhtmlAndNames) {
  EXPECT_TRUE(valid_xhtml("<div xmlns=\"http://www.w3.org/1999/xhtml\">x</div>"));
  EXPECT_FALSE(valid_xhtml("<p>x</p>"));
  EXPECT_EQ(primitive_from_name("dateTime"), Primitive::dateTime);
  EXPECT_FALSE(primitive_from_name("DateTime"));
  EXPECT_EQ(to_string(Primitive::base64Binary), "base64Binary");
  EXPECT_TRUE(is_numeric(Primitive::positiveInt));
  EXPECT_FALSE(valid_primitive_text(Primitive::boolean, "true"));
}
