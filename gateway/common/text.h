#pragma once
// Safe echo of untrusted bytes in messages: nothing from an input is shown as it came.

#include <cstddef>
#include <string>
#include <string_view>

namespace fcpgw::gateway {

/// Describes a byte for an error message without echoing data: "'{'" for printable ASCII,
/// "0x0B" otherwise.
std::string describe_byte(unsigned char c);

/// `s` made safe to echo in an error message: printable ASCII kept, any other byte shown as
/// '?', at most `max` characters (then "...").
std::string printable(std::string_view s, std::size_t max);

}  // namespace fcpgw::gateway
