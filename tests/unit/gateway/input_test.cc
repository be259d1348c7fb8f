#include "gateway/cli/input.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace fcpgw::gateway {
namespace {

using namespace std::string_literals;

// ---- detect_format -------------------------------------------------------------------------

TEST(DetectFormat, Er7AfterBomAndWhitespace) {
  auto d = detect_format("\xEF\xBB\xBF\r\n  MSH|^~\\&|A", true);
  EXPECT_EQ(d.format, InputFormat::er7);
  EXPECT_EQ(d.offset, 7u);
}

TEST(DetectFormat, MllpFrame) {
  EXPECT_EQ(detect_format("\x0bMSH|^~\\&|", true).format, InputFormat::mllp);
  EXPECT_EQ(detect_format("\n\x0bMSH", false).format, InputFormat::mllp);
}

TEST(DetectFormat, FhirJson) {
  EXPECT_EQ(detect_format(" \n{\"resourceType\":\"Patient\"}", true).format,
            InputFormat::fhir_json);
  EXPECT_EQ(detect_format("\xEF\xBB\xBF{", true).format, InputFormat::fhir_json);
}

TEST(DetectFormat, EmptyAndWhitespaceOnly) {
  EXPECT_EQ(detect_format("", true).format, InputFormat::empty);
  EXPECT_EQ(detect_format(" \r\n\t", true).format, InputFormat::empty);
  EXPECT_EQ(detect_format("\xEF\xBB\xBF", true).format, InputFormat::empty);
}

TEST(DetectFormat, NeedsMoreBytesWhenUndecided) {
  EXPECT_TRUE(detect_format("", false).need_more);
  EXPECT_TRUE(detect_format("  ", false).need_more);
  EXPECT_TRUE(detect_format("\xEF\xBB", false).need_more);
  EXPECT_TRUE(detect_format("MS", false).need_more);
  EXPECT_FALSE(detect_format("MS", true).need_more);
  EXPECT_EQ(detect_format("MS", true).format, InputFormat::unknown);
}

TEST(DetectFormat, BatchHeadersStartAnEr7Stream) {
  EXPECT_EQ(detect_format("FHS|^~\\&|EMIS\r", true).format, InputFormat::er7);
  EXPECT_EQ(detect_format("\r\nBHS|^~\\&|X", true).format, InputFormat::er7);
  EXPECT_EQ(detect_format("BHS", true).format, InputFormat::er7);
  EXPECT_TRUE(detect_format("FH", false).need_more);
  EXPECT_TRUE(detect_format("BHS", false).need_more);
  // Trailers and look-alike ids do not start a stream.
  EXPECT_EQ(detect_format("BTS|1", true).format, InputFormat::unknown);
  EXPECT_EQ(detect_format("FHSX|1", true).format, InputFormat::unknown);
  EXPECT_EQ(detect_format("MSHX|1", true).format, InputFormat::unknown);
}

TEST(DetectFormat, UnknownReportsOffsetOfFirstByte) {
  auto d = detect_format("  \x00\x01garbage"s, true);
  EXPECT_EQ(d.format, InputFormat::unknown);
  EXPECT_EQ(d.offset, 2u);
  EXPECT_EQ(detect_format("[{}]", true).format, InputFormat::unknown);
  EXPECT_EQ(detect_format("<Bundle/>", true).format, InputFormat::unknown);
  EXPECT_EQ(detect_format("MSX|", true).format, InputFormat::unknown);
  EXPECT_EQ(detect_format("PID|1", true).format, InputFormat::unknown);
  // A lone BOM prefix that is not a BOM is judged on its own first byte.
  EXPECT_EQ(detect_format("\xEF\x00"s, true).format, InputFormat::unknown);
}

TEST(DescribeByte, NeverEchoesMoreThanOneByte) {
  EXPECT_EQ(describe_byte('{'), "'{'");
  EXPECT_EQ(describe_byte(0x00), "0x00");
  EXPECT_EQ(describe_byte(0xFF), "0xFF");
  EXPECT_EQ(describe_byte(' '), "0x20");
}

// ---- MessageSplitter ------------------------------------------------------------------------

std::vector<RawMessage> split(std::string_view input, bool mllp, std::size_t max = 1 << 20,
                              std::size_t chunk = 0) {
  MessageSplitter s(mllp, max);
  std::vector<RawMessage> out;
  RawMessage m;
  if (chunk == 0) chunk = input.size() + 1;
  for (std::size_t i = 0; i < input.size(); i += chunk) {
    s.feed(input.substr(i, chunk));
    while (s.next(m)) out.push_back(m);
  }
  s.finish();
  while (s.next(m)) out.push_back(m);
  return out;
}

const std::string kMsg1 = "MSH|^~\\&|A|B|C|D|20240101||SIU^S12|1|P|2.5.1\rSCH|1\rPID|1\r";
const std::string kMsg2 = "MSH|^~\\&|A|B|C|D|20240101||SIU^S15|2|P|2.5.1\rSCH|2\r";

TEST(MessageSplitter, SingleMessageKeptByteForByte) {
  auto msgs = split(kMsg1, false);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0].bytes, kMsg1);
  EXPECT_EQ(msgs[0].index, 1u);
  EXPECT_EQ(msgs[0].offset, 0u);
  EXPECT_TRUE(msgs[0].refused.empty());
}

TEST(MessageSplitter, MessagesSeparatedByBlankLines) {
  const std::string input = kMsg1 + "\n\n" + kMsg2 + "\r\n";
  auto msgs = split(input, false);
  ASSERT_EQ(msgs.size(), 2u);
  EXPECT_EQ(msgs[0].bytes, kMsg1 + "\n");  // the last CR and the LF after it are one CRLF
  EXPECT_EQ(msgs[1].bytes, kMsg2);
  EXPECT_EQ(msgs[1].offset, kMsg1.size() + 2);
  EXPECT_EQ(msgs[1].index, 2u);
}

TEST(MessageSplitter, BackToBackMessagesWithoutBlankLine) {
  auto msgs = split(kMsg1 + kMsg2, false);
  ASSERT_EQ(msgs.size(), 2u);
  EXPECT_EQ(msgs[0].bytes, kMsg1);
  EXPECT_EQ(msgs[1].bytes, kMsg2);
  EXPECT_EQ(msgs[1].offset, kMsg1.size());
}

TEST(MessageSplitter, LfAndCrlfTerminatorsKept) {
  const std::string lf = "MSH|^~\\&|A\nPID|1\n";
  const std::string crlf = "MSH|^~\\&|B\r\nPID|2\r\n";
  auto msgs = split(lf + crlf, false);
  ASSERT_EQ(msgs.size(), 2u);
  EXPECT_EQ(msgs[0].bytes, lf);
  EXPECT_EQ(msgs[1].bytes, crlf);
}

TEST(MessageSplitter, LastMessageWithoutTerminator) {
  auto msgs = split("MSH|^~\\&|A\rPID|1", false);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0].bytes, "MSH|^~\\&|A\rPID|1");
}

TEST(MessageSplitter, SameResultForEveryChunkSize) {
  const std::string input =
      "\xEF\xBB\xBF" + kMsg1 + "\r\n \n" + kMsg2 + "BHS|x\r" + kMsg1 + "BTS|1\rFTS|1\r";
  auto whole = split(input, false);
  ASSERT_EQ(whole.size(), 3u);
  for (std::size_t chunk = 1; chunk <= 17; ++chunk) {
    auto parts = split(input, false, 1 << 20, chunk);
    ASSERT_EQ(parts.size(), whole.size()) << "chunk " << chunk;
    for (std::size_t i = 0; i < whole.size(); ++i) {
      EXPECT_EQ(parts[i].bytes, whole[i].bytes) << "chunk " << chunk << " message " << i;
      EXPECT_EQ(parts[i].offset, whole[i].offset) << "chunk " << chunk << " message " << i;
    }
  }
}

TEST(MessageSplitter, BomDroppedAndOffsetsCountIt) {
  auto msgs = split("\xEF\xBB\xBF" + kMsg1, false);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0].bytes, kMsg1);
  EXPECT_EQ(msgs[0].offset, 3u);
}

TEST(MessageSplitter, BatchEnvelopeSegmentsDropped) {
  const std::string input = "FHS|^~\\&|X\rBHS|^~\\&|X\r" + kMsg1 + kMsg2 + "BTS|2\rFTS|1\r";
  auto msgs = split(input, false);
  ASSERT_EQ(msgs.size(), 2u);
  EXPECT_EQ(msgs[0].bytes, kMsg1);
  EXPECT_EQ(msgs[1].bytes, kMsg2);
}

TEST(MessageSplitter, BatchInOneMllpFrameGivesEachMessage) {
  const std::string batch = "FHS|^~\\&|X\rBHS|^~\\&|X\r" + kMsg1 + kMsg2 + "BTS|2\rFTS|1\r";
  auto msgs = split("\x0b" + batch + "\x1c\r" + "\x0b" + kMsg1 + "\x1c\r", true);
  ASSERT_EQ(msgs.size(), 3u);
  EXPECT_EQ(msgs[0].bytes, kMsg1);
  EXPECT_EQ(msgs[1].bytes, kMsg2);
  EXPECT_EQ(msgs[2].bytes, kMsg1);
  EXPECT_EQ(msgs[0].index, 1u);
  EXPECT_EQ(msgs[2].index, 3u);
  EXPECT_TRUE(msgs[1].framed);
}

TEST(MessageSplitter, SegmentNamedLikeEnvelopePrefixIsKept) {
  // "BTSX" is not the BTS segment: it stays part of the message.
  auto msgs = split("MSH|^~\\&|A\rBTSX|1\r", false);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0].bytes, "MSH|^~\\&|A\rBTSX|1\r");
}

TEST(MessageSplitter, BytesBeforeFirstMshBecomeAMessageOfTheirOwn) {
  auto msgs = split("PID|1\rjunk\r" + kMsg1, false);
  ASSERT_EQ(msgs.size(), 2u);
  EXPECT_EQ(msgs[0].bytes, "PID|1\rjunk\r");
  EXPECT_EQ(msgs[0].offset, 0u);
  EXPECT_EQ(msgs[1].bytes, kMsg1);
}

TEST(MessageSplitter, WhitespaceOnlyLinesDropped) {
  auto msgs = split("  \t\n" + kMsg1 + "   \n", false);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0].bytes, kMsg1);
}

TEST(MessageSplitter, MessageAtTheLimitPassesOneByteMoreIsRefused) {
  const std::size_t limit = kMsg1.size();
  auto ok = split(kMsg1, false, limit);
  ASSERT_EQ(ok.size(), 1u);
  EXPECT_TRUE(ok[0].refused.empty());
  EXPECT_EQ(ok[0].bytes, kMsg1);

  auto over = split(kMsg1 + "X", false, limit);
  ASSERT_EQ(over.size(), 1u);
  EXPECT_FALSE(over[0].refused.empty());
  EXPECT_TRUE(over[0].bytes.empty());
}

TEST(MessageSplitter, OversizeMessageDoesNotStopTheNextOne) {
  const std::string big = "MSH|^~\\&|A\rOBX|" + std::string(5000, 'x') + "\r";
  auto msgs = split(big + kMsg2, false, 1000, 97);
  ASSERT_EQ(msgs.size(), 2u);
  EXPECT_FALSE(msgs[0].refused.empty());
  EXPECT_LE(msgs[0].bytes.capacity(), 2000u);
  EXPECT_TRUE(msgs[1].refused.empty());
  EXPECT_EQ(msgs[1].bytes, kMsg2);
}

TEST(MessageSplitter, HugeLineWithoutTerminatorIsRefusedNotBuffered) {
  MessageSplitter s(false, 4096);
  const std::string chunk(65536, 'A');
  s.feed("MSH|^~\\&|");
  for (int i = 0; i < 64; ++i) s.feed(chunk);  // 4 MiB, no line end
  s.finish();
  RawMessage m;
  ASSERT_TRUE(s.next(m));
  EXPECT_FALSE(m.refused.empty());
  EXPECT_TRUE(m.bytes.empty());
  EXPECT_FALSE(s.next(m));
}

TEST(MessageSplitter, MllpFrames) {
  const std::string input = "\x0b" + kMsg1 + "\x1c\r\n\x0b" + kMsg2 + "\x1c\r";
  for (std::size_t chunk : {0u, 1u, 5u}) {
    auto msgs = split(input, true, 1 << 20, chunk);
    ASSERT_EQ(msgs.size(), 2u);
    EXPECT_EQ(msgs[0].bytes, kMsg1);
    EXPECT_EQ(msgs[1].bytes, kMsg2);
    EXPECT_TRUE(msgs[0].framed);
    EXPECT_EQ(msgs[1].index, 2u);
  }
}

TEST(MessageSplitter, MllpUnterminatedFrameIsRefused) {
  auto msgs = split("\x0b" + kMsg1 + "\x1c\r\x0b" + kMsg2, true);
  ASSERT_EQ(msgs.size(), 2u);
  EXPECT_TRUE(msgs[0].refused.empty());
  EXPECT_FALSE(msgs[1].refused.empty());
}

TEST(MessageSplitter, MllpFrameCutShortIsRefused) {
  auto msgs = split("\x0b" + kMsg1 + "\x0b" + kMsg2 + "\x1c\r", true);
  ASSERT_EQ(msgs.size(), 2u);
  EXPECT_FALSE(msgs[0].refused.empty());
  EXPECT_EQ(msgs[1].bytes, kMsg2);
}

TEST(MessageSplitter, MllpOversizeFrameIsRefused) {
  auto msgs = split("\x0b" + kMsg1 + "\x1c\r\x0b" + kMsg2 + "\x1c\r", true, kMsg2.size());
  ASSERT_GE(msgs.size(), 2u);
  EXPECT_FALSE(msgs[0].refused.empty());
  EXPECT_EQ(msgs.back().bytes, kMsg2);
}

}  // namespace
}  // namespace fcpgw::gateway
