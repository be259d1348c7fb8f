#include "hl7v2/base/utf8.h"

#include <gtest/gtest.h>

#include <string>

using namespace fcpgw::base;

TEST(Utf8, WellFormed) {
  EXPECT_TRUE(valid_utf8(""));
  EXPECT_TRUE(valid_utf8("plain ASCII text, longer than eight bytes"));
  EXPECT_TRUE(valid_utf8("caf\xC3\xA9"));       // U+00E9
  EXPECT_TRUE(valid_utf8("\xE2\x82\xAC"));      // U+20AC
  EXPECT_TRUE(valid_utf8("\xEF\xBF\xBD"));      // U+FFFD
  EXPECT_TRUE(valid_utf8("\xF0\x9F\x98\x80"));  // U+1F600
  EXPECT_TRUE(valid_utf8("\xF4\x8F\xBF\xBF"));  // U+10FFFF, the last
  EXPECT_TRUE(valid_utf8("\xED\x9F\xBF"));      // U+D7FF, just below surrogates
  EXPECT_TRUE(valid_utf8("\xEE\x80\x80"));      // U+E000, just above them
  EXPECT_TRUE(
      valid_utf8("12345678\xC3\xA9"
                 "12345678"));  // after the eight-byte ASCII path
}

TEST(Utf8, Overlong) {
  EXPECT_FALSE(valid_utf8("\xC0\xAF"));  // '/' in two bytes
  EXPECT_FALSE(valid_utf8("\xC1\xBF"));
  EXPECT_FALSE(valid_utf8("\xE0\x80\xAF"));      // '/' in three bytes
  EXPECT_FALSE(valid_utf8("\xE0\x9F\xBF"));      // U+07FF in three bytes
  EXPECT_TRUE(valid_utf8("\xE0\xA0\x80"));       // U+0800, the first three-byte one
  EXPECT_FALSE(valid_utf8("\xF0\x80\x80\xAF"));  // '/' in four bytes
  EXPECT_FALSE(valid_utf8("\xF0\x8F\xBF\xBF"));  // U+FFFF in four bytes
  EXPECT_TRUE(valid_utf8("\xF0\x90\x80\x80"));   // U+10000, the first four-byte one
}

TEST(Utf8, SurrogatesAndPastTheLastCodePoint) {
  EXPECT_FALSE(valid_utf8("\xED\xA0\x80"));              // U+D800
  EXPECT_FALSE(valid_utf8("\xED\xBF\xBF"));              // U+DFFF
  EXPECT_FALSE(valid_utf8("\xED\xA0\xBD\xED\xB8\x80"));  // a CESU-8 pair
  EXPECT_FALSE(valid_utf8("\xF4\x90\x80\x80"));          // U+110000
  EXPECT_FALSE(valid_utf8("\xF5\x80\x80\x80"));
  EXPECT_FALSE(valid_utf8("\xFE"));
  EXPECT_FALSE(valid_utf8("\xFF"));
}

TEST(Utf8, TruncatedAndStray) {
  EXPECT_FALSE(valid_utf8("\xC3"));  // lead byte at the end
  EXPECT_FALSE(valid_utf8("\xE2\x82"));
  EXPECT_FALSE(valid_utf8("\xF0\x9F\x98"));
  EXPECT_FALSE(
      valid_utf8("\xE2\x82"
                 "A"));  // cut short by ASCII
  EXPECT_FALSE(
      valid_utf8("\xF0\x9F\x98"
                 "A"));
  EXPECT_FALSE(valid_utf8("\x80"));  // continuation with no lead
  EXPECT_FALSE(
      valid_utf8("A\xBF"
                 "B"));
  EXPECT_FALSE(valid_utf8("caf\xE9"));  // ISO-8859-1 e-acute
}

TEST(Utf8, SequenceLength) {
  const std::string s = "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\xC3";
  EXPECT_EQ(utf8_sequence_length(s, 0), 0u);  // ASCII: the caller's business
  EXPECT_EQ(utf8_sequence_length(s, 1), 2u);
  EXPECT_EQ(utf8_sequence_length(s, 2), 0u);  // a continuation byte
  EXPECT_EQ(utf8_sequence_length(s, 3), 3u);
  EXPECT_EQ(utf8_sequence_length(s, 6), 4u);
  EXPECT_EQ(utf8_sequence_length(s, 10), 0u);  // cut short by the end
}

TEST(Utf8, CutOnACharacterBoundary) {
  const std::string s =
      "ab\xE2\x82\xAC"
      "cd";  // a b EURO c d
  EXPECT_EQ(utf8_cut(s, 0), 0u);
  EXPECT_EQ(utf8_cut(s, 2), 2u);
  EXPECT_EQ(utf8_cut(s, 3), 2u);  // inside the euro sign
  EXPECT_EQ(utf8_cut(s, 4), 2u);
  EXPECT_EQ(utf8_cut(s, 5), 5u);
  EXPECT_EQ(utf8_cut(s, 7), 7u);
  EXPECT_EQ(utf8_cut(s, 100), 7u);
  EXPECT_TRUE(utf8_continuation('\x80'));
  EXPECT_TRUE(utf8_continuation('\xBF'));
  EXPECT_FALSE(utf8_continuation('\xC3'));
  EXPECT_FALSE(utf8_continuation('a'));
}

TEST(Utf8, Encode) {
  std::string out;
  append_utf8(out, U'A');
  append_utf8(out, 0xE9);
  append_utf8(out, 0x20AC);
  append_utf8(out, 0x1F600);
  append_utf8(out, 0x10FFFF);
  EXPECT_EQ(out, "A\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\xF4\x8F\xBF\xBF");
  EXPECT_TRUE(valid_utf8(out));
  // ISO-8859-1 is the first 256 code points.
  std::string latin1;
  for (char32_t c = 0x80; c <= 0xFF; ++c) append_utf8(latin1, c);
  EXPECT_EQ(latin1.size(), 256u);
  EXPECT_TRUE(valid_utf8(latin1));
}
