#pragma once
// The `fcpgw` command line: argument parsing and one file per command (translate, validate,
// mappings test, send, journal, config check). `serve` lives in app/, above the command line:
// main() hands it in, so that every other behaviour here is testable in-process.

#include <ostream>
#include <span>
#include <string>
#include <string_view>

#include "gateway/config/config.h"

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

/// Runs `fcpgw serve` with the checked configuration; returns the exit code.
using ServeFn = int (*)(const Config& config, std::ostream& out, std::ostream& err);

/// Runs the command line `args` (args[0] is the program name). Results go to `out`,
/// diagnostics to `err`; returns the process exit code. `serve` runs the gateway (null: the
/// command is refused). Never throws.
int run_cli(std::span<const std::string> args, std::ostream& out, std::ostream& err,
            ServeFn serve = nullptr) noexcept;

}  // namespace fcpgw::gateway
