#pragma once
// The configuration of `fcpgw serve`, one small struct per section. Plain values only: the
// loader (config.h) fills them from the key table, and every room reads the section it needs.
// Member initialisers are the built-in defaults (config/default.json repeats them; a test keeps
// the two equal).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace fcpgw::gateway::config {

using Millis = std::chrono::milliseconds;

/// Overrides for constants declared by the mapping files, in file order (the same shape as
/// mappings::Constants; gateway/service/limits.h converts).
struct Constants {
  std::vector<std::pair<std::string, std::string>> values;
  Constants& set(std::string name, std::string value) {
    values.emplace_back(std::move(name), std::move(value));
    return *this;
  }
  bool operator==(const Constants&) const = default;
};

/// The mapping files and their constants.
struct Mappings {
  /// Resolved directory, or nullopt: then FCPGW_MAPPINGS_DIR or the bundled mappings apply.
  std::optional<std::string> dir;
  Constants constants;
  bool operator==(const Mappings&) const = default;
};

/// Bounds for parsing one HL7 v2 message (the same members as hl7v2::Limits).
struct V2Limits {
  std::size_t max_message_bytes = 16 * 1024 * 1024;
  std::size_t max_segments = 5000;
  std::size_t max_fields_per_segment = 500;
  std::size_t max_repetitions_per_field = 1000;
  bool operator==(const V2Limits&) const = default;
};

/// Bounds for parsing one FHIR JSON document (the same members as fhir::Limits).
struct FhirLimits {
  std::size_t max_bytes = 16 * 1024 * 1024;
  std::size_t max_depth = 64;  ///< the root object is depth 1
  bool operator==(const FhirLimits&) const = default;
};

/// Bounds for reading one input (file, standard input).
struct InputLimits {
  std::size_t max_bytes = 16 * 1024 * 1024;
  bool operator==(const InputLimits&) const = default;
};

struct Limits {
  V2Limits v2;
  FhirLimits fhir;
  InputLimits input;
  bool operator==(const Limits&) const = default;
};

/// TLS of a listener (server side).
struct Tls {
  bool enabled = false;
  std::string cert_file;             ///< PEM certificate chain
  std::string key_file;              ///< PEM private key
  std::string key_passphrase;        ///< resolved secret (never logged); empty = none
  std::string ca_file;               ///< PEM CAs that sign client certificates (mutual TLS)
  bool require_client_cert = false;  ///< mutual TLS: refuse a client without a valid certificate
  std::string min_version = "1.2";   ///< "1.2" or "1.3"
  bool operator==(const Tls&) const = default;
};

/// What every listener has.
struct Listener {
  bool enabled = true;
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  Tls tls{};
  std::vector<std::string> allow{};  ///< IPv4/IPv6 addresses or CIDR ranges; empty = any peer
  std::size_t max_connections = 1000;
  Millis idle_timeout{300'000};  ///< nothing received between messages this long: close
  Millis read_timeout{30'000};   ///< a message started must arrive whole within this
  Millis write_timeout{30'000};  ///< an answer must be written within this
  bool operator==(const Listener&) const = default;

  /// The defaults, on `port`.
  static Listener on_port(std::uint16_t port) {
    Listener l;
    l.port = port;
    return l;
  }
};

struct Mllp {
  Listener listener = Listener::on_port(2575);
  std::size_t max_frame_bytes = 16 * 1024 * 1024;
  bool operator==(const Mllp&) const = default;
};

/// An HTTP client allowed in with a bearer token.
struct HttpClient {
  std::string name;
  std::string token;  ///< resolved secret (never logged)
  bool operator==(const HttpClient&) const = default;
};

struct Http {
  Listener listener = Listener::on_port(8080);
  std::size_t max_body_bytes = 16 * 1024 * 1024;
  std::size_t max_header_bytes = 16 * 1024;
  /// Clients and their tokens. Empty: no authentication (only sensible on loopback).
  std::vector<HttpClient> clients;
  /// Token for /metrics and /admin; empty = /metrics open, /admin closed.
  std::string admin_token;
  bool operator==(const Http&) const = default;
};

struct Journal {
  std::string path = "var/journal.db";          ///< relative to the working directory
  std::size_t group_max_messages = 1000;        ///< most messages per commit
  std::chrono::microseconds group_max_wait{0};  ///< wait for more before committing a small group
  std::chrono::seconds duplicate_window{7 * 24 * 3600};
  std::chrono::seconds retention{30 * 24 * 3600};  ///< finished messages older than this go
  std::uint64_t max_bytes = 0;                     ///< size limit of the database file; 0 = none
  bool operator==(const Journal&) const = default;
};

/// How a destination retries transient failures: exponential backoff with full jitter from
/// `initial` up to `max` between attempts, until `max_attempts` attempts (0 = no count limit)
/// or `max_age` since the message was received; then the delivery goes to the dead letter.
struct Retry {
  Millis initial{1'000};
  Millis max{300'000};
  std::size_t max_attempts = 0;
  std::chrono::seconds max_age{72 * 3600};
  bool operator==(const Retry&) const = default;
};

/// A receiver of deliveries (`destinations.<name>`). `type` says which members apply:
/// "directory" (path), "fhir" (url, mode, TLS, token, timeouts) or "mllp" (host, port, TLS,
/// ack_timeout, on_ae, application_ack).
struct Destination {
  std::string name;  ///< the key under `destinations`
  std::string type;  ///< "directory", "fhir" or "mllp"
  std::size_t concurrency = 4;  ///< deliveries in flight at once (different ordering keys)
  Retry retry{};
  /// What a dead-lettered delivery does to later deliveries of its ordering key: "hold" them
  /// until an operator retries or skips it, or "skip" it and let them go.
  std::string on_dead = "hold";

  // directory
  std::string path;  ///< resolved against the working directory at start-up

  // fhir
  std::string url;                 ///< the FHIR base, http:// or https://
  std::string mode = "transaction";  ///< "transaction" (POST [base]) or "message"
                                     ///< (POST [base]/$process-message)
  std::string token;                 ///< resolved secret: bearer token; empty = none
  Millis connect_timeout{5'000};     ///< resolve, connect and TLS handshake
  Millis response_timeout{30'000};   ///< write the request and read the whole response

  // mllp
  std::string host;
  std::uint16_t port = 0;
  Millis ack_timeout{30'000};  ///< connect, send and read the ACK
  std::string on_ae = "retry";  ///< "retry" or "dead": what an AE (or CE) answer does
  /// After a CA (enhanced mode), wait for the application ACK on the same connection.
  bool application_ack = false;

  // fhir and mllp
  bool tls = false;            ///< mllp: TLS on; fhir: implied by an https:// url
  std::string ca_file;         ///< PEM CAs that sign the receiver's certificate; "" = system
  std::string cert_file;       ///< client certificate (mutual TLS); "" = none
  std::string key_file;        ///< its key
  std::string key_passphrase;  ///< resolved secret
  std::string server_name;     ///< name checked in the receiver's certificate; "" = the host

  bool operator==(const Destination&) const = default;
};

/// Which inbound messages a route takes (`routes[i]`) and where they go. Every non-empty
/// list must match; an empty list matches anything.
struct Route {
  std::string name;
  /// Message kinds: "SIU" (a v2 message code), "SIU^S12" (code and trigger event), or a FHIR
  /// resource type ("Appointment", "Bundle" for a Bundle as a whole).
  std::vector<std::string> types;
  std::vector<std::string> facilities;  ///< MSH-4.1 as sent, or the HTTP client's name
  /// The mapping that translates (its `mapping` name, e.g. "siu-to-fhir"); "" = the mapping
  /// that takes the message type.
  std::string mapping;
  std::vector<std::string> destinations;  ///< names under `destinations`, at least one
  bool operator==(const Route&) const = default;
};

struct Delivery {
  std::vector<Destination> destinations;
  std::vector<Route> routes;  ///< in order: a message takes every route that matches
  bool operator==(const Delivery&) const = default;
};

struct Log {
  std::string level = "info";  ///< "debug", "info", "warn" or "error"
  bool operator==(const Log&) const = default;
};

}  // namespace fcpgw::gateway::config
