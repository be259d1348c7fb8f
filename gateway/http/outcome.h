#pragma once
// The OperationOutcome of one issue, as JSON text, for the answers the HTTP listener gives on its
// own (401, 404, 413, 415, ...). The service writes the richer ones about message content; this
// helper only needs severity, code and a diagnostics sentence, so it writes the text directly.

#include <string>
#include <string_view>

namespace fcpgw::gateway::http {

/// `{"resourceType":"OperationOutcome","issue":[{"severity":..,"code":..,"diagnostics":..}]}`.
/// Every value is written as a JSON string with escapes; bytes that are not UTF-8 become U+FFFD,
/// so text echoed from a request (a media type) cannot break the document.
std::string operation_outcome(std::string_view severity, std::string_view code,
                              std::string_view diagnostics);

/// Appends `text` to `out` as a quoted JSON string (escapes, invalid UTF-8 -> U+FFFD).
void append_json_string(std::string& out, std::string_view text);

}  // namespace fcpgw::gateway::http
