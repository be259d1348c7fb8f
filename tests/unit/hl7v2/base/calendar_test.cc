#include "hl7v2/base/calendar.h"

#include <gtest/gtest.h>

using namespace fcpgw::base;

TEST(Calendar, LeapYears) {
  EXPECT_TRUE(is_leap_year(2024));
  EXPECT_FALSE(is_leap_year(2023));
  EXPECT_FALSE(is_leap_year(1900));  // century not divisible by 400
  EXPECT_FALSE(is_leap_year(2100));
  EXPECT_TRUE(is_leap_year(2000));  // century divisible by 400
  EXPECT_TRUE(is_leap_year(1600));
}

TEST(Calendar, MonthEnds) {
  EXPECT_EQ(days_in_month(2024, 2), 29);
  EXPECT_EQ(days_in_month(2023, 2), 28);
  EXPECT_EQ(days_in_month(1900, 2), 28);
  EXPECT_EQ(days_in_month(2000, 2), 29);
  EXPECT_EQ(days_in_month(2025, 1), 31);
  EXPECT_EQ(days_in_month(2025, 4), 30);
  EXPECT_EQ(days_in_month(2025, 6), 30);
  EXPECT_EQ(days_in_month(2025, 9), 30);
  EXPECT_EQ(days_in_month(2025, 11), 30);
  EXPECT_EQ(days_in_month(2025, 12), 31);
}

TEST(Calendar, DayNumbers) {
  EXPECT_EQ(days_from_civil(1970, 1, 1), 0);
  EXPECT_EQ(days_from_civil(1969, 12, 31), -1);
  EXPECT_EQ(days_from_civil(2000, 3, 1) - days_from_civil(2000, 2, 28), 2);  // 29 Feb 2000
  EXPECT_EQ(days_from_civil(1900, 3, 1) - days_from_civil(1900, 2, 28), 1);  // no 29 Feb 1900
  EXPECT_EQ(days_from_civil(2024, 12, 31) - days_from_civil(2024, 1, 1), 365);
  EXPECT_EQ(days_from_civil(2000, 1, 1), 10957);
  EXPECT_EQ(days_from_civil(1, 1, 1), -719162);
}

TEST(Calendar, CivilFromDaysInvertsDayNumbers) {
  for (std::int64_t z = days_from_civil(1899, 12, 25); z <= days_from_civil(2101, 1, 5); ++z) {
    const CivilDate c = civil_from_days(z);
    ASSERT_GE(c.month, 1);
    ASSERT_LE(c.month, 12);
    ASSERT_GE(c.day, 1);
    ASSERT_LE(c.day, days_in_month(c.year, c.month)) << z;
    ASSERT_EQ(days_from_civil(c.year, c.month, c.day), z);
  }
  const CivilDate leap = civil_from_days(days_from_civil(2024, 2, 29));
  EXPECT_EQ(leap.year, 2024);
  EXPECT_EQ(leap.month, 2);
  EXPECT_EQ(leap.day, 29);
}

TEST(Calendar, Weekdays) {
  EXPECT_EQ(weekday(1970, 1, 1), 4);    // Thursday
  EXPECT_EQ(weekday(1969, 12, 28), 0);  // Sunday, before the epoch
  EXPECT_EQ(weekday(1969, 12, 27), 6);
  EXPECT_EQ(weekday(2000, 2, 29), 2);  // Tuesday
  EXPECT_EQ(weekday(1900, 1, 1), 1);   // Monday
  EXPECT_EQ(weekday(2026, 12, 5), 6);  // Saturday
}

TEST(Calendar, LastSundays) {
  EXPECT_EQ(last_sunday(2024, 3), 31);  // the month's last day
  EXPECT_EQ(last_sunday(2024, 10), 27);
  EXPECT_EQ(last_sunday(2025, 3), 30);
  EXPECT_EQ(last_sunday(2025, 10), 26);
  EXPECT_EQ(last_sunday(2026, 3), 29);
  EXPECT_EQ(last_sunday(2026, 10), 25);  // the earliest it can be
  EXPECT_EQ(last_sunday(2024, 2), 25);   // leap February
}

TEST(EuropeLondon, WallClockOnTheChangeDays) {
  // 2026: BST from Sunday 29 March to Sunday 25 October.
  EXPECT_EQ(london_offset_minutes(2026, 3, 28, 23, 59), 0);
  EXPECT_EQ(london_offset_minutes(2026, 3, 29, 0, 59), 0);
  EXPECT_EQ(london_offset_minutes(2026, 3, 29, 1, 30), 0);  // does not exist: read as GMT
  EXPECT_EQ(london_offset_minutes(2026, 3, 29, 1, 59), 0);
  EXPECT_EQ(london_offset_minutes(2026, 3, 29, 2, 0), 60);
  EXPECT_EQ(london_offset_minutes(2026, 3, 30, 0, 0), 60);
  EXPECT_EQ(london_offset_minutes(2026, 10, 24, 23, 59), 60);
  EXPECT_EQ(london_offset_minutes(2026, 10, 25, 0, 59), 60);
  EXPECT_EQ(london_offset_minutes(2026, 10, 25, 1, 30), 60);  // happens twice: the first (BST)
  EXPECT_EQ(london_offset_minutes(2026, 10, 25, 2, 0), 0);
  EXPECT_EQ(london_offset_minutes(2026, 1, 15, 12, 0), 0);
  EXPECT_EQ(london_offset_minutes(2026, 7, 15, 12, 0), 60);
  EXPECT_EQ(london_offset_minutes(2026, 11, 1, 12, 0), 0);
}

TEST(EuropeLondon, UtcInstantsOnTheChangeDays) {
  // Both changes happen at 01:00 UTC.
  EXPECT_EQ(london_offset_at_utc(2026, 3, 29, 0, 59), 0);
  EXPECT_EQ(london_offset_at_utc(2026, 3, 29, 1, 0), 60);
  EXPECT_EQ(london_offset_at_utc(2026, 10, 25, 0, 59), 60);
  EXPECT_EQ(london_offset_at_utc(2026, 10, 25, 1, 0), 0);
  EXPECT_EQ(london_offset_at_utc(2026, 3, 28, 23, 0), 0);
  EXPECT_EQ(london_offset_at_utc(2026, 10, 26, 0, 0), 0);
  EXPECT_EQ(london_offset_at_utc(2026, 6, 1, 0, 0), 60);
  EXPECT_EQ(london_offset_at_utc(2026, 12, 1, 0, 0), 0);
}
