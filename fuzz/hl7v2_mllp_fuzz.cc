// Fuzz target: the MLLP decoder fed the input in pseudo-random splits must produce the same
// events as when fed in one piece, and never more payload than it received.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "hl7v2/mllp.h"

using namespace fcpgw::hl7v2;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

struct Summary {
  std::vector<std::pair<int, std::string>> events;
  std::uint64_t garbage = 0, frames = 0, oversize = 0, truncated = 0, missing_cr = 0;
  bool operator==(const Summary&) const = default;
};

Summary run(std::string_view in, std::size_t max, std::uint32_t seed) {
  MllpDecoder d(max);
  Summary s;
  std::size_t i = 0;
  while (i < in.size()) {
    seed = seed * 1103515245u + 12345u;
    const std::size_t len = seed == 0 ? in.size() : 1 + (seed >> 16) % 17;
    const std::string_view chunk = in.substr(i, len);
    d.feed(chunk);
    i += chunk.size();
    while (auto e = d.next()) {
      check(e->payload.size() <= max);
      s.events.emplace_back(static_cast<int>(e->kind), std::move(e->payload));
    }
  }
  s.garbage = d.garbage_bytes();
  s.frames = d.frames();
  s.oversize = d.oversize_frames();
  s.truncated = d.truncated_frames();
  s.missing_cr = d.missing_cr();
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const std::size_t max = size > 0 ? 1 + data[0] % 64 : 16;
  const Summary whole = run(in, max, 0);
  check(whole == run(in, max, 1));
  check(whole == run(in, max, static_cast<std::uint32_t>(size) * 7919u + 3));
  std::size_t payload = 0;
  for (const auto& e : whole.events) payload += e.second.size();
  check(payload + whole.garbage <= size);
  // Encoding any payload without SB/EB and decoding it gives it back.
  std::string body(in);
  for (char& c : body) {
    if (c == mllp_start || c == mllp_end) c = 'x';
  }
  MllpDecoder d(size + 1);
  d.feed(mllp_frame(body));
  auto e = d.next();
  check(e && e->kind == MllpEvent::Kind::frame && e->payload == body);
  return 0;
}
