#include "hl7v2/mllp.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace fcpgw::hl7v2 {
namespace {

std::vector<MllpEvent> drain(MllpDecoder& d) {
  std::vector<MllpEvent> out;
  while (auto e = d.next()) out.push_back(std::move(*e));
  return out;
}

std::vector<std::string> frames_of(const std::vector<MllpEvent>& ev) {
  std::vector<std::string> out;
  for (const auto& e : ev) {
    if (e.kind == MllpEvent::Kind::frame) out.push_back(e.payload);
  }
  return out;
}

TEST(Mllp, EncodeAppends) {
  std::string buf = "x";
  mllp_frame(buf, "MSH|a\r");
  EXPECT_EQ(buf, "x\x0bMSH|a\r\x1c\r");
  EXPECT_EQ(mllp_frame(""), "\x0b\x1c\r");
}

TEST(Mllp, SingleFrame) {
  MllpDecoder d;
  EXPECT_EQ(d.feed(mllp_frame("MSH|1\r")), 1u);
  const auto ev = drain(d);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, MllpEvent::Kind::frame);
  EXPECT_EQ(ev[0].payload, "MSH|1\r");
  EXPECT_EQ(ev[0].size, 6u);
  EXPECT_EQ(d.frames(), 1u);
  EXPECT_EQ(d.garbage_bytes(), 0u);
  EXPECT_FALSE(d.in_frame());
}

TEST(Mllp, SplitAtEveryBytePosition) {
  const std::string stream = mllp_frame("MSH|first\rPID|1\r") + mllp_frame("MSH|second\r");
  for (std::size_t i = 0; i <= stream.size(); ++i) {
    for (std::size_t j = i; j <= stream.size(); ++j) {
      MllpDecoder d;
      d.feed(std::string_view(stream).substr(0, i));
      d.feed(std::string_view(stream).substr(i, j - i));
      d.feed(std::string_view(stream).substr(j));
      const auto f = frames_of(drain(d));
      ASSERT_EQ(f.size(), 2u) << i << "," << j;
      EXPECT_EQ(f[0], "MSH|first\rPID|1\r");
      EXPECT_EQ(f[1], "MSH|second\r");
      EXPECT_EQ(d.garbage_bytes(), 0u);
      EXPECT_EQ(d.missing_cr(), 0u);
    }
  }
}

TEST(Mllp, ByteByByte) {
  const std::string stream = mllp_frame("abc") + mllp_frame("def");
  MllpDecoder d;
  for (char c : stream) d.feed(std::string_view(&c, 1));
  EXPECT_EQ(frames_of(drain(d)), (std::vector<std::string>{"abc", "def"}));
}

TEST(Mllp, SplitBetweenEndAndCr) {
  MllpDecoder d;
  EXPECT_EQ(d.feed("\x0bmsg\x1c"), 1u);  // the frame is delivered without waiting for CR
  EXPECT_EQ(d.feed("\r"), 0u);
  EXPECT_EQ(d.garbage_bytes(), 0u);
  EXPECT_EQ(d.missing_cr(), 0u);
  EXPECT_EQ(frames_of(drain(d)), std::vector<std::string>{"msg"});
}

TEST(Mllp, SeveralFramesInOneChunk) {
  MllpDecoder d;
  std::string chunk;
  // 'm' + ..., not "m" + ...: a one-character literal in front trips a GCC 12 -Wrestrict
  // false positive at -O3.
  for (int i = 0; i < 5; ++i) mllp_frame(chunk, 'm' + std::to_string(i));
  EXPECT_EQ(d.feed(chunk), 5u);
  EXPECT_EQ(d.pending(), 5u);
  EXPECT_EQ(frames_of(drain(d)), (std::vector<std::string>{"m0", "m1", "m2", "m3", "m4"}));
}

TEST(Mllp, GarbageBetweenFramesIsSkippedAndCounted) {
  MllpDecoder d;
  d.feed("junk" + mllp_frame("a") + "\r\n" + mllp_frame("b") + "tail");
  EXPECT_EQ(frames_of(drain(d)), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(d.garbage_bytes(), 4u + 2u + 4u);
}

TEST(Mllp, MissingCrIsTolerated) {
  MllpDecoder d;
  d.feed(
      "\x0b"
      "a\x1c\x0b"
      "b\x1c\r");
  EXPECT_EQ(frames_of(drain(d)), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(d.missing_cr(), 1u);
}

TEST(Mllp, TruncatedFrame) {
  MllpDecoder d;
  d.feed("\x0bpartial");
  EXPECT_TRUE(d.in_frame());
  EXPECT_EQ(d.buffered(), 7u);
  d.feed("\x0bwhole\x1c\r");
  const auto ev = drain(d);
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].kind, MllpEvent::Kind::truncated);
  EXPECT_EQ(ev[0].size, 7u);
  EXPECT_EQ(ev[1].kind, MllpEvent::Kind::frame);
  EXPECT_EQ(ev[1].payload, "whole");
  EXPECT_EQ(d.truncated_frames(), 1u);
}

TEST(Mllp, FrameSizeAtLimitAndOnePast) {
  MllpDecoder d(10);
  d.feed(mllp_frame(std::string(10, 'x')));
  auto ev = drain(d);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, MllpEvent::Kind::frame);

  d.feed(mllp_frame(std::string(11, 'y')) + mllp_frame("ok"));
  ev = drain(d);
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].kind, MllpEvent::Kind::oversize);
  EXPECT_EQ(ev[0].size, 11u);
  EXPECT_EQ(ev[1].kind, MllpEvent::Kind::frame);
  EXPECT_EQ(ev[1].payload, "ok");
  EXPECT_EQ(d.oversize_frames(), 1u);
  EXPECT_EQ(d.garbage_bytes(), 0u);
}

TEST(Mllp, OversizeAcrossChunksResyncsAtNextStart) {
  MllpDecoder d(8);
  d.feed(
      "\x0b"
      "12345");
  d.feed("6789");  // crosses the limit here
  EXPECT_EQ(d.oversize_frames(), 1u);
  EXPECT_FALSE(d.in_frame());
  d.feed("more\x1c\rgarbage");
  d.feed("\x0bnext\x1c\r");
  const auto ev = drain(d);
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].kind, MllpEvent::Kind::oversize);
  EXPECT_EQ(ev[1].payload, "next");
}

TEST(Mllp, OversizeEventKeepsTheFrameHead) {
  // Split anywhere, the event carries the same first bytes (up to the limit), so that the
  // receiver can read the MSH and answer.
  const std::string body =
      "MSH|^~\\&|A|B|C|D|20240101||ADT^A01|CTRL1|P|2.5.1\r" + std::string(100, 'z');
  for (std::size_t split = 1; split < body.size(); split += 7) {
    MllpDecoder d(40);
    const std::string framed = mllp_frame(body);
    d.feed(framed.substr(0, split));
    d.feed(framed.substr(split));
    const auto ev = drain(d);
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_EQ(ev[0].kind, MllpEvent::Kind::oversize);
    EXPECT_EQ(ev[0].payload, body.substr(0, 40)) << split;
  }
  MllpDecoder big(2 * mllp_oversize_head);
  big.feed(mllp_frame(std::string(3 * mllp_oversize_head, 'q')));
  const auto ev = drain(big);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].payload.size(), mllp_oversize_head);
}

TEST(Mllp, ResetDropsPartialFrame) {
  MllpDecoder d;
  d.feed("\x0bpart");
  d.reset();
  EXPECT_FALSE(d.in_frame());
  d.feed("ial\x1c\r" + mllp_frame("x"));
  EXPECT_EQ(frames_of(drain(d)), std::vector<std::string>{"x"});
}

TEST(Mllp, LargeStreamIsLinear) {
  MllpDecoder d(2 * 1024 * 1024);
  const std::string big(1024 * 1024, 'a');
  const std::string framed = mllp_frame(big);
  for (std::size_t i = 0; i < framed.size(); i += 4096) {
    d.feed(std::string_view(framed).substr(i, 4096));
  }
  const auto ev = drain(d);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].payload.size(), big.size());
}

}  // namespace
}  // namespace fcpgw::hl7v2
