// The MLLP listener over real sockets on 127.0.0.1 (port 0) with a fake Intake.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>

#include "gateway/mllp/client.h"
#include "support.h"

using namespace fcpgw::test;
namespace gw = fcpgw::gateway;
namespace hl7v2 = fcpgw::hl7v2;

TEST(MllpServer, OneMessageOneAck) {
  Harness h;
  h.start();
  RawClient c(h.port());
  ASSERT_TRUE(c.send_frame(v2_message("M1")));
  const auto ack = c.read_frame();
  ASSERT_TRUE(ack);
  const AckFields f = read_ack(*ack);
  EXPECT_EQ(f.code, "AA");
  EXPECT_EQ(f.control_id, "M1");
  const auto got = h.intake.received();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].kind, gw::service::Inbound::Kind::v2);
  EXPECT_EQ(got[0].listener, "mllp");
  EXPECT_EQ(got[0].peer.rfind("127.0.0.1:", 0), 0u) << got[0].peer;
  EXPECT_GT(got[0].connection, 0u);
  EXPECT_EQ(got[0].body, v2_message("M1"));
  EXPECT_EQ(h.metrics().frames.value(), 1u);
  EXPECT_EQ(h.metrics().acks_aa.value(), 1u);
  EXPECT_EQ(h.metrics().connections_total.value(), 1u);
}

TEST(MllpServer, SeveralMessagesOnOneConnection) {
  Harness h;
  h.start();
  RawClient c(h.port());
  for (int i = 0; i < 20; ++i) {
    const std::string id = "S" + std::to_string(i);
    ASSERT_TRUE(c.send_frame(v2_message(id)));
    const auto ack = c.read_frame();
    ASSERT_TRUE(ack);
    EXPECT_EQ(read_ack(*ack).control_id, id);
  }
}

TEST(MllpServer, PipelinedFramesAreAnsweredInOrder) {
  Harness h;
  // Earlier messages take longer, from another thread: answers still come in order.
  h.intake.delay_by(
      [](std::size_t i) { return std::chrono::milliseconds(i < 5 ? 50 - 10 * i : 0); });
  h.start();
  RawClient c(h.port());
  std::string all;
  for (int i = 0; i < 10; ++i) all += hl7v2::mllp_frame(v2_message("P" + std::to_string(i)));
  ASSERT_TRUE(c.send(all));
  for (int i = 0; i < 10; ++i) {
    const auto ack = c.read_frame();
    ASSERT_TRUE(ack) << i;
    EXPECT_EQ(read_ack(*ack).control_id, "P" + std::to_string(i));
  }
  // One at a time: the intake never saw frame n+1 before frame n was answered.
  EXPECT_EQ(h.intake.received().size(), 10u);
}

TEST(MllpServer, FrameSplitByteByByte) {
  Harness h;
  h.start();
  RawClient c(h.port());
  const std::string framed = hl7v2::mllp_frame(v2_message("B1"));
  for (char ch : framed) ASSERT_TRUE(c.send(std::string_view(&ch, 1)));
  const auto ack = c.read_frame();
  ASSERT_TRUE(ack);
  EXPECT_EQ(read_ack(*ack).control_id, "B1");
  EXPECT_EQ(h.intake.received().at(0).body, v2_message("B1"));
}

TEST(MllpServer, BytesBetweenFramesAreSkippedAndCounted) {
  Harness h;
  h.start();
  RawClient c(h.port());
  ASSERT_TRUE(c.send("junk" + hl7v2::mllp_frame(v2_message("G1")) + "\n\n" +
                     hl7v2::mllp_frame(v2_message("G2"))));
  ASSERT_EQ(read_ack(c.read_frame().value_or("")).control_id, "G1");
  ASSERT_EQ(read_ack(c.read_frame().value_or("")).control_id, "G2");
  EXPECT_EQ(h.metrics().garbage_bytes.value(), 6u);
  EXPECT_EQ(h.intake.received().size(), 2u);
}

TEST(MllpServer, TruncatedFrameIsCountedAndTheNextServed) {
  Harness h;
  h.start();
  RawClient c(h.port());
  ASSERT_TRUE(c.send("\x0bMSH|^~\\&|cut short" + hl7v2::mllp_frame(v2_message("T1"))));
  ASSERT_EQ(read_ack(c.read_frame().value_or("")).control_id, "T1");
  EXPECT_EQ(h.metrics().truncated.value(), 1u);
  EXPECT_EQ(h.intake.received().size(), 1u);
}

TEST(MllpServer, OversizeFrameAtTheLimitAndOnePast) {
  const std::string at_limit = v2_message("L1", 100);
  auto cfg = test_config();
  cfg.max_frame_bytes = at_limit.size();
  Harness h(cfg);
  h.start();
  RawClient c(h.port());
  ASSERT_TRUE(c.send_frame(at_limit));
  EXPECT_EQ(read_ack(c.read_frame().value_or("")).code, "AA");

  const std::string past = v2_message("L2", 101);
  ASSERT_EQ(past.size(), cfg.max_frame_bytes + 1);
  ASSERT_TRUE(c.send_frame(past));
  const auto ar = c.read_frame();
  ASSERT_TRUE(ar);
  const AckFields f = read_ack(*ar);
  EXPECT_EQ(f.code, "AR");
  EXPECT_EQ(f.control_id, "L2");
  EXPECT_EQ(f.err_code, "104");
  EXPECT_EQ(f.err_text,
            "message exceeds the frame limit of " + std::to_string(cfg.max_frame_bytes) + " bytes");
  // The AR echoes the sender's MSH with applications swapped.
  EXPECT_NE(ar->find("MSH|^~\\&|FCPGW|GWFAC|SENDAPP|SENDFAC|"), std::string::npos);

  // The connection keeps serving.
  ASSERT_TRUE(c.send_frame(v2_message("L3")));
  EXPECT_EQ(read_ack(c.read_frame().value_or("")).control_id, "L3");
  EXPECT_EQ(h.metrics().oversize.value(), 1u);
  EXPECT_EQ(h.metrics().acks_ar.value(), 1u);
  EXPECT_EQ(h.intake.received().size(), 2u);  // the oversize frame never reached the intake
}

TEST(MllpServer, OversizeFrameWithoutReadableHeaderGetsAMinimalAr) {
  auto cfg = test_config();
  cfg.max_frame_bytes = 10;
  Harness h(cfg);
  h.start();
  RawClient c(h.port());
  ASSERT_TRUE(c.send_frame("this is not HL7 at all"));
  const AckFields f = read_ack(c.read_frame().value_or(""));
  EXPECT_EQ(f.code, "AR");
  EXPECT_EQ(f.err_code, "104");
}

TEST(MllpServer, SlowSenderIsClosedAfterReadTimeout) {
  Harness h;  // read_timeout 200 ms, idle_timeout 2 s
  h.start();
  RawClient c(h.port());
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(c.send("\x0bMSH|^~\\&|started"));
  std::this_thread::sleep_for(100ms);
  ASSERT_TRUE(c.send("|more but never finished"));  // bytes do not extend the deadline
  ASSERT_TRUE(c.closed_by_peer(1500ms));
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(took, 180ms);
  EXPECT_LT(took, 1000ms);
  EXPECT_TRUE(Harness::eventually([&] { return h.metrics().timeout_read.value() == 1; }));
  EXPECT_EQ(h.intake.received().size(), 0u);
}

TEST(MllpServer, TimeTheIntakeTakesIsNotCountedAgainstTheSender) {
  // read_timeout 200 ms; the intake takes 300 ms over the first frame, while the start of
  // the second one waits in the buffer. Its sender still has its whole read_timeout.
  Harness h;
  h.intake.delay(300ms);
  h.start();
  RawClient c(h.port());
  const std::string second = hl7v2::mllp_frame(v2_message("D2"));
  ASSERT_TRUE(c.send(hl7v2::mllp_frame(v2_message("D1")) + second.substr(0, 10)));
  EXPECT_EQ(read_ack(c.read_frame().value_or("")).control_id, "D1");
  std::this_thread::sleep_for(50ms);
  ASSERT_TRUE(c.send(second.substr(10)));
  EXPECT_EQ(read_ack(c.read_frame().value_or("")).control_id, "D2");
  EXPECT_EQ(h.metrics().timeout_read.value(), 0u);
}

TEST(MllpServer, ClientThatDoesNotReadIsClosedAfterWriteTimeout) {
  Harness h;                            // write_timeout 200 ms
  h.intake.pad_acks(16 * 1024 * 1024);  // more than the socket buffers hold
  h.start();
  RawClient c(h.port());
  ASSERT_TRUE(c.send_frame(v2_message("W1")));  // and never read
  EXPECT_TRUE(Harness::eventually([&] { return h.metrics().timeout_write.value() == 1; }, 3s));
  EXPECT_TRUE(Harness::eventually([&] { return h.server().open_connections() == 0; }));
}

TEST(MllpServer, SilentClientIsClosedAfterIdleTimeout) {
  auto cfg = test_config();
  cfg.listener.idle_timeout = 200ms;
  cfg.listener.read_timeout = 5000ms;
  Harness h(cfg);
  h.start();
  RawClient c(h.port());
  ASSERT_TRUE(c.send_frame(v2_message("I1")));
  ASSERT_TRUE(c.read_frame());
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(c.closed_by_peer(1500ms));
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 150ms);
  EXPECT_TRUE(Harness::eventually([&] { return h.metrics().timeout_idle.value() == 1; }));
  EXPECT_TRUE(Harness::eventually([&] { return h.server().open_connections() == 0; }));
}

TEST(MllpServer, MaxConnectionsAtTheLimitAndOnePast) {
  auto cfg = test_config();
  cfg.listener.max_connections = 3;
  Harness h(cfg);
  h.start();
  std::vector<RawClient> clients;
  for (int i = 0; i < 3; ++i) {
    clients.emplace_back(h.port());
    ASSERT_TRUE(clients.back().send_frame(v2_message("C" + std::to_string(i))));
    ASSERT_TRUE(clients.back().read_frame()) << i;
  }
  RawClient extra(h.port());  // the kernel accepts; the listener closes it at once
  EXPECT_TRUE(extra.closed_by_peer(1000ms));
  EXPECT_EQ(h.metrics().refused_limit.value(), 1u);
  EXPECT_EQ(h.server().open_connections(), 3u);

  // One leaves: a newcomer is served again.
  clients.front().close();
  ASSERT_TRUE(Harness::eventually([&] { return h.server().open_connections() == 2; }));
  RawClient again(h.port());
  ASSERT_TRUE(again.send_frame(v2_message("C9")));
  EXPECT_EQ(read_ack(again.read_frame().value_or("")).control_id, "C9");
}

TEST(MllpServer, ThousandIdleConnectionsDoNotStopAnotherClient) {
  auto cfg = test_config();
  cfg.listener.max_connections = 2000;
  cfg.listener.idle_timeout = 10000ms;
  Harness h(cfg);
  h.start();
  std::vector<RawClient> idle;
  idle.reserve(1000);
  for (int i = 0; i < 1000; ++i) {
    idle.emplace_back();
    ASSERT_TRUE(idle.back().connect(h.port())) << i;
  }
  ASSERT_TRUE(Harness::eventually([&] { return h.server().open_connections() == 1000; }, 5s));
  const auto t0 = std::chrono::steady_clock::now();
  RawClient c(h.port());
  ASSERT_TRUE(c.send_frame(v2_message("K1")));
  EXPECT_EQ(read_ack(c.read_frame(1000ms).value_or("")).control_id, "K1");
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 500ms);
}

TEST(MllpServer, AllowListRefusesLoopback) {
  auto cfg = test_config();
  cfg.listener.allow = {"10.0.0.0/8", "::1"};
  Harness h(cfg);
  h.start();
  RawClient c(h.port());
  c.send_frame(v2_message("A1"));
  EXPECT_TRUE(c.closed_by_peer(1000ms));
  EXPECT_EQ(c.received().find("MSA"), std::string::npos);
  EXPECT_EQ(h.metrics().refused_allow.value(), 1u);
  EXPECT_EQ(h.intake.received().size(), 0u);
}

TEST(MllpServer, AllowListAcceptsLoopbackRange) {
  auto cfg = test_config();
  cfg.listener.allow = {"127.0.0.0/8"};
  Harness h(cfg);
  h.start();
  RawClient c(h.port());
  ASSERT_TRUE(c.send_frame(v2_message("A2")));
  EXPECT_EQ(read_ack(c.read_frame().value_or("")).code, "AA");
}

TEST(MllpServer, BadAllowEntryFailsStart) {
  auto cfg = test_config();
  cfg.listener.allow = {"10.0.0.0/40"};
  Harness h(cfg);
  std::string error;
  EXPECT_FALSE(h.start(error));
  EXPECT_EQ(error,
            "mllp listener 127.0.0.1:0: allow entry \"10.0.0.0/40\": prefix length must be a "
            "number from 0 to 32");
}

TEST(MllpServer, PortInUseFailsStart) {
  Harness a;
  a.start();
  auto cfg = test_config();
  cfg.listener.port = a.port();
  Harness b(cfg);
  std::string error;
  EXPECT_FALSE(b.start(error));
  EXPECT_NE(error.find("cannot bind: "), std::string::npos) << error;
}

TEST(MllpServer, StopWhileAFrameIsInFlightStillAnswersIt) {
  Harness h;
  h.intake.delay(300ms);
  h.start();
  const std::uint16_t port = h.port();
  RawClient idle(port);
  RawClient c(port);
  ASSERT_TRUE(c.send_frame(v2_message("F1")));
  ASSERT_TRUE(h.intake.wait_for(1));
  std::atomic<bool> drained{false};
  h.server().stop([&] { drained = true; });
  EXPECT_TRUE(idle.closed_by_peer(1000ms));  // nothing in flight: closed at once
  EXPECT_FALSE(drained);
  const auto ack = c.read_frame(2000ms);
  ASSERT_TRUE(ack);
  EXPECT_EQ(read_ack(*ack).control_id, "F1");
  EXPECT_TRUE(c.closed_by_peer(1000ms));
  EXPECT_TRUE(Harness::eventually([&] { return drained.load(); }));
  // No longer accepting.
  EXPECT_TRUE(Harness::eventually([&] { return !RawClient().connect(port); }));
}

TEST(MllpServer, StopWithNoConnectionsDrainsAtOnce) {
  Harness h;
  h.start();
  bool drained = false;
  h.server().stop([&] { drained = true; });
  EXPECT_TRUE(drained);
}

TEST(MllpClient, ReconnectsWhenTheServerClosedAnIdleConnection) {
  auto cfg = test_config();
  cfg.listener.idle_timeout = 100ms;
  Harness h(cfg);
  h.start();
  gw::mllp::ClientOptions o;
  o.port = h.port();
  o.timeout = 1000ms;
  gw::mllp::MllpClient client(o);
  auto r = client.send(v2_message("R1"));
  ASSERT_TRUE(r.ok()) << r.error;
  ASSERT_TRUE(Harness::eventually([&] { return h.metrics().timeout_idle.value() == 1; }));
  r = client.send(v2_message("R2"));
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(read_ack(r.ack).control_id, "R2");
  EXPECT_EQ(h.metrics().connections_total.value(), 2u);
  EXPECT_EQ(h.intake.received().size(), 2u);
}

TEST(MllpClient, ServerThatClosesWithoutAnswerIsReported) {
  auto cfg = test_config();
  cfg.listener.allow = {"10.0.0.0/8"};  // closes every connection at once
  Harness h(cfg);
  h.start();
  gw::mllp::ClientOptions o;
  o.port = h.port();
  o.timeout = 1000ms;
  gw::mllp::MllpClient client(o);
  const auto r = client.send(v2_message("R3"));
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(r.status == gw::mllp::SendResult::Status::closed) << r.error;
  EXPECT_NE(r.error.find("127.0.0.1:" + std::to_string(h.port())), std::string::npos) << r.error;
}
