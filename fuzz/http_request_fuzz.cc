// Fuzz target: what the HTTP listener answers, without the socket. The bytes are read as
// pipelined requests by a parser with the listener's limits (a small body limit, so that 413 is
// reachable); each request is screened (route, method, bearer token, media type) and answered
// by the handler over an intake that runs the accept stage (shipped mappings) at once; bytes
// that are not a request get the listener's error answer. Every answer has a status the
// gateway documents and serialises; a FHIR body parses, and an error's body is an
// OperationOutcome.
#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/write.hpp>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>

#include "fhir/json.h"
#include "fuzz/shipped.h"
#include "gateway/http/handler.h"
#include "gateway/service/accept.h"

using namespace fcpgw;
namespace bhttp = boost::beast::http;
using gateway::http::Response;

namespace {

// The accept stage answering at once, as the journaled intake does after its commit.
class AcceptingIntake final : public gateway::service::Intake {
 public:
  AcceptingIntake() : acceptor_(fuzz::shipped_engine(), {}) {}
  void submit(gateway::service::Inbound in, gateway::service::AnswerHandler done) override {
    gateway::service::Answer a = acceptor_.accept(in, "20240101000000+0000", "ACK1").answer;
    if (a.status == 202) a.headers.emplace_back("Content-Location", "/journal/1");
    done(std::move(a));
  }
  std::optional<gateway::service::Answer> status(std::int64_t) override { return std::nullopt; }
  std::string capability_statement() const override { return acceptor_.capability_statement(); }
  bool ready(std::string&) const override { return true; }

 private:
  gateway::service::Acceptor acceptor_;
};

gateway::config::Http http_config() {
  gateway::config::Http c;
  c.max_body_bytes = 4096;
  c.max_header_bytes = 1024;
  c.clients.push_back({"practice", "s3cret"});
  c.admin_token = "adm1n";
  return c;
}

void check_response(Response res) {
  const unsigned s = res.result_int();
  FUZZ_CHECK(s == 200 || s == 202 || s == 400 || s == 401 || s == 403 || s == 404 || s == 405 ||
             s == 413 || s == 415 || s == 422 || s == 431 || s == 503);
  const std::string_view type = res[bhttp::field::content_type];
  if (type.starts_with("application/fhir+json")) {
    auto body = fhir::parse(res.body(), fhir::Limits{.max_bytes = res.body().size() + 1});
    FUZZ_CHECK(body.has_value());
    if (s >= 400) FUZZ_CHECK(body->resource_type() == "OperationOutcome");
  }
  res.prepare_payload();
  std::ostringstream out;
  out << res;
  FUZZ_CHECK(out.good());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static AcceptingIntake intake;
  static gateway::observability::Registry registry;
  static gateway::http::ServerState state(http_config(), intake, registry, nullptr);
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  // Like a connection: requests one after another until one is refused or cannot be read.
  for (int n = 0; n < 8 && !rest.empty(); ++n) {
    gateway::http::RequestParser parser;
    gateway::http::apply_limits(parser, state.config);
    boost::beast::error_code ec;
    // Feeds the parser until `done` or an error; the end of the input is the end of stream.
    const auto feed = [&](auto done) {
      const auto at_end = [&] {  // the input holds no more: the end of stream
        parser.put_eof(ec);
        if (!ec && !done()) ec = bhttp::error::partial_message;
      };
      while (!done() && !ec) {
        if (rest.empty()) return at_end();
        const std::size_t used = parser.put(boost::asio::buffer(rest.data(), rest.size()), ec);
        rest.remove_prefix(used);
        if (ec == bhttp::error::need_more) ec = {};
        if (used == 0 && !ec && !done()) return at_end();  // needs more than is left
      }
    };
    feed([&] { return parser.is_header_done(); });
    gateway::http::Exchange ex;
    if (!ec) {
      if (auto refusal = gateway::http::screen(state, parser.get(), ex)) {
        check_response(std::move(*refusal));
        return 0;  // the listener closes unless nothing of the request is left: stop here
      }
      feed([&] { return parser.is_done(); });
    }
    if (ec) {
      if (auto res = gateway::http::read_error_response(state, ec)) check_response(std::move(*res));
      return 0;
    }
    const bool keep_alive = parser.get().keep_alive() && parser.get().version() >= 11;
    bool answered = false;
    gateway::http::respond(state, parser.release(), ex, [&](Response res) {
      answered = true;
      check_response(std::move(res));
    });
    FUZZ_CHECK(answered);
    if (!keep_alive) return 0;
  }
  return 0;
}
