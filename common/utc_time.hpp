#pragma once
// Unix milliseconds as UTC text: the one formatter for file names, model
// versions and JSON times (log stamps and Alertmanager's millisecond times
// have their own formats), and the one reader of the API's times.
#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>

namespace grace {

// The UTC time of `unix_ms` in a strftime format (at most 63 characters out).
inline std::string format_utc(int64_t unix_ms, const char* format) {
  const std::time_t seconds = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[64];
  const size_t n = std::strftime(text, sizeof text, format, &tm);
  return std::string(text, n);
}

// "2025-11-09T15:45:23Z".
inline std::string iso_time(int64_t unix_ms) {
  return format_utc(unix_ms, "%Y-%m-%dT%H:%M:%SZ");
}

// "2025-11-09T15:45:23.004Z": the API's times, exact to the millisecond so
// that what is written reads back as the same instant. Not before 1970.
std::string iso_time_ms(int64_t unix_ms);

// Reads exactly the form iso_time_ms writes, and the same without the
// fraction or with 1 to 3 fraction digits; anything else (another zone, a
// date before 1970, February 30th) is nullopt.
std::optional<int64_t> parse_iso_time_ms(std::string_view text);

} // namespace grace
