#include <rapidjson/document.h>

#include <algorithm>
#include <cctype>
#include <optional>
#include <vector>

#include "gateway/delivery/network.h"
#include "gateway/net/http_client.h"

namespace fcpgw::gateway::delivery {
namespace {

using Kind = Result::Kind;
using HttpStatus = net::HttpResponse::Status;

std::string_view json_string(const rapidjson::Value& v, const char* member) {
  if (!v.IsObject()) return {};
  const auto it = v.FindMember(member);
  if (it == v.MemberEnd() || !it->value.IsString()) return {};
  return {it->value.GetString(), it->value.GetStringLength()};
}

// The issue codes of an OperationOutcome ("invalid, required"), for a reason without data.
std::string issue_codes(const rapidjson::Document& doc) {
  std::string out;
  if (json_string(doc, "resourceType") != "OperationOutcome") return out;
  const auto it = doc.FindMember("issue");
  if (it == doc.MemberEnd() || !it->value.IsArray()) return out;
  for (const auto& issue : it->value.GetArray()) {
    const std::string_view code = json_string(issue, "code");
    if (code.empty() || out.find(code) != std::string::npos) continue;
    if (!out.empty()) out += ", ";
    out += code;
    if (out.size() > 120) break;
  }
  return out;
}

// MessageHeader.response.code of a response message Bundle ("ok", "transient-error",
// "fatal-error"), or "" when the body is not such a Bundle.
std::string_view message_response_code(const rapidjson::Document& doc) {
  if (json_string(doc, "resourceType") != "Bundle") return {};
  const auto entries = doc.FindMember("entry");
  if (entries == doc.MemberEnd() || !entries->value.IsArray() || entries->value.Empty()) return {};
  const auto& first = entries->value[0];
  if (!first.IsObject()) return {};
  const auto res = first.FindMember("resource");
  if (res == first.MemberEnd() || json_string(res->value, "resourceType") != "MessageHeader") {
    return {};
  }
  const auto response = res->value.FindMember("response");
  if (response == res->value.MemberEnd()) return {};
  return json_string(response->value, "code");
}

// Percent-encodes a search value for a query string (RFC 3986: unreserved characters and the
// ':' and '/' of system URIs stay as they are).
std::string query_encode(std::string_view v) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char ch : v) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == ':' || c == '/') {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

// FHIR search gives `\`, `,`, `$` and `|` a meaning; a value that holds them escapes them.
std::string search_escape(std::string_view v) {
  std::string out;
  for (const char c : v) {
    if (c == '\\' || c == ',' || c == '$' || c == '|') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

}  // namespace

std::optional<DocumentWrite> document_write(std::string_view body, std::string& error) {
  // Most deliveries are transactions: skip the parse when the word is not there at all.
  if (body.find("\"document\"") == std::string_view::npos) return std::nullopt;
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError() || !doc.IsObject() || json_string(doc, "resourceType") != "Bundle" ||
      json_string(doc, "type") != "document") {
    return std::nullopt;
  }
  DocumentWrite w;
  const auto id = doc.FindMember("identifier");
  const std::string_view system = id == doc.MemberEnd() ? "" : json_string(id->value, "system");
  const std::string_view value = id == doc.MemberEnd() ? "" : json_string(id->value, "value");
  if (value.empty()) {
    error = "the document Bundle has no identifier.value, so it cannot be stored once only";
    return w;
  }
  w.if_none_exist = "identifier=" + (system.empty() ? std::string()
                                                    : query_encode(search_escape(system)) + "%7C") +
                    query_encode(search_escape(value));
  return w;
}

Result classify_fhir_answer(int status, std::string_view retry_after_header, std::string body,
                            bool message_mode, const std::string& where,
                            std::chrono::system_clock::time_point now) {
  Result r;
  r.code = std::to_string(status);
  const bool success = status >= 200 && status < 300;
  rapidjson::Document doc;
  // A success needs no reading except in message mode; an answer that is not, for its issue
  // codes.
  if (!success || message_mode) doc.Parse(body.data(), body.size());
  const bool json = !doc.HasParseError() && doc.IsObject();
  const std::string codes = json ? issue_codes(doc) : std::string();
  r.reason = "HTTP " + r.code + " from " + where;
  if (!codes.empty()) r.reason += " (OperationOutcome: " + codes + ")";

  if (success) {
    r.kind = Kind::delivered;
    if (message_mode && json) {
      // $process-message answers 200 with a response message whose MessageHeader says how
      // the receiver fared.
      const std::string_view outcome = message_response_code(doc);
      if (outcome == "transient-error") {
        r.kind = Kind::transient;
        r.reason += ": the response message says transient-error";
      } else if (outcome == "fatal-error") {
        r.kind = Kind::permanent;
        r.reason += ": the response message says fatal-error";
      }
    }
  } else if (status == 408 || status == 409 || status == 425 || status == 429 || status >= 500) {
    // 409: FHIR servers answer it for a concurrent change of the same resource.
    r.kind = Kind::transient;
    r.retry_after = net::parse_retry_after(retry_after_header, now);
  } else if (status >= 300 && status < 400) {
    r.kind = Kind::permanent;
    r.reason += ": the receiver redirects; set the destination's url to the final address";
  } else {
    r.kind = Kind::permanent;
  }
  r.response = std::move(body);
  return r;
}

Result transport_failure(std::string code, std::string reason) {
  Result r;
  r.kind = Kind::transient;
  r.code = std::move(code);
  r.reason = std::move(reason);
  return r;
}

namespace {

std::string transport_code(HttpStatus s) {
  switch (s) {
    case HttpStatus::connect_failed:
      return "refused";
    case HttpStatus::tls_failed:
      return "tls";
    case HttpStatus::timeout:
      return "timeout";
    case HttpStatus::closed:
      return "reset";
    case HttpStatus::bad_answer:
      return "bad-answer";
    case HttpStatus::io_error:
    case HttpStatus::ok:
      break;
  }
  return "io";
}

class FhirDestination final : public Destination {
 public:
  FhirDestination(const config::Destination& c, net::HttpUrl url,
                  std::optional<net::ssl::context> tls)
      : name_(c.name),
        url_(std::move(url)),
        tls_(std::move(tls)),
        message_mode_(c.mode == "message"),
        token_(c.token),
        clients_(std::max<std::size_t>(c.concurrency, 1)) {
    options_.origin = url_;
    options_.connect_timeout = c.connect_timeout;
    options_.response_timeout = c.response_timeout;
    options_.server_name = c.server_name;
    target_ = url_.path.empty() ? "/" : url_.path;
    if (message_mode_) target_ = url_.path + "/$process-message";
  }

  const std::string& name() const noexcept override { return name_; }

  Result deliver(const Payload& p, std::size_t worker) override {
    if (p.content_type != "fhir-json") {
      Result r;
      r.kind = Kind::permanent;
      r.code = "mapping";
      r.reason = "destination " + name_ + " sends FHIR, but the route's mapping wrote " +
                 p.content_type;
      return r;
    }
    net::HttpRequest req;
    req.method = "POST";
    req.target = target_;
    if (!message_mode_) {
      // A document (a fit note) is not a transaction: it is stored whole as a Bundle resource,
      // created once for its identifier.
      std::string why;
      if (auto doc = document_write(p.body, why)) {
        if (!why.empty()) {
          Result r;
          r.kind = Kind::permanent;
          r.code = "mapping";
          r.reason = std::move(why);
          return r;
        }
        req.target = url_.path + "/Bundle";
        req.headers.emplace_back("If-None-Exist", std::move(doc->if_none_exist));
      }
    }
    req.headers.insert(req.headers.end(), {{"Content-Type", "application/fhir+json; charset=utf-8"},
                   {"Accept", "application/fhir+json"},
                   // One id per attempt, tied to the delivery, for the receiver's logs.
                   {"X-Request-Id", "fcpgw-" + std::to_string(p.delivery_id) + "-" +
                                        std::to_string(p.attempt)}});
    if (!token_.empty()) req.headers.emplace_back("Authorization", "Bearer " + token_);
    req.body = p.body;

    net::HttpClient& client = this->client(worker);
    net::HttpResponse res = client.send(req);
    if (!res.ok()) return transport_failure(transport_code(res.status), std::move(res.error));
    return classify_fhir_answer(res.code, res.header("retry-after"), std::move(res.body),
                                message_mode_, url_.str() + req.target.substr(url_.path.size()),
                                std::chrono::system_clock::now());
  }

  void close() override {
    for (auto& c : clients_) {
      if (c) c->close();
    }
  }

 private:
  net::HttpClient& client(std::size_t worker) {
    // Each worker owns its slot; only the slot count is shared.
    auto& slot = clients_[worker % clients_.size()];
    if (!slot) slot = std::make_unique<net::HttpClient>(options_, tls_ ? &*tls_ : nullptr);
    return *slot;
  }

  std::string name_;
  net::HttpUrl url_;
  std::optional<net::ssl::context> tls_;
  bool message_mode_;
  std::string token_;
  std::string target_;
  net::HttpClientOptions options_;
  std::vector<std::unique_ptr<net::HttpClient>> clients_;
};

}  // namespace

std::unique_ptr<Destination> make_fhir_destination(const config::Destination& c,
                                                   std::string& error) {
  std::string why;
  auto url = net::HttpUrl::parse(c.url, why);
  if (!url) {
    error = "destinations." + c.name + ".url: \"" + c.url + "\": " + why;
    return nullptr;
  }
  std::optional<net::ssl::context> tls;
  if (url->tls) {
    net::ClientTls files{c.ca_file, c.cert_file, c.key_file, c.key_passphrase, "1.2"};
    tls = net::make_client_context(files, why);
    if (!tls) {
      error = "destinations." + c.name + ": TLS: " + why;
      return nullptr;
    }
  }
  return std::make_unique<FhirDestination>(c, std::move(*url), std::move(tls));
}

}  // namespace fcpgw::gateway::delivery
