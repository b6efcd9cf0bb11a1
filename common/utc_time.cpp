#include "common/utc_time.hpp"

#include <cstdio>

namespace grace {

namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
// days_from_civil), so no time zone or locale is involved.
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool leap(int64_t y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

unsigned days_in_month(int64_t y, unsigned m) {
  static const unsigned days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && leap(y) ? 29 : days[m - 1];
}

// `count` digits at `pos` as a number; nullopt when any is not a digit.
std::optional<unsigned> digits(std::string_view text, size_t pos, size_t count) {
  if (pos + count > text.size())
    return std::nullopt;
  unsigned n = 0;
  for (size_t i = pos; i < pos + count; ++i) {
    if (text[i] < '0' || text[i] > '9')
      return std::nullopt;
    n = n * 10 + static_cast<unsigned>(text[i] - '0');
  }
  return n;
}

} // namespace

std::string iso_time_ms(int64_t unix_ms) {
  const int64_t ms = unix_ms < 0 ? 0 : unix_ms;
  char fraction[8];
  std::snprintf(fraction, sizeof fraction, ".%03dZ", static_cast<int>(ms % 1000));
  return format_utc(ms, "%Y-%m-%dT%H:%M:%S") + fraction;
}

std::optional<int64_t> parse_iso_time_ms(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS[.f{1,3}]Z
  if (text.size() < 20 || text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':'
      || text[16] != ':' || text.back() != 'Z')
    return std::nullopt;
  const auto year = digits(text, 0, 4), month = digits(text, 5, 2), day = digits(text, 8, 2);
  const auto hour = digits(text, 11, 2), minute = digits(text, 14, 2), second = digits(text, 17, 2);
  if (!year || !month || !day || !hour || !minute || !second)
    return std::nullopt;
  if (*year < 1970 || *month < 1 || *month > 12 || *day < 1 || *day > days_in_month(*year, *month)
      || *hour > 23 || *minute > 59 || *second > 59)
    return std::nullopt;
  unsigned millis = 0;
  const size_t rest = text.size() - 20; // characters between the seconds and the Z
  if (rest > 0) {
    if (rest < 2 || rest > 4 || text[19] != '.')
      return std::nullopt;
    const auto fraction = digits(text, 20, rest - 1);
    if (!fraction)
      return std::nullopt;
    millis = *fraction * (rest == 2 ? 100 : rest == 3 ? 10 : 1);
  }
  const int64_t days = days_from_civil(*year, *month, *day);
  return ((days * 24 + *hour) * 60 + *minute) * 60'000 + int64_t{*second} * 1000 + millis;
}

} // namespace grace
