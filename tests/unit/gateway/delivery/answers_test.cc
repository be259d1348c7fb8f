// How the network destinations read their receivers' answers, and the URL and Retry-After
// parsing beneath them.

#include <gtest/gtest.h>

#include "gateway/delivery/network.h"
#include "gateway/net/http_client.h"

namespace fcpgw::gateway {
namespace {

using delivery::Result;
using Kind = Result::Kind;
using namespace std::chrono_literals;

const auto kNow = std::chrono::system_clock::from_time_t(784111777);  // 1994-11-06 08:49:37Z

Result http(int status, std::string body = "", std::string_view retry_after = "",
            bool message_mode = false) {
  return delivery::classify_fhir_answer(status, retry_after, std::move(body), message_mode,
                                        "http://127.0.0.1:1/fhir", kNow);
}

TEST(FhirAnswer, SuccessIsDelivered) {
  for (int s : {200, 201, 202, 204}) EXPECT_EQ(http(s).kind, Kind::delivered) << s;
  EXPECT_EQ(http(200).code, "200");
}

TEST(FhirAnswer, ServerTroubleAndThrottlingAreTransient) {
  for (int s : {408, 409, 425, 429, 500, 502, 503, 504, 599}) {
    EXPECT_EQ(http(s).kind, Kind::transient) << s;
  }
}

TEST(FhirAnswer, OtherClientErrorsAndRedirectsArePermanent) {
  for (int s : {300, 301, 302, 400, 401, 403, 404, 405, 410, 412, 415, 422}) {
    EXPECT_EQ(http(s).kind, Kind::permanent) << s;
  }
  EXPECT_NE(http(301).reason.find("final address"), std::string::npos);
}

TEST(FhirAnswer, RetryAfterIsHonouredInSecondsAndAsADate) {
  EXPECT_EQ(http(429, "", "7").retry_after, std::optional(std::chrono::milliseconds(7000)));
  EXPECT_EQ(http(503, "", "Sun, 06 Nov 1994 08:50:07 GMT").retry_after,
            std::optional(std::chrono::milliseconds(30'000)));
  EXPECT_FALSE(http(503).retry_after.has_value());
  EXPECT_FALSE(http(503, "", "soon").retry_after.has_value());
}

TEST(FhirAnswer, ReasonNamesIssueCodesButNotTheirText) {
  const Result r = http(422, R"({"resourceType":"OperationOutcome","issue":[
      {"severity":"error","code":"invalid","diagnostics":"NHS number 9434765919 is wrong"},
      {"severity":"error","code":"required"},{"severity":"error","code":"invalid"}]})");
  EXPECT_EQ(r.kind, Kind::permanent);
  EXPECT_NE(r.reason.find("HTTP 422 from http://127.0.0.1:1/fhir"), std::string::npos) << r.reason;
  EXPECT_NE(r.reason.find("invalid, required"), std::string::npos) << r.reason;
  EXPECT_EQ(r.reason.find("9434765919"), std::string::npos) << r.reason;
  EXPECT_NE(r.response.find("9434765919"), std::string::npos);  // kept for the journal
}

TEST(FhirAnswer, MessageModeReadsTheResponseMessageHeader) {
  const auto reply = [](const char* code) {
    return std::string(R"({"resourceType":"Bundle","type":"message","entry":[{"resource":
        {"resourceType":"MessageHeader","response":{"identifier":"x","code":")") +
           code + R"("}}}]})";
  };
  EXPECT_EQ(http(200, reply("ok"), "", true).kind, Kind::delivered);
  EXPECT_EQ(http(200, reply("transient-error"), "", true).kind, Kind::transient);
  EXPECT_EQ(http(200, reply("fatal-error"), "", true).kind, Kind::permanent);
  // In transaction mode the same body means nothing special.
  EXPECT_EQ(http(200, reply("fatal-error"), "", false).kind, Kind::delivered);
  EXPECT_EQ(http(200, "not json", "", true).kind, Kind::delivered);
}

Result ack(const std::string& msa, const std::string& on_ae = "retry", bool app = false,
           bool* awaiting = nullptr) {
  bool w = false;
  Result r = delivery::classify_ack(
      "MSH|^~\\&|RCV|RCVFAC|FCPGW|GW|20250101120000||ACK^S12^ACK|A1|P|2.5.1\r" + msa +
          "\rERR||PID^1^3|204^Unknown key identifier^HL70357|E|||Patient 9434765919 unknown\r",
      "MSG1", on_ae, app, "127.0.0.1:2576", w);
  if (awaiting) *awaiting = w;
  return r;
}

TEST(MllpAnswer, AcknowledgementCodes) {
  EXPECT_EQ(ack("MSA|AA|MSG1").kind, Kind::delivered);
  EXPECT_EQ(ack("MSA|CA|MSG1").kind, Kind::delivered);
  EXPECT_EQ(ack("MSA|AE|MSG1").kind, Kind::transient);
  EXPECT_EQ(ack("MSA|CE|MSG1").kind, Kind::transient);
  EXPECT_EQ(ack("MSA|AE|MSG1", "dead").kind, Kind::permanent);
  EXPECT_EQ(ack("MSA|AR|MSG1").kind, Kind::permanent);
  EXPECT_EQ(ack("MSA|CR|MSG1").kind, Kind::permanent);
  EXPECT_EQ(ack("MSA|AE|MSG1").code, "AE");
}

TEST(MllpAnswer, CommitAcceptWaitsForTheApplicationAckWhenConfigured) {
  bool awaiting = true;
  ack("MSA|CA|MSG1", "retry", false, &awaiting);
  EXPECT_FALSE(awaiting);
  ack("MSA|CA|MSG1", "retry", true, &awaiting);
  EXPECT_TRUE(awaiting);
  ack("MSA|AA|MSG1", "retry", true, &awaiting);
  EXPECT_FALSE(awaiting);
}

TEST(MllpAnswer, ReasonNamesTheErrorCodeNotTheText) {
  const Result r = ack("MSA|AE|MSG1");
  EXPECT_EQ(r.reason, "AE from 127.0.0.1:2576 (ERR-3 204)");
  EXPECT_NE(r.response.find("9434765919"), std::string::npos);
}

TEST(MllpAnswer, AnswersThatAreNotAcksForThisMessageAreRetried) {
  for (const char* msa : {"MSA|AA|OTHER", "MSA|XX|MSG1", "MSA||MSG1"}) {
    const Result r = ack(msa);
    EXPECT_EQ(r.kind, Kind::transient) << msa;
    EXPECT_EQ(r.code, "bad-answer") << msa;
  }
  bool w = false;
  EXPECT_EQ(delivery::classify_ack("garbage", "MSG1", "retry", false, "h:1", w).code,
            "bad-answer");
  EXPECT_EQ(delivery::classify_ack("MSH|^~\\&|A|B|C|D|1||ACK|1|P|2.5\r", "MSG1", "retry",
                                   false, "h:1", w).code,
            "bad-answer");
}

TEST(HttpUrl, Parses) {
  std::string error;
  auto u = net::HttpUrl::parse("https://ehr.example.nhs.uk/fhir/R4/", error);
  ASSERT_TRUE(u) << error;
  EXPECT_TRUE(u->tls);
  EXPECT_EQ(u->host, "ehr.example.nhs.uk");
  EXPECT_EQ(u->port, 443);
  EXPECT_EQ(u->path, "/fhir/R4");
  EXPECT_EQ(u->str(), "https://ehr.example.nhs.uk:443/fhir/R4");

  u = net::HttpUrl::parse("http://[::1]:8090", error);
  ASSERT_TRUE(u) << error;
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->port, 8090);
  EXPECT_EQ(u->path, "");
  EXPECT_EQ(u->authority(), "[::1]:8090");

  u = net::HttpUrl::parse("http://127.0.0.1:8090/fhir", error);
  ASSERT_TRUE(u) << error;
  EXPECT_FALSE(u->tls);
  EXPECT_EQ(u->port, 8090);
}

TEST(HttpUrl, RefusesWhatIsNotABaseUrl) {
  for (const char* bad : {"ftp://x/fhir", "127.0.0.1:80", "http://", "http://:80/fhir",
                          "http://host:0/", "http://host:70000/", "http://host:8o/",
                          "http://user:pw@host/fhir", "http://host/fhir?x=1", "http://[::1/",
                          "http://host:/"}) {
    std::string error;
    EXPECT_FALSE(net::HttpUrl::parse(bad, error)) << bad;
    EXPECT_FALSE(error.empty()) << bad;
  }
}

TEST(RetryAfter, Forms) {
  EXPECT_EQ(net::parse_retry_after(" 120 ", kNow), std::optional(std::chrono::milliseconds(120000)));
  EXPECT_EQ(net::parse_retry_after("0", kNow), std::optional(std::chrono::milliseconds(0)));
  // Capped at a day: a receiver's typo must not park a delivery for a year.
  EXPECT_EQ(net::parse_retry_after("99999999", kNow), std::optional(std::chrono::milliseconds(86400000)));
  EXPECT_EQ(net::parse_retry_after("Sun, 06 Nov 1994 08:49:30 GMT", kNow),
            std::optional(std::chrono::milliseconds(0)));
  EXPECT_FALSE(net::parse_retry_after("", kNow));
  EXPECT_FALSE(net::parse_retry_after("-5", kNow));
  EXPECT_FALSE(net::parse_retry_after("5s", kNow));
  EXPECT_FALSE(net::parse_retry_after("Sunday, 06-Nov-94 08:49:37 GMT", kNow));
}

}  // namespace
}  // namespace fcpgw::gateway

namespace fcpgw::gateway {
namespace {

TEST(DocumentWrite, ADocumentIsCreatedOnceForItsIdentifier) {
  std::string error;
  auto w = delivery::document_write(
      R"({"resourceType":"Bundle","type":"document","identifier":{"system":"https://x.org/Id/fit-note","value":"FN 1|2"}})",
      error);
  ASSERT_TRUE(w);
  EXPECT_EQ(error, "");
  EXPECT_EQ(w->if_none_exist, "identifier=https://x.org/Id/fit-note%7CFN%201%5C%7C2");
}

TEST(DocumentWrite, OtherBundlesAreNotDocuments) {
  std::string error;
  EXPECT_FALSE(delivery::document_write(R"({"resourceType":"Bundle","type":"transaction"})", error));
  EXPECT_FALSE(delivery::document_write(R"({"resourceType":"Composition"})", error));
  EXPECT_FALSE(delivery::document_write("not json", error));
  EXPECT_EQ(error, "");
}

TEST(DocumentWrite, ADocumentWithoutIdentifierIsRefused) {
  std::string error;
  auto w = delivery::document_write(R"({"resourceType":"Bundle","type":"document"})", error);
  ASSERT_TRUE(w);
  EXPECT_NE(error.find("no identifier"), std::string::npos);
}

}  // namespace
}  // namespace fcpgw::gateway
