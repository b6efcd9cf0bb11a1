#pragma once
// Unix milliseconds as UTC text: the one formatter for file names, model
// versions and JSON times (log stamps and Alertmanager's millisecond times
// have their own formats).
#include <cstdint>
#include <ctime>
#include <string>

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

} // namespace grace
