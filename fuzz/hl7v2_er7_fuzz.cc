// Fuzz target: ER7 parsing, every field/repetition/component/subcomponent walked, escapes,
// paths, typed readers, ACK building, and byte-for-byte write-back.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "hl7v2/ack.h"
#include "hl7v2/builder.h"
#include "hl7v2/message.h"
#include "hl7v2/path.h"
#include "hl7v2/types.h"

using namespace fcpgw::hl7v2;

namespace {

#define check(ok) check_at((ok), __LINE__)
void check_at(bool ok, int line) {
  if (!ok) {
    std::fprintf(stderr, "hl7v2_er7_fuzz: check failed at line %d\n", line);
    std::abort();
  }
}

AckRequest ack_request() {
  AckRequest r;
  r.timestamp = "20240101000000";
  r.control_id = "FUZZ";
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  Limits limits;
  limits.max_fields_per_segment = 200;
  auto r = Message::parse(input, limits);
  if (!r) {
    const ParseError& e = r.error();
    check(!e.message.empty());
    check(e.byte_offset <= input.size());
    if (e.header) {
      AckRequest req = ack_request();
      req.code = reject_code_for(e);
      req.errors.push_back(to_ack_error(e));
      auto ack = Message::parse(build_ack(*e.header, req));
      check(ack.has_value());
    }
    (void)parse_path(input.substr(0, 40));
    (void)parse_dtm(input.substr(0, 40));
    return 0;
  }
  const Message& m = *r;
  check(m.raw() == input);
  const Delimiters& d = m.delimiters();
  std::size_t budget = 20000;  // bound the walk on inputs with many empty positions
  for (std::size_t s = 1; s <= m.segment_count() && budget > 0; ++s) {
    const Segment seg = m.segment(s);
    check(seg.id().size() == 3);
    check(m.find(seg.id()).has_value());
    for (std::size_t f = 1; f <= seg.field_count() && budget > 0; ++f) {
      if (f <= 2 && seg.id() == "MSH") {
        // MSH-1 and MSH-2 are atomic.
        check(seg.repetition_count(f) <= 1 && seg.repetition(f, 1) == seg.field(f));
        check(seg.component(f, 1, 2).empty() && seg.repetition(f, 2).empty());
        continue;
      }
      const std::size_t reps = seg.repetition_count(f);
      std::size_t rep = 0;
      for (const std::string_view rv : Split(seg.field(f), d.repetition)) {
        if (reps == 0 || budget == 0) break;
        ++rep;
        check(rep > 3 || rv == seg.repetition(f, rep));
        std::size_t c = 0;
        for (const std::string_view cv : Split(rv, d.component)) {
          if (++c > 20 || budget == 0) break;
          --budget;
          const std::string text = m.unescape(cv);
          // escape/unescape round trip holds for any text.
          check(unescape(escape(text, d), d) == text);
          (void)parse_dtm(cv);
        }
        (void)parse_cx(rv, d);
        (void)parse_xcn(rv, d);
        (void)parse_xpn(rv, d);
        (void)parse_cwe(rv, d);
        (void)parse_pl(rv, d);
        (void)parse_ei(rv, d);
      }
      Path p;
      const std::string_view id = seg.id();
      p.segment = {id[0], id[1], id[2]};
      p.field = static_cast<std::uint32_t>(f);
      auto pp = parse_path(p.to_string());
      check(pp.has_value());
      (void)m.get(*pp);
    }
  }
  // ACK from a good message, and a rebuilt copy of MSH through the builder.
  auto ack = Message::parse(build_ack(m.header(), ack_request()));
  check(ack.has_value());
  MessageBuilder b(d);
  b.segment("MSH");
  const Segment msh = m.segment(1);
  for (std::uint32_t f = 3; f <= msh.field_count() && f < 40; ++f) {
    b.set(f, m.unescape(msh.field(f)));
  }
  auto rebuilt = Message::parse(b.take());
  if (rebuilt) {
    for (std::uint32_t f = 3; f <= msh.field_count() && f < 40; ++f) {
      // Unescaped values written as text come back unchanged.
      check(rebuilt->unescape(rebuilt->segment(1).field(f)) == m.unescape(msh.field(f)));
    }
  }
  return 0;
}
