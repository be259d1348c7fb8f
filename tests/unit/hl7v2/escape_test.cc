#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "hl7v2/delimiters.h"

namespace fcpgw::hl7v2 {
namespace {

const Delimiters kStd{};

TEST(Escape, DecodesEveryDelimiterEscape) {
  EXPECT_EQ(unescape(R"(a\F\b\S\c\T\d\R\e\E\f)", kStd), "a|b^c&d~e\\f");
}

TEST(Escape, DecodesHex) {
  EXPECT_EQ(unescape(R"(x\X0D0A\y)", kStd), "x\r\ny");
  EXPECT_EQ(unescape(R"(\X41\\Xc3a9\)", kStd), "A\xc3\xa9");
}

TEST(Escape, KeepsFormattingAndLocalEscapesVerbatim) {
  EXPECT_EQ(unescape(R"(\H\bold\N\)", kStd), R"(\H\bold\N\)");
  EXPECT_EQ(unescape(R"(a\Zlocal\b)", kStd), R"(a\Zlocal\b)");
  EXPECT_EQ(unescape(R"(a\.br\b)", kStd), R"(a\.br\b)");
}

TEST(Escape, KeepsMalformedAndUnterminatedVerbatim) {
  EXPECT_EQ(unescape(R"(\X4\)", kStd), R"(\X4\)");    // odd hex
  EXPECT_EQ(unescape(R"(\XZZ\)", kStd), R"(\XZZ\)");  // not hex
  EXPECT_EQ(unescape(R"(\X\)", kStd), R"(\X\)");      // empty hex
  EXPECT_EQ(unescape(R"(\Q\)", kStd), R"(\Q\)");      // unknown
  EXPECT_EQ(unescape(R"(\\)", kStd), R"(\\)");        // empty sequence
  EXPECT_EQ(unescape(R"(abc\F)", kStd), R"(abc\F)");  // unterminated
  EXPECT_EQ(unescape("\\", kStd), "\\");
  EXPECT_EQ(unescape(R"(\FF\)", kStd), R"(\FF\)");
}

TEST(Escape, EscapesDoNotNest) {
  // \E\ yields a plain backslash which is not read again as the start of an escape.
  EXPECT_EQ(unescape(R"(\E\F\E\)", kStd), R"(\F\)");
}

TEST(Escape, TruncationCharacterOnlyWhenDeclared) {
  Delimiters d5;
  d5.truncation = '#';
  EXPECT_EQ(unescape(R"(a\P\b)", d5), "a#b");
  EXPECT_EQ(unescape(R"(a\P\b)", kStd), R"(a\P\b)");
  EXPECT_EQ(escape("a#b", d5), R"(a\P\b)");
  EXPECT_EQ(escape("a#b", kStd), "a#b");
}

TEST(Escape, EncodesAllSpecialsAndLineBreaks) {
  EXPECT_EQ(escape("|^&~\\", kStd), R"(\F\\S\\T\\R\\E\)");
  EXPECT_EQ(escape("a\rb\nc", kStd), R"(a\X0D\b\X0A\c)");
  EXPECT_EQ(escape("plain text", kStd), "plain text");
}

TEST(Escape, RoundTripsArbitraryBytes) {
  std::string all;
  for (int c = 0; c < 256; ++c) all.push_back(static_cast<char>(c));
  EXPECT_EQ(unescape(escape(all, kStd), kStd), all);
}

TEST(Escape, CustomDelimiters) {
  Delimiters d{'!', '@', '*', '$', '%', '\0'};
  EXPECT_EQ(escape("a!b@c*d$e%f", d), "a$F$b$S$c$R$d$E$e$T$f");
  EXPECT_EQ(unescape("a$F$b$S$c$R$d$E$e$T$f", d), "a!b@c*d$e%f");
}

TEST(Parts, NthAndCount) {
  EXPECT_EQ(nth_part("a^b^c", '^', 1), "a");
  EXPECT_EQ(nth_part("a^b^c", '^', 3), "c");
  EXPECT_EQ(nth_part("a^b^c", '^', 4), "");
  EXPECT_EQ(nth_part("a^b^c", '^', 0), "");
  EXPECT_EQ(nth_part("", '^', 1), "");
  EXPECT_EQ(nth_part("^^x", '^', 3), "x");
  EXPECT_EQ(count_parts("", '^'), 1u);
  EXPECT_EQ(count_parts("a^^", '^'), 3u);
}

}  // namespace
}  // namespace fcpgw::hl7v2

namespace fcpgw::hl7v2 {
namespace {

std::vector<std::string> split_all(std::string_view s, char sep) {
  std::vector<std::string> out;
  for (std::string_view p : Split(s, sep)) out.emplace_back(p);
  return out;
}

TEST(Parts, SplitWalksLinearlyAndMatchesNthPart) {
  EXPECT_EQ(split_all("a~b~~c", '~'), (std::vector<std::string>{"a", "b", "", "c"}));
  EXPECT_EQ(split_all("", '~'), (std::vector<std::string>{""}));
  EXPECT_EQ(split_all("~", '~'), (std::vector<std::string>{"", ""}));
  EXPECT_EQ(split_all("x~", '~'), (std::vector<std::string>{"x", ""}));
  const std::string s = "p~q~r~s";
  std::size_t n = 0;
  for (std::string_view p : Split(s, '~')) {
    ++n;
    EXPECT_EQ(p, nth_part(s, '~', n));
  }
  EXPECT_EQ(n, count_parts(s, '~'));
}

}  // namespace
}  // namespace fcpgw::hl7v2

namespace fcpgw::hl7v2 {
namespace {

std::string plain(std::string_view raw, const Delimiters& d = Delimiters{}) {
  std::string out = "prefix:";  // appends, never replaces
  unescape_append(out, raw, d, FormattingEscapes::plain_text);
  return out.substr(7);
}

TEST(EscapePlainText, LineBreakBecomesLineFeed) {
  EXPECT_EQ(plain(R"(line 1\.br\line 2)"), "line 1\nline 2");
  EXPECT_EQ(plain(R"(\.br\\.br\)"), "\n\n");
  // Only `.br` is a line break; `.brx` is another (unknown) formatting command, dropped.
  EXPECT_EQ(plain(R"(a\.brx\b)"), "ab");
}

TEST(EscapePlainText, HighlightLocalAndOtherFormattingDropped) {
  EXPECT_EQ(plain(R"(\H\bold\N\ text)"), "bold text");
  EXPECT_EQ(plain(R"(a\Zlocal\b)"), "ab");
  EXPECT_EQ(plain(R"(a\.sp\b\.in+4\c\.ti-2\d\.fi\e\.nf\f\.ce\g)"), "abcdefg");
}

TEST(EscapePlainText, DelimiterAndHexEscapesDecoded) {
  EXPECT_EQ(plain(R"(a\F\b\S\c\T\d\R\e\E\f)"), "a|b^c&d~e\\f");
  EXPECT_EQ(plain(R"(x\X0D0A\y\Xc3a9\)"), "x\r\ny\xc3\xa9");
  // Custom delimiters: the escapes stand for the message's own characters.
  const Delimiters custom{.field = '!',
                          .component = '@',
                          .repetition = '%',
                          .escape = '$',
                          .subcomponent = '*',
                          .truncation = '#'};
  EXPECT_EQ(plain("a$F$b$S$c$T$d$R$e$E$f$P$g$.br$h", custom), "a!b@c*d%e$f#g\nh");
  // \P\ without a truncation character is not an escape.
  EXPECT_EQ(plain(R"(a\P\b)"), R"(a\P\b)");
}

TEST(EscapePlainText, MalformedAndUnterminatedKeptVerbatim) {
  EXPECT_EQ(plain(R"(\X4\)"), R"(\X4\)");        // odd hex
  EXPECT_EQ(plain(R"(\XZZ\)"), R"(\XZZ\)");      // not hex
  EXPECT_EQ(plain(R"(\Q\)"), R"(\Q\)");          // unknown
  EXPECT_EQ(plain(R"(a\Z\b)"), R"(a\Z\b)");      // a local escape with no content
  EXPECT_EQ(plain(R"(\FF\)"), R"(\FF\)");        // not a one-letter escape
  EXPECT_EQ(plain(R"(\\)"), R"(\\)");            // empty sequence
  EXPECT_EQ(plain(R"(abc\.br)"), R"(abc\.br)");  // unterminated
  EXPECT_EQ(plain(R"(abc\H)"), R"(abc\H)");
  EXPECT_EQ(plain("\\"), "\\");
  EXPECT_EQ(plain(""), "");
}

TEST(EscapePlainText, EscapesDoNotNest) {
  // \E\ gives a plain escape character that is not read again as the start of a sequence.
  EXPECT_EQ(plain(R"(\E\.br\E\)"), R"(\.br\)");
  EXPECT_EQ(plain(R"(\E\H\E\)"), R"(\H\)");
}

TEST(EscapePlainText, KeepModeLeavesFormattingVerbatim) {
  std::string out;
  unescape_append(out, R"(\H\a\N\\.br\\Zx\\F\)", Delimiters{}, FormattingEscapes::keep);
  EXPECT_EQ(out, R"(\H\a\N\\.br\\Zx\|)");
}

}  // namespace
}  // namespace fcpgw::hl7v2
