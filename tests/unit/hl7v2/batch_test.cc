// The batch protocol: a batch is cut into its messages as sent, and answered by a batch.
#include "hl7v2/batch.h"

#include <gtest/gtest.h>

#include "hl7v2/message.h"

namespace fcpgw::hl7v2 {
namespace {

constexpr std::string_view kA = "MSH|^~\\&|PAS|RX1|FCPGW|A81001|20260601120000||SIU^S12|A1|P|2.5.1\rPID|1\r";
constexpr std::string_view kB = "MSH|^~\\&|PAS|RX1|FCPGW|A81001|20260601120000||SIU^S15|B2|P|2.5.1\rPID|1\r";

TEST(BatchTest, RecognisesFileAndBatchHeadersOnly) {
  EXPECT_TRUE(is_batch("BHS|^~\\&|PAS\r"));
  EXPECT_TRUE(is_batch("\xEF\xBB\xBF\r\nFHS|^~\\&\r"));
  EXPECT_FALSE(is_batch(kA));
  EXPECT_FALSE(is_batch("BHSX|^~\\&\r"));
  EXPECT_FALSE(is_batch("BHS"));
  EXPECT_FALSE(is_batch("BTS|1\r"));
  EXPECT_FALSE(is_batch(""));
}

TEST(BatchTest, CutsEachMessageAsSentWithItsTerminators) {
  const std::string in = "BHS|^~\\&|PAS|RX1|FCPGW|A81001|20260601120000||||BATCH7\r" +
                         std::string(kA) + std::string(kB) + "BTS|2\r";
  const BatchFile f = split_batch(in);
  EXPECT_FALSE(f.file);
  ASSERT_EQ(f.batches.size(), 1u);
  const Batch& b = f.batches[0];
  ASSERT_TRUE(b.header);
  EXPECT_EQ(b.header->sending_application, "PAS");
  EXPECT_EQ(b.header->receiving_facility, "A81001");
  EXPECT_EQ(b.header->control_id, "BATCH7");
  ASSERT_EQ(b.messages.size(), 2u);
  EXPECT_EQ(b.messages[0], kA);
  EXPECT_EQ(b.messages[1], kB);
  EXPECT_EQ(b.trailer_count, "2");
}

TEST(BatchTest, FileOfBatchesWithLfAndCrlfAndBlankLines) {
  const std::string in =
      "FHS|^~\\&|PAS|RX1|||||||F1\n\nBHS|^~\\&|PAS|RX1|||||||B1\r\nMSH|^~\\&|PAS|RX1|||x||SIU^S12|A1|P|2.5.1\r\n"
      "PID|1\r\n\r\nBTS|1\r\nBHS|^~\\&|PAS|RX1|||||||B2\nBTS|0\nFTS|2\n";
  const BatchFile f = split_batch(in);
  ASSERT_TRUE(f.file);
  EXPECT_EQ(f.file->control_id, "F1");
  ASSERT_EQ(f.batches.size(), 2u);
  ASSERT_EQ(f.batches[0].messages.size(), 1u);
  EXPECT_EQ(f.batches[0].messages[0], "MSH|^~\\&|PAS|RX1|||x||SIU^S12|A1|P|2.5.1\r\nPID|1\r\n");
  EXPECT_TRUE(Message::parse(std::string(f.batches[0].messages[0])));
  EXPECT_EQ(f.batches[1].header->control_id, "B2");
  EXPECT_TRUE(f.batches[1].messages.empty());
  EXPECT_EQ(f.batches[1].trailer_count, "0");
}

TEST(BatchTest, LinesOutsideAnyMessageAreKeptAsAMessage) {
  const std::string in = "BHS|^~\\&\rZZZ|junk\r" + std::string(kA) + "BTS|1\r";
  const BatchFile f = split_batch(in);
  ASSERT_EQ(f.batches.size(), 1u);
  ASSERT_EQ(f.batches[0].messages.size(), 2u);
  EXPECT_EQ(f.batches[0].messages[0], "ZZZ|junk\r");
  EXPECT_EQ(f.batches[0].messages[1], kA);
}

TEST(BatchTest, MessagesAfterATrailerStartAnotherBatch) {
  const std::string in = "BHS|^~\\&||||||||||B1\r" + std::string(kA) + "BTS|1\r" + std::string(kB);
  const BatchFile f = split_batch(in);
  ASSERT_EQ(f.batches.size(), 2u);
  EXPECT_FALSE(f.batches[1].header);
  EXPECT_EQ(f.batches[1].messages.size(), 1u);
  EXPECT_FALSE(f.batches[1].trailer_count);
}

TEST(BatchTest, AckBatchSwapsRoutingNamesTheBatchAndCountsItsAcks) {
  const std::string in = "FHS|^~\\&|PAS|RX1|FCPGW|A81001|20260601||||F9\rBHS|^~\\&|PAS|RX1|FCPGW|A81001|"
                         "20260601||||B7\r" + std::string(kA) + std::string(kB) + "BTS|2\rFTS|1\r";
  const BatchFile f = split_batch(in);
  const std::string ack1 = "MSH|^~\\&|FCPGW|A81001|PAS|RX1|20260601120001||ACK^S12^ACK|X1|P|2.5.1\rMSA|AA|A1\r";
  const std::string ack2 = "MSH|^~\\&|FCPGW|A81001|PAS|RX1|20260601120001||ACK^S15^ACK|X2|P|2.5.1\rMSA|AE|B2";
  const std::string out = build_batch_ack(f, {{ack1, ack2}}, "20260601120001+0000", "X");
  EXPECT_EQ(out,
            "FHS|^~\\&|FCPGW|A81001|PAS|RX1|20260601120001+0000||||XF|F9\r"
            "BHS|^~\\&|FCPGW|A81001|PAS|RX1|20260601120001+0000||||XB1|B7\r" +
                ack1 + ack2 + "\rBTS|2\rFTS|1\r");
}

TEST(BatchTest, AckBatchWithoutAcksSaysAllWereTaken) {
  const BatchFile f = split_batch("BHS|^~\\&|PAS|RX1|||||||B1\r" + std::string(kA) + "BTS|1\r");
  EXPECT_EQ(build_batch_ack(f, {{}}, "T", "X"), "BHS|^~\\&|||PAS|RX1|T||||XB1|B1\rBTS|0\r");
}

TEST(BatchTest, TrailerCountsAreCheckedAgainstWhatArrived) {
  // BTS-1 says three messages, two arrived; FTS-1 says two batches, one arrived.
  const std::string in = "FHS|^~\\&|PAS|RX1|||||||F1\rBHS|^~\\&|PAS|RX1|||||||B1\r" + std::string(kA) +
                         std::string(kB) + "BTS|3\rFTS|2\r";
  const BatchFile f = split_batch(in);
  ASSERT_EQ(f.trailer_count, std::optional<std::string>("2"));
  EXPECT_EQ(count_problems(f), "FTS-1 counts 2, 1 received; BTS-1 counts 3, 2 received");
  EXPECT_EQ(build_batch_ack(f, {{}}, "T", "X"),
            "FHS|^~\\&|||PAS|RX1|T||||XF|F1\rBHS|^~\\&|||PAS|RX1|T||||XB1|B1\r"
            "BTS|0|BTS-1 counts 3, 2 received\rFTS|1|FTS-1 counts 2, 1 received\r");
}

TEST(BatchTest, TrailerCountsThatAgreeOrAreAbsentSayNothing) {
  EXPECT_EQ(trailer_count_problem("BTS-1", std::nullopt, 4), "");
  EXPECT_EQ(trailer_count_problem("BTS-1", std::string(""), 4), "");
  EXPECT_EQ(trailer_count_problem("BTS-1", std::string(" 4 "), 4), "");
  // A value that is not a number is not echoed (it could carry anything).
  EXPECT_EQ(trailer_count_problem("BTS-1", std::string("four^x"), 4), "BTS-1 is not a count");
  EXPECT_EQ(trailer_count_problem("BTS-1", std::string("99999999999999999999"), 4),
            "BTS-1 is not a count");
  // Messages straight inside a file: no batch for FTS-1 to count.
  const BatchFile f = split_batch("FHS|^~\\&|PAS|RX1\r" + std::string(kA) + "FTS|7\r");
  EXPECT_EQ(count_problems(f), "");
}

}  // namespace
}  // namespace fcpgw::hl7v2
