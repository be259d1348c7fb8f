// The answer to an HL7 batch: a batch of the messages' ACKs, and an HTTP status that says
// whether every message was taken.
#include "gateway/service/batch.h"

#include <gtest/gtest.h>

namespace fcpgw::gateway::service {
namespace {

constexpr std::string_view kBatch =
    "BHS|^~\\&|PAS|RX1|FCPGW|A81001|20261204120000||||B1\r"
    "MSH|^~\\&|PAS|RX1|FCPGW|A81001|20261204120000||SIU^S12|M1|P|2.5.1\r"
    "MSH|^~\\&|PAS|RX1|FCPGW|A81001|20261204120000||SIU^S12|M2|P|2.5.1\rBTS|2\r";

Answer mllp(std::string code, std::string ack) {
  Answer a;
  a.code = std::move(code);
  a.acks.push_back(std::move(ack));
  return a;
}

Answer http(unsigned status, std::string ack) {
  Answer a;
  a.status = status;
  a.acks.push_back(std::move(ack));
  return a;
}

TEST(BatchAnswerTest, MllpGetsOneBatchHoldingEveryAck) {
  const hl7v2::BatchFile f = hl7v2::split_batch(kBatch);
  const Answer a = batch_answer(f, {mllp("AA", "ACK1\r"), mllp("AE", "ACK2\r")}, "T", "X", false);
  ASSERT_EQ(a.acks.size(), 1u);
  EXPECT_EQ(a.acks[0], "BHS|^~\\&|FCPGW|A81001|PAS|RX1|T||||XB1|B1\rACK1\rACK2\rBTS|2\r");
  EXPECT_EQ(a.code, "AE");
  EXPECT_EQ(a.control_id, "B1");
  EXPECT_EQ(a.status, 0u);
}

TEST(BatchAnswerTest, AMessageThatAsksForNoAckAddsNone) {
  const hl7v2::BatchFile f = hl7v2::split_batch(kBatch);
  Answer quiet;
  quiet.code = "CA";
  const Answer a = batch_answer(f, {quiet, mllp("CA", "ACK2\r")}, "T", "X", false);
  EXPECT_EQ(a.acks[0], "BHS|^~\\&|FCPGW|A81001|PAS|RX1|T||||XB1|B1\rACK2\rBTS|1\r");
  EXPECT_EQ(a.code, "AA");
}

TEST(BatchAnswerTest, HttpStatusSaysWhetherEveryMessageWasTaken) {
  const hl7v2::BatchFile f = hl7v2::split_batch(kBatch);
  EXPECT_EQ(batch_answer(f, {http(202, "A\r"), http(202, "B\r")}, "T", "X", true).status, 202u);
  const Answer mixed = batch_answer(f, {http(202, "A\r"), http(422, "B\r")}, "T", "X", true);
  EXPECT_EQ(mixed.status, 200u);
  EXPECT_EQ(mixed.content_type, "x-application/hl7-v2+er7");
  EXPECT_EQ(mixed.body, "BHS|^~\\&|FCPGW|A81001|PAS|RX1|T||||XB1|B1\rA\rB\rBTS|2\r");
  const Answer down = batch_answer(f, {http(503, "A\r"), http(503, "B\r")}, "T", "X", true);
  EXPECT_EQ(down.status, 503u);
  ASSERT_EQ(down.headers.size(), 1u);
  EXPECT_EQ(down.headers[0].first, "Retry-After");
}

}  // namespace
}  // namespace fcpgw::gateway::service
