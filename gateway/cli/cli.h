#pragma once
// The `fcpgw` command line: argument parsing and the desk tools (translate, validate).
// main() only forwards to run_cli(), so that every behaviour here is testable in-process.

#include <ostream>
#include <span>
#include <string>
#include <string_view>

namespace fcpgw::gateway {

/// Process exit codes (documented in README.md).
enum class Exit : int {
  ok = 0,                 ///< success
  validation_failed = 1,  ///< `validate` found error or fatal issues
  cases_failed = 1,       ///< `mappings test`: a golden case failed
  bad_input = 2,          ///< bad input, bad usage or a bad mapping file
  internal = 3,           ///< internal or environment failure (e.g. out of memory, write error)
};

/// Version string printed by `fcpgw --version`.
std::string_view version() noexcept;

/// Runs the command line `args` (args[0] is the program name). Results go to `out`,
/// diagnostics to `err`; returns the process exit code. Never throws.
int run_cli(std::span<const std::string> args, std::ostream& out, std::ostream& err) noexcept;

}  // namespace fcpgw::gateway
