#pragma once
// `fcpgw serve`: the gateway as a long-running process. Owns the io_context and its threads,
// the signals, and the wiring of listeners, intake and journal.

#include <ostream>

#include "gateway/config/config.h"

namespace fcpgw::gateway::app {

/// Runs the gateway with `config` until SIGTERM or SIGINT, then drains: stops accepting,
/// answers the frames and requests in flight, closes the journal cleanly. Prints one ready line
/// to `out` once listening:
///   fcpgw: ready: mllp 127.0.0.1:2575, http 127.0.0.1:8080, journal /srv/fcpgw/var/journal.db
/// (`mllp+tls`, `http+tls` when TLS is on). Problems before listening go to `err`, naming what
/// failed. Returns the process exit code: 0 after a clean stop, 2 for bad mappings, 3 when the
/// journal cannot be opened or a listener cannot bind.
int serve(const Config& config, std::ostream& out, std::ostream& err);

}  // namespace fcpgw::gateway::app
