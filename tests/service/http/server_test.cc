// The HTTP listener in-process on 127.0.0.1 port 0, driven by a real client over real sockets,
// with a fake Intake behind it. Timeouts are about 200 ms so the suite stays fast.

#include "gateway/http/server.h"

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <boost/asio/executor_work_guard.hpp>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <thread>

#include "gateway/observability/log.h"
#include "tests/service/http/test_support.h"

namespace fcpgw::gateway::http {
namespace {

using namespace testing;
using bhttp::field;
using bhttp::verb;
using Clock = std::chrono::steady_clock;

constexpr std::string_view fhir_json = "application/fhir+json";

class HttpServerTest : public ::testing::Test {
 protected:
  HttpServerTest() {
    observability::set_log_level(observability::Level::error);
    cfg.listener.host = "127.0.0.1";
    cfg.listener.port = 0;
    cfg.listener.read_timeout = 200ms;
    cfg.listener.idle_timeout = 200ms;
    cfg.listener.write_timeout = 200ms;
    cfg.max_body_bytes = 1024;
    cfg.max_header_bytes = 2048;
  }

  void start(std::shared_ptr<ssl::context> tls = nullptr, HttpServer::AllowFn allow = nullptr) {
    server =
        std::make_unique<HttpServer>(ioc, cfg, intake, registry, std::move(tls), std::move(allow));
    const std::string err = server->start();
    ASSERT_EQ(err, "");
    port = server->local_endpoint().port();
    ASSERT_NE(port, 0);
    guard.emplace(ioc.get_executor());
    for (int i = 0; i < 2; ++i) runners.emplace_back([this] { ioc.run(); });
  }

  ~HttpServerTest() override {
    if (server) server->stop();
    guard.reset();
    ioc.stop();
    for (auto& t : runners) t.join();
  }

  std::uint64_t counter(std::string_view name, observability::Labels labels) {
    return registry.counter(name, "", std::move(labels)).value();
  }

  /// Waits until the server has `n` open connections.
  bool wait_open(std::size_t n, std::chrono::milliseconds limit = 5s) {
    const auto end = Clock::now() + limit;
    while (Clock::now() < end) {
      if (server->open_connections() == n) return true;
      std::this_thread::sleep_for(5ms);
    }
    return false;
  }

  Res get(std::string target) {
    Client c(port);
    return c.request(make_request(verb::get, std::move(target)));
  }

  config::Http cfg;
  FakeIntake intake;
  observability::Registry registry;
  net::io_context ioc;
  std::unique_ptr<HttpServer> server;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> guard;
  std::vector<std::thread> runners;
  unsigned short port = 0;
};

bool is_outcome(const Res& res, std::string_view code) {
  return res[field::content_type] == fhir_json &&
         res.body().find(R"("resourceType":"OperationOutcome")") != std::string::npos &&
         res.body().find(R"("code":")" + std::string(code) + "\"") != std::string::npos;
}

// --- routes ------------------------------------------------------------------------------

TEST_F(HttpServerTest, HealthzIsOk) {
  start();
  const Res res = get("/healthz");
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_EQ(res.body(), "ok");
}

TEST_F(HttpServerTest, ReadyzFollowsTheIntake) {
  start();
  EXPECT_EQ(get("/readyz").result_int(), 200);
  intake.not_ready = "journal not writable";
  const Res res = get("/readyz");
  EXPECT_EQ(res.result_int(), 503);
  EXPECT_TRUE(is_outcome(res, "transient")) << res.body();
  EXPECT_NE(res.body().find("journal not writable"), std::string::npos);
}

TEST_F(HttpServerTest, MetadataIsTheCapabilityStatement) {
  start();
  const Res res = get("/fhir/metadata");
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_EQ(res[field::content_type], fhir_json);
  EXPECT_EQ(res.body(), intake.capability_statement());
}

TEST_F(HttpServerTest, MetricsAreRendered) {
  start();
  get("/healthz");
  // A request is counted once its answer is written, which the client may see first: wait for
  // its connection to close (after the count), and ask again until the count is there.
  ASSERT_TRUE(wait_open(0));
  Res res = get("/metrics");
  for (int i = 0; i < 100 && res.body().find(R"(route="/healthz")") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    res = get("/metrics");
  }
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_EQ(res[field::content_type], "text/plain; version=0.0.4");
  EXPECT_NE(res.body().find("fcpgw_http_requests_total"), std::string::npos);
  EXPECT_NE(res.body().find(R"(route="/healthz")"), std::string::npos);
}

TEST_F(HttpServerTest, JournalStatusOrNotFound) {
  start();
  Res res = get("/journal/1");
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_NE(res.body().find("transaction-response"), std::string::npos);
  res = get("/journal/2");
  EXPECT_EQ(res.result_int(), 404);
  EXPECT_TRUE(is_outcome(res, "not-found")) << res.body();
  EXPECT_EQ(get("/journal/abc").result_int(), 404);
}

TEST_F(HttpServerTest, UnknownPathIs404AndWrongMethodIs405WithAllow) {
  start();
  Res res = get("/nothing-here");
  EXPECT_EQ(res.result_int(), 404);
  EXPECT_TRUE(is_outcome(res, "not-found")) << res.body();

  Client c(port);
  res = c.request(make_request(verb::delete_, "/fhir/Appointment/1"));
  EXPECT_EQ(res.result_int(), 405);
  EXPECT_EQ(res[field::allow], "PUT");
  EXPECT_TRUE(is_outcome(res, "not-supported")) << res.body();
  res = c.request(make_request(verb::get, "/fhir"));
  EXPECT_EQ(res.result_int(), 405);
  EXPECT_EQ(res[field::allow], "POST");
  res = c.request(make_request(verb::post, "/healthz", "x", "text/plain"));
  EXPECT_EQ(res.result_int(), 405);
  EXPECT_EQ(res[field::allow], "GET");
  EXPECT_TRUE(intake.got().empty());
}

TEST_F(HttpServerTest, FhirRoutesSubmitWithTheirPath) {
  start();
  struct Case {
    verb method;
    std::string target;
    std::string fhir_path;
  };
  const std::vector<Case> cases = {
      {verb::post, "/fhir", ""},
      {verb::post, "/fhir/$process-message", "$process-message"},
      {verb::post, "/fhir/Appointment", "Appointment"},
      {verb::put, "/fhir/Appointment/appt-1.2", "Appointment/appt-1.2"},
      {verb::post, "/fhir/ServiceRequest", "ServiceRequest"},
      {verb::put, "/fhir/ServiceRequest/7", "ServiceRequest/7"},
      {verb::post, "/fhir/Task", "Task"},
      {verb::put, "/fhir/Task?identifier=sys|1", "Task?identifier=sys|1"},
  };
  Client c(port);
  for (const auto& k : cases) {
    const Res res = c.request(make_request(k.method, k.target, "{}", "application/fhir+json"));
    EXPECT_EQ(res.result_int(), 202) << k.target;
    EXPECT_EQ(res[field::content_location], "/journal/1") << k.target;
    EXPECT_EQ(res[field::content_type], fhir_json);
  }
  const auto got = intake.got();
  ASSERT_EQ(got.size(), cases.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].kind, service::Inbound::Kind::fhir);
    EXPECT_EQ(got[i].fhir_path, cases[i].fhir_path);
    EXPECT_EQ(got[i].method, bhttp::to_string(cases[i].method));
    EXPECT_EQ(got[i].listener, "http");
    EXPECT_EQ(got[i].body, "{}");
    EXPECT_TRUE(got[i].peer.starts_with("127.0.0.1:")) << got[i].peer;
    EXPECT_EQ(got[i].connection, got[0].connection);  // one keep-alive connection
    EXPECT_NE(got[i].connection, 0u);
    EXPECT_EQ(got[i].client, "");
  }
}

TEST_F(HttpServerTest, Hl7v2IsSubmittedAndAnsweredWithTheAck) {
  start();
  Client c(port);
  for (std::string ct : {"x-application/hl7-v2+er7", "application/hl7-v2", "text/plain"}) {
    const Res res = c.request(make_request(verb::post, "/hl7v2", "MSH|^~\\&|A|B\rPID|1\r", ct));
    EXPECT_EQ(res.result_int(), 200) << ct;
    EXPECT_EQ(res.body(), intake.v2_answer.body);
    EXPECT_EQ(res[field::content_type], "x-application/hl7-v2+er7");
  }
  const auto got = intake.got();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].kind, service::Inbound::Kind::v2);
  EXPECT_EQ(got[0].body, "MSH|^~\\&|A|B\rPID|1\r");
}

TEST_F(HttpServerTest, AnIntakeAnswerWithNoStatusIs500) {
  intake.fhir_answer.status = 0;
  start();
  Client c(port);
  const Res res = c.request(make_request(verb::post, "/fhir", "{}", "application/json"));
  EXPECT_EQ(res.result_int(), 500);
  EXPECT_TRUE(is_outcome(res, "exception")) << res.body();
}

TEST_F(HttpServerTest, AnswerFromAnotherThreadLater) {
  intake.delay = 100ms;
  start();
  Client c(port);
  const auto t0 = Clock::now();
  const Res res = c.request(make_request(verb::post, "/fhir", "{}", "application/fhir+json"));
  EXPECT_EQ(res.result_int(), 202);
  EXPECT_GE(Clock::now() - t0, 100ms);
  // The connection is still usable afterwards.
  EXPECT_EQ(c.request(make_request(verb::get, "/healthz")).result_int(), 200);
}

TEST_F(HttpServerTest, IntakeHeadersThatCouldSplitTheAnswerAreDropped) {
  intake.fhir_answer.headers = {{"Content-Location", "/journal/1"},
                                {"X-Bad", "a\r\nSet-Cookie: x=1"},
                                {"Bad Name", "v"},
                                {"Connection", "keep-alive"},
                                {"Retry-After", "5"}};
  start();
  Client c(port);
  const Res res = c.request(make_request(verb::post, "/fhir", "{}", "application/json"));
  EXPECT_EQ(res.result_int(), 202);
  EXPECT_EQ(res[field::content_location], "/journal/1");
  EXPECT_EQ(res[field::retry_after], "5");
  EXPECT_EQ(res.count("X-Bad"), 0u);
  EXPECT_EQ(res.count(field::set_cookie), 0u);
  EXPECT_EQ(res.count("Bad Name"), 0u);
}

TEST_F(HttpServerTest, RequestLogNamesTheRoutePatternAndNoTokenOrBody) {
  cfg.clients = {{"gp-a", "secret-token-1"}};
  start();
  observability::set_log_level(observability::Level::info);
  ::testing::internal::CaptureStderr();
  {
    Client c(port);
    Req req = make_request(verb::put, "/fhir/Appointment/appt-99", R"({"name":"BODY-TEXT"})",
                           "application/fhir+json");
    req.set(field::authorization, "Bearer secret-token-1");
    req.keep_alive(false);
    EXPECT_EQ(c.request(req).result_int(), 202);
    EXPECT_TRUE(wait_open(0));  // the line is written before the session ends
  }
  const std::string err = ::testing::internal::GetCapturedStderr();
  observability::set_log_level(observability::Level::error);
  EXPECT_NE(err.find(R"("event":"http.request")"), std::string::npos) << err;
  EXPECT_NE(err.find(R"("route":"/fhir/{type}/{id}")"), std::string::npos) << err;
  EXPECT_NE(err.find(R"("status":202)"), std::string::npos) << err;
  EXPECT_NE(err.find(R"("client":"gp-a")"), std::string::npos) << err;
  EXPECT_EQ(err.find("appt-99"), std::string::npos) << err;
  EXPECT_EQ(err.find("secret-token-1"), std::string::npos) << err;
  EXPECT_EQ(err.find("BODY-TEXT"), std::string::npos) << err;
}

// --- media type and body limit -------------------------------------------------------------

TEST_F(HttpServerTest, MediaTypeIsChecked) {
  start();
  const auto post = [&](std::string target, std::string ct) {
    Client c(port);  // a refusal before the body closes the connection
    return c.request(make_request(verb::post, std::move(target), "{}", std::move(ct)));
  };
  EXPECT_EQ(post("/fhir", "application/fhir+json; charset=utf-8").result_int(), 202);
  EXPECT_EQ(post("/fhir", "Application/JSON;charset=UTF-8").result_int(), 202);
  Res res = post("/fhir", "text/xml");
  EXPECT_EQ(res.result_int(), 415);
  EXPECT_TRUE(is_outcome(res, "not-supported")) << res.body();
  EXPECT_NE(res.body().find("text/xml"), std::string::npos);
  EXPECT_FALSE(res.keep_alive());
  res = post("/fhir", "");  // no Content-Type
  EXPECT_EQ(res.result_int(), 415);
  EXPECT_NE(res.body().find("none was given"), std::string::npos);
  EXPECT_EQ(post("/hl7v2", "application/fhir+json").result_int(), 415);
  EXPECT_EQ(post("/fhir/Task", "text/plain").result_int(), 415);
  EXPECT_EQ(intake.got().size(), 2u);
}

TEST_F(HttpServerTest, BodyAtTheLimitIsTakenAndOnePastIs413) {
  start();
  {
    Client c(port);
    const Res res = c.request(make_request(
        verb::post, "/fhir", std::string(cfg.max_body_bytes, ' '), "application/json"));
    EXPECT_EQ(res.result_int(), 202);
    ASSERT_EQ(intake.got().size(), 1u);
    EXPECT_EQ(intake.got()[0].body.size(), cfg.max_body_bytes);
  }
  {
    Client c(port);
    const Res res = c.request(make_request(
        verb::post, "/fhir", std::string(cfg.max_body_bytes + 1, ' '), "application/json"));
    EXPECT_EQ(res.result_int(), 413);
    EXPECT_TRUE(is_outcome(res, "too-costly")) << res.body();
    EXPECT_FALSE(res.keep_alive());
    EXPECT_TRUE(c.closed_by_server());
  }
  {
    // Chunked: the limit is found while reading the body.
    Client c(port);
    Req req = make_request(verb::post, "/fhir", "", "application/json");
    req.chunked(true);
    ASSERT_FALSE(
        c.write_raw("POST /fhir HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    "Transfer-Encoding: chunked\r\n\r\n400\r\n" +
                    std::string(1024, 'a') + "\r\n1\r\nb\r\n0\r\n\r\n"));
    Res res;
    ASSERT_FALSE(c.read(res));
    EXPECT_EQ(res.result_int(), 413);
  }
  EXPECT_EQ(intake.got().size(), 1u);
  EXPECT_EQ(counter("fcpgw_http_body_limit_refusals_total", {{"listener", "http"}}), 2u);
}

TEST_F(HttpServerTest, HeaderOverTheLimitIs431) {
  start();
  Client c(port);
  Req req = make_request(verb::get, "/healthz");
  req.set("X-Padding", std::string(cfg.max_header_bytes, 'p'));
  const Res res = c.request(req);
  EXPECT_EQ(res.result_int(), 431);
  EXPECT_TRUE(c.closed_by_server());
}

TEST_F(HttpServerTest, GarbageIs400) {
  start();
  Client c(port);
  ASSERT_FALSE(c.write_raw("HELLO THERE\r\n\r\n"));
  Res res;
  ASSERT_FALSE(c.read(res));
  EXPECT_EQ(res.result_int(), 400);
  EXPECT_TRUE(c.closed_by_server());
}

// --- HTTP/1.1 behaviour --------------------------------------------------------------------

TEST_F(HttpServerTest, KeepAliveServesTwoRequestsOnOneConnection) {
  start();
  Client c(port);
  Res res = c.request(make_request(verb::get, "/healthz"));
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_TRUE(res.keep_alive());
  res = c.request(make_request(verb::post, "/fhir/Task", "{}", "application/fhir+json"));
  EXPECT_EQ(res.result_int(), 202);
  EXPECT_EQ(server->open_connections(), 1u);
}

TEST_F(HttpServerTest, PipelinedRequestsAreAnsweredInOrder) {
  start();
  Client c(port);
  ASSERT_FALSE(c.write_raw(
      "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /fhir/metadata HTTP/1.1\r\nHost: x\r\n\r\n"));
  Res a, b;
  ASSERT_FALSE(c.read(a));
  ASSERT_FALSE(c.read(b));
  EXPECT_EQ(a.body(), "ok");
  EXPECT_EQ(b.body(), intake.capability_statement());
}

TEST_F(HttpServerTest, Http10IsAnsweredAndClosed) {
  start();
  Client c(port);
  ASSERT_FALSE(c.write_raw("GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
  Res res;
  ASSERT_FALSE(c.read(res));
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_EQ(res.version(), 10);
  EXPECT_FALSE(res.keep_alive());
  EXPECT_TRUE(c.closed_by_server());
}

TEST_F(HttpServerTest, Expect100ContinueIsAnswered) {
  start();
  Client c(port);
  ASSERT_FALSE(
      c.write_raw("POST /fhir HTTP/1.1\r\nHost: x\r\nContent-Type: application/fhir+json\r\n"
                  "Content-Length: 2\r\nExpect: 100-continue\r\n\r\n"));
  Res interim;
  ASSERT_FALSE(c.read(interim));
  EXPECT_EQ(interim.result_int(), 100);
  ASSERT_FALSE(c.write_raw("{}"));
  Res res;
  ASSERT_FALSE(c.read(res));
  EXPECT_EQ(res.result_int(), 202);
  ASSERT_EQ(intake.got().size(), 1u);
  EXPECT_EQ(intake.got()[0].body, "{}");
}

TEST_F(HttpServerTest, Expect100ContinueRefusedGetsTheFinalStatusAtOnce) {
  start();
  Client c(port);
  ASSERT_FALSE(
      c.write_raw("POST /fhir HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\n"
                  "Content-Length: 2\r\nExpect: 100-continue\r\n\r\n"));
  Res res;
  ASSERT_FALSE(c.read(res));
  EXPECT_EQ(res.result_int(), 415);
  EXPECT_FALSE(res.keep_alive());
}

// --- authentication ------------------------------------------------------------------------

class HttpAuthTest : public HttpServerTest {
 protected:
  HttpAuthTest() {
    cfg.clients = {{"gp-a", "token-a"}, {"gp-b", "token-b.2~/+="}};
    cfg.admin_token = "admin-token";
  }
  Res call(verb method, std::string target, std::optional<std::string> authorization,
           std::string body = {}, std::string ct = {}) {
    Req req = make_request(method, std::move(target), std::move(body), std::move(ct));
    if (authorization) req.set(field::authorization, *authorization);
    Client c(port);
    return c.request(req);
  }
};

TEST_F(HttpAuthTest, MissingMalformedOrUnknownTokenIs401) {
  start();
  Res res = call(verb::post, "/fhir", std::nullopt, "{}", "application/fhir+json");
  EXPECT_EQ(res.result_int(), 401);
  EXPECT_EQ(res[field::www_authenticate], "Bearer");
  EXPECT_TRUE(is_outcome(res, "login")) << res.body();

  res = call(verb::post, "/fhir", "Basic Z3A6cHc=", "{}", "application/fhir+json");
  EXPECT_EQ(res.result_int(), 401);
  EXPECT_TRUE(res[field::www_authenticate].starts_with("Bearer"));

  res = call(verb::post, "/fhir", "Bearer token-c", "{}", "application/fhir+json");
  EXPECT_EQ(res.result_int(), 401);
  EXPECT_TRUE(res[field::www_authenticate].starts_with("Bearer"));
  EXPECT_TRUE(is_outcome(res, "login")) << res.body();
  EXPECT_EQ(res.body().find("token-c"), std::string::npos);  // never echoed

  res = call(verb::post, "/fhir", "Bearer token-a2", "{}", "application/fhir+json");
  EXPECT_EQ(res.result_int(), 401);
  EXPECT_EQ(call(verb::get, "/fhir/metadata", std::nullopt).result_int(), 401);
  EXPECT_EQ(call(verb::get, "/journal/1", "Bearer nope").result_int(), 401);
  EXPECT_TRUE(intake.got().empty());
}

TEST_F(HttpAuthTest, KnownTokenIsServedAndNamesTheClient) {
  start();
  Res res = call(verb::post, "/fhir", "Bearer token-b.2~/+=", "{}", "application/fhir+json");
  EXPECT_EQ(res.result_int(), 202);
  res = call(verb::post, "/hl7v2", "bearer   token-a", "MSH|", "text/plain");
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_EQ(call(verb::get, "/fhir/metadata", "Bearer token-a").result_int(), 200);
  const auto got = intake.got();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].client, "gp-b");
  EXPECT_EQ(got[1].client, "gp-a");
}

TEST_F(HttpAuthTest, ProbesNeedNoToken) {
  start();
  EXPECT_EQ(call(verb::get, "/healthz", std::nullopt).result_int(), 200);
  EXPECT_EQ(call(verb::get, "/readyz", std::nullopt).result_int(), 200);
}

TEST_F(HttpAuthTest, MetricsNeedTheAdminToken) {
  start();
  EXPECT_EQ(call(verb::get, "/metrics", std::nullopt).result_int(), 401);
  EXPECT_EQ(call(verb::get, "/metrics", "Bearer wrong").result_int(), 401);
  const Res res = call(verb::get, "/metrics", "Bearer token-a");
  EXPECT_EQ(res.result_int(), 403);
  EXPECT_TRUE(is_outcome(res, "forbidden")) << res.body();
  EXPECT_EQ(call(verb::get, "/metrics", "Bearer admin-token").result_int(), 200);
  // The admin token is not a client's.
  EXPECT_EQ(call(verb::post, "/fhir", "Bearer admin-token", "{}", "application/json").result_int(),
            403);
}

TEST_F(HttpServerTest, MetricsWithAnAdminTokenButNoClients) {
  cfg.admin_token = "adm";
  start();
  Client c(port);
  Req req = make_request(verb::get, "/metrics");
  EXPECT_EQ(c.request(req).result_int(), 401);
  Client d(port);
  req.set(field::authorization, "Bearer adm");
  EXPECT_EQ(d.request(req).result_int(), 200);
  Client e(port);
  EXPECT_EQ(e.request(make_request(verb::get, "/fhir/metadata")).result_int(), 200);
}

// --- timeouts and connection limits ----------------------------------------------------------

TEST_F(HttpServerTest, SlowSenderIsClosedAfterTheReadTimeout) {
  start();
  Client c(port);
  const auto t0 = Clock::now();
  // Bytes keep coming, but the message is not whole within read_timeout.
  ASSERT_FALSE(c.write_raw("POST /fhir HTTP/1.1\r\n"));
  for (int i = 0; i < 10; ++i) {
    std::this_thread::sleep_for(50ms);
    if (c.write_raw("X-Slow: 1\r\n")) break;
  }
  EXPECT_TRUE(c.closed_by_server(2s));
  const auto took = Clock::now() - t0;
  EXPECT_GE(took, 150ms);
  EXPECT_LT(took, 1500ms);
  EXPECT_GE(counter("fcpgw_http_timeouts_total", {{"listener", "http"}}), 1u);
  EXPECT_TRUE(intake.got().empty());
}

TEST_F(HttpServerTest, SlowBodyIsClosedAfterTheReadTimeout) {
  start();
  Client c(port);
  ASSERT_FALSE(
      c.write_raw("POST /fhir HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  "Content-Length: 10\r\n\r\n{"));
  const auto t0 = Clock::now();
  EXPECT_TRUE(c.closed_by_server(2s));
  EXPECT_LT(Clock::now() - t0, 1000ms);
  EXPECT_TRUE(intake.got().empty());
}

TEST_F(HttpServerTest, IdleKeepAliveConnectionIsClosed) {
  cfg.listener.idle_timeout = 300ms;
  start();
  Client c(port);
  EXPECT_EQ(c.request(make_request(verb::get, "/healthz")).result_int(), 200);
  const auto t0 = Clock::now();
  EXPECT_TRUE(c.closed_by_server(3s));
  const auto took = Clock::now() - t0;
  EXPECT_GE(took, 250ms);
  EXPECT_LT(took, 1500ms);
  EXPECT_TRUE(wait_open(0));
}

TEST_F(HttpServerTest, MaxConnectionsRefusesTheNextOne) {
  cfg.listener.max_connections = 2;
  cfg.listener.idle_timeout = 10s;
  start();
  auto a = std::make_unique<Client<>>(port);
  Client b(port);
  EXPECT_EQ(a->request(make_request(verb::get, "/healthz")).result_int(), 200);
  EXPECT_EQ(b.request(make_request(verb::get, "/healthz")).result_int(), 200);
  ASSERT_TRUE(wait_open(2));

  Client refused(port);
  EXPECT_TRUE(refused.closed_by_server(2s));
  EXPECT_EQ(counter("fcpgw_http_connections_refused_total",
                    {{"listener", "http"}, {"reason", "max_connections"}}),
            1u);

  a.reset();  // one slot frees
  ASSERT_TRUE(wait_open(1));
  Client c(port);
  EXPECT_EQ(c.request(make_request(verb::get, "/healthz")).result_int(), 200);
}

TEST_F(HttpServerTest, ThousandIdleConnectionsDoNotStopAnotherClient) {
  rlimit lim{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &lim), 0);
  if (lim.rlim_cur < 2200 && lim.rlim_max >= 2200) {
    lim.rlim_cur = 2200;
    setrlimit(RLIMIT_NOFILE, &lim);
  }
  if (lim.rlim_cur < 2200) GTEST_SKIP() << "not enough file descriptors";
  cfg.listener.max_connections = 1100;
  cfg.listener.idle_timeout = 30s;
  start();
  net::io_context io;
  std::vector<tcp::socket> idle;
  const tcp::endpoint ep(net::ip::make_address("127.0.0.1"), port);
  for (int i = 0; i < 1000; ++i) {
    idle.emplace_back(io);
    error_code ec;
    idle.back().connect(ep, ec);
    ASSERT_FALSE(ec) << i << ": " << ec.message();
  }
  ASSERT_TRUE(wait_open(1000, 10s)) << server->open_connections();
  const auto t0 = Clock::now();
  Client c(port);
  EXPECT_EQ(c.request(make_request(verb::post, "/fhir", "{}", "application/json")).result_int(),
            202);
  EXPECT_LT(Clock::now() - t0, 1s);
}

TEST_F(HttpServerTest, AllowListRefusesAPeer) {
  start(nullptr, [](const net::ip::address& a) { return !a.is_loopback(); });
  Client c(port);
  EXPECT_TRUE(c.closed_by_server(2s));
  EXPECT_EQ(counter("fcpgw_http_connections_refused_total",
                    {{"listener", "http"}, {"reason", "not_allowed"}}),
            1u);
}

TEST_F(HttpServerTest, AllowListLetsAPeerIn) {
  start(nullptr, [](const net::ip::address& a) { return a.is_loopback(); });
  EXPECT_EQ(get("/healthz").result_int(), 200);
}

// --- stop ----------------------------------------------------------------------------------

TEST_F(HttpServerTest, RequestInFlightWhenStopBeginsStillCompletes) {
  cfg.listener.idle_timeout = 10s;
  intake.delay = 200ms;
  start();
  Client idle(port);
  EXPECT_EQ(idle.request(make_request(verb::get, "/healthz")).result_int(), 200);
  Client c(port);
  ASSERT_FALSE(c.write(make_request(verb::post, "/fhir", "{}", "application/fhir+json")));
  ASSERT_TRUE(intake.wait_for(1));
  server->stop();

  Res res;
  ASSERT_FALSE(c.read(res));
  EXPECT_EQ(res.result_int(), 202);
  EXPECT_FALSE(res.keep_alive());
  EXPECT_TRUE(c.closed_by_server(2s));
  EXPECT_TRUE(idle.closed_by_server(2s));  // idle keep-alive closed at once, not after 10 s
  EXPECT_TRUE(wait_open(0));

  Client late(port);  // no longer accepting
  EXPECT_TRUE(late.connect_error || late.closed_by_server(2s));
}

// --- TLS -----------------------------------------------------------------------------------

class HttpTlsTest : public HttpServerTest {
 protected:
  void SetUp() override {
    dir = std::filesystem::temp_directory_path() /
          ("fcpgw-http-tls-" + std::to_string(::getpid()) + "-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir);
    cert = (dir / "cert.pem").string();
    key = (dir / "key.pem").string();
    const std::string cmd =
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 "
        "-subj /CN=localhost -addext subjectAltName=IP:127.0.0.1 -keyout '" +
        key + "' -out '" + cert + "' >/dev/null 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  }
  void TearDown() override { std::filesystem::remove_all(dir); }

  std::shared_ptr<ssl::context> server_context() {
    auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
    error_code ec;
    ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                         ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1,
                     ec);
    ctx->use_certificate_chain_file(cert, ec);
    EXPECT_FALSE(ec) << ec.message();
    ctx->use_private_key_file(key, ssl::context::pem, ec);
    EXPECT_FALSE(ec) << ec.message();
    return ctx;
  }
  ssl::context client_context() {
    ssl::context ctx(ssl::context::tls_client);
    ctx.load_verify_file(cert);
    ctx.set_verify_mode(ssl::verify_peer);
    return ctx;
  }

  std::filesystem::path dir;
  std::string cert, key;
};

TEST_F(HttpTlsTest, RequestsOverTlsWithKeepAlive) {
  start(server_context());
  ssl::context cctx = client_context();
  TlsClient c(port, &cctx);
  ASSERT_FALSE(c.connect_error) << c.connect_error.message();
  EXPECT_EQ(c.request(make_request(verb::get, "/healthz")).result_int(), 200);
  const Res res =
      c.request(make_request(verb::post, "/fhir/Appointment", "{}", "application/fhir+json"));
  EXPECT_EQ(res.result_int(), 202);
  ASSERT_EQ(intake.got().size(), 1u);
  EXPECT_EQ(intake.got()[0].fhir_path, "Appointment");
}

TEST_F(HttpTlsTest, PlainTextToTheTlsPortGetsNoAnswer) {
  start(server_context());
  Client c(port);
  ASSERT_FALSE(c.write_raw("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_TRUE(c.closed_by_server(2s));
  EXPECT_TRUE(intake.got().empty());
}

TEST_F(HttpTlsTest, SilentClientIsClosedAfterTheHandshakeTimeout) {
  cfg.listener.idle_timeout = 10s;
  start(server_context());
  Client c(port);  // TCP only: no ClientHello
  const auto t0 = Clock::now();
  EXPECT_TRUE(c.closed_by_server(3s));
  EXPECT_LT(Clock::now() - t0, 1500ms);
}

TEST_F(HttpTlsTest, StopClosesAnIdleTlsConnection) {
  cfg.listener.idle_timeout = 10s;
  start(server_context());
  ssl::context cctx = client_context();
  TlsClient c(port, &cctx);
  ASSERT_FALSE(c.connect_error);
  EXPECT_EQ(c.request(make_request(verb::get, "/healthz")).result_int(), 200);
  server->stop();
  EXPECT_TRUE(c.closed_by_server(2s));
  EXPECT_TRUE(wait_open(0));
}

}  // namespace
}  // namespace fcpgw::gateway::http
