#include "http/rendered_snapshots.hpp"

#include "messages/json.hpp"

#include <cmath>
#include <nlohmann/json.hpp>

namespace grace::http {

namespace {

bool same_number(double a, double b) {
  return a == b || (std::isnan(a) && std::isnan(b));
}

bool same_snapshot(const snapshot& a, const snapshot& b) {
  return a.metric_id == b.metric_id && a.window_start == b.window_start
         && a.window_end == b.window_end && a.count == b.count && same_number(a.mean, b.mean)
         && same_number(a.min, b.min) && same_number(a.max, b.max) && same_number(a.p50, b.p50)
         && same_number(a.p95, b.p95) && same_number(a.last, b.last) && a.level == b.level;
}

} // namespace

bool same_snapshots(const std::vector<snapshot>& a, const std::vector<snapshot>& b) {
  if (a.size() != b.size())
    return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (!same_snapshot(a[i], b[i]))
      return false;
  return true;
}

std::shared_ptr<const std::string> rendered_snapshots::body_for(std::vector<snapshot> rows) {
  if (body_ && same_snapshots(rows, rows_))
    return body_;
  const nlohmann::json body{{"snapshots", rows}};
  body_ = std::make_shared<const std::string>(
      body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  rows_ = std::move(rows);
  return body_;
}

} // namespace grace::http
