// Load generator for durable ingest: N MLLP connections to a running `fcpgw serve`, each
// sending a message and waiting for its ACK. Two modes:
//   closed loop (default): every connection sends as fast as ACKs come back -> messages/s;
//   --count N: each connection stops after N messages (with a long --seconds: a fixed total)
//   --keys K: the messages cycle through K appointments (ordering keys); 0 = all the same
//   --rate R: an open loop at R messages/s in all, spread over the connections, latency taken
//             from each message's scheduled send time (so a stall is not hidden) -> p50/p99.
// Each message gets a fresh MSH-10 so that none is a duplicate. Prints one JSON object.
//
//   mllp_load --port 2575 --connections 16 --seconds 10 --file bench/data/siu_s12_uk.hl7
//   mllp_load --port 2575 --connections 8 --seconds 10 --rate 2000 --file ...
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Args {
  std::string host = "127.0.0.1";
  int port = 2575;
  int connections = 16;
  double seconds = 10;
  double rate = 0;  // 0 = closed loop
  std::string file;
  long count = 0;  // > 0: each connection stops after this many messages
  int keys = 0;  // > 0: SCH-1/SCH-2 (the ordering key) cycle through this many appointments
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "mllp_load: %s\nusage: mllp_load --port P --file F.hl7 [--host H] "
               "[--connections N] [--seconds S] [--rate R] [--keys K] [--count N]\n",
               why);
  std::exit(2);
}

std::string read_message(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) usage("cannot read --file");
  std::ostringstream s;
  s << in.rdbuf();
  std::string m = s.str();
  std::string out;
  for (std::size_t i = 0; i < m.size(); ++i) {
    if (m[i] == '\r' && i + 1 < m.size() && m[i + 1] == '\n') continue;
    out.push_back(m[i] == '\n' ? '\r' : m[i]);
  }
  while (!out.empty() && out.back() == '\r') out.pop_back();
  return out + '\r';
}

// The message with MSH-10 replaced by `id` and MSH-15/16 emptied (original mode: one AA).
std::string with_control_id(const std::string& m, const std::string& id) {
  const auto eol = m.find('\r');
  std::string msh = m.substr(0, eol);
  std::vector<std::string> f;
  std::size_t start = 0;
  for (;;) {
    const auto bar = msh.find('|', start);
    f.push_back(msh.substr(start, bar == std::string::npos ? bar : bar - start));
    if (bar == std::string::npos) break;
    start = bar + 1;
  }
  if (f.size() < 16) f.resize(16);
  f[9] = id;
  f[14].clear();
  f[15].clear();
  std::string out;
  for (std::size_t i = 0; i < f.size(); ++i) out += (i ? "|" : "") + f[i];
  return out + m.substr(eol);
}

// SCH-1.1 and SCH-2.1 (placer and filler appointment ids) set to `key`.
std::string with_appointment(const std::string& m, const std::string& key) {
  const auto at = m.find("\rSCH|");
  if (at == std::string::npos) return m;
  const auto end = m.find('\r', at + 1);
  std::string sch = m.substr(at + 1, end - at - 1);
  std::vector<std::string> f;
  std::size_t start = 0;
  for (;;) {
    const auto bar = sch.find('|', start);
    f.push_back(sch.substr(start, bar == std::string::npos ? bar : bar - start));
    if (bar == std::string::npos) break;
    start = bar + 1;
  }
  if (f.size() < 3) f.resize(3);
  for (int i : {1, 2}) {
    const auto hat = f[i].find('^');
    f[i] = key + (hat == std::string::npos ? "" : f[i].substr(hat));
  }
  std::string out;
  for (std::size_t i = 0; i < f.size(); ++i) out += (i ? "|" : "") + f[i];
  return m.substr(0, at + 1) + out + m.substr(end);
}

int connect_to(const Args& a) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(a.port));
  ::inet_pton(AF_INET, a.host.c_str(), &addr.sin_addr);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    std::perror("mllp_load: connect");
    std::exit(3);
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

// Sends one framed message and reads until the end of one ACK frame. Returns the MSA-1 code.
std::string round_trip(int fd, const std::string& msg, std::string& buf) {
  std::string frame;
  frame.reserve(msg.size() + 3);
  frame += '\x0b';
  frame += msg;
  frame += "\x1c\r";
  for (std::size_t sent = 0; sent < frame.size();) {
    const ssize_t n = ::send(fd, frame.data() + sent, frame.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return "send-failed";
    sent += static_cast<std::size_t>(n);
  }
  buf.clear();
  char chunk[4096];
  for (;;) {
    const auto eb = buf.find('\x1c');
    if (eb != std::string::npos) {
      const auto msa = buf.find("\rMSA|");
      return msa == std::string::npos ? "no-msa" : buf.substr(msa + 5, 2);
    }
    const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) return "closed";
    buf.append(chunk, static_cast<std::size_t>(n));
  }
}

struct Result {
  std::vector<double> latencies_us;
  std::uint64_t ok = 0, not_ok = 0;
};

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    auto v = [&] {
      if (i + 1 >= argc) usage("missing value");
      return std::string(argv[++i]);
    };
    if (k == "--host") a.host = v();
    else if (k == "--port") a.port = std::stoi(v());
    else if (k == "--connections") a.connections = std::stoi(v());
    else if (k == "--seconds") a.seconds = std::stod(v());
    else if (k == "--rate") a.rate = std::stod(v());
    else if (k == "--file") a.file = v();
    else if (k == "--keys") a.keys = std::stoi(v());
    else if (k == "--count") a.count = std::stol(v());
    else usage("unknown option");
  }
  if (a.file.empty()) usage("--file is required");
  const std::string base = read_message(a.file);
  const auto run_id = std::to_string(::getpid()) + "-" +
                      std::to_string(Clock::now().time_since_epoch().count() % 1000000);

  std::vector<Result> results(static_cast<std::size_t>(a.connections));
  std::vector<std::thread> threads;
  const auto start = Clock::now() + std::chrono::milliseconds(100);
  const auto end = start + std::chrono::duration_cast<Clock::duration>(
                               std::chrono::duration<double>(a.seconds));
  for (int c = 0; c < a.connections; ++c) {
    threads.emplace_back([&, c] {
      Result& r = results[static_cast<std::size_t>(c)];
      const int fd = connect_to(a);
      std::string buf;
      std::uint64_t n = 0;
      // Open loop: this connection's share of the rate, phase-shifted per connection.
      const double interval_s = a.rate > 0 ? a.connections / a.rate : 0;
      auto scheduled = start + std::chrono::duration_cast<Clock::duration>(
                                   std::chrono::duration<double>(interval_s * c / a.connections));
      std::this_thread::sleep_until(start);
      for (;;) {
        if (a.count > 0 && static_cast<long>(n) >= a.count) break;
        if (a.rate > 0) {
          if (scheduled >= end) break;
          std::this_thread::sleep_until(scheduled);
        } else if (Clock::now() >= end) {
          break;
        }
        const auto t0 = a.rate > 0 ? scheduled : Clock::now();
        std::string msg = with_control_id(
            base, "LOAD-" + run_id + "-" + std::to_string(c) + "-" + std::to_string(n));
        if (a.keys > 0) {
          msg = with_appointment(msg, "BENCH-" + std::to_string((n * 7919 + c) % a.keys));
        }
        ++n;
        const std::string code = round_trip(fd, msg, buf);
        const auto t1 = Clock::now();
        r.latencies_us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
        (code == "AA" ? r.ok : r.not_ok)++;
        if (code == "closed" || code == "send-failed") break;
        if (a.rate > 0) {
          scheduled += std::chrono::duration_cast<Clock::duration>(
              std::chrono::duration<double>(interval_s));
        }
      }
      ::close(fd);
    });
  }
  for (auto& t : threads) t.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();

  std::vector<double> all;
  std::uint64_t ok = 0, not_ok = 0;
  for (const Result& r : results) {
    all.insert(all.end(), r.latencies_us.begin(), r.latencies_us.end());
    ok += r.ok;
    not_ok += r.not_ok;
  }
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) {
    if (all.empty()) return 0.0;
    return all[std::min(all.size() - 1, static_cast<std::size_t>(p * all.size()))];
  };
  std::printf(
      "{\"connections\":%d,\"rate\":%.0f,\"seconds\":%.2f,\"acked\":%llu,\"not_aa\":%llu,"
      "\"messages_per_second\":%.0f,\"p50_us\":%.0f,\"p99_us\":%.0f,\"p999_us\":%.0f,"
      "\"max_us\":%.0f}\n",
      a.connections, a.rate, elapsed, static_cast<unsigned long long>(ok),
      static_cast<unsigned long long>(not_ok), static_cast<double>(ok) / elapsed, pct(0.50),
      pct(0.99), pct(0.999), all.empty() ? 0.0 : all.back());
  return not_ok == 0 ? 0 : 1;
}
