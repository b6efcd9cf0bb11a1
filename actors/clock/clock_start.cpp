#include "actors/clock/clock_start.hpp"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <utility>

namespace grace {

namespace {
constexpr const char* position_format = "grace.node_clock/1";
} // namespace

std::string to_json_text(const clock_position& p) {
  return nlohmann::json{{"format", position_format},
                        {"virtual_ms", p.virtual_ms},
                        {"time_scale", p.time_scale},
                        {"saved_at_wall_ms", p.saved_at_wall_ms}}
      .dump();
}

std::optional<clock_position> parse_clock_position(const std::string& text, std::string& problem) {
  const auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    problem = "not a JSON object";
    return std::nullopt;
  }
  if (j.value("format", std::string()) != position_format) {
    problem = std::string("format is not ") + position_format;
    return std::nullopt;
  }
  const auto v = j.find("virtual_ms");
  const auto s = j.find("time_scale");
  const auto w = j.find("saved_at_wall_ms");
  if (v == j.end() || !v->is_number_integer() || v->get<int64_t>() <= 0) {
    problem = "'virtual_ms' is not a positive integer";
    return std::nullopt;
  }
  if (s == j.end() || !s->is_number() || !std::isfinite(s->get<double>())
      || s->get<double>() <= 0.0) {
    problem = "'time_scale' is not a positive number";
    return std::nullopt;
  }
  if (w == j.end() || !w->is_number_integer()) {
    problem = "'saved_at_wall_ms' is not an integer";
    return std::nullopt;
  }
  return clock_position{v->get<int64_t>(), s->get<double>(), w->get<int64_t>()};
}

bool follows_wall_clock(double time_scale, int64_t configured_origin_ms) {
  return time_scale == 1.0 && configured_origin_ms == 0;
}

clock_start choose_clock_start(const clock_start_inputs& in) {
  clock_start out;
  const int64_t saved = in.saved ? in.saved->virtual_ms : 0;
  if (follows_wall_clock(in.time_scale, in.configured_origin_ms)) {
    out.virtual_origin_ms = in.wall_now_ms;
    out.stored_ahead_ms =
        std::max<int64_t>(0, std::max(saved, in.newest_stored_ms) - in.wall_now_ms);
    return out;
  }
  // Nothing to resume: a fresh data directory.
  if (saved == 0 && in.newest_stored_ms == 0) {
    if (in.configured_origin_ms != 0) {
      out.virtual_origin_ms = in.configured_origin_ms;
      out.source = clock_start_source::configured_origin;
    } else {
      out.virtual_origin_ms = in.wall_now_ms;
    }
    return out;
  }
  // Resuming: the wall clock says nothing about where a sped-up clock stood.
  // A configured origin later than all of it (another replay) still wins.
  const std::pair<int64_t, clock_start_source> candidates[] = {
      {saved, clock_start_source::saved_position},
      {in.newest_stored_ms, clock_start_source::stored_data},
      {in.configured_origin_ms, clock_start_source::configured_origin}};
  for (const auto& [time, source] : candidates)
    if (time > out.virtual_origin_ms) {
      out.virtual_origin_ms = time;
      out.source = source;
    }
  return out;
}

} // namespace grace
