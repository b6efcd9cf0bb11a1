#include "common/scalar_text.hpp"

#include <charconv>
#include <cmath>

namespace grace::common {

namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

bool is_blank(char c) {
  return c == ' ' || c == '\t';
}

std::string_view trim_blanks(std::string_view s) {
  while (!s.empty() && is_blank(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && is_blank(s.back()))
    s.remove_suffix(1);
  return s;
}

} // namespace

std::optional<double> parse_decimal(std::string_view text, std::string* problem) {
  auto fail = [&](const char* why) -> std::optional<double> {
    if (problem)
      *problem = why;
    return std::nullopt;
  };
  std::string_view rest = text;
  bool negative = false;
  if (!rest.empty() && (rest[0] == '+' || rest[0] == '-')) {
    negative = rest[0] == '-';
    rest.remove_prefix(1);
  }
  // digits [. digits] | . digits, then an optional exponent
  size_t i = 0, digits = 0;
  while (i < rest.size() && is_digit(rest[i]))
    ++i, ++digits;
  if (i < rest.size() && rest[i] == '.') {
    ++i;
    while (i < rest.size() && is_digit(rest[i]))
      ++i, ++digits;
  }
  if (digits == 0)
    return fail("not a number");
  if (i < rest.size() && (rest[i] == 'e' || rest[i] == 'E')) {
    ++i;
    if (i < rest.size() && (rest[i] == '+' || rest[i] == '-'))
      ++i;
    const size_t exponent_start = i;
    while (i < rest.size() && is_digit(rest[i]))
      ++i;
    if (i == exponent_start)
      return fail("not a number");
  }
  if (i != rest.size())
    return fail("not a number");
  double value = 0.0;
  const auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), value);
  if (ec == std::errc::result_out_of_range || !std::isfinite(value))
    return fail("out of range");
  if (ec != std::errc() || end != rest.data() + rest.size())
    return fail("not a number");
  return negative ? -value : value;
}

std::optional<int64_t> parse_whole_number(std::string_view text, std::string* problem) {
  auto fail = [&](const char* why) -> std::optional<int64_t> {
    if (problem)
      *problem = why;
    return std::nullopt;
  };
  std::string_view digits = text; // what from_chars reads: no '+'
  const bool plus = !digits.empty() && digits[0] == '+';
  if (plus)
    digits.remove_prefix(1);
  const bool minus = !plus && !digits.empty() && digits[0] == '-';
  const std::string_view magnitude = minus ? digits.substr(1) : digits;
  if (magnitude.empty())
    return fail("not a whole number");
  for (char c : magnitude)
    if (!is_digit(c))
      return fail("not a whole number");
  int64_t value = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec == std::errc::result_out_of_range)
    return fail("out of range");
  if (ec != std::errc() || end != digits.data() + digits.size())
    return fail("not a whole number");
  return value;
}

std::optional<int64_t> parse_duration_ms(std::string_view text, std::string* problem) {
  auto fail = [&](const char* why) -> std::optional<int64_t> {
    if (problem)
      *problem = why;
    return std::nullopt;
  };
  const std::string_view trimmed = trim_blanks(text);
  // <digits>[.<digits>] <blanks> <unit>
  size_t i = 0;
  while (i < trimmed.size() && is_digit(trimmed[i]))
    ++i;
  const size_t whole_digits = i;
  if (i < trimmed.size() && trimmed[i] == '.') {
    ++i;
    const size_t fraction_start = i;
    while (i < trimmed.size() && is_digit(trimmed[i]))
      ++i;
    if (i == fraction_start)
      return fail("not a duration");
  }
  if (whole_digits == 0)
    return fail("not a duration");
  const std::string_view number = trimmed.substr(0, i);
  const std::string_view unit = trim_blanks(trimmed.substr(i));
  double factor = 0.0;
  if (unit == "ms")
    factor = 1.0;
  else if (unit == "s")
    factor = 1e3;
  else if (unit == "m")
    factor = 60e3;
  else if (unit == "h")
    factor = 3600e3;
  else if (unit == "d")
    factor = 86400e3;
  else
    return fail("not a duration");
  double amount = 0.0;
  const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), amount);
  if (ec == std::errc::result_out_of_range)
    return fail("out of range");
  if (ec != std::errc() || end != number.data() + number.size())
    return fail("not a duration");
  const double ms = amount * factor;
  if (!std::isfinite(ms) || ms > static_cast<double>(max_duration_ms))
    return fail("out of range");
  return static_cast<int64_t>(std::llround(ms));
}

std::string format_duration(int64_t ms) {
  if (ms < 0)
    return "-" + format_duration(-ms);
  if (ms < 1000)
    return std::to_string(ms) + "ms";
  if (ms < 60000) {
    std::string out = std::to_string(ms / 1000);
    if (const int64_t fraction = ms % 1000; fraction != 0) {
      std::string digits = std::to_string(1000 + fraction).substr(1); // "050"
      while (digits.back() == '0')
        digits.pop_back();
      out += "." + digits;
    }
    return out + "s";
  }
  struct unit {
    int64_t size;
    const char* name;
  };
  constexpr unit units[] = {{86400000, "d"}, {3600000, "h"}, {60000, "m"}, {1000, "s"}};
  for (size_t i = 0; i < 3; ++i) {
    if (ms < units[i].size)
      continue;
    std::string out = std::to_string(ms / units[i].size) + units[i].name;
    if (const int64_t next = (ms % units[i].size) / units[i + 1].size; next != 0)
      out += " " + std::to_string(next) + units[i + 1].name;
    return out;
  }
  return std::to_string(ms / 1000) + "s"; // unreachable: ms >= 60000 matched "m"
}

} // namespace grace::common
