#pragma once
// Bounded, exception-free readers of scalar text (configuration values, query
// parameters): whatever the bytes, they return a value or nullopt, and
// `problem` (when given) says what is wrong. And the one way durations are
// written for people.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace grace::common {

// The longest duration anything accepts: 100 years (36500d).
constexpr int64_t max_duration_ms = 36500LL * 86400000LL;

// Parses "250ms", "30s", "1.5s", "15m", "6h", "7d" (a positive or zero decimal
// number with a unit, blanks around allowed) into milliseconds, at most
// max_duration_ms.
std::optional<int64_t> parse_duration_ms(std::string_view text, std::string* problem = nullptr);

// A finite decimal number as YAML writes one: an optional sign, digits with an
// optional fraction, an optional exponent ("-2", "0.5", ".5", "1e3").
std::optional<double> parse_decimal(std::string_view text, std::string* problem = nullptr);

// A whole number: an optional sign and decimal digits, within int64.
std::optional<int64_t> parse_whole_number(std::string_view text, std::string* problem = nullptr);

// A duration for people, in at most two units, largest first: "250ms",
// "1.5s", "45s", "4m 30s", "15m", "2h 5m", "6h", "3d 4h", "-2m". Exact for
// whole units and below a minute; parse_duration_ms reads back the one-unit
// forms.
std::string format_duration(int64_t ms);

} // namespace grace::common
