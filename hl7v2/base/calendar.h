#pragma once
// fcpgw::base sits below both formats (hl7v2/ and fhir/) and the mappings: it holds facts, not
// formats, each written once, and includes nothing but the standard library.
//
// The calendar: the proleptic Gregorian calendar (leap years, month lengths, day numbers,
// weekdays) and Europe/London's clock changes (BST from 01:00 UTC on the last Sunday of March
// to 01:00 UTC on the last Sunday of October).

#include <cstdint>

namespace fcpgw::base {

/// Gregorian leap year: divisible by 4, except centuries not divisible by 400 (1900 no, 2000 yes).
[[nodiscard]] bool is_leap_year(int y) noexcept;

/// Days in month `m` (1-12) of year `y`. `m` outside 1-12 is a caller error.
[[nodiscard]] int days_in_month(int y, int m) noexcept;

/// Days since 1970-01-01 of a proleptic Gregorian date (negative before it).
[[nodiscard]] std::int64_t days_from_civil(std::int64_t y, int m, int d) noexcept;

struct CivilDate {
  int year = 1970;
  int month = 1;
  int day = 1;
};
/// The date `days` days after 1970-01-01; the inverse of days_from_civil().
[[nodiscard]] CivilDate civil_from_days(std::int64_t days) noexcept;

/// 0 = Sunday .. 6 = Saturday.
[[nodiscard]] int weekday(int y, int m, int d) noexcept;

/// Day of month of the last Sunday of month `m` in year `y`.
[[nodiscard]] int last_sunday(int y, int m) noexcept;

/// UTC offset in minutes (0 or 60) of a Europe/London wall-clock time. BST runs from 01:00 UTC
/// on the last Sunday of March to 01:00 UTC on the last Sunday of October. Wall times that do
/// not exist (01:00-01:59 on the March change day) are read as GMT (+00:00: the instant the
/// clock would show an hour later in BST); wall times that occur twice (01:00-01:59 on the
/// October change day) are read as the first occurrence (BST, +01:00).
[[nodiscard]] int london_offset_minutes(int y, int mo, int d, int h, int mi) noexcept;

/// UTC offset in minutes (0 or 60) of Europe/London at an instant given in UTC.
[[nodiscard]] int london_offset_at_utc(int y, int mo, int d, int h, int mi) noexcept;

}  // namespace fcpgw::base
