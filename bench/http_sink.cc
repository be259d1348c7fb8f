// A fast FHIR receiver for delivery benchmarks: answers every POST with 200 and an empty
// transaction-response Bundle (or a message Bundle's acknowledgement), keep-alive, one thread
// per connection. It measures the gateway, not a server: it stores nothing. Prints
// `{"port":N}` once listening; counts the requests and prints the total on SIGTERM/SIGINT.
//
//   http_sink [--port P]

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <string>
#include <thread>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

std::atomic<unsigned long long> g_requests{0};

void on_signal(int) {
  std::printf("{\"requests\":%llu}\n", g_requests.load());
  std::fflush(stdout);
  std::_Exit(0);
}

void serve(tcp::socket socket) {
  beast::flat_buffer buffer;
  beast::error_code ec;
  for (;;) {
    http::request<http::string_body> req;
    http::read(socket, buffer, req, ec);
    if (ec) return;
    ++g_requests;
    http::response<http::string_body> res{http::status::ok, req.version()};
    res.set(http::field::content_type, "application/fhir+json");
    res.body() = R"({"resourceType":"Bundle","type":"transaction-response","entry":[]})";
    res.keep_alive(req.keep_alive());
    res.prepare_payload();
    http::write(socket, res, ec);
    if (ec || !req.keep_alive()) return;
  }
}

}  // namespace

int main(int argc, char** argv) {
  unsigned short port = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::string(argv[i]) == "--port") port = static_cast<unsigned short>(std::stoi(argv[i + 1]));
  }
  std::signal(SIGTERM, on_signal);
  std::signal(SIGINT, on_signal);
  asio::io_context ioc;
  tcp::acceptor acceptor(ioc, {asio::ip::make_address("127.0.0.1"), port});
  std::printf("{\"port\":%u}\n", acceptor.local_endpoint().port());
  std::fflush(stdout);
  for (;;) {
    tcp::socket socket(ioc);
    beast::error_code ec;
    acceptor.accept(socket, ec);
    if (ec) continue;
    socket.set_option(tcp::no_delay(true), ec);
    std::thread(serve, std::move(socket)).detach();
  }
}
