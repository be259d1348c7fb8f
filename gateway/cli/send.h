#pragma once
// `fcpgw send`: sends HL7 v2 messages from files to an MLLP listener and prints each answer.

#include <chrono>
#include <cstdint>
#include <ostream>
#include <span>
#include <string>

namespace fcpgw::gateway::cli {

struct SendOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 2575;
  bool tls = false;
  std::string ca_file;      ///< CAs to verify the server (empty: the system's)
  std::string cert_file;    ///< client certificate for mutual TLS
  std::string key_file;     ///< its key
  std::string server_name;  ///< name checked in the server certificate and sent as SNI;
                            ///< empty = host
  std::chrono::milliseconds timeout{10000};  ///< connecting, and each message's ACK
  bool lf_to_cr = true;  ///< LF and CRLF segment separators become CR before sending
};

/// Sends every message of every file ("-" = standard input) in order on one connection and
/// waits for each ACK. A file holds ER7 (segments ending in CR, LF or CRLF; a new message at
/// each MSH) or MLLP frames. Prints one line per message on `out`:
///   <file>: <MSH-10>: <MSA-1>[: <ERR-8, else ERR-7>[; ...]]
/// and problems on `err`. Returns 0 when every answer is AA/CA, 1 when any is AE/AR/CE/CR (or
/// unreadable, or does not answer the message sent), 2 on a bad file or usage, 3 when
/// connecting or waiting for an ACK failed (the message names host:port; nothing more is
/// sent).
int run_send(std::span<const std::string> files, const SendOptions& options, std::ostream& out,
             std::ostream& err);

}  // namespace fcpgw::gateway::cli
