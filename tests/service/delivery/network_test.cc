// The network destinations over real sockets on 127.0.0.1, against a scripted peer: a TCP
// server on its own thread that reads each HTTP request or MLLP frame and answers as the test
// says (or closes, or stays silent). The destinations' connection handling is what is tested:
// keep-alive, a kept connection the peer closed, timeouts, answers cut short.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <gtest/gtest.h>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "gateway/delivery/destination.h"
#include "gateway/net/http_client.h"

namespace fcpgw::gateway {
namespace {

using namespace std::chrono_literals;
using Kind = delivery::Result::Kind;

/// What the peer does with one request.
struct Reply {
  std::string bytes;           ///< written back (may be empty)
  bool close = false;          ///< then close the connection
  std::chrono::milliseconds delay{0};  ///< wait before answering
};

/// A TCP server that reads one unit at a time (an HTTP request with its Content-Length body,
/// or an MLLP frame) and answers with script(connection, request number, text).
class ScriptedPeer {
 public:
  using Script = std::function<Reply(int connection, int request, const std::string& text)>;
  explicit ScriptedPeer(Script script, bool mllp = false) : script_(std::move(script)), mllp_(mllp) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(::listen(fd_, 16), 0);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { run(); });
  }
  ~ScriptedPeer() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  std::uint16_t port() const { return port_; }
  int connections() const { return connections_; }
  std::vector<std::string> requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }

 private:
  bool readable(int fd, int ms) {
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, ms) > 0;
  }
  // One complete unit from `buf`, removed from it; "" when not complete yet.
  std::string take(std::string& buf) {
    if (mllp_) {
      const auto s = buf.find('\x0b');
      const auto e = buf.find("\x1c\r");
      if (s == std::string::npos || e == std::string::npos) return {};
      std::string unit = buf.substr(s + 1, e - s - 1);
      buf.erase(0, e + 2);
      return unit;
    }
    const auto head = buf.find("\r\n\r\n");
    if (head == std::string::npos) return {};
    std::size_t length = 0;
    const auto cl = buf.find("Content-Length: ");
    if (cl != std::string::npos && cl < head) length = std::stoul(buf.substr(cl + 16));
    if (buf.size() < head + 4 + length) return {};
    std::string unit = buf.substr(0, head + 4 + length);
    buf.erase(0, head + 4 + length);
    return unit;
  }
  void run() {
    while (!stop_) {
      if (!readable(fd_, 50)) continue;
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      const int conn = connections_++;
      std::string buf;
      bool open = true;
      for (int n = 0; open && !stop_;) {
        if (!readable(c, 50)) continue;
        char chunk[65536];
        const ssize_t k = ::read(c, chunk, sizeof chunk);
        if (k <= 0) break;
        buf.append(chunk, static_cast<std::size_t>(k));
        for (std::string unit = take(buf); !unit.empty(); unit = take(buf)) {
          {
            std::lock_guard lock(mu_);
            requests_.push_back(unit);
          }
          const Reply r = script_(conn, n++, unit);
          std::this_thread::sleep_for(r.delay);
          if (!r.bytes.empty()) (void)::write(c, r.bytes.data(), r.bytes.size());
          if (r.close) {
            open = false;
            break;
          }
        }
      }
      ::close(c);
    }
  }

  Script script_;
  bool mllp_;
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  mutable std::mutex mu_;
  std::vector<std::string> requests_;
};

std::string http_reply(int status, const std::string& body, const std::string& extra = "") {
  return "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Type: application/fhir+json\r\n" +
         extra + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

config::Destination fhir_config(std::uint16_t port) {
  config::Destination c;
  c.name = "ehr";
  c.type = "fhir";
  c.url = "http://127.0.0.1:" + std::to_string(port) + "/fhir";
  c.token = "t0k3n";
  c.concurrency = 1;
  c.connect_timeout = 2000ms;
  c.response_timeout = 500ms;
  return c;
}

delivery::Payload bundle(std::int64_t id, std::string body = R"({"resourceType":"Bundle","type":"transaction","entry":[]})") {
  delivery::Payload p;
  p.delivery_id = id;
  p.content_type = "fhir-json";
  p.body = std::move(body);
  return p;
}

std::unique_ptr<delivery::Destination> make(const config::Destination& c) {
  std::string error;
  auto d = delivery::make_destination(c, error);
  EXPECT_TRUE(d) << error;
  return d;
}

TEST(FhirDestination, PostsTheBundleWithTokenAndKeepsTheConnection) {
  ScriptedPeer peer([](int, int, const std::string&) { return Reply{http_reply(200, "{}")}; });
  auto d = make(fhir_config(peer.port()));
  for (int i = 1; i <= 3; ++i) EXPECT_EQ(d->deliver(bundle(i), 0).kind, Kind::delivered);
  EXPECT_EQ(peer.connections(), 1);
  const auto reqs = peer.requests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(reqs[0].rfind("POST /fhir HTTP/1.1\r\n", 0), 0u) << reqs[0];
  EXPECT_NE(reqs[0].find("Authorization: Bearer t0k3n\r\n"), std::string::npos);
  EXPECT_NE(reqs[0].find("Content-Type: application/fhir+json"), std::string::npos);
  EXPECT_NE(reqs[2].find("X-Request-Id: fcpgw-3-1\r\n"), std::string::npos);
}

TEST(FhirDestination, AKeptConnectionTheReceiverClosedIsReplacedWithoutLosingTheRequest) {
  // The receiver answers and closes without saying so (its idle timeout): the next request
  // meets a closed socket and must go again on a new connection.
  ScriptedPeer peer([](int, int, const std::string&) { return Reply{http_reply(201, "{}"), true}; });
  auto d = make(fhir_config(peer.port()));
  EXPECT_EQ(d->deliver(bundle(1), 0).kind, Kind::delivered);
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(d->deliver(bundle(2), 0).kind, Kind::delivered);
  EXPECT_EQ(peer.connections(), 2);
  EXPECT_EQ(peer.requests().size(), 2u);
}

TEST(FhirDestination, ConnectionCloseIsHonoured) {
  ScriptedPeer peer([](int, int, const std::string&) {
    return Reply{http_reply(200, "{}", "Connection: close\r\n"), true};
  });
  auto d = make(fhir_config(peer.port()));
  for (int i = 1; i <= 3; ++i) EXPECT_EQ(d->deliver(bundle(i), 0).kind, Kind::delivered);
  EXPECT_EQ(peer.connections(), 3);
}

TEST(FhirDestination, SilenceIsATimeoutAndRetried) {
  ScriptedPeer peer([](int, int, const std::string&) { return Reply{"", false, 900ms}; });
  auto d = make(fhir_config(peer.port()));
  const auto t0 = std::chrono::steady_clock::now();
  const auto r = d->deliver(bundle(1), 0);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 850ms);
  EXPECT_EQ(r.kind, Kind::transient);
  EXPECT_EQ(r.code, "timeout");
}

TEST(FhirDestination, AnAnswerCutShortIsRetried) {
  ScriptedPeer peer([](int, int, const std::string&) {
    return Reply{"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"resourceType\"", true};
  });
  auto d = make(fhir_config(peer.port()));
  const auto r = d->deliver(bundle(1), 0);
  EXPECT_EQ(r.kind, Kind::transient);
  EXPECT_EQ(r.code, "reset");
  EXPECT_NE(r.reason.find("in the middle of its answer"), std::string::npos) << r.reason;
  EXPECT_EQ(peer.requests().size(), 1u);  // not sent again on its own: the dispatcher decides
}

TEST(FhirDestination, NotHttpIsABadAnswer) {
  ScriptedPeer peer([](int, int, const std::string&) { return Reply{"MSH|^~\\&|garbage\r\n\r\n", true}; });
  auto d = make(fhir_config(peer.port()));
  const auto r = d->deliver(bundle(1), 0);
  EXPECT_EQ(r.kind, Kind::transient);
  EXPECT_EQ(r.code, "bad-answer");
}

TEST(FhirDestination, NobodyListeningIsRefused) {
  std::uint16_t port = 0;
  { ScriptedPeer gone([](int, int, const std::string&) { return Reply{}; }); port = gone.port(); }
  auto d = make(fhir_config(port));
  const auto r = d->deliver(bundle(1), 0);
  EXPECT_EQ(r.kind, Kind::transient);
  EXPECT_EQ(r.code, "refused");
}

TEST(FhirDestination, ADocumentGoesToBundleOnceForItsIdentifier) {
  ScriptedPeer peer([](int, int, const std::string&) { return Reply{http_reply(201, "{}")}; });
  auto d = make(fhir_config(peer.port()));
  EXPECT_EQ(d->deliver(bundle(1, R"({"resourceType":"Bundle","type":"document","identifier":{"system":"urn:x","value":"FN1"}})"), 0).kind,
            Kind::delivered);
  const auto reqs = peer.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].rfind("POST /fhir/Bundle HTTP/1.1\r\n", 0), 0u) << reqs[0];
  EXPECT_NE(reqs[0].find("If-None-Exist: identifier=urn:x%7CFN1\r\n"), std::string::npos) << reqs[0];
}

TEST(FhirDestination, MessageModePostsToProcessMessage) {
  ScriptedPeer peer([](int, int, const std::string&) { return Reply{http_reply(200, "{}")}; });
  auto c = fhir_config(peer.port());
  c.mode = "message";
  auto d = make(c);
  EXPECT_EQ(d->deliver(bundle(1, R"({"resourceType":"Bundle","type":"message"})"), 0).kind, Kind::delivered);
  EXPECT_EQ(peer.requests().at(0).rfind("POST /fhir/$process-message HTTP/1.1\r\n", 0), 0u);
}

TEST(FhirDestination, RefusesWhatIsNotFhir) {
  ScriptedPeer peer([](int, int, const std::string&) { return Reply{http_reply(200, "{}")}; });
  auto d = make(fhir_config(peer.port()));
  auto p = bundle(1, "MSH|^~\\&|");
  p.content_type = "er7";
  EXPECT_EQ(d->deliver(p, 0).kind, Kind::permanent);
  EXPECT_TRUE(peer.requests().empty());
}

TEST(FhirDestination, BadConfigurationIsRefusedAtStart) {
  auto c = fhir_config(1);
  c.url = "ftp://x";
  std::string error;
  EXPECT_FALSE(delivery::make_destination(c, error));
  EXPECT_NE(error.find("destinations.ehr.url"), std::string::npos) << error;
  c.url = "https://127.0.0.1:1/fhir";
  c.ca_file = "/nonexistent/ca.pem";
  error.clear();
  EXPECT_FALSE(delivery::make_destination(c, error));
  EXPECT_NE(error.find("destinations.ehr"), std::string::npos) << error;
}

// ---------------------------------------------------------------------------------------
// MLLP

std::string ack_for(const std::string& msg, const std::string& code) {
  const auto f = msg.find("|SIU");
  std::string id = msg.substr(msg.find('|', f + 1) + 1);
  id = id.substr(0, id.find('|'));
  return "\x0bMSH|^~\\&|RCV|RCVFAC|FCPGW|GW|20250101120000||ACK^S12^ACK|A" + id + "|P|2.5.1\rMSA|" +
         code + "|" + id + "\r\x1c\r";
}

config::Destination mllp_config(std::uint16_t port) {
  config::Destination c;
  c.name = "practice";
  c.type = "mllp";
  c.host = "127.0.0.1";
  c.port = port;
  c.concurrency = 1;
  c.ack_timeout = 500ms;
  return c;
}

delivery::Payload siu(std::int64_t id) {
  delivery::Payload p;
  p.delivery_id = id;
  p.content_type = "er7";
  p.body = "MSH|^~\\&|FCPGW|GW|RCV|RCVFAC|20250101120000||SIU^S12^SIU_S12|CTRL" +
           std::to_string(id) + "|P|2.5.1\rSCH|1\r";
  return p;
}

TEST(MllpDestination, SendsAndReadsTheAckOnOneConnection) {
  ScriptedPeer peer([](int, int, const std::string& m) { return Reply{ack_for(m, "AA")}; }, true);
  auto d = make(mllp_config(peer.port()));
  for (int i = 1; i <= 3; ++i) EXPECT_EQ(d->deliver(siu(i), 0).kind, Kind::delivered);
  EXPECT_EQ(peer.connections(), 1);
  EXPECT_EQ(peer.requests().size(), 3u);
}

TEST(MllpDestination, WaitsForTheApplicationAckAfterACommitAck) {
  ScriptedPeer peer(
      [](int, int, const std::string& m) { return Reply{ack_for(m, "CA") + ack_for(m, "AE")}; }, true);
  auto c = mllp_config(peer.port());
  c.application_ack = true;
  auto d = make(c);
  const auto r = d->deliver(siu(1), 0);
  EXPECT_EQ(r.kind, Kind::transient);
  EXPECT_EQ(r.code, "AE");
  EXPECT_NE(r.response.find("MSA|CA|CTRL1"), std::string::npos);
  EXPECT_NE(r.response.find("MSA|AE|CTRL1"), std::string::npos);
}

TEST(MllpDestination, NoAckIsATimeout) {
  ScriptedPeer peer([](int, int, const std::string&) { return Reply{}; }, true);
  auto d = make(mllp_config(peer.port()));
  const auto r = d->deliver(siu(1), 0);
  EXPECT_EQ(r.kind, Kind::transient);
  EXPECT_EQ(r.code, "timeout");
}

TEST(MllpDestination, AMessageWithoutControlIdIsNotSent) {
  ScriptedPeer peer([](int, int, const std::string& m) { return Reply{ack_for(m, "AA")}; }, true);
  auto d = make(mllp_config(peer.port()));
  auto p = siu(1);
  p.body = "MSH|^~\\&|FCPGW|GW|RCV|RCVFAC|20250101120000||SIU^S12^SIU_S12||P|2.5.1\r";
  EXPECT_EQ(d->deliver(p, 0).kind, Kind::permanent);
  EXPECT_TRUE(peer.requests().empty());
}

}  // namespace
}  // namespace fcpgw::gateway
