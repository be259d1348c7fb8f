#include "hl7v2/base/calendar.h"

namespace fcpgw::base {

bool is_leap_year(int y) noexcept { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int days_in_month(int y, int m) noexcept {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap_year(y) ? 29 : kDays[m - 1];
}

std::int64_t days_from_civil(std::int64_t y, int m, int d) noexcept {
  // Howard Hinnant's algorithm.
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153u * static_cast<unsigned>(m + (m > 2 ? -3 : 9)) + 2u) / 5u +
                       static_cast<unsigned>(d) - 1u;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

CivilDate civil_from_days(std::int64_t z) noexcept {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t yy = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  CivilDate c;
  c.day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  c.month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  c.year = static_cast<int>(yy + (c.month <= 2));
  return c;
}

int weekday(int y, int m, int d) noexcept {
  const std::int64_t z = days_from_civil(y, m, d);  // 1970-01-01 was a Thursday (4)
  return static_cast<int>(z >= -4 ? (z + 4) % 7 : (z + 5) % 7 + 6);
}

int last_sunday(int y, int m) noexcept {
  const int last = days_in_month(y, m);
  return last - weekday(y, m, last);
}

int london_offset_minutes(int y, int mo, int d, int h, int mi) noexcept {
  if (mo < 3 || mo > 10) return 0;
  if (mo > 3 && mo < 10) return 60;
  const int change = last_sunday(y, mo);
  const int wall = h * 60 + mi;  // minutes into the day
  if (mo == 3) {
    // Clocks go 01:00 GMT -> 02:00 BST. Before 01:00 wall: GMT. 01:00-01:59 do not exist: GMT.
    if (d < change) return 0;
    if (d > change) return 60;
    return wall >= 120 ? 60 : 0;
  }
  // October: clocks go 02:00 BST -> 01:00 GMT; 01:00-01:59 happen twice: take BST (first).
  if (d < change) return 60;
  if (d > change) return 0;
  return wall < 120 ? 60 : 0;
}

int london_offset_at_utc(int y, int mo, int d, int h, int mi) noexcept {
  if (mo < 3 || mo > 10) return 0;
  if (mo > 3 && mo < 10) return 60;
  const int change = last_sunday(y, mo);  // both changes happen at 01:00 UTC
  const bool after = d > change || (d == change && h * 60 + mi >= 60);
  return (mo == 3) == after ? 60 : 0;
}

}  // namespace fcpgw::base
