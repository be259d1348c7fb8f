// Fuzz target: what an MLLP connection answers, without the socket. The first byte sets the
// frame limit (64 bytes to 16 KiB); the rest is the byte stream a sender writes. The
// listener's decoder splits it into frames; each frame gets the accept stage's answer (shipped
// mappings) and its answer if the journal fails, each frame over the limit the listener's own
// AR. Every ACK parses back as an ACK with a known code, and one to a message that parses
// echoes its MSH-10 in MSA-2.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/shipped.h"
#include "gateway/service/accept.h"
#include "hl7v2/ack.h"
#include "hl7v2/message.h"
#include "hl7v2/mllp.h"

using namespace fcpgw;

namespace {

void check_ack(const std::string& ack, const hl7v2::Message* answered) {
  auto m = hl7v2::Message::parse(ack);
  FUZZ_CHECK(m.has_value());
  FUZZ_CHECK(m->message_code() == "ACK");
  const auto msa = m->find("MSA");
  FUZZ_CHECK(msa.has_value());
  const std::string_view code = msa->field(1);
  FUZZ_CHECK(code == "AA" || code == "AE" || code == "AR" || code == "CA" || code == "CE" ||
             code == "CR");
  if (answered != nullptr && answered->delimiters() == m->delimiters()) {
    FUZZ_CHECK(msa->field(2) == answered->segment(1).field(10));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const gateway::service::Acceptor acceptor(fuzz::shipped_engine(), {});
  if (size == 0) return 0;
  const std::size_t limit = 64u << (data[0] % 9);
  hl7v2::MllpDecoder decoder(limit);
  decoder.feed(std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1));
  while (auto ev = decoder.next()) {
    switch (ev->kind) {
      case hl7v2::MllpEvent::Kind::truncated:
        break;
      case hl7v2::MllpEvent::Kind::oversize: {
        FUZZ_CHECK(ev->payload.size() <= limit);
        check_ack(hl7v2::build_oversize_ack(ev->payload, limit, "20240101000000", "OWN1").ack,
                  nullptr);
        break;
      }
      case hl7v2::MllpEvent::Kind::frame: {
        FUZZ_CHECK(ev->payload.size() <= limit);
        gateway::service::Inbound in;
        in.kind = gateway::service::Inbound::Kind::v2;
        in.listener = "mllp";
        in.body = ev->payload;
        const auto d = acceptor.accept(in, "20240101000000+0000", "ACK1");
        auto msg = hl7v2::Message::parse(ev->payload);
        const hl7v2::Message* answered = msg ? &*msg : nullptr;
        for (const std::string& ack : d.answer.acks) check_ack(ack, answered);
        for (const std::string& ack : d.failure.acks) check_ack(ack, answered);
        FUZZ_CHECK(!d.failure.acks.empty());
        break;
      }
    }
  }
  return 0;
}
