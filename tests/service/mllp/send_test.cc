// fcpgw send (run_send) against the MLLP listener with a fake Intake.
#include "gateway/cli/send.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "support.h"

using namespace fcpgw::test;
namespace gw = fcpgw::gateway;
namespace hl7v2 = fcpgw::hl7v2;
namespace fs = std::filesystem;

namespace {

class Send : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("fcpgw-send-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code e;
    fs::remove_all(dir_, e);
  }
  std::string write(const std::string& name, const std::string& content) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }
  int run(std::vector<std::string> files, gw::cli::SendOptions o) {
    out_.str("");
    err_.str("");
    return gw::cli::run_send(files, o, out_, err_);
  }
  static gw::cli::SendOptions options(std::uint16_t port) {
    gw::cli::SendOptions o;
    o.port = port;
    o.timeout = 2000ms;
    return o;
  }

  fs::path dir_;
  std::ostringstream out_, err_;
};

// A port nobody listens on (bound, then released).
std::uint16_t free_port() {
  Harness h;
  h.start();
  const std::uint16_t p = h.port();
  h.shutdown();
  return p;
}

// Answers every frame on one connection with the same bytes (framed).
class FixedAnswerServer {
 public:
  explicit FixedAnswerServer(std::string answer) : answer_(std::move(answer)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(fd_, 4);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] {
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      char buf[4096];
      ssize_t n;
      while ((n = ::recv(c, buf, sizeof buf, 0)) > 0) {
        if (std::string_view(buf, static_cast<std::size_t>(n)).find('\x1c') == std::string::npos) {
          continue;
        }
        const std::string framed = hl7v2::mllp_frame(answer_);
        ::send(c, framed.data(), framed.size(), MSG_NOSIGNAL);
      }
      ::close(c);
    });
  }
  ~FixedAnswerServer() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  std::uint16_t port() const { return port_; }

 private:
  std::string answer_;
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

}  // namespace

TEST_F(Send, AcceptedMessageExitsZero) {
  Harness h;
  h.start();
  const std::string f = write("one.hl7", v2_message("M1"));
  EXPECT_EQ(run({f}, options(h.port())), 0) << err_.str();
  EXPECT_EQ(out_.str(), f + ": M1: AA\n");
  EXPECT_EQ(err_.str(), "");
}

TEST_F(Send, ApplicationErrorExitsOneWithErrText) {
  Harness h;
  h.intake.answer_with(hl7v2::AckCode::AE);
  h.start();
  const std::string f = write("one.hl7", v2_message("M2"));
  EXPECT_EQ(run({f}, options(h.port())), 1);
  EXPECT_EQ(out_.str(), f + ": M2: AE: fake failure\n");
}

TEST_F(Send, LfSeparatedFileWithSeveralMessages) {
  Harness h;
  h.start();
  std::string text = v2_message("A1") + v2_message("A2") + v2_message("A3");
  std::string crlf = v2_message("A4");
  for (char& c : text) c = c == '\r' ? '\n' : c;
  std::string crlf_text;
  for (char c : crlf) crlf_text += c == '\r' ? std::string("\r\n") : std::string(1, c);
  const std::string f1 = write("lf.hl7", text);
  const std::string f2 = write("crlf.hl7", crlf_text);
  EXPECT_EQ(run({f1, f2}, options(h.port())), 0) << err_.str();
  EXPECT_EQ(out_.str(),
            f1 + ": A1: AA\n" + f1 + ": A2: AA\n" + f1 + ": A3: AA\n" + f2 + ": A4: AA\n");
  const auto got = h.intake.received();
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got[0].body, v2_message("A1"));  // segments end in CR only
  EXPECT_EQ(got[3].body, v2_message("A4"));
  EXPECT_EQ(got[0].connection, got[3].connection);  // one connection for everything
}

TEST_F(Send, MllpFramedFile) {
  Harness h;
  h.start();
  const std::string f = write(
      "framed.mllp", hl7v2::mllp_frame(v2_message("F1")) + hl7v2::mllp_frame(v2_message("F2")));
  EXPECT_EQ(run({f}, options(h.port())), 0) << err_.str();
  EXPECT_EQ(out_.str(), f + ": F1: AA\n" + f + ": F2: AA\n");
}

TEST_F(Send, NobodyListeningExitsThreeNamingTheAddress) {
  const std::uint16_t port = free_port();
  const std::string f = write("one.hl7", v2_message("M3"));
  EXPECT_EQ(run({f}, options(port)), 3);
  EXPECT_EQ(out_.str(), "");
  EXPECT_NE(err_.str().find("cannot connect to 127.0.0.1:" + std::to_string(port)),
            std::string::npos)
      << err_.str();
}

TEST_F(Send, NoAckInTimeExitsThree) {
  Harness h;
  h.intake.delay(400ms);
  h.start();
  const std::string f = write("one.hl7", v2_message("M4"));
  auto o = options(h.port());
  o.timeout = 200ms;
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(run({f}, o), 3);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 390ms);
  EXPECT_EQ(err_.str(),
            f + ": M4: no ACK from 127.0.0.1:" + std::to_string(h.port()) + " within 200 ms\n");
}

TEST_F(Send, OversizeMessageGetsArAndExitsOne) {
  auto cfg = test_config();
  cfg.max_frame_bytes = 100;
  Harness h(cfg);
  h.start();
  const std::string f = write("big.hl7", v2_message("M5", 200));
  EXPECT_EQ(run({f}, options(h.port())), 1);
  EXPECT_EQ(out_.str(), f + ": M5: AR: message exceeds the frame limit of 100 bytes\n");
}

TEST_F(Send, MismatchedOrUnreadableAckExitsOne) {
  FixedAnswerServer wrong("MSH|^~\\&|GW|F|A|B|20240101||ACK^A01^ACK|X1|P|2.5.1\rMSA|AA|OTHER\r");
  const std::string f = write("one.hl7", v2_message("M6"));
  EXPECT_EQ(run({f}, options(wrong.port())), 1);
  EXPECT_EQ(out_.str(), f + ": M6: mismatched ACK (MSA-2 is \"OTHER\")\n");

  FixedAnswerServer junk("not an ACK");
  EXPECT_EQ(run({f}, options(junk.port())), 1);
  EXPECT_EQ(out_.str().rfind(f + ": M6: unreadable ACK: ", 0), 0u) << out_.str();
}

TEST_F(Send, MessageWithoutControlId) {
  Harness h;
  h.start();
  const std::string f =
      write("noid.hl7", "MSH|^~\\&|A|B|C|D|20240101||ADT^A01||P|2.5.1\rEVN|A01\r");
  EXPECT_EQ(run({f}, options(h.port())), 0) << err_.str();
  EXPECT_EQ(out_.str(), f + ": (no MSH-10): AA\n");
}

TEST_F(Send, BadFilesExitTwo) {
  Harness h;
  h.start();
  const std::string json = write("x.json", "{\"resourceType\":\"Patient\"}");
  const std::string good = write("good.hl7", v2_message("G1"));
  const std::string missing = (dir_ / "missing.hl7").string();
  EXPECT_EQ(run({json, missing, good}, options(h.port())), 2);
  EXPECT_EQ(out_.str(), good + ": G1: AA\n");  // the good file is still sent
  EXPECT_NE(err_.str().find(json + ": not HL7 v2 (FHIR JSON)"), std::string::npos) << err_.str();
  EXPECT_NE(err_.str().find(missing + ": "), std::string::npos) << err_.str();
}

TEST_F(Send, UsageErrorsExitTwo) {
  EXPECT_EQ(run({}, options(2575)), 2);
  EXPECT_NE(err_.str().find("no input file"), std::string::npos);
  auto o = options(2575);
  o.cert_file = "c.pem";
  o.tls = true;
  EXPECT_EQ(run({"x"}, o), 2);
  EXPECT_NE(err_.str().find("both a certificate file and a key file"), std::string::npos);
}
