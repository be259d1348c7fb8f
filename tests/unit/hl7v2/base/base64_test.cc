#include "hl7v2/base/base64.h"

#include <gtest/gtest.h>

#include <string>

using namespace fcpgw::base;

namespace {
std::string encode(std::string_view s) {
  std::string out;
  append_base64(out, s);
  return out;
}
}  // namespace

TEST(Base64, EncodesWithPadding) {
  // RFC 4648 section 10.
  EXPECT_EQ(encode(""), "");
  EXPECT_EQ(encode("f"), "Zg==");
  EXPECT_EQ(encode("fo"), "Zm8=");
  EXPECT_EQ(encode("foo"), "Zm9v");
  EXPECT_EQ(encode("foob"), "Zm9vYg==");
  EXPECT_EQ(encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(encode(std::string("\xFB\xFF\x00", 3)), "+/8A");
  std::string out = "x=";
  append_base64(out, "foo");
  EXPECT_EQ(out, "x=Zm9v");  // appends
}

TEST(Base64, DecodesWhatItEncodes) {
  std::string all;
  for (int c = 0; c < 256; ++c) all.push_back(static_cast<char>(c));
  for (std::size_t n = 0; n <= all.size(); n += 37) {
    const auto back = decode_base64(encode(std::string_view(all).substr(0, n)));
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, all.substr(0, n));
  }
  EXPECT_EQ(decode_base64("Zm9vYmE="), "fooba");
  EXPECT_EQ(decode_base64("Zg=="), "f");
}

TEST(Base64, Padding) {
  EXPECT_TRUE(valid_base64("QUJD"));
  EXPECT_TRUE(valid_base64("QUI="));
  EXPECT_TRUE(valid_base64("QQ=="));
  EXPECT_FALSE(valid_base64("Q==="));  // more than two
  EXPECT_FALSE(valid_base64("===="));
  EXPECT_FALSE(valid_base64("QUI"));  // length not a multiple of four
  EXPECT_FALSE(valid_base64("QQ="));
  EXPECT_FALSE(valid_base64("QU=D"));  // data after padding
  EXPECT_FALSE(valid_base64("QQ==QUJD"));
  EXPECT_FALSE(decode_base64("QU=D"));
  EXPECT_FALSE(decode_base64("Q==="));
  EXPECT_FALSE(decode_base64("QUI"));
}

TEST(Base64, Whitespace) {
  EXPECT_EQ(decode_base64("Zm9v\r\nYmFy"), "foobar");  // MIME line breaks
  EXPECT_EQ(decode_base64(" Zm 9v\tYg = = \n"), "foob");
  EXPECT_TRUE(valid_base64("QUJD\nREVG"));
  EXPECT_FALSE(valid_base64("QUJD\vREVG"));  // only space, tab, CR and LF are skipped
  EXPECT_FALSE(decode_base64("Zm9v\fYmFy"));
}

TEST(Base64, BadCharacters) {
  EXPECT_FALSE(valid_base64("QU*D"));
  EXPECT_FALSE(valid_base64("QU-D"));  // base64url's alphabet is not base64's
  EXPECT_FALSE(valid_base64("QU_D"));
  EXPECT_FALSE(valid_base64("QU\xC3\xA9"));
  EXPECT_FALSE(decode_base64("QU*D"));
  EXPECT_FALSE(decode_base64(std::string("QU\0D", 4)));
}

TEST(Base64, EmptyIsEmpty) {
  // RFC 4648: the empty string encodes as the empty string. (FHIR's base64Binary adds that a
  // value has content: fhir::valid_base64 refuses "" and blank text; see primitives_test.)
  EXPECT_EQ(decode_base64(""), "");
  EXPECT_EQ(decode_base64(" \r\n"), "");
  EXPECT_TRUE(valid_base64(""));
}
