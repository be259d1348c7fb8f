// The accept stage: what is answered and kept for each kind of inbound message, with the real
// mapping set. Every ACK it writes must parse back.
#include "gateway/service/accept.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "gateway/config/config.h"
#include "gateway/service/mapping_files.h"
#include "hl7v2/message.h"
#include "hl7v2/path.h"

namespace fcpgw::gateway::service {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const std::filesystem::path kSource = FCPGW_SOURCE_DIR;

std::string read(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The sample with its MSH-15/16 replaced (both empty: original mode).
std::string with_ack_types(std::string msg, std::string_view accept, std::string_view app) {
  const auto eol = msg.find('\r');
  std::string msh = msg.substr(0, eol);
  // f[0] "MSH", f[1] MSH-2, ... f[n-1] MSH-n
  std::vector<std::string> f;
  std::size_t start = 0;
  for (;;) {
    const auto bar = msh.find('|', start);
    f.push_back(msh.substr(start, bar - start));
    if (bar == std::string::npos) break;
    start = bar + 1;
  }
  f.resize(std::max<std::size_t>(f.size(), 16));
  f[14] = std::string(accept);
  f[15] = std::string(app);
  std::string out;
  for (std::size_t i = 0; i < f.size(); ++i) out += (i ? "|" : "") + f[i];
  return out + msg.substr(eol);
}

std::string field(const std::string& er7, std::string_view path) {
  auto m = hl7v2::Message::parse(er7);
  EXPECT_TRUE(m) << "ACK does not parse: " << er7;
  if (!m) return "<unparsed>";
  return m->text(hl7v2::parse_path(path).value());
}

class AcceptTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto engine = load_engine(Config::defaults(), (kSource / "mappings").string());
    ASSERT_TRUE(engine);
    acceptor_ = new Acceptor(std::make_shared<const mappings::Engine>(std::move(*engine)), {});
  }
  static void TearDownTestSuite() { delete acceptor_; }

  static Decision v2(std::string body) {
    Inbound in;
    in.kind = Inbound::Kind::v2;
    in.listener = "mllp";
    in.body = std::move(body);
    return acceptor_->accept(in, "20261204120000+0000", "ACK1");
  }
  static Decision fhir(std::string body, std::string path = "", std::string method = "POST") {
    Inbound in;
    in.kind = Inbound::Kind::fhir;
    in.listener = "http";
    in.method = std::move(method);
    in.fhir_path = std::move(path);
    in.client = "booking";
    in.body = std::move(body);
    return acceptor_->accept(in, "20261204120000+0000", "ACK1");
  }

  static Acceptor* acceptor_;
  const std::string booking_ = read(kSource / "config/samples/siu-s12-fcp-booking.hl7");
};
Acceptor* AcceptTest::acceptor_ = nullptr;

TEST_F(AcceptTest, OriginalModeBookingIsAcceptedWithOneAa) {
  const Decision d = v2(with_ack_types(booking_, "", ""));
  EXPECT_FALSE(d.rejected);
  EXPECT_EQ(d.content_type, "er7");
  EXPECT_EQ(d.message_type, "SIU^S12");
  EXPECT_EQ(d.control_id, "A81001-20250310-000123");
  EXPECT_EQ(d.dedupe_key, "v2|EMISWEB|A81001^^ODS|A81001-20250310-000123");
  EXPECT_FALSE(d.ordering_key.empty());
  ASSERT_EQ(d.answer.acks.size(), 1u);
  const std::string& ack = d.answer.acks[0];
  EXPECT_EQ(field(ack, "MSA-1"), "AA");
  EXPECT_EQ(field(ack, "MSA-2"), "A81001-20250310-000123");
  EXPECT_EQ(field(ack, "MSH-3"), "FCPGW");  // sender and receiver swapped
  EXPECT_EQ(field(ack, "MSH-5"), "EMISWEB");
  EXPECT_EQ(field(ack, "MSH-12"), "2.5.1");  // the message's version
  EXPECT_EQ(field(ack, "MSH-10"), "ACK1");
  EXPECT_EQ(d.answer.code, "AA");
  // If the journal cannot take it: AE with 207, so the sender sends it again.
  ASSERT_EQ(d.failure.acks.size(), 1u);
  EXPECT_EQ(field(d.failure.acks[0], "MSA-1"), "AE");
  EXPECT_EQ(field(d.failure.acks[0], "ERR-3.1"), "207");
}

TEST_F(AcceptTest, EnhancedModeFollowsMsh15AndMsh16) {
  // The sample asks for an accept acknowledgement always and no application acknowledgement.
  Decision d = v2(booking_);
  ASSERT_EQ(d.answer.acks.size(), 1u);
  EXPECT_EQ(field(d.answer.acks[0], "MSA-1"), "CA");
  EXPECT_EQ(field(d.failure.acks[0], "MSA-1"), "CE");

  d = v2(with_ack_types(booking_, "NE", "NE"));
  EXPECT_TRUE(d.answer.acks.empty());
  EXPECT_FALSE(d.rejected);

  d = v2(with_ack_types(booking_, "AL", "AL"));
  ASSERT_EQ(d.answer.acks.size(), 2u);
  EXPECT_EQ(field(d.answer.acks[0], "MSA-1"), "CA");
  EXPECT_EQ(field(d.answer.acks[1], "MSA-1"), "AA");

  d = v2(with_ack_types(booking_, "ER", "SU"));  // success: no commit ack, an application ack
  ASSERT_EQ(d.answer.acks.size(), 1u);
  EXPECT_EQ(field(d.answer.acks[0], "MSA-1"), "AA");
}

TEST_F(AcceptTest, MappingCheckFailureIsAeWithErrAndKeptAsRejected) {
  const Decision d =
      v2(with_ack_types(read(kSource / "mappings/golden/appointments/bad_nhs_number.hl7"), "", ""));
  EXPECT_TRUE(d.rejected);
  EXPECT_TRUE(d.dedupe_key.empty());  // a corrected resend must be processed
  ASSERT_EQ(d.answer.acks.size(), 1u);
  const std::string& ack = d.answer.acks[0];
  EXPECT_EQ(field(ack, "MSA-1"), "AE");
  EXPECT_EQ(field(ack, "ERR-2.1"), "PID");
  EXPECT_EQ(field(ack, "ERR-2.3"), "3");
  EXPECT_EQ(field(ack, "ERR-3.1"), "102");
  EXPECT_EQ(field(ack, "ERR-4"), "E");
}

TEST_F(AcceptTest, UnparseableBytesAreArAndUnknown) {
  const Decision d = v2("hello, this is not HL7");
  EXPECT_TRUE(d.rejected);
  EXPECT_EQ(d.content_type, "unknown");
  ASSERT_EQ(d.answer.acks.size(), 1u);
  EXPECT_EQ(field(d.answer.acks[0], "MSA-1"), "AR");
  EXPECT_EQ(field(d.answer.acks[0], "ERR-3.1"), "100");
  EXPECT_THAT(field(d.answer.acks[0], "ERR-7"), Not(HasSubstr("hello")));
}

TEST_F(AcceptTest, UnsupportedTypeIsAr) {
  const Decision d =
      v2("MSH|^~\\&|PAS|RX1|FCPGW|A81001|20261204120000+0000||ADT^A01^ADT_A01|X1|P|2.5.1\r"
         "EVN|A01|20261204120000+0000\rPID|1||9434765919^^^NHS^NH\r");
  EXPECT_TRUE(d.rejected);
  ASSERT_EQ(d.answer.acks.size(), 1u);
  EXPECT_EQ(field(d.answer.acks[0], "MSA-1"), "AR");
  const std::string code = field(d.answer.acks[0], "ERR-3.1");
  EXPECT_TRUE(code == "200" || code == "201") << code;
}

TEST_F(AcceptTest, EveryAckParsesWhateverTheHeaderHeld) {
  for (std::string version : {"~", "~2.5.1", "^", "&", "2.5.1~2.4"}) {
    SCOPED_TRACE(version);
    const Decision d =
        v2("MSH|^~\\&|A|B|C|D|20261204120000||SIU^S12|X1|P|" + version + "\rSCH|1\r");
    for (const std::string& ack : d.answer.acks) EXPECT_TRUE(hl7v2::Message::parse(ack)) << ack;
    for (const std::string& ack : d.failure.acks) EXPECT_TRUE(hl7v2::Message::parse(ack)) << ack;
  }
}

TEST_F(AcceptTest, V2OverHttpAnswersWithStatusAndTheAckAsBody) {
  Inbound in;
  in.kind = Inbound::Kind::v2;
  in.listener = "http";
  in.method = "POST";
  in.body = with_ack_types(booking_, "", "");
  Decision d = acceptor_->accept(in, "20261204120000+0000", "ACK1");
  EXPECT_EQ(d.answer.status, 202u);
  EXPECT_EQ(field(d.answer.body, "MSA-1"), "AA");
  EXPECT_EQ(d.failure.status, 503u);
  in.body = "garbage";
  d = acceptor_->accept(in, "20261204120000+0000", "ACK1");
  EXPECT_EQ(d.answer.status, 400u);
}

TEST_F(AcceptTest, FhirBadJsonIs400WithAnOperationOutcome) {
  const Decision d = fhir("{\"resourceType\": ");
  EXPECT_TRUE(d.rejected);
  EXPECT_EQ(d.answer.status, 400u);
  EXPECT_THAT(d.answer.body, HasSubstr("\"resourceType\":\"OperationOutcome\""));
}

TEST_F(AcceptTest, FhirNumericResourceTypeIs400WithoutInternalBytes) {
  const Decision d = fhir("{\"resourceType\":-0}");
  EXPECT_EQ(d.answer.status, 400u);
  EXPECT_THAT(d.answer.body, HasSubstr("OperationOutcome"));
  EXPECT_EQ(d.answer.body.find('\xff'), std::string::npos);
}

TEST_F(AcceptTest, FhirInvalidResourceIs422WithElementPaths) {
  const Decision d = fhir(
      read(kSource / "mappings/golden/appointments/fhir_error_status_not_r4.json"), "Appointment");
  EXPECT_TRUE(d.rejected);
  EXPECT_EQ(d.answer.status, 422u);
  EXPECT_THAT(d.answer.body, HasSubstr("Appointment.status"));
}

TEST_F(AcceptTest, FhirResourceOnTheWrongPathIs400) {
  const Decision d =
      fhir(read(kSource / "mappings/golden/appointments/fhir_cancelled.json"), "ServiceRequest");
  EXPECT_EQ(d.answer.status, 400u);
}

TEST_F(AcceptTest, FhirValidAppointmentIs202) {
  const Decision d =
      fhir(read(kSource / "mappings/golden/appointments/fhir_cancelled.json"), "Appointment");
  EXPECT_FALSE(d.rejected) << d.answer.body;
  EXPECT_EQ(d.answer.status, 202u);
  EXPECT_EQ(d.failure.status, 503u);
}

TEST(AckStorage, JoinAndSplitRoundTrip) {
  const std::vector<std::string> acks = {"MSH|a\rMSA|CA|1\r", "MSH|b\rMSA|AA|1\r"};
  EXPECT_EQ(split_acks(join_acks(acks)), acks);
  EXPECT_TRUE(split_acks("").empty());
}

TEST(Timestamp, IsHl7DtmInUtc) {
  EXPECT_EQ(hl7_timestamp(1764851400123), "20251204123000.123+0000");
}

}  // namespace
}  // namespace fcpgw::gateway::service
