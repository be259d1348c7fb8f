#pragma once
// Typed readers for common HL7 v2.5.1 data types: DTM/TS, HD, CX, XPN, XCN, EI, CE/CWE, PL.
//
// Each composite reader takes the raw ER7 of one value (a field repetition, as handed out by
// Message/Segment) and the message's delimiters; text values come back unescaped. When the
// value is itself a component of a larger type (e.g. an HD inside CX-4), pass
// Level::component so that its parts are split at the subcomponent separator.

#include <boost/assert/source_location.hpp>
#include <boost/system/result.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "hl7v2/delimiters.h"

namespace fcpgw::hl7v2 {

/// Where a composite value sits, which decides the separator between its parts.
enum class Level : std::uint8_t {
  repetition,  ///< a field repetition: parts split at the component separator
  component,   ///< a component: parts split at the subcomponent separator
};

/// How much of a DTM was given.
enum class DtmPrecision : std::uint8_t { year, month, day, hour, minute, second, fraction };

/// A DTM value `CCYY[MM[DD[HH[MM[SS[.S[S[S[S]]]]]]]]][+/-ZZZZ]`. Parts not sent are 0.
struct Dtm {
  int year = 0;
  int month = 0;  ///< 1..12, 0 when not given
  int day = 0;    ///< 1..31, 0 when not given
  int hour = 0;
  int minute = 0;
  int second = 0;
  int fraction = 0;         ///< the digits after '.', as an integer (".25" -> 25)
  int fraction_digits = 0;  ///< 0..4
  DtmPrecision precision = DtmPrecision::year;
  std::optional<int> offset_minutes;  ///< UTC offset, -840..+840, when given

  /// Fractional seconds in microseconds (".25" -> 250000).
  [[nodiscard]] int microseconds() const noexcept;
  friend bool operator==(const Dtm&, const Dtm&) = default;
};

/// Why a DTM was rejected: what and at which character.
struct DtmError {
  std::size_t position = 0;
  std::string message;  ///< e.g. "DTM: month 13 out of range 01-12 at character 4"
};

/// Throws std::invalid_argument carrying the message (used only by result::value()).
[[noreturn]] void throw_exception_from_error(const DtmError& e, const boost::source_location& loc);

/// Parses a DTM (or the first component of a TS: pass the component, not the whole TS).
/// Leading/trailing spaces are ignored. Rejects impossible dates (month 13, day 32, Feb 30,
/// 29 Feb in a non-leap year), hour 24, minute/second 60, offsets beyond +/-14:00, a fraction
/// without seconds, and any other text.
[[nodiscard]] boost::system::result<Dtm, DtmError> parse_dtm(std::string_view text);

/// Writes a Dtm back as DTM text with its precision and offset.
[[nodiscard]] std::string format_dtm(const Dtm& d);

/// Writes a Dtm as ISO 8601 / FHIR text to its precision: `2015`, `2015-06`, `2015-06-01`,
/// `2015-06-01T14:58` (hour precision becomes `HH:00`), `2015-06-01T14:58:23.25`, followed by
/// the offset as `+01:00` / `Z` when one was given.
[[nodiscard]] std::string to_iso8601(const Dtm& d);

/// HD: hierarchic designator.
struct HD {
  std::string namespace_id;       ///< HD-1
  std::string universal_id;       ///< HD-2
  std::string universal_id_type;  ///< HD-3
  [[nodiscard]] bool empty() const noexcept {
    return namespace_id.empty() && universal_id.empty() && universal_id_type.empty();
  }
};
/// Reads an HD.
[[nodiscard]] HD parse_hd(std::string_view raw, const Delimiters& d,
                          Level level = Level::repetition);

/// CX: extended composite identifier.
struct CX {
  std::string id;                  ///< CX-1
  std::string check_digit;         ///< CX-2
  std::string check_digit_scheme;  ///< CX-3
  HD assigning_authority;          ///< CX-4
  std::string identifier_type;     ///< CX-5 (table 0203)
  HD assigning_facility;           ///< CX-6
  std::string effective_date;      ///< CX-7 (DT, raw)
  std::string expiration_date;     ///< CX-8 (DT, raw)
};
/// Reads a CX (one repetition).
[[nodiscard]] CX parse_cx(std::string_view raw, const Delimiters& d);

/// XPN: extended person name.
struct XPN {
  std::string family;               ///< XPN-1.1 surname
  std::string given;                ///< XPN-2
  std::string middle;               ///< XPN-3 second and further given names or initials
  std::string suffix;               ///< XPN-4
  std::string prefix;               ///< XPN-5
  std::string degree;               ///< XPN-6
  std::string name_type;            ///< XPN-7 (table 0200)
  std::string effective_date;       ///< XPN-12 (raw)
  std::string expiration_date;      ///< XPN-13 (raw)
  std::string professional_suffix;  ///< XPN-14
};
/// Reads an XPN (one repetition).
[[nodiscard]] XPN parse_xpn(std::string_view raw, const Delimiters& d);

/// XCN: extended composite ID number and name for persons.
struct XCN {
  std::string id;                  ///< XCN-1
  std::string family;              ///< XCN-2.1
  std::string given;               ///< XCN-3
  std::string middle;              ///< XCN-4
  std::string suffix;              ///< XCN-5
  std::string prefix;              ///< XCN-6
  std::string degree;              ///< XCN-7
  std::string source_table;        ///< XCN-8
  HD assigning_authority;          ///< XCN-9
  std::string name_type;           ///< XCN-10
  std::string check_digit;         ///< XCN-11
  std::string check_digit_scheme;  ///< XCN-12
  std::string identifier_type;     ///< XCN-13
  HD assigning_facility;           ///< XCN-14
};
/// Reads an XCN (one repetition).
[[nodiscard]] XCN parse_xcn(std::string_view raw, const Delimiters& d);

/// EI: entity identifier.
struct EI {
  std::string entity_id;          ///< EI-1
  std::string namespace_id;       ///< EI-2
  std::string universal_id;       ///< EI-3
  std::string universal_id_type;  ///< EI-4
};
/// Reads an EI.
[[nodiscard]] EI parse_ei(std::string_view raw, const Delimiters& d,
                          Level level = Level::repetition);

/// CE / CWE: coded element (CWE adds versions and original text).
struct CWE {
  std::string identifier;                 ///< 1
  std::string text;                       ///< 2
  std::string coding_system;              ///< 3
  std::string alt_identifier;             ///< 4
  std::string alt_text;                   ///< 5
  std::string alt_coding_system;          ///< 6
  std::string coding_system_version;      ///< 7 (CWE)
  std::string alt_coding_system_version;  ///< 8 (CWE)
  std::string original_text;              ///< 9 (CWE)
};
using CE = CWE;
/// Reads a CE or CWE.
[[nodiscard]] CWE parse_cwe(std::string_view raw, const Delimiters& d,
                            Level level = Level::repetition);
/// Reads a CE (same as parse_cwe; parts 7-9 are simply absent in a CE).
[[nodiscard]] inline CE parse_ce(std::string_view raw, const Delimiters& d,
                                 Level level = Level::repetition) {
  return parse_cwe(raw, d, level);
}

/// PL: person location.
struct PL {
  std::string point_of_care;    ///< PL-1
  std::string room;             ///< PL-2
  std::string bed;              ///< PL-3
  HD facility;                  ///< PL-4
  std::string location_status;  ///< PL-5
  std::string location_type;    ///< PL-6
  std::string building;         ///< PL-7
  std::string floor;            ///< PL-8
  std::string description;      ///< PL-9
};
/// Reads a PL (one repetition).
[[nodiscard]] PL parse_pl(std::string_view raw, const Delimiters& d);

}  // namespace fcpgw::hl7v2
