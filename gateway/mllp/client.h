#pragma once
// A synchronous MLLP client: connect (optionally over TLS, with SNI and host name
// verification), send one message, wait for its one framed ACK, repeat on the same
// connection. For the desk's `fcpgw send` and, later, MLLP delivery. Every wait is bounded by
// the timeout; nothing throws.

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "gateway/net/tls.h"
#include "hl7v2/mllp.h"

namespace fcpgw::gateway::mllp {

struct ClientOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 2575;
  /// Bounds connecting (resolve, connect, TLS handshake) and each send (write and ACK).
  std::chrono::milliseconds timeout{10'000};
  bool tls = false;
  net::ClientTls tls_files;  ///< CA to verify the server; client certificate for mutual TLS
  std::string server_name;   ///< name verified in the server's certificate and sent as SNI;
                             ///< empty = host
  std::size_t max_ack_bytes = 1024 * 1024;
};

struct SendResult {
  enum class Status : std::uint8_t {
    ok,              ///< connected, or `ack` holds the answer
    connect_failed,  ///< name not resolved, connection refused or unreachable
    tls_failed,      ///< TLS set-up or handshake failed (certificate, name, protocol)
    timeout,         ///< no connection or no ACK within the timeout
    closed,          ///< the peer closed the connection before answering
    io_error,        ///< another read/write failure
    bad_answer,      ///< the answer was not an MLLP frame within max_ack_bytes
  };
  Status status = Status::ok;
  std::string ack;    ///< the ACK, unframed (Status::ok from send())
  std::string error;  ///< what failed, naming host:port
  [[nodiscard]] bool ok() const noexcept { return status == Status::ok; }
};

class MllpClient {
 public:
  explicit MllpClient(ClientOptions options);
  ~MllpClient();
  MllpClient(const MllpClient&) = delete;
  MllpClient& operator=(const MllpClient&) = delete;

  /// Connects (and handshakes). Status::ok when connected.
  SendResult connect();
  /// Sends `message` (unframed ER7) and waits for one framed answer. Connects first when not
  /// connected; when a kept connection turns out closed by the peer before any answer byte,
  /// reconnects and sends once more. After a failure the connection is closed; the next send
  /// reconnects.
  SendResult send(std::string_view message);
  /// Waits for the next framed message on the open connection (an application ACK that
  /// follows a commit ACK in enhanced mode), up to the timeout.
  SendResult receive();
  /// Writes one framed message on the open connection without waiting for an answer (the
  /// commit ACK to an application ACK that asks for one).
  SendResult post(std::string_view message);
  /// Closes the connection (if any).
  void close();
  [[nodiscard]] bool is_open() const noexcept;
  /// "host:port", for messages.
  [[nodiscard]] std::string target() const;

 private:
  struct Streams;
  SendResult fail(SendResult::Status status, std::string error);
  SendResult exchange(std::string_view message);
  SendResult write_frame(std::string_view message,
                         std::chrono::steady_clock::time_point deadline);
  SendResult read_frame(std::chrono::steady_clock::time_point deadline);

  ClientOptions options_;
  boost::asio::io_context ioc_;
  std::optional<net::ssl::context> ctx_;
  std::unique_ptr<Streams> streams_;
  hl7v2::MllpDecoder decoder_;
  bool answer_started_ = false;  // bytes of an answer were read in this exchange
};

}  // namespace fcpgw::gateway::mllp
