#pragma once
// One HTTP/1.1 connection, plain or TLS (Beast's advanced server-flex pattern): a self-owning
// session on its own strand, reading one request at a time with a fresh parser, answering it,
// and reading the next while the connection is kept alive.

#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <memory>
#include <string>

#include "gateway/http/state.h"

namespace fcpgw::gateway::http {

/// Starts a session on an accepted socket, whose executor must be a strand of its own. TLS when
/// `state->tls` is set. The session registers itself in `state` (open connection count, the
/// set stop() reaches) and unregisters when it ends.
void start_session(std::shared_ptr<ServerState> state, boost::asio::ip::tcp::socket socket,
                   std::uint64_t id, std::string peer);

}  // namespace fcpgw::gateway::http
