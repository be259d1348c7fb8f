#include "hl7v2/message.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace fcpgw::hl7v2 {
namespace {

std::string sample(std::string_view term = "\r") {
  std::string s;
  for (std::string_view seg :
       {"MSH|^~\\&|SND|SFAC|RCV|RFAC|20240102030405+0000||SIU^S12^SIU_S12|CTRL1|P|2.5.1",
        "SCH|A1^PL|F1^FL|||||||15|min|^^15^20240103100000^20240103101500",
        "PID|1||111^^^NHS^NH~222^^^R0A^MR||Smith&van^John^Q||19800101|M", "OBX|1|TX|C1||first",
        "OBX|2|TX|C2||second\\T\\half", "AIP|1||P1^Jones^Ann"}) {
    s += seg;
    s += term;
  }
  return s;
}

Message must_parse(std::string s, const Limits& l = {}) {
  auto r = Message::parse(std::move(s), l);
  if (!r) ADD_FAILURE() << r.error().message;
  return r ? std::move(*r) : Message{};
}

ParseError must_fail(std::string s, const Limits& l = {}) {
  auto r = Message::parse(std::move(s), l);
  EXPECT_FALSE(r.has_value());
  return r ? ParseError{} : r.error();
}

TEST(Message, AcceptsAllThreeTerminators) {
  for (std::string_view t : {"\r", "\n", "\r\n"}) {
    const Message m = must_parse(sample(t));
    EXPECT_EQ(m.segment_count(), 6u) << "terminator size " << t.size();
    EXPECT_EQ(m.segment(2).id(), "SCH");
    EXPECT_EQ(m.find("AIP")->field(3), "P1^Jones^Ann");
    EXPECT_EQ(m.raw(), sample(t));
  }
}

TEST(Message, SeparatorsAtEveryOffset) {
  // Separators are searched for 16 bytes at a time: fields, repetitions and segment ends at every
  // offset within and across those steps, with every terminator.
  for (std::string_view term : {"\r", "\n", "\r\n"}) {
    std::string s = "MSH|^~\\&|A|B|C|D|20240102||ADT^A01|X|P|2.5.1";
    s += term;
    std::string obx = "OBX";
    std::vector<std::string> fields;
    for (std::size_t len = 0; len <= 40; ++len) {
      std::string f;
      for (std::size_t i = 0; i < len; ++i) f.push_back(static_cast<char>('a' + i % 26));
      if (len % 3 == 1) f += "~r2";
      fields.push_back(f);
      obx += '|';
      obx += f;
    }
    s += obx;
    s += term;
    s += "NTE|1";  // no final terminator
    const Message m = must_parse(s);
    ASSERT_EQ(m.segment_count(), 3u);
    const Segment seg = m.segment(2);
    ASSERT_EQ(seg.field_count(), fields.size());
    for (std::size_t n = 1; n <= fields.size(); ++n) {
      EXPECT_EQ(seg.field(n), fields[n - 1]) << "field " << n;
      EXPECT_EQ(seg.repetition_count(n), fields[n - 1].empty() ? 0u : (n % 3 == 2 ? 2u : 1u));
    }
    EXPECT_EQ(m.segment(3).field(1), "1");
  }
}

TEST(Message, MixedTerminatorsAndNoFinalTerminator) {
  std::string s = sample("\r");
  s.pop_back();
  // In place: replace() with a one-character literal trips a GCC 12 -Wrestrict false positive.
  s[s.find("\rPID")] = '\n';
  const Message m = must_parse(s);
  EXPECT_EQ(m.segment_count(), 6u);
  EXPECT_EQ(m.segment(6).field(3), "P1^Jones^Ann");
  EXPECT_EQ(m.raw(), s);
}

TEST(Message, SkipsBomAndBlankLinesAndTrailingWhitespace) {
  const std::string s = "\xEF\xBB\xBF" + sample("\r\n") + "\r\n  \r\n\t\n\n";
  const Message m = must_parse(s);
  EXPECT_EQ(m.segment_count(), 6u);
  EXPECT_EQ(m.segment(1).id(), "MSH");
  EXPECT_EQ(m.raw(), s);
  const std::string s2 = "\r\n\r\n" + sample("\r") + "\r\r";
  EXPECT_EQ(must_parse(s2).segment_count(), 6u);
}

TEST(Message, MshNumbering) {
  const Message m = must_parse(sample());
  const Segment msh = m.segment(1);
  EXPECT_EQ(msh.field(1), "|");
  EXPECT_EQ(msh.field(2), "^~\\&");
  EXPECT_EQ(msh.field(3), "SND");
  EXPECT_EQ(msh.field(7), "20240102030405+0000");
  EXPECT_EQ(msh.field(9), "SIU^S12^SIU_S12");
  EXPECT_EQ(msh.field(10), "CTRL1");
  EXPECT_EQ(msh.field(12), "2.5.1");
  EXPECT_EQ(msh.field(13), "");
  EXPECT_EQ(msh.field_count(), 12u);
  // MSH-2 is not split into components or repetitions.
  EXPECT_EQ(msh.repetition_count(2), 1u);
  EXPECT_EQ(msh.component(2, 1, 1), "^~\\&");
  EXPECT_EQ(msh.component(2, 1, 2), "");
  EXPECT_EQ(msh.repetition(2, 2), "");
  EXPECT_EQ(m.message_code(), "SIU");
  EXPECT_EQ(m.trigger_event(), "S12");
  EXPECT_EQ(m.message_structure(), "SIU_S12");
  EXPECT_EQ(m.control_id(), "CTRL1");
  EXPECT_EQ(m.version(), "2.5.1");
}

TEST(Message, FieldsRepetitionsComponentsSubcomponents) {
  const Message m = must_parse(sample());
  const Segment pid = *m.find("PID");
  EXPECT_EQ(pid.field(0), "");
  EXPECT_EQ(pid.field(1), "1");
  EXPECT_EQ(pid.field(2), "");
  EXPECT_EQ(pid.repetition_count(3), 2u);
  EXPECT_EQ(pid.repetition_count(2), 0u);
  EXPECT_EQ(pid.repetition(3, 2), "222^^^R0A^MR");
  EXPECT_EQ(pid.component(3, 2, 4), "R0A");
  EXPECT_EQ(pid.component(3, 1, 5), "NH");
  EXPECT_EQ(pid.component(3, 3, 1), "");
  EXPECT_EQ(pid.subcomponent(5, 1, 1, 2), "van");
  EXPECT_EQ(pid.subcomponent(5, 1, 1, 1), "Smith");
  EXPECT_EQ(pid.subcomponent(5, 1, 2, 1), "John");
  EXPECT_EQ(pid.field(99), "");
  EXPECT_EQ(pid.field_count(), 8u);
  EXPECT_EQ(pid.index(), 3u);
  EXPECT_EQ(pid.raw(), "PID|1||111^^^NHS^NH~222^^^R0A^MR||Smith&van^John^Q||19800101|M");
}

TEST(Message, SegmentsByIdAndOccurrence) {
  const Message m = must_parse(sample());
  EXPECT_EQ(m.count("OBX"), 2u);
  EXPECT_EQ(m.find("OBX", 2)->field(5), "second\\T\\half");
  EXPECT_FALSE(m.find("OBX", 3));
  EXPECT_FALSE(m.find("OBX", 0));
  EXPECT_FALSE(m.find("ZZZ"));
  EXPECT_FALSE(m.find("OB"));
  EXPECT_EQ(m.find_next("OBX", 4)->index(), 5u);
  EXPECT_FALSE(m.find_next("OBX", 5));
  const auto all = m.all("OBX");
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[1].field(1), "2");
  EXPECT_FALSE(m.segment(0));
  EXPECT_FALSE(m.segment(7));
}

TEST(Message, GetAndTextByPath) {
  const Message m = must_parse(sample());
  const auto p = parse_path("OBX[2]-5").value();
  EXPECT_EQ(m.get(p), "second\\T\\half");
  EXPECT_EQ(m.text(p), "second&half");
  EXPECT_EQ(m.get(parse_path("PID-3").value()), "111^^^NHS^NH");
  EXPECT_EQ(m.get(parse_path("PID-3[2].4").value()), "R0A");
  EXPECT_EQ(m.get(parse_path("PID-5.1.2").value()), "van");
  EXPECT_EQ(m.get(parse_path("SCH-11.4").value()), "20240103100000");
  EXPECT_EQ(m.get(parse_path("AIP-3.1").value()), "P1");
  EXPECT_EQ(m.get(parse_path("MSH-9.2").value()), "S12");
  EXPECT_EQ(m.get(parse_path("MSH-1").value()), "|");
  EXPECT_EQ(m.get(parse_path("MSH-2").value()), "^~\\&");
  EXPECT_EQ(m.get(parse_path("ZZZ-1").value()), "");
  EXPECT_EQ(m.get(parse_path("PID-3[9].1").value()), "");
}

TEST(Message, FiveEncodingCharacters) {
  const Message m =
      must_parse("MSH|^~\\&#|A|B|C|D|20240101||ADT^A01|X1|P|2.7\rPID|1||a\\P\\b^c#d\r");
  EXPECT_EQ(m.delimiters().truncation, '#');
  EXPECT_EQ(m.segment(1).field(2), "^~\\&#");
  EXPECT_EQ(m.segment(1).field(3), "A");
  EXPECT_EQ(m.text(parse_path("PID-3.1").value()), "a#b");
  EXPECT_EQ(m.get(parse_path("PID-3.2").value()), "c#d");
}

TEST(Message, CustomDelimiters) {
  const Message m = must_parse("MSH!@*$%!A!B!!!2024!!ADT@A01!X1!P!2.5\rPID!1!!a@b*c@d%e\r");
  EXPECT_EQ(m.delimiters().field, '!');
  EXPECT_EQ(m.segment(1).field(1), "!");
  EXPECT_EQ(m.segment(1).field(2), "@*$%");
  EXPECT_EQ(m.message_code(), "ADT");
  EXPECT_EQ(m.find("PID")->component(3, 2, 2), "d%e");
  EXPECT_EQ(m.find("PID")->subcomponent(3, 2, 2, 2), "e");
}

TEST(Message, SegmentWithIdOnly) {
  const Message m = must_parse("MSH|^~\\&|A||||||ADT^A01|1|P|2.5\rRGS\rZ01|x\r");
  EXPECT_EQ(m.segment(2).id(), "RGS");
  EXPECT_EQ(m.segment(2).field_count(), 0u);
  EXPECT_EQ(m.segment(2).field(1), "");
  EXPECT_EQ(m.segment(3).field(1), "x");
}

TEST(Message, HeaderCopy) {
  const Message m = must_parse(sample());
  const MshHeader h = m.header();
  EXPECT_EQ(h.sending_application, "SND");
  EXPECT_EQ(h.sending_facility, "SFAC");
  EXPECT_EQ(h.receiving_application, "RCV");
  EXPECT_EQ(h.receiving_facility, "RFAC");
  EXPECT_EQ(h.message_type, "SIU^S12^SIU_S12");
  EXPECT_EQ(h.trigger_event, "S12");
  EXPECT_EQ(h.control_id, "CTRL1");
  EXPECT_EQ(h.processing_id, "P");
  EXPECT_EQ(h.version, "2.5.1");
}

TEST(Message, CopyAndMoveKeepViewsValidInNewInstance) {
  Message a = must_parse(sample());
  Message b = a;
  Message c = std::move(a);
  EXPECT_EQ(b.find("AIP")->field(3), "P1^Jones^Ann");
  EXPECT_EQ(c.find("AIP")->field(3), "P1^Jones^Ann");
}

// --- Errors

TEST(MessageErrors, EmptyInput) {
  EXPECT_EQ(must_fail("").code, ParseErrc::empty);
  EXPECT_EQ(must_fail("\r\n \r\n").code, ParseErrc::empty);
  EXPECT_EQ(must_fail("\xEF\xBB\xBF").code, ParseErrc::empty);
}

TEST(MessageErrors, FirstSegmentNotMsh) {
  const ParseError e = must_fail("PID|1\r");
  EXPECT_EQ(e.code, ParseErrc::not_msh);
  EXPECT_EQ(e.segment_index, 1u);
  EXPECT_EQ(e.byte_offset, 0u);
  EXPECT_EQ(e.message, "segment 1: expected 'MSH' at byte 0, found 'PID'");
  EXPECT_FALSE(e.header);
  EXPECT_EQ(must_fail("MS").code, ParseErrc::not_msh);
  EXPECT_EQ(must_fail(" MSH|^~\\&|\r").code, ParseErrc::not_msh);
}

TEST(MessageErrors, BadFieldSeparator) {
  for (std::string s : {"MSH", "MSH\r", "MSHA^~\\&", "MSH ^~\\&", "MSH5^~\\&"}) {
    const ParseError e = must_fail(s);
    EXPECT_EQ(e.code, ParseErrc::bad_delimiters) << s;
    EXPECT_EQ(e.field, 1u);
    EXPECT_EQ(e.byte_offset, 3u);
  }
}

TEST(MessageErrors, BadEncodingCharacters) {
  struct Case {
    const char* text;
    std::size_t offset;
  };
  for (const Case c : {Case{"MSH|^~\\|A||||||ADT^A01|1|P|2.5\r", 4},  // 3 characters
                       Case{"MSH|^~\\&#!|A\r", 4},                    // 6 characters
                       Case{"MSH|^^\\&|A\r", 5},                      // duplicate
                       Case{"MSH|^~|&|A\r", 4},                       // cut by separator
                       Case{"MSH|^~\\A|A\r", 7}}) {                   // letter
    const ParseError e = must_fail(c.text);
    EXPECT_EQ(e.code, ParseErrc::bad_delimiters) << c.text;
    EXPECT_EQ(e.field, 2u) << c.text;
    if (std::string_view(c.text).find("^^") != std::string_view::npos ||
        std::string_view(c.text).find("\\A") != std::string_view::npos) {
      EXPECT_EQ(e.byte_offset, c.offset) << c.text;
    }
    EXPECT_NE(e.message.find("MSH-2"), std::string::npos) << e.message;
  }
}

TEST(MessageErrors, InvalidSegmentId) {
  std::string s = sample();
  const std::size_t at = s.find("OBX|2");
  s.replace(at, 3, "P@D");
  const ParseError e = must_fail(s);
  EXPECT_EQ(e.code, ParseErrc::bad_segment_id);
  EXPECT_EQ(e.segment_index, 5u);
  EXPECT_EQ(e.byte_offset, at);
  EXPECT_EQ(e.message, "segment 5: invalid segment id 'P@D' at byte " + std::to_string(at) +
                           "; expected three upper-case letters or digits followed by '|'");
  ASSERT_TRUE(e.header);
  EXPECT_EQ(e.header->control_id, "CTRL1");
  for (std::string bad : {"pid|1", "1ID|x", "PIDX|1", "PI|1", "PI", " PID|1", "P"}) {
    const ParseError e2 = must_fail(sample() + bad + "\r");
    EXPECT_EQ(e2.code, ParseErrc::bad_segment_id) << bad;
    EXPECT_EQ(e2.segment_index, 7u) << bad;
  }
}

TEST(MessageErrors, RequiredMshFields) {
  const auto msh = [](std::string_view f9, std::string_view f10, std::string_view f12) {
    return "MSH|^~\\&|SND|SF|RCV|RF|2024||" + std::string(f9) + "|" + std::string(f10) + "|P|" +
           std::string(f12) + "\rPID|1\r";
  };
  ParseError e = must_fail(msh("", "C1", "2.5"));
  EXPECT_EQ(e.code, ParseErrc::missing_required_field);
  EXPECT_EQ(e.field, 9u);
  EXPECT_EQ(e.message, "MSH-9: message type is required");
  EXPECT_EQ(e.segment_id, "MSH");
  EXPECT_EQ(e.segment_index, 1u);
  e = must_fail(msh("^A01", "C1", "2.5"));
  EXPECT_EQ(e.message, "MSH-9.1: message code is required");
  EXPECT_EQ(e.component, 1u);
  e = must_fail(msh("ADT^A01", "", "2.5"));
  EXPECT_EQ(e.field, 10u);
  EXPECT_EQ(e.message, "MSH-10: message control id is required");
  // What could be read of MSH is kept, so that an ACK can still be built.
  ASSERT_TRUE(e.header);
  EXPECT_EQ(e.header->sending_application, "SND");
  EXPECT_EQ(e.header->receiving_facility, "RF");
  EXPECT_EQ(e.header->trigger_event, "A01");
  e = must_fail(msh("ADT^A01", "C1", ""));
  EXPECT_EQ(e.field, 12u);
  EXPECT_EQ(e.header->control_id, "C1");
  // MSH cut short before MSH-12.
  e = must_fail("MSH|^~\\&|A|B|C|D|2024||ADT^A01|C9\r");
  EXPECT_EQ(e.field, 12u);
  EXPECT_EQ(e.header->control_id, "C9");
}

TEST(MessageErrors, LenientHeaderOnGarbage) {
  EXPECT_FALSE(parse_header_lenient(""));
  EXPECT_FALSE(parse_header_lenient("garbage"));
  EXPECT_FALSE(parse_header_lenient("MSH"));
  const auto h = parse_header_lenient("\xEF\xBB\xBF\r\nMSH|^~|A|B|C|D|E|F|G^H|ID42");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->delimiters.component, '^');
  EXPECT_EQ(h->sending_application, "A");
  EXPECT_EQ(h->control_id, "ID42");
  EXPECT_EQ(h->trigger_event, "H");
}

// --- Limits: at the limit and one past it.

TEST(MessageLimits, MessageBytes) {
  const std::string s = sample();
  Limits l;
  l.max_message_bytes = s.size();
  EXPECT_TRUE(Message::parse(s, l));
  l.max_message_bytes = s.size() - 1;
  const ParseError e = must_fail(s, l);
  EXPECT_EQ(e.code, ParseErrc::too_large);
  EXPECT_NE(e.message.find("limit"), std::string::npos);
  ASSERT_TRUE(e.header);  // an ACK can still echo the control id
  EXPECT_EQ(e.header->control_id, "CTRL1");
}

TEST(MessageLimits, Segments) {
  Limits l;
  l.max_segments = 6;
  EXPECT_TRUE(Message::parse(sample(), l));
  l.max_segments = 5;
  const ParseError e = must_fail(sample(), l);
  EXPECT_EQ(e.code, ParseErrc::too_many_segments);
  EXPECT_EQ(e.segment_index, 6u);
  EXPECT_EQ(e.segment_id, "AIP");
}

TEST(MessageLimits, DefaultSegmentLimit) {
  std::string s = "MSH|^~\\&|A||||||ADT^A01|1|P|2.5\r";
  for (int i = 1; i < 5000; ++i) s += "NTE|1\r";
  EXPECT_TRUE(Message::parse(s));
  s += "NTE|1\r";
  EXPECT_EQ(must_fail(s).code, ParseErrc::too_many_segments);
}

TEST(MessageLimits, FieldsPerSegment) {
  const std::string base = "MSH|^~\\&|A||||||ADT^A01|1|P|2.5\rZZZ";
  Limits l;
  l.max_fields_per_segment = 20;
  EXPECT_TRUE(Message::parse(base + std::string(20, '|') + "x\r", l));
  const ParseError e = must_fail(base + std::string(21, '|') + "x\r", l);
  EXPECT_EQ(e.code, ParseErrc::too_many_fields);
  EXPECT_EQ(e.field, 21u);
  EXPECT_EQ(e.segment_index, 2u);
  EXPECT_EQ(e.segment_id, "ZZZ");
  // MSH counts MSH-1 as a field: "MSH|^~\\&" + 10 separators reaches MSH-12.
  l.max_fields_per_segment = 12;
  EXPECT_TRUE(Message::parse("MSH|^~\\&|A||||||ADT^A01|1|P|2.5\r", l));
  EXPECT_EQ(must_fail("MSH|^~\\&|A||||||ADT^A01|1|P|2.5|\r", l).field, 13u);
}

TEST(MessageLimits, RepetitionsPerField) {
  const std::string base = "MSH|^~\\&|A||||||ADT^A01|1|P|2.5\rPID|1||";
  Limits l;
  l.max_repetitions_per_field = 3;
  EXPECT_TRUE(Message::parse(base + "a~b~c|x\r", l));
  const ParseError e = must_fail(base + "a~b~c~d|x\r", l);
  EXPECT_EQ(e.code, ParseErrc::too_many_repetitions);
  EXPECT_EQ(e.field, 3u);
  EXPECT_EQ(e.repetition, 4u);
  EXPECT_EQ(e.byte_offset, (base + "a~b~c").size());
  // Repetitions are counted per field, not per segment.
  EXPECT_TRUE(Message::parse(base + "a~b~c|d~e~f\r", l));
}

TEST(MessageRobustness, HugeSingleLineIsLinear) {
  std::string s = "MSH|^~\\&|A||||||ADT^A01|1|P|2.5\rOBX|1|TX|||";
  s += std::string(900000, 'a');
  s += "\r";
  const Message m = must_parse(s);
  EXPECT_EQ(m.find("OBX")->field(5).size(), 900000u);
}

}  // namespace
}  // namespace fcpgw::hl7v2

namespace fcpgw::hl7v2 {
namespace {

// Found by fuzzing: a later segment with id MSH and no fields must not read past its end.
TEST(Message, LaterMshSegmentWithoutFields) {
  const auto m = Message::parse("MSH|^~\\&|A||||||ADT^A01|1|P|2.5\rPID|1\rMSH\rMSH|^~\\&|B\r");
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->segment(3).field(1), "");
  EXPECT_EQ(m->segment(3).field(2), "");
  EXPECT_EQ(m->segment(3).field_count(), 1u);
  EXPECT_EQ(m->segment(4).field(1), "|");
  EXPECT_EQ(m->segment(4).field(2), "^~\\&");
  EXPECT_EQ(m->segment(4).field(3), "B");
  EXPECT_EQ(m->find("MSH", 2)->index(), 3u);
}

}  // namespace
}  // namespace fcpgw::hl7v2
