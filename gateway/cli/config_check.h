#pragma once
// `fcpgw config check FILE [--set KEY=VALUE]...`: loads and checks a configuration without
// starting anything.

#include <ostream>
#include <span>
#include <string>

namespace fcpgw::gateway {

/// Checks the configuration `file` (the built-in defaults when empty) with the overrides
/// `sets`. Prints "<file>: ok" and a one-line summary of the listeners and the journal (never
/// a secret) to `out` and returns 0; or prints each problem to `err`, one a line, and returns 2.
int run_config_check(const std::string& file, std::span<const std::string> sets, std::ostream& out,
                     std::ostream& err);

}  // namespace fcpgw::gateway
