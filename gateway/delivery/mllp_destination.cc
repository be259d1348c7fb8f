#include <algorithm>
#include <ctime>
#include <vector>

#include "gateway/delivery/network.h"
#include "gateway/mllp/client.h"
#include "hl7v2/ack.h"
#include "hl7v2/message.h"

namespace fcpgw::gateway::delivery {

using Kind = Result::Kind;

Result classify_ack(std::string_view ack, std::string_view control_id, const std::string& on_ae,
                    bool application_ack, const std::string& where, bool& awaiting_application) {
  awaiting_application = false;
  Result r;
  r.response = std::string(ack);
  const auto bad = [&](std::string why) {
    r.kind = Kind::transient;
    r.code = "bad-answer";
    r.reason = where + ": " + why;
    return r;
  };
  auto parsed = hl7v2::Message::parse(std::string(ack));
  if (!parsed) return bad("the answer is not an HL7 v2 message");
  const auto msa = parsed->find("MSA");
  if (!msa) return bad("the answer has no MSA segment");
  if (msa->field(2) != control_id) {
    return bad("the ACK acknowledges another message (MSA-2 \"" +
               std::string(msa->field(2).substr(0, 64)) + "\")");
  }
  const std::string code(msa->component(1, 1, 1));
  r.code = code;
  std::string errors;  // ERR-3 codes (table 0357): they say what, without the data
  for (const hl7v2::Segment& e : parsed->all("ERR")) {
    const std::string_view c = e.component(3, 1, 1);
    if (c.empty() || errors.find(c) != std::string::npos) continue;
    errors += errors.empty() ? "" : ", ";
    errors += std::string(c.substr(0, 8));
  }
  r.reason = code + " from " + where + (errors.empty() ? "" : " (ERR-3 " + errors + ")");
  if (code == "AA") {
    r.kind = Kind::delivered;
  } else if (code == "CA") {
    r.kind = Kind::delivered;
    awaiting_application = application_ack;
  } else if (code == "AE" || code == "CE") {
    r.kind = on_ae == "dead" ? Kind::permanent : Kind::transient;
  } else if (code == "AR" || code == "CR") {
    r.kind = Kind::permanent;
  } else {
    return bad("MSA-1 \"" + code.substr(0, 8) + "\" is not an acknowledgement code");
  }
  return r;
}

namespace {

using Status = mllp::SendResult::Status;

std::string transport_code(Status s) {
  switch (s) {
    case Status::connect_failed:
      return "refused";
    case Status::tls_failed:
      return "tls";
    case Status::timeout:
      return "timeout";
    case Status::closed:
      return "reset";
    case Status::bad_answer:
      return "bad-answer";
    case Status::io_error:
    case Status::ok:
      break;
  }
  return "io";
}

std::string hl7_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%d%H%M%S+0000", &tm);
  return buf;
}

class MllpDestination final : public Destination {
 public:
  explicit MllpDestination(const config::Destination& c)
      : config_(c), clients_(std::max<std::size_t>(c.concurrency, 1)) {
    options_.host = c.host;
    options_.port = c.port;
    options_.timeout = c.ack_timeout;
    options_.tls = c.tls;
    options_.tls_files = {c.ca_file, c.cert_file, c.key_file, c.key_passphrase, "1.2"};
    options_.server_name = c.server_name;
  }

  const std::string& name() const noexcept override { return config_.name; }

  Result deliver(const Payload& p, std::size_t worker) override {
    if (p.content_type != "er7") {
      Result r;
      r.kind = Kind::permanent;
      r.code = "mapping";
      r.reason = "destination " + config_.name + " sends HL7 v2, but the route's mapping wrote " +
                 p.content_type;
      return r;
    }
    // The control id the receiver must echo: MSH-10 of what we send.
    auto header = hl7v2::parse_header_lenient(p.body);
    if (!header || header->control_id.empty()) {
      Result r;
      r.kind = Kind::permanent;
      r.code = "mapping";
      r.reason = "the translated message has no MSH-10 to be acknowledged by";
      return r;
    }
    mllp::MllpClient& client = this->client(worker);
    const std::string where = client.target();
    mllp::SendResult sent = client.send(p.body);
    if (!sent.ok()) return transport_failure(transport_code(sent.status), std::move(sent.error));
    bool awaiting = false;
    Result r = classify_ack(sent.ack, header->control_id, config_.on_ae, config_.application_ack,
                            where, awaiting);
    if (r.kind != Kind::delivered || !awaiting) return r;

    // Enhanced mode: the CA said the receiver has it; its application ACK says what it did.
    mllp::SendResult app = client.receive();
    if (!app.ok()) {
      Result t = transport_failure(transport_code(app.status),
                                   "after CA, no application ACK: " + app.error);
      t.response = std::move(r.response);
      return t;
    }
    bool again = false;
    Result a = classify_ack(app.ack, header->control_id, config_.on_ae, false, where, again);
    a.response = r.response + "\r\n" + a.response;
    acknowledge_application_ack(client, app.ack, p);
    return a;
  }

  void close() override {
    for (auto& c : clients_) {
      if (c) c->close();
    }
  }

 private:
  mllp::MllpClient& client(std::size_t worker) {
    auto& slot = clients_[worker % clients_.size()];
    if (!slot) slot = std::make_unique<mllp::MllpClient>(options_);
    return *slot;
  }

  // The application ACK is itself a message: answer it with a commit ACK when it asks for one
  // (MSH-15 AL). Best effort: the delivery's outcome is already known.
  static void acknowledge_application_ack(mllp::MllpClient& client, const std::string& ack,
                                          const Payload& p) {
    auto h = hl7v2::parse_header_lenient(ack);
    if (!h || h->accept_ack_type != "AL") return;
    const std::string time = hl7_now();
    const std::string id = "fcpgw-" + std::to_string(p.delivery_id) + "-CA";
    hl7v2::AckRequest req;
    req.code = hl7v2::AckCode::CA;
    req.timestamp = time;
    req.control_id = id;
    (void)client.post(hl7v2::build_ack(*h, req));
  }

  config::Destination config_;
  mllp::ClientOptions options_;
  std::vector<std::unique_ptr<mllp::MllpClient>> clients_;
};

}  // namespace

std::unique_ptr<Destination> make_mllp_destination(const config::Destination& c,
                                                   std::string& error) {
  if (c.host.empty() || c.port == 0) {
    error = "destinations." + c.name + ": an MLLP destination needs host and port";
    return nullptr;
  }
  if (c.tls) {
    // Load the certificates now, so that a bad file stops the start, not the first delivery.
    std::string why;
    if (!net::make_client_context({c.ca_file, c.cert_file, c.key_file, c.key_passphrase, "1.2"},
                                  why)) {
      error = "destinations." + c.name + ": TLS: " + why;
      return nullptr;
    }
  }
  return std::make_unique<MllpDestination>(c);
}

}  // namespace fcpgw::gateway::delivery
