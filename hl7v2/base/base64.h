#pragma once
// fcpgw::base sits below both formats (hl7v2/ and fhir/) and the mappings: it holds facts, not
// formats, and includes nothing but the standard library.
//
// base64 as RFC 4648 section 4 defines it (alphabet A-Z a-z 0-9 + /, '=' padding to a multiple
// of four characters). Readers skip whitespace (space, tab, CR, LF), as MIME-style line breaks
// are common in HL7 ED data and FHIR attachments.

#include <optional>
#include <string>
#include <string_view>

namespace fcpgw::base {

/// Appends `bytes` in base64, with padding.
void append_base64(std::string& out, std::string_view bytes);

/// Decodes base64, whitespace ignored. nullopt when a character is outside the alphabet, data
/// follows padding, there are more than two padding characters, or the length (without
/// whitespace) is not a multiple of four. Empty input decodes to empty output.
[[nodiscard]] std::optional<std::string> decode_base64(std::string_view text);

/// True when decode_base64(text) would succeed (without decoding).
[[nodiscard]] bool valid_base64(std::string_view text) noexcept;

}  // namespace fcpgw::base
