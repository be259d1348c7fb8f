#include <gtest/gtest.h>

#include "hl7v2/ack.h"
#include "hl7v2/builder.h"
#include "hl7v2/message.h"

namespace fcpgw::hl7v2 {
namespace {

TEST(Builder, WritesMshAndPositionsInOrder) {
  MessageBuilder b;
  b.segment("MSH")
      .set(3, "APP")
      .set({9, 1, 2}, "S12")
      .set({9, 1, 1}, "SIU")
      .set(10, "C1")
      .set(12, "2.5.1");
  b.segment("PID")
      .set({3, 2, 1}, "222")
      .set({3, 1, 1}, "111")
      .set({3, 1, 5}, "NH")
      .set({5, 1, 1, 2}, "van")
      .set({5, 1, 1, 1}, "Smith");
  EXPECT_EQ(b.take(),
            "MSH|^~\\&|APP||||||SIU^S12|C1||2.5.1\r"
            "PID|||111^^^^NH~222||Smith&van\r");
}

TEST(Builder, TrimsTrailingEmptiesAndLastValueWins) {
  MessageBuilder b;
  b.segment("ZZZ").set(1, "a").set(5, "").set({2, 3, 4, 5}, "").set(1, "b");
  b.segment("RGS");
  b.segment("NTE").set(1, "x").set(1, "");  // cleared again
  EXPECT_EQ(b.take(), "ZZZ|b\rRGS\rNTE\r");
}

TEST(Builder, EscapesTextButNotRaw) {
  MessageBuilder b;
  b.segment("NTE").set(3, "a|b^c~d\\e&f\rg").set_raw({4}, "X^Y&Z");
  EXPECT_EQ(b.take(), "NTE|||a\\F\\b\\S\\c\\R\\d\\E\\e\\T\\f\\X0D\\g|X^Y&Z\r");
}

TEST(Builder, AllDelimitersSurviveWriteThenParse) {
  const std::string tricky = "|^~\\&# and \\F\\ plus\r\nnew line";
  for (char trunc : {'\0', '#'}) {
    Delimiters d;
    d.truncation = trunc;
    MessageBuilder b(d);
    b.segment("MSH").set({9, 1, 1}, "ADT").set({9, 1, 2}, "A01").set(10, tricky).set(12, "2.7");
    b.segment("OBX").set({5, 2, 3, 2}, tricky).set_component(6, 2, tricky);
    const auto m = Message::parse(b.take());
    ASSERT_TRUE(m) << m.error().message;
    EXPECT_EQ(m->text(parse_path("MSH-10").value()), tricky);
    EXPECT_EQ(m->text(parse_path("OBX-5[2].3.2").value()), tricky);
    EXPECT_EQ(m->text(parse_path("OBX-6.2").value()), tricky);
    EXPECT_EQ(m->segment_count(), 2u);
  }
}

// Control characters (every C0 byte and DEL) never reach the ER7 raw: each becomes a `\Xhh\`
// hex escape, as CR and LF always did, so a NUL, a BEL or an MLLP framing byte (VT 0x0B, FS
// 0x1C) in a text value can neither end a segment nor break a frame. Reading back gives the
// bytes again.
TEST(Builder, ControlCharactersBecomeHexEscapes) {
  const char* hex = "0123456789ABCDEF";
  std::string all;
  for (int c = 0; c < 0x80; ++c) {
    if (c >= 0x20 && c != 0x7F) continue;
    all.push_back(static_cast<char>(c));
    const std::string text = std::string("a") + static_cast<char>(c) + "b";
    const std::string escaped = std::string("\\X") + hex[c >> 4] + hex[c & 15] + "\\";
    MessageBuilder b;
    b.segment("MSH").set({9, 1, 1}, "ADT").set({9, 1, 2}, "A01").set(10, "1").set(12, "2.5.1");
    b.segment("NTE").set(3, text);
    const std::string er7 = b.take();
    EXPECT_EQ(er7.substr(er7.find("NTE")), "NTE|||a" + escaped + "b\r") << "byte " << c;
    const auto m = Message::parse(er7);
    ASSERT_TRUE(m) << "byte " << c << ": " << m.error().message;
    EXPECT_EQ(m->segment_count(), 2u) << "byte " << c;
    EXPECT_EQ(m->text(parse_path("NTE-3").value()), text) << "byte " << c;
    EXPECT_EQ(unescape("a" + escaped + "b", Delimiters{}), text) << "byte " << c;
  }
  ASSERT_EQ(all.size(), 33u);
  // All of them in one value, among delimiters and non-ASCII text, with other delimiters.
  const std::string mixed = "x" + all + "|^~\\&$!\xc3\xa9 y";
  for (const Delimiters& d : {Delimiters{}, Delimiters{'!', '@', '*', '$', '%', '#'}}) {
    MessageBuilder b(d);
    b.segment("MSH").set({9, 1, 1}, "ADT").set({9, 1, 2}, "A01").set(10, "1").set(12, "2.7");
    b.segment("OBX").set({5, 2, 3, 2}, mixed);
    const std::string er7 = b.take();
    for (std::size_t i = 0; i < er7.size(); ++i) {
      const auto u = static_cast<unsigned char>(er7[i]);
      EXPECT_TRUE((u >= 0x20 && u != 0x7F) ||
                  (u == '\r' && i + 1 < er7.size() && er7.compare(i + 1, 3, "OBX") == 0) ||
                  (u == '\r' && i + 1 == er7.size()))
          << "raw control byte " << int(u) << " at " << i;
    }
    const auto m = Message::parse(er7);
    ASSERT_TRUE(m) << m.error().message;
    EXPECT_EQ(m->text(parse_path("OBX-5[2].3.2").value()), mixed);
  }
  // Space and bytes above DEL are text, written as they are.
  MessageBuilder b;
  b.segment("NTE").set(3, " \x80\xc3\xa9\xff");
  EXPECT_EQ(b.take(), "NTE||| \x80\xc3\xa9\xff\r");
}

TEST(Builder, InvalidIdsAndPositionsAreDroppedAndCounted) {
  MessageBuilder b;
  b.segment("pid").set(1, "lost");
  b.segment("MSH").set(1, "x").set(2, "y").set(MessageBuilder::max_field + 1, "z");
  b.set({1, 1, MessageBuilder::max_component + 1, 1}, "w");
  EXPECT_EQ(b.dropped(), 6u);
  EXPECT_EQ(b.take(), "MSH|^~\\&\r");
}

TEST(Builder, CustomTerminatorAndDelimiters) {
  MessageBuilder b(Delimiters{'!', '@', '*', '$', '%', '\0'}, '\n');
  b.segment("MSH").set({9, 1, 2}, "A01");
  b.segment("PID").set({3, 2, 2, 2}, "x!y");
  EXPECT_EQ(b.take(), "MSH!@*$%!!!!!!!@A01\nPID!!!*@%x$F$y\n");
}

TEST(Builder, StrEndsTheCurrentSegment) {
  MessageBuilder b;
  b.segment("NTE").set(1, "a");
  EXPECT_EQ(b.str(), "NTE|a\r");
  b.set(2, "late");
  EXPECT_EQ(b.dropped(), 1u);
  EXPECT_EQ(b.take(), "NTE|a\r");
  EXPECT_EQ(b.take(), "");
}

// --- ACK

const char* kInbound =
    "MSH|^~\\&|SndApp^1.2^ISO|SndFac|RcvApp|RcvFac|20240101120000||SIU^S12^SIU_S12|MSG-42|T|"
    "2.5.1|||AL|NE||UNICODE UTF-8\rSCH|1\r";

TEST(Ack, ShapeFieldByField) {
  const auto in = Message::parse(kInbound).value();
  AckRequest r;
  r.code = AckCode::AA;
  r.timestamp = "20240101120001+0000";
  r.control_id = "ACK-1";
  const std::string ack = build_ack(in.header(), r);
  EXPECT_EQ(ack,
            "MSH|^~\\&|RcvApp|RcvFac|SndApp^1.2^ISO|SndFac|20240101120001+0000||ACK^S12^ACK|ACK-1|"
            "T|2.5.1||||||UNICODE UTF-8\r"
            "MSA|AA|MSG-42\r");
  const auto m = Message::parse(ack).value();
  const Segment msh = m.segment(1);
  EXPECT_EQ(msh.field(3), "RcvApp");
  EXPECT_EQ(msh.field(4), "RcvFac");
  EXPECT_EQ(msh.field(5), "SndApp^1.2^ISO");
  EXPECT_EQ(msh.field(6), "SndFac");
  EXPECT_EQ(msh.field(7), "20240101120001+0000");
  EXPECT_EQ(msh.field(9), "ACK^S12^ACK");
  EXPECT_EQ(msh.field(10), "ACK-1");
  EXPECT_EQ(msh.field(11), "T");
  EXPECT_EQ(msh.field(12), "2.5.1");
  EXPECT_EQ(m.find("MSA")->field(1), "AA");
  EXPECT_EQ(m.find("MSA")->field(2), "MSG-42");
  EXPECT_EQ(m.count("ERR"), 0u);
}

TEST(Ack, ErrorsAndEnhancedCodes) {
  const auto in = Message::parse(kInbound).value();
  AckRequest r;
  r.code = AckCode::CE;
  r.timestamp = "20240101";
  r.control_id = "A2";
  r.text = "see ERR";
  AckError e1;
  e1.location = {"PID", 1, 3, 2, 1, 0};
  e1.code = ErrorCode::required_field_missing;
  e1.severity = Severity::error;
  e1.diagnostic = "PID-3: identifier ^ missing | really";
  e1.user_message = "Patient id missing";
  AckError e2;
  e2.code = ErrorCode::unsupported_event_code;
  e2.severity = Severity::warning;
  e2.application_code = "X1";
  r.errors = {e1, e2};
  const auto m = Message::parse(build_ack(in.header(), r)).value();
  EXPECT_EQ(m.find("MSA")->field(1), "CE");
  EXPECT_EQ(m.find("MSA")->field(3), "see ERR");
  ASSERT_EQ(m.count("ERR"), 2u);
  const Segment err = *m.find("ERR");
  EXPECT_EQ(err.field(2), "PID^1^3^2^1");
  EXPECT_EQ(err.field(3), "101^Required field missing^HL70357");
  EXPECT_EQ(err.field(4), "E");
  EXPECT_EQ(m.text(parse_path("ERR-7").value()), "PID-3: identifier ^ missing | really");
  EXPECT_EQ(err.field(8), "Patient id missing");
  const Segment err2 = *m.find("ERR", 2);
  EXPECT_EQ(err2.field(2), "");
  EXPECT_EQ(err2.field(3), "201^Unsupported event code^HL70357");
  EXPECT_EQ(err2.field(4), "W");
  EXPECT_EQ(err2.field(5), "X1");
}

TEST(Ack, AllCodesAndTable0357) {
  EXPECT_EQ(to_string(AckCode::AA), "AA");
  EXPECT_EQ(to_string(AckCode::AE), "AE");
  EXPECT_EQ(to_string(AckCode::AR), "AR");
  EXPECT_EQ(to_string(AckCode::CA), "CA");
  EXPECT_EQ(to_string(AckCode::CE), "CE");
  EXPECT_EQ(to_string(AckCode::CR), "CR");
  for (int c : {0, 100, 101, 102, 103, 104, 198, 199, 200, 201, 202, 203, 204, 205, 206, 207}) {
    EXPECT_FALSE(error_code_text(static_cast<ErrorCode>(c)).empty()) << c;
  }
  EXPECT_EQ(error_code_text(ErrorCode::segment_sequence_error), "Segment sequence error");
  EXPECT_EQ(error_code_text(ErrorCode::value_too_long), "Value too long");
  EXPECT_TRUE(error_code_text(static_cast<ErrorCode>(555)).empty());
}

TEST(Ack, FromParseErrorMissingControlId) {
  auto r = Message::parse("MSH|^~\\&|S|SF|R|RF|2024||ADT^A01||P|2.5.1|||AL\rPID|1\r");
  ASSERT_FALSE(r);
  const ParseError& e = r.error();
  const AckError err = to_ack_error(e);
  EXPECT_EQ(err.code, ErrorCode::required_field_missing);
  EXPECT_EQ(err.location.segment_id, "MSH");
  EXPECT_EQ(err.location.segment_sequence, 1u);
  EXPECT_EQ(err.location.field, 10u);
  EXPECT_EQ(reject_code_for(e), AckCode::CR);
  AckRequest req;
  req.code = reject_code_for(e);
  req.timestamp = "20240101";
  req.control_id = "N1";
  req.errors = {err};
  const auto ack = Message::parse(build_ack(*e.header, req)).value();
  EXPECT_EQ(ack.find("MSA")->field(1), "CR");
  EXPECT_EQ(ack.find("MSA")->field(2), "");
  EXPECT_EQ(ack.find("ERR")->field(2), "MSH^1^10");
  EXPECT_EQ(ack.find("ERR")->field(3), "101^Required field missing^HL70357");
  EXPECT_EQ(ack.text(parse_path("ERR-7").value()), "MSH-10: message control id is required");
  EXPECT_EQ(ack.segment(1).field(5), "S");
  EXPECT_EQ(ack.segment(1).field(9), "ACK^A01^ACK");
}

TEST(Ack, FromParseErrorCodes) {
  const auto code_of = [](std::string s, Limits l = {}) {
    auto r = Message::parse(std::move(s), l);
    EXPECT_FALSE(r);
    return r ? ErrorCode::message_accepted : to_ack_error(r.error()).code;
  };
  const std::string good = "MSH|^~\\&|A||||||ADT^A01|1|P|2.5\rPID|1~2\r";
  EXPECT_EQ(code_of("PID|1\r"), ErrorCode::segment_sequence_error);
  EXPECT_EQ(code_of(good + "p1D|1\r"), ErrorCode::segment_sequence_error);
  EXPECT_EQ(code_of("MSH|^^\\&|A\r"), ErrorCode::data_type_error);
  EXPECT_EQ(code_of("MSH|^~\\&|A||||||ADT^A01||P|2.5\r"), ErrorCode::required_field_missing);
  Limits l;
  l.max_message_bytes = 10;
  EXPECT_EQ(code_of(good, l), ErrorCode::value_too_long);
  l = {};
  l.max_repetitions_per_field = 1;
  EXPECT_EQ(code_of(good, l), ErrorCode::non_conformant_cardinality);
  auto r = Message::parse(good + "p1D|1\r");
  const AckError bad_id = to_ack_error(r.error());
  EXPECT_TRUE(bad_id.location.segment_id.empty());  // not a nameable segment
  EXPECT_NE(bad_id.diagnostic.find("segment 3"), std::string::npos);
  EXPECT_EQ(reject_code_for(r.error()), AckCode::AR);
}

TEST(Ack, UnusableDelimitersFallBackToStandard) {
  MshHeader h;
  h.delimiters = Delimiters{'|', '|', '~', '\\', '&', '\0'};
  h.control_id = "a^b";
  AckRequest r;
  r.code = AckCode::AR;
  r.timestamp = "2024";
  r.control_id = "1";
  const auto m = Message::parse(build_ack(h, r));
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->text(parse_path("MSA-2").value()), "a^b");
  EXPECT_EQ(m->segment(1).field(11), "P");
  EXPECT_EQ(m->segment(1).field(12), "2.5.1");
  EXPECT_EQ(m->segment(1).field(9), "ACK^^ACK");
}

}  // namespace
}  // namespace fcpgw::hl7v2

namespace fcpgw::hl7v2 {
namespace {

// Found by fuzzing: an inbound MSH-12 without MSH-12.1 must not be echoed into an ACK that
// would itself fail to parse.
TEST(Ack, VersionWithoutIdFallsBack) {
  auto r = Message::parse("MSH|^~\\&|A|B|C|D|2024||ADT^A01|C1|P|^x\r");
  ASSERT_FALSE(r);
  AckRequest req;
  req.code = reject_code_for(r.error());
  req.timestamp = "2024";
  req.control_id = "N";
  req.errors = {to_ack_error(r.error())};
  const auto ack = Message::parse(build_ack(*r.error().header, req));
  ASSERT_TRUE(ack) << ack.error().message;
  EXPECT_EQ(ack->version(), "2.5.1");
  EXPECT_EQ(ack->find("MSA")->field(2), "C1");
}

}  // namespace
}  // namespace fcpgw::hl7v2

namespace fcpgw::hl7v2 {
namespace {

// Every ACK parses back, whatever the inbound MSH echoed into it held: each field of MSH-3 to
// MSH-18 in turn set to a value made of delimiters (alone, leading, trailing), under the standard
// encoding characters, custom ones, five of them, and unusable ones.
TEST(Ack, ParsesBackWhateverTheHeaderHeld) {
  const std::string_view encodings[] = {"^~\\&", "$*!%", "^~\\&#", "^~~&", "^"};
  const std::string_view values[] = {"~",    "~2.5.1", "2.5.1~", "^", "^2.5.1", "&",
                                     "&x",   "\\",     "\\R\\",  "#", "~~",     "~^&",
                                     "$*!%", "*2.5.1", "$x*",    "!", "%y"};
  const auto field_of = [](std::size_t f) -> std::string {
    switch (f) {
      case 9:
        return "SIU^S12";
      case 10:
        return "C1";
      case 11:
        return "P";
      case 12:
        return "2.5.1";
      default:
        return "F" + std::to_string(f);
    }
  };
  std::size_t acks = 0;
  for (std::string_view enc : encodings) {
    for (std::size_t f = 3; f <= 18; ++f) {
      for (std::string_view v : values) {
        std::string msg = "MSH|" + std::string(enc);
        for (std::size_t i = 3; i <= 18; ++i) msg += "|" + (i == f ? std::string(v) : field_of(i));
        msg += "\rSCH|1\r";
        SCOPED_TRACE(msg);
        auto in = Message::parse(msg);
        const std::optional<MshHeader> header =
            in ? std::optional<MshHeader>(in->header()) : in.error().header;
        ASSERT_TRUE(header.has_value());
        AckRequest req;
        req.timestamp = "20240101000000";
        req.control_id = "ACK1";
        if (!in) {
          req.code = reject_code_for(in.error());
          req.errors.push_back(to_ack_error(in.error()));
        }
        const std::string ack = build_ack(*header, req);
        auto parsed = Message::parse(ack);
        ASSERT_TRUE(parsed) << ack << "\n" << parsed.error().message;
        EXPECT_FALSE(parsed->version().empty()) << ack;
        ++acks;
      }
    }
  }
  EXPECT_EQ(acks, 5u * 16u * 17u);
}

}  // namespace
}  // namespace fcpgw::hl7v2

namespace fcpgw::hl7v2 {
namespace {

// Found by the sanitizer build: a request filled from temporaries ("ACK" + an id) held views of
// strings gone before build_ack() read them. The request owns its strings.
TEST(Ack, RequestFilledFromTemporaries) {
  MshHeader h;
  h.control_id = "X1";
  h.version = "2.5.1";
  AckRequest r;
  r.timestamp = std::string("2024") + "0101";
  r.control_id = "ACK" + h.control_id;
  r.text = std::string(40, 'x');
  const auto m = Message::parse(build_ack(h, r));
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->segment(1).field(7), "20240101");
  EXPECT_EQ(m->segment(1).field(10), "ACKX1");
  EXPECT_EQ(m->find("MSA")->field(3), std::string(40, 'x'));
}

}  // namespace
}  // namespace fcpgw::hl7v2
