#pragma once
// The named transforms of the mapping language and the small pure helpers they rest on:
// date/time with time zones (Europe/London rule), SHA-1 / name-based UUIDs, JSON string
// writing, v2 text decoding, durations and identifier checks. No I/O, no allocation on the
// hot path beyond the caller's buffers.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "hl7v2/delimiters.h"
#include "hl7v2/types.h"

namespace fcpgw::mappings {

// ---- time zones -------------------------------------------------------------------------

/// How a DTM without its own offset gets one: the sender's zone (Europe/London or UTC) with
/// that zone's rule for the value's own date; a fixed message offset only when MSH-7 says the
/// sender is elsewhere (see sender_offset()).
struct ZoneDefault {
  std::optional<int> message_offset_minutes;  ///< MSH-7's offset, when it is not the zone's
  bool london = true;                         ///< false: UTC
  /// MSH-7's offset as sent: for London times before 1996, when the UK's changes fell on
  /// other dates than the rule's (the engine keeps no table of them), e.g. a birth time.
  std::optional<int> historic_offset_minutes;
};

// The calendar and Europe/London's clock changes are in hl7v2/base/calendar.h.

/// Which FHIR primitive a DTM is written as.
enum class DateKind : std::uint8_t { date, date_time, instant };

/// Appends a DTM as FHIR text. `date` keeps year/month/day precision (time dropped);
/// `date_time` keeps date-only precision as a date, otherwise writes hh:mm:ss (missing
/// minutes/seconds as 00, fractions kept) with the offset (own, else MSH-7's, else the
/// default zone); `instant` requires at least hour precision (returns false otherwise)
/// and always writes seconds and an offset.
bool append_fhir_date(std::string& out, const hl7v2::Dtm& d, DateKind kind, const ZoneDefault& z);

/// The fixed offset that offset-less times of a message take from its MSH-7 (DOMAIN 1.1): none
/// when MSH-7 has no offset, or when its offset is the one the sender's zone (Europe/London,
/// else UTC) has at MSH-7's instant, since a UK sender writes +0100 in summer and +0000 in
/// winter and an appointment on the other side of a clock change must take its own date's
/// offset; MSH-7's offset otherwise (the sender is elsewhere).
std::optional<int> sender_offset(const hl7v2::Dtm& msh7, bool london) noexcept;

/// The offset that applies to `d` (own, message, default zone) in minutes.
int effective_offset(const hl7v2::Dtm& d, const ZoneDefault& z) noexcept;

/// Adds `minutes` to a Dtm of at least minute precision, keeping its offset field as is.
hl7v2::Dtm add_minutes(const hl7v2::Dtm& d, std::int64_t minutes) noexcept;

/// Minutes between two DTMs (b - a), both resolved with the zone rules; nullopt if either
/// has less than minute precision.
std::optional<std::int64_t> minutes_between(const hl7v2::Dtm& a, const hl7v2::Dtm& b,
                                            const ZoneDefault& z) noexcept;

/// Parses FHIR date/dateTime/instant text (`2024-03-31T01:30:00+01:00`, `2024-03-31`) into a Dtm
/// (offset kept; `Z` is +0). nullopt when malformed.
std::optional<hl7v2::Dtm> parse_fhir_date(std::string_view text) noexcept;

/// True when `a` is later than `b` plus `months` calendar months and `days` days (a day of
/// month past the end of the month becomes its last day). Compared as instants when both have
/// a time of day, otherwise as dates.
bool dtm_later(const hl7v2::Dtm& a, const hl7v2::Dtm& b, int months, int days,
               const ZoneDefault& z) noexcept;

/// Appends a Dtm as v2 DTM text (`YYYYMMDDHHMMSS[.S...]+ZZZZ`, to its precision).
void append_v2_dtm(std::string& out, const hl7v2::Dtm& d);

// ---- durations --------------------------------------------------------------------------

/// Converts a duration `amount` in `unit` (SCH-10 / CQ units: min, m, minutes, s, sec, h, hr,
/// hours, d, days, wk, weeks; UCUM or ANSI spellings, any case; empty = minutes) to whole
/// minutes (rounded half up). A TQ duration (TQ.3: `M20`, `H1`, `S90`, `D1`, `W2`) carries its
/// own unit, which wins over `unit`. nullopt for an unknown unit or a non-numeric/negative
/// amount (and for `L` months, `X` visits, `INDEF`).
std::optional<std::int64_t> duration_minutes(std::string_view amount,
                                             std::string_view unit) noexcept;

// ---- identifier checks ------------------------------------------------------------------

/// The `valid` checks that read one text value and mean the same in both directions:
/// `nhs-number`, `ods-code`, `hcpc`, `hcpc-physiotherapist` (an HCPC `PH` number), `gmc`,
/// `gmp`, `oid`. nullopt when `check` is not one of them (the DTM, CX and text checks depend on
/// the direction and are each engine's own).
std::optional<bool> identifier_check(std::string_view check, std::string_view v) noexcept;

// ---- hashing and ids --------------------------------------------------------------------

/// SHA-1 (FIPS 180-4), incremental.
class Sha1 {
 public:
  Sha1() noexcept;
  void update(std::string_view data) noexcept;
  std::array<std::uint8_t, 20> finish() noexcept;

 private:
  void block(const std::uint8_t* p) noexcept;
  std::uint32_t h_[5];
  std::uint8_t buf_[64];
  std::uint64_t len_ = 0;
  std::size_t used_ = 0;
};

/// The SHA-1 compression function behind Sha1, over `blocks` consecutive 64-byte blocks:
/// the x86 SHA extensions when the CPU has them (checked once), else portable C++. Both are
/// exposed so that tests can hold them to the same answers.
namespace sha1_detail {
bool hardware() noexcept;
void compress(std::uint32_t h[5], const std::uint8_t* p, std::size_t blocks) noexcept;
void compress_portable(std::uint32_t h[5], const std::uint8_t* p, std::size_t blocks) noexcept;
/// Same as compress_portable() where the extensions are missing.
void compress_hardware(std::uint32_t h[5], const std::uint8_t* p, std::size_t blocks) noexcept;
}  // namespace sha1_detail

using Uuid = std::array<std::uint8_t, 16>;
/// Parses `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` (hex, any case).
std::optional<Uuid> parse_uuid(std::string_view text) noexcept;
/// Name-based UUID version 5 (RFC 9562 §5.5): SHA-1 over namespace bytes then the name.
Uuid uuid_v5(const Uuid& ns, std::string_view name) noexcept;
/// Appends the lower-case 8-4-4-4-12 form.
void append_uuid(std::string& out, const Uuid& u);
/// Writes the lower-case 8-4-4-4-12 form (36 characters) at `out`.
void format_uuid(char* out, const Uuid& u) noexcept;

/// Appends lower-case hex of `bytes`.
void append_hex(std::string& out, const std::uint8_t* bytes, std::size_t n);

// ---- text -------------------------------------------------------------------------------

/// Appends `s` as the body of a JSON string (no quotes): escapes `"` `\` and control
/// characters; invalid UTF-8 bytes become U+FFFD. With `latin1`, bytes >= 0x80 are ISO-8859-1
/// and are transcoded to UTF-8. With `fhir_text`, control characters other than tab, CR and LF
/// are left out, because a FHIR string may not hold them; the result says whether any was (the
/// caller warns).
bool append_json_escaped(std::string& out, std::string_view s, bool latin1 = false,
                         bool fhir_text = false);
/// append_json_escaped between double quotes: a whole JSON string.
bool append_json_string(std::string& out, std::string_view s, bool latin1 = false,
                        bool fhir_text = false);
/// True when `s` holds a character that a FHIR string may not: below U+0020 other than tab,
/// CR and LF.
bool has_fhir_forbidden_control(std::string_view s) noexcept;
/// Length of the leading part of `s` that a JSON string holds as is (no quote, backslash,
/// control character or byte >= 0x80): s.size() when there is nothing to escape.
std::size_t json_plain_prefix(std::string_view s) noexcept;

/// Decodes v2 escapes of `raw` (as hl7v2::unescape_append, but `\H\` `\N\` highlight markers are
/// dropped and `\.br\` becomes a line feed, as suits FHIR text) and appends the text.
void append_v2_text(std::string& out, std::string_view raw, const hl7v2::Delimiters& d);

/// MIME type from an HL7 ED type of data (table 0191: AP, IM, AU, TEXT, ...; or a MIME top-level
/// name) and data subtype (table 0291: PDF, JPEG, ...), e.g. AP + PDF -> application/pdf.
bool append_mime_type(std::string& out, std::string_view type, std::string_view subtype);
/// The reverse: MIME type -> ED.2 (AP, IM, AU, TEXT, VIDEO) and ED.3 (upper-case subtype).
std::string_view mime_to_ed_type(std::string_view mime) noexcept;
void append_mime_ed_subtype(std::string& out, std::string_view mime);

/// Formatted text (FT) after unescaping: `\.br\` becomes a line break, other formatting
/// commands (`\.sp\`, `\.in+4\`, `\H\`, `\N\` ...) are dropped.
void append_formatted_text(std::string& out, std::string_view text);

/// Appends `s` percent-encoded for a URL query value (RFC 3986 unreserved and `:/@` kept).
void append_url_encoded(std::string& out, std::string_view s);
/// Appends `s` as one value of a FHIR search parameter in a URL: the characters search gives a
/// meaning (`\`, `,`, `$`, `|`) escaped with a backslash (FHIR R4 search, "Escaping Search
/// Parameters"), then percent-encoded. A conditional write on an identifier with a comma in it
/// would otherwise search for two values, match nothing, and create a copy on every resend.
void append_search_value(std::string& out, std::string_view s);
/// Appends `s` with its `%XX` escapes decoded (the inverse of append_url_encoded); false (and
/// nothing appended) when an escape is malformed or `s` is empty.
bool append_uri_decoded(std::string& out, std::string_view s);

/// Trims ASCII blanks at both ends.
inline std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}
/// ASCII case-insensitive equality.
bool iequals(std::string_view a, std::string_view b) noexcept;
/// Both present and equal, ignoring ASCII case and blanks (`943 476 5919` is `9434765919`): the
/// `same` condition, in both directions.
bool same_text(std::string_view a, std::string_view b) noexcept;

// ---- transform ids ----------------------------------------------------------------------

/// Scalar transforms (text -> text/number) and structure transforms (value -> JSON object).
enum class Tf : std::uint8_t {
  none,
  dtm_instant,
  dtm_datetime,
  dtm_date,
  dtm_instant_plus,  ///< args: amount, unit
  duration_minutes,  ///< args: unit
  integer,
  positive_int,
  decimal,
  boolean,
  trim,
  upper,
  lower,
  uri_encode,
  oid_uri,
  xtn_phone,  ///< XTN -> the number: XTN-12, else XTN-1, else XTN-5..8 put together
  nhs_number,
  ods_code,
  // structures (v2 -> FHIR)
  cx_identifier,
  xcn_identifier,
  ce_codeable_concept,
  ce_coding,
  base64,           ///< checks base64 (RFC 4648 alphabet); invalid -> warning, absent
  base64_encode,    ///< text -> base64
  ed_content_type,  ///< ED (OBX-5): ED.2 type of data + ED.3 subtype -> MIME type
  formatted_text,   ///< FT: \.br\ -> line break, other formatting commands dropped
  // reverse direction (FHIR -> v2)
  fhir_dtm,          ///< FHIR date/dateTime/instant -> v2 DTM keeping the offset
  minutes_between,   ///< args: end (FHIR path) -> minutes from this value to end
  mime_ed_type,      ///< MIME type -> ED.2 type of data (application -> AP, image -> IM, ...)
  mime_ed_subtype,   ///< MIME type -> ED.3 subtype (upper case: application/pdf -> PDF)
  id_base_facility,  ///< `{id-base}/{facility}/...` system -> the facility (URI-decoded)
  v2_coding_system,  ///< a Coding.system -> the v2 coding system name (inverse of ce-coding's)
  search_identifier_system,  ///< `Type?identifier=system|value` -> system (URI-decoded)
  search_identifier_value,   ///< `Type?identifier=system|value` -> value (URI-decoded)
};

/// The transforms that only rewrite text and work the same in both directions (trim, upper,
/// lower, uri-encode): appends the result of `tf` on `v` to `dst` and says whether a value was
/// produced; nullopt when `tf` is not one of them.
std::optional<bool> apply_text_transform(Tf tf, std::string_view v, std::string& dst);

}  // namespace fcpgw::mappings
