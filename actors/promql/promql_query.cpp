#include "actors/promql/promql_query.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace grace::promql {

namespace {

using json = nlohmann::json;

// Deeper than any answer of the API (root, data, result, series, values,
// pair): a deeper document is refused before it is built.
constexpr int max_depth = 8;
// How much of a server's text goes into an error message.
constexpr size_t max_quoted = 300;

int64_t floor_to(int64_t v, int64_t step) {
  int64_t q = v / step;
  if (v % step != 0 && v < 0)
    --q;
  return q * step;
}

// The server's words, printable ASCII only (they go into logs and JSON).
std::string printable(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, max_quoted)) {
    const auto u = static_cast<unsigned char>(c);
    out.push_back(u >= 0x20 && u < 0x7f ? c : '?');
  }
  if (text.size() > max_quoted)
    out += "...";
  return out;
}

// A JSON document or null (not JSON, or nested too deep).
json parse_bounded(std::string_view body) {
  bool too_deep = false;
  json::parser_callback_t limit = [&too_deep](int depth, json::parse_event_t, json&) {
    if (depth > max_depth)
      too_deep = true;
    return !too_deep;
  };
  json doc = json::parse(body.begin(), body.end(), limit, false);
  if (too_deep || doc.is_discarded())
    return json(nullptr);
  return doc;
}

std::string string_field(const json& j, const char* key) {
  if (j.is_object() && j.contains(key) && j.at(key).is_string())
    return printable(j.at(key).get_ref<const std::string&>());
  return {};
}

// The error an answer reports, empty when it reports success. `doc` is null
// when the body was not JSON.
std::string answer_error(int http_status, std::string_view body, const json& doc) {
  const std::string status = string_field(doc, "status");
  if (status == "error" || (doc.is_object() && http_status / 100 != 2)) {
    std::string why = string_field(doc, "error");
    const std::string type = string_field(doc, "errorType");
    std::string out = "Prometheus answered HTTP " + std::to_string(http_status);
    if (!type.empty())
      out += " (" + type + ")";
    return out + ": " + (why.empty() ? std::string("no error message") : why);
  }
  if (http_status / 100 != 2)
    return "Prometheus answered HTTP " + std::to_string(http_status)
           + (body.empty() ? std::string() : ": " + printable(body));
  if (doc.is_null())
    return "the answer is not JSON (or is nested too deep): " + printable(body);
  if (status != "success")
    return "the answer's status is neither success nor error";
  return {};
}

// One [time, "value"] pair; false with `why` set when it is malformed.
bool read_pair(const json& pair, point& out, bool& finite, std::string& why) {
  if (!pair.is_array() || pair.size() != 2 || !pair[0].is_number() || !pair[1].is_string()) {
    why = "a sample is not a [time, \"value\"] pair";
    return false;
  }
  const double seconds = pair[0].get<double>();
  if (!std::isfinite(seconds) || seconds < 0 || seconds > 1e11) {
    why = "a sample's time is out of range";
    return false;
  }
  const auto& text = pair[1].get_ref<const std::string&>();
  const char* begin = text.c_str();
  char* end = nullptr;
  errno = 0;
  const double value = std::strtod(begin, &end);
  if (text.empty() || end != begin + text.size()) {
    why = "a sample's value is not a number: \"" + printable(text) + "\"";
    return false;
  }
  out.ts_ms = std::llround(seconds * 1000.0);
  out.value = value;
  finite = std::isfinite(value);
  return true;
}

// The data object of a successful answer with the wanted result type.
const json* result_of(const json& doc, std::initializer_list<const char*> types, std::string& type,
                      std::string& why) {
  if (!doc.contains("data") || !doc.at("data").is_object()) {
    why = "the answer has no data object";
    return nullptr;
  }
  const json& data = doc.at("data");
  type = string_field(data, "resultType");
  bool known = false;
  for (const char* t : types)
    known = known || type == t;
  if (!known) {
    why = "unexpected resultType \"" + type + "\"";
    return nullptr;
  }
  if (!data.contains("result")) {
    why = "the answer has no result";
    return nullptr;
  }
  return &data.at("result");
}

std::string series_count_error(size_t n) {
  if (n == 0)
    return "the query returned no series (no data at that time?)";
  return "the query returned " + std::to_string(n)
         + " series; GRACE needs exactly one (aggregate them, e.g. sum(...) or max(...))";
}

} // namespace

std::vector<range_chunk> plan_chunks(int64_t from_ms, int64_t until_ms, int64_t step_ms,
                                     size_t max_points) {
  if (step_ms <= 0)
    throw std::invalid_argument("plan_chunks: step must be positive");
  if (max_points == 0)
    throw std::invalid_argument("plan_chunks: max_points must be positive");
  std::vector<range_chunk> out;
  if (until_ms <= from_ms)
    return out;
  int64_t first = floor_to(from_ms, step_ms);
  if (first < from_ms)
    first += step_ms;
  const int64_t last = floor_to(until_ms - 1, step_ms);
  const int64_t span = static_cast<int64_t>(max_points - 1) * step_ms;
  for (int64_t start = first; start <= last;) {
    const int64_t end = (last - start > span) ? start + span : last;
    out.push_back({start, end, step_ms});
    if (end == last)
      break;
    start = end + step_ms;
  }
  return out;
}

query_answer parse_instant_answer(int http_status, std::string_view body) {
  query_answer a;
  const json doc = parse_bounded(body);
  a.error = answer_error(http_status, body, doc);
  if (!a.ok())
    return a;
  std::string type;
  const json* result = result_of(doc, {"vector", "scalar"}, type, a.error);
  if (!result)
    return a;
  point p;
  bool finite = true;
  if (type == "scalar") {
    a.series = 1;
    if (!read_pair(*result, p, finite, a.error))
      return a;
  } else {
    if (!result->is_array()) {
      a.error = "the result is not a list of series";
      return a;
    }
    a.series = result->size();
    if (a.series != 1) {
      a.error = series_count_error(a.series);
      return a;
    }
    const json& series = (*result)[0];
    if (!series.is_object() || !series.contains("value")) {
      a.error = "the series has no value";
      return a;
    }
    if (!read_pair(series.at("value"), p, finite, a.error))
      return a;
  }
  if (!finite) {
    a.non_finite = 1;
    a.error = "the query's value is " + std::string(std::isnan(p.value) ? "NaN" : "infinite");
    return a;
  }
  a.points.push_back(p);
  return a;
}

query_answer parse_range_answer(int http_status, std::string_view body) {
  query_answer a;
  const json doc = parse_bounded(body);
  a.error = answer_error(http_status, body, doc);
  if (!a.ok())
    return a;
  std::string type;
  const json* result = result_of(doc, {"matrix"}, type, a.error);
  if (!result)
    return a;
  if (!result->is_array()) {
    a.error = "the result is not a list of series";
    return a;
  }
  a.series = result->size();
  if (a.series == 0)
    return a;
  if (a.series != 1) {
    a.error = series_count_error(a.series);
    return a;
  }
  const json& series = (*result)[0];
  if (!series.is_object() || !series.contains("values") || !series.at("values").is_array()) {
    a.error = "the series has no list of values";
    return a;
  }
  const json& values = series.at("values");
  a.points.reserve(values.size());
  for (const auto& pair : values) {
    point p;
    bool finite = true;
    if (!read_pair(pair, p, finite, a.error)) {
      a.points.clear();
      return a;
    }
    if (!finite) {
      ++a.non_finite;
      continue;
    }
    if (!a.points.empty() && p.ts_ms <= a.points.back().ts_ms) {
      a.error = "the series' times are not increasing";
      a.points.clear();
      return a;
    }
    a.points.push_back(p);
  }
  return a;
}

std::string prometheus_seconds(int64_t ms) {
  const int64_t s = floor_to(ms, 1000) / 1000;
  const int64_t frac = ms - s * 1000;
  std::string out = std::to_string(s);
  if (frac != 0) {
    std::string f = std::to_string(frac);
    out += "." + std::string(3 - f.size(), '0') + f;
  }
  return out;
}

backfill_accumulator::backfill_accumulator(std::string metric_id, int64_t period_ms,
                                           int64_t until_ms, aggregator::band_function band_of)
    : metric_id_(std::move(metric_id)), period_ms_(period_ms), until_ms_(until_ms),
      window_({period_ms, 0, 1 << 16}, std::move(band_of)) {}

void backfill_accumulator::add(const std::vector<point>& points, int64_t chunk_end_ms) {
  for (const auto& p : points)
    if (window_.window_start_of(p.ts_ms) + period_ms_ <= until_ms_
        && window_.add(metric_id_, p.ts_ms, p.value))
      ++points_;
  // A window ending at or before chunk_end + 1 holds no time after the
  // chunk's last: later chunks cannot add to it.
  auto done = window_.close_until(std::min(chunk_end_ms + 1, until_ms_));
  closed_.insert(closed_.end(), done.begin(), done.end());
}

std::vector<snapshot> backfill_accumulator::finish() {
  auto rest = window_.close_all();
  closed_.insert(closed_.end(), rest.begin(), rest.end());
  return std::move(closed_);
}

std::vector<snapshot> backfill_snapshots(const std::string& metric_id,
                                         const std::vector<point>& points, int64_t period_ms,
                                         int64_t until_ms,
                                         const aggregator::band_function& band_of) {
  backfill_accumulator acc(metric_id, period_ms, until_ms, band_of);
  acc.add(points, points.empty() ? until_ms : points.back().ts_ms);
  return acc.finish();
}

} // namespace grace::promql
