#include "actors/ingest/csv_series.hpp"

#include "common/error_text.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string_view>

namespace grace::ingest {

namespace {

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t\r\n\"");
  if (b == std::string::npos)
    return {};
  auto e = s.find_last_not_of(" \t\r\n\"");
  return s.substr(b, e - b + 1);
}

bool all_digits(const std::string& s, size_t from, size_t len) {
  if (from + len > s.size())
    return false;
  for (size_t i = from; i < from + len; ++i)
    if (s[i] < '0' || s[i] > '9')
      return false;
  return true;
}

// The number in s[from, from + len), digits checked by all_digits first.
int64_t num(const std::string& s, size_t from, size_t len) {
  int64_t v = 0;
  std::from_chars(s.data() + from, s.data() + from + len, v);
  return v;
}

// A finite decimal number: an optional sign, digits with an optional
// fraction, an optional exponent. Locale-independent, and no exceptions.
std::optional<double> parse_value(const std::string& text) {
  std::string_view rest(text);
  bool negative = false;
  if (!rest.empty() && (rest[0] == '+' || rest[0] == '-')) {
    negative = rest[0] == '-';
    rest.remove_prefix(1);
  }
  // from_chars reads "inf"/"nan" too: only digits, '.', and an exponent here.
  if (rest.empty() || !(std::isdigit(static_cast<unsigned char>(rest[0])) || rest[0] == '.'))
    return std::nullopt;
  double v = 0.0;
  const auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), v);
  if (ec != std::errc() || end != rest.data() + rest.size() || !std::isfinite(v))
    return std::nullopt;
  return negative ? -v : v;
}

// Days since 1970-01-01 for a proleptic Gregorian date (H. Hinnant's algorithm).
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

} // namespace

std::optional<int64_t> parse_timestamp_ms(const std::string& raw) {
  const std::string text = trim(raw);
  if (text.empty())
    return std::nullopt;
  // Bare unix time.
  if (text.find_first_not_of("0123456789") == std::string::npos) {
    if (text.size() > 15)
      return std::nullopt;
    const int64_t v = num(text, 0, text.size());
    return v > 100000000000LL ? v : v * 1000;
  }
  // Calendar form: YYYY-MM-DD[ T]HH:MM[:SS[.fff]][Z|±HH:MM]
  if (text.size() < 16 || !all_digits(text, 0, 4) || text[4] != '-' || !all_digits(text, 5, 2)
      || text[7] != '-' || !all_digits(text, 8, 2) || (text[10] != ' ' && text[10] != 'T')
      || !all_digits(text, 11, 2) || text[13] != ':' || !all_digits(text, 14, 2))
    return std::nullopt;
  const int64_t year = num(text, 0, 4), month = num(text, 5, 2), day = num(text, 8, 2);
  const int64_t hour = num(text, 11, 2), minute = num(text, 14, 2);
  int64_t second = 0;
  size_t pos = 16;
  int64_t millis = 0;
  if (pos < text.size() && text[pos] == ':') {
    if (!all_digits(text, pos + 1, 2))
      return std::nullopt;
    second = num(text, pos + 1, 2);
    pos += 3;
    if (pos < text.size() && text[pos] == '.') {
      size_t start = ++pos;
      while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9')
        ++pos;
      if (pos == start)
        return std::nullopt;
      std::string frac = text.substr(start, std::min<size_t>(3, pos - start));
      while (frac.size() < 3)
        frac += '0';
      millis = num(frac, 0, 3);
    }
  }
  int64_t offset_minutes = 0;
  if (pos < text.size()) {
    if (text[pos] == 'Z' && pos + 1 == text.size()) {
      // UTC
    } else if ((text[pos] == '+' || text[pos] == '-') && text.size() == pos + 6
               && all_digits(text, pos + 1, 2) && text[pos + 3] == ':'
               && all_digits(text, pos + 4, 2)) {
      offset_minutes = num(text, pos + 1, 2) * 60 + num(text, pos + 4, 2);
      if (text[pos] == '-')
        offset_minutes = -offset_minutes;
    } else {
      return std::nullopt;
    }
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60)
    return std::nullopt;
  int64_t days = days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  int64_t secs = days * 86400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
  return secs * 1000 + millis;
}

csv_series read_csv_series(std::istream& in, const std::string& source_name) {
  csv_series out;
  std::string line;
  size_t line_no = 0;
  auto fail = [&](const std::string& what) {
    throw std::runtime_error(source_name + ":" + std::to_string(line_no) + ": " + what);
  };
  int ts_col = -1, value_col = -1;
  while (std::getline(in, line)) {
    ++line_no;
    if (trim(line).empty())
      continue;
    std::vector<std::string> cells;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, ','))
      cells.push_back(trim(cell));
    if (ts_col < 0) {
      for (size_t i = 0; i < cells.size(); ++i) {
        if (cells[i] == "timestamp")
          ts_col = static_cast<int>(i);
        else if (cells[i] == "value")
          value_col = static_cast<int>(i);
      }
      if (ts_col < 0 || value_col < 0)
        fail("expected a header naming the columns 'timestamp' and 'value'");
      continue;
    }
    if (static_cast<int>(cells.size()) <= std::max(ts_col, value_col))
      fail("expected at least " + std::to_string(std::max(ts_col, value_col) + 1) + " columns");
    csv_row row;
    row.timestamp_text = cells[ts_col];
    row.value_text = cells[value_col];
    auto ts = parse_timestamp_ms(row.timestamp_text);
    if (!ts)
      fail("bad timestamp " + text::quote_for_error(row.timestamp_text));
    row.unix_ms = *ts;
    const auto value = parse_value(row.value_text);
    if (!value)
      fail("value " + text::quote_for_error(row.value_text) + " is not a finite number");
    row.value = *value;
    out.rows.push_back(std::move(row));
  }
  if (ts_col < 0)
    throw std::runtime_error(source_name + ": empty file (no 'timestamp,value' header)");
  return out;
}

csv_series read_csv_series_file(const std::string& path) {
  std::ifstream in(path);
  if (!in)
    throw std::runtime_error(path + ": cannot open for reading");
  return read_csv_series(in, path);
}

std::vector<csv_row> sorted_unique_by_time(const std::vector<csv_row>& rows) {
  std::vector<csv_row> out(rows);
  std::stable_sort(out.begin(), out.end(),
                   [](const csv_row& a, const csv_row& b) { return a.unix_ms < b.unix_ms; });
  out.erase(std::unique(out.begin(), out.end(),
                        [](const csv_row& a, const csv_row& b) { return a.unix_ms == b.unix_ms; }),
            out.end());
  return out;
}

int64_t median_step_ms(const std::vector<csv_row>& rows) {
  std::vector<int64_t> steps;
  for (size_t i = 1; i < rows.size(); ++i) {
    int64_t d = rows[i].unix_ms - rows[i - 1].unix_ms;
    if (d > 0)
      steps.push_back(d);
  }
  if (steps.empty())
    return 0;
  std::nth_element(steps.begin(), steps.begin() + steps.size() / 2, steps.end());
  return steps[steps.size() / 2];
}

} // namespace grace::ingest
