#pragma once
// Lexical checks for FHIR R4 primitive types (hand-written, no std::regex). Each function
// checks the JSON string form per the R4 regex/rules in datatypes.html.

#include <cstdint>
#include <optional>
#include <string_view>

namespace fcpgw::fhir {

/// The FHIR R4 primitive types.
enum class Primitive : std::uint8_t {
  boolean,
  integer,
  string,
  decimal,
  uri,
  url,
  canonical,
  base64Binary,
  instant,
  date,
  dateTime,
  time,
  code,
  oid,
  id,
  markdown,
  unsignedInt,
  positiveInt,
  uuid,
  xhtml,
};

/// Primitive by its FHIR type code ("dateTime" -> Primitive::dateTime); nullopt if not one.
std::optional<Primitive> primitive_from_name(std::string_view name) noexcept;
/// FHIR type code of a primitive ("dateTime").
std::string_view to_string(Primitive p) noexcept;
/// True for primitives carried as JSON numbers (integer, decimal, unsignedInt, positiveInt).
bool is_numeric(Primitive p) noexcept;

/// string/markdown: non-empty, valid UTF-8 assumed, no control characters other than
/// TAB/CR/LF, not only whitespace.
bool valid_string(std::string_view s) noexcept;
/// uri/url/canonical: non-empty, no whitespace or control characters.
bool valid_uri(std::string_view s) noexcept;
/// code: non-empty, no leading/trailing whitespace, internal whitespace single spaces only.
bool valid_code(std::string_view s) noexcept;
/// id: 1-64 characters of [A-Za-z0-9-.].
bool valid_id(std::string_view s) noexcept;
/// oid: urn:oid:[0-2](\.(0|[1-9][0-9]*))+
bool valid_oid(std::string_view s) noexcept;
/// uuid: urn:uuid: + lower-case 8-4-4-4-12 hex.
bool valid_uuid(std::string_view s) noexcept;
/// base64Binary: alphabet [A-Za-z0-9+/], '=' padding only at the end, length (ignoring
/// whitespace) a multiple of 4.
bool valid_base64(std::string_view s) noexcept;
/// date: YYYY, YYYY-MM or YYYY-MM-DD; year 0001-9999; real calendar day (no Feb 30, leap years).
bool valid_date(std::string_view s) noexcept;
/// dateTime: a date, or YYYY-MM-DDThh:mm:ss(.f+)?(Z|(+|-)hh:mm) - time zone required when a
/// time is present; hours 00-23, seconds up to 60 (leap second), offset up to 14:00.
bool valid_date_time(std::string_view s) noexcept;
/// instant: YYYY-MM-DDThh:mm:ss(.f+)?(Z|(+|-)hh:mm) - always full precision and time zone.
bool valid_instant(std::string_view s) noexcept;
/// Seconds since 1970-01-01T00:00:00Z of a valid instant (fractions dropped); nullopt when
/// `s` is not one. For comparing instants written with different offsets.
std::optional<std::int64_t> instant_utc_seconds(std::string_view s) noexcept;
/// time: hh:mm:ss(.f+)?
bool valid_time(std::string_view s) noexcept;
/// xhtml narrative: a non-empty string whose first element is <div ...> (content not parsed).
bool valid_xhtml(std::string_view s) noexcept;

/// Checks the text of a string-carried primitive (everything except boolean and the
/// numeric ones, for which it returns false).
bool valid_primitive_text(Primitive p, std::string_view s) noexcept;

}  // namespace fcpgw::fhir
