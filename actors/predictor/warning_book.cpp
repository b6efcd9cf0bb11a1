#include "actors/predictor/warning_book.hpp"

#include "messages/json.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <utility>

namespace grace::predictor {

namespace {

using json = nlohmann::json;

int rank(band b) {
  return static_cast<int>(b);
}

bool by_raised_at(const early_warning& a, const early_warning& b) {
  return a.raised_at != b.raised_at ? a.raised_at < b.raised_at : a.id < b.id;
}

void apply(early_warning& w, const breach_assessment& a, timestamp_ms now) {
  w.severity = a.severity;
  w.probability = a.probability;
  w.updated_at = now;
  w.expected_breach_at = a.expected_breach_at;
  w.predicted_value = a.predicted_value;
  w.threshold = a.threshold;
  w.lo80 = a.lo80;
  w.hi80 = a.hi80;
}

// --- JSON ------------------------------------------------------------------
// Each warning in the book's file is written and read with the one JSON
// mapping of early_warning (messages/json.hpp); the book adds its own frame.

json warning_to_json(const early_warning& w) {
  return json(w);
}

// Reads the fields of one JSON object; errors name the context and field.
struct reader {
  const json& obj;
  std::string ctx; // "open[2]: " etc., may be empty

  [[noreturn]] void fail(const std::string& name, const std::string& what) const {
    throw std::runtime_error("warning_book: " + ctx + "field '" + name + "' " + what);
  }
  static std::string found(const json& v) { return std::string(", found ") + v.type_name(); }

  const json& at(const std::string& name) const {
    auto it = obj.find(name);
    if (it == obj.end())
      fail(name, "is missing");
    return *it;
  }
  int64_t integer(const std::string& name) const {
    const json& v = at(name);
    if (!v.is_number_integer())
      fail(name, "must be an integer" + found(v));
    return v.get<int64_t>();
  }
  uint64_t count(const std::string& name) const {
    const json& v = at(name);
    if (v.is_number_unsigned())
      return v.get<uint64_t>();
    if (v.is_number_integer())
      fail(name, "must not be negative");
    fail(name, "must be a non-negative integer" + found(v));
  }
  double number(const std::string& name) const {
    const json& v = at(name);
    if (v.is_null())
      return std::numeric_limits<double>::quiet_NaN();
    if (!v.is_number())
      fail(name, "must be a number" + found(v));
    return v.get<double>();
  }
  const json& array(const std::string& name) const {
    const json& v = at(name);
    if (!v.is_array())
      fail(name, "must be an array" + found(v));
    return v;
  }
  const json& object(const std::string& name) const {
    const json& v = at(name);
    if (!v.is_object())
      fail(name, "must be an object" + found(v));
    return v;
  }
};

reader object_reader(const json& v, const std::string& ctx) {
  if (!v.is_object())
    throw std::runtime_error("warning_book: " + ctx + "must be a JSON object, found "
                             + v.type_name());
  return reader{v, ctx};
}

// One warning of the book's `where` ("open[2]"), read with the shared mapping.
early_warning warning_from_json(const json& v, const std::string& where) {
  const reader r = object_reader(v, where + ": ");
  early_warning w;
  try {
    w = read_as<early_warning>(v, where);
  } catch (const json_mapping_error& e) {
    throw std::runtime_error(std::string("warning_book: ") + e.what());
  }
  if (w.id.empty())
    r.fail("id", "must not be empty");
  if (w.metric_id.empty())
    r.fail("metric_id", "must not be empty");
  if (w.severity == band::good)
    r.fail("severity", "must be warning or critical");
  return w;
}

} // namespace

std::string to_string(warning_change c) {
  switch (c) {
  case warning_change::none:
    return "none";
  case warning_change::raised:
    return "raised";
  case warning_change::updated:
    return "updated";
  case warning_change::escalated:
    return "escalated";
  }
  return "unknown";
}

warning_book::warning_book(warning_policy policy) : policy_(policy) {}

warning_event warning_book::observe_forecast(const forecast& f, const threshold_spec& t,
                                             band current_band, timestamp_ms now) {
  threshold_spec named = t;
  if (named.metric_id.empty())
    named.metric_id = f.metric_id;
  return observe_outlook(assess(f, t), named, current_band, now);
}

warning_event warning_book::observe_outlook(const breach_outlook& o, const threshold_spec& t,
                                            band current_band, timestamp_ms now) {
  const std::string& metric = t.metric_id;

  auto qualifies = [&](const breach_assessment& a) {
    if (rank(current_band) >= rank(a.severity))
      return false; // already there: an incident, not a prediction
    const double cut = a.min_probability > 0.0
                           ? std::min(a.min_probability, policy_.min_probability)
                           : policy_.min_probability;
    if (!(a.probability >= cut) || a.expected_breach_at == 0)
      return false;
    const int64_t lead = a.expected_breach_at - now;
    return lead >= policy_.min_lead_ms && lead <= policy_.max_lead_ms;
  };
  const breach_assessment* chosen = qualifies(o.critical)  ? &o.critical
                                    : qualifies(o.warning) ? &o.warning
                                                           : nullptr;
  if (chosen == nullptr)
    return {};

  if (auto it = open_.find(metric); it != open_.end()) {
    early_warning& w = it->second;
    if (rank(chosen->severity) < rank(w.severity))
      return {}; // no de-escalation
    const warning_change change = rank(chosen->severity) > rank(w.severity)
                                      ? warning_change::escalated
                                      : warning_change::updated;
    apply(w, *chosen, now);
    if (!t.service.empty())
      w.service = t.service;
    return {change, w};
  }

  early_warning w;
  w.id = new_id(metric, now);
  w.metric_id = metric;
  w.service = t.service;
  w.raised_at = now;
  apply(w, *chosen, now);
  ++raised_;
  open_.emplace(metric, w);
  return {warning_change::raised, w};
}

std::string warning_book::new_id(const std::string& metric_id, timestamp_ms now) {
  auto& [at, count] = last_raise_[metric_id];
  if (count > 0 && at == now) {
    ++count;
  } else {
    at = now;
    count = 1;
  }
  std::string id = "ew-" + metric_id + "-" + std::to_string(now);
  if (count > 1)
    id += "-" + std::to_string(count);
  return id;
}

std::optional<early_warning> warning_book::recommend(const std::string& metric_id,
                                                     const std::string& playbook) {
  const auto it = open_.find(metric_id);
  if (it == open_.end())
    return std::nullopt;
  it->second.recommended_playbook = playbook;
  return it->second;
}

void warning_book::action_taken(const std::string& metric_id, const std::string& playbook,
                                timestamp_ms at) {
  if (auto it = open_.find(metric_id); it != open_.end()) {
    it->second.action_playbook = playbook;
    it->second.action_at = at;
  }
}

std::vector<early_warning> warning_book::observe_band(const std::string& metric_id, band level,
                                                      timestamp_ms at) {
  auto it = open_.find(metric_id);
  if (it == open_.end() || rank(level) < rank(it->second.severity) || at < it->second.raised_at)
    return {};
  early_warning w = std::move(it->second);
  open_.erase(it);
  w.outcome = warning_outcome::came_true;
  w.breached_at = at;
  w.resolved_at = at;
  resolve(w);
  return {w};
}

std::vector<early_warning> warning_book::expire(timestamp_ms now) {
  std::vector<early_warning> out;
  for (auto it = open_.begin(); it != open_.end();) {
    // now - expected > grace, written so that it cannot overflow for sane times
    if (now - it->second.expected_breach_at > policy_.grace_ms) {
      out.push_back(std::move(it->second));
      it = open_.erase(it);
    } else {
      ++it;
    }
  }
  std::sort(out.begin(), out.end(), by_raised_at);
  for (early_warning& w : out) {
    w.outcome =
        w.action_playbook.empty() ? warning_outcome::false_alarm : warning_outcome::prevented;
    w.resolved_at = now;
    resolve(w);
  }
  return out;
}

void warning_book::resolve(early_warning w) {
  switch (w.outcome) {
  case warning_outcome::prevented:
    ++prevented_;
    break;
  case warning_outcome::false_alarm:
    ++false_alarm_;
    break;
  case warning_outcome::came_true: {
    ++came_true_;
    const double lead = static_cast<double>(w.breached_at - w.raised_at) / 60000.0;
    lead_sum_minutes_ += lead;
    lead_minutes_.push_back(lead);
    while (lead_minutes_.size() > policy_.keep_lead_samples)
      lead_minutes_.pop_front();
    break;
  }
  case warning_outcome::open:
    break;
  }
  recent_.push_front(std::move(w));
  while (recent_.size() > policy_.keep_recent)
    recent_.pop_back();
}

std::vector<early_warning> warning_book::open() const {
  std::vector<early_warning> out;
  out.reserve(open_.size());
  for (const auto& [metric, w] : open_)
    out.push_back(w);
  std::sort(out.begin(), out.end(), by_raised_at);
  return out;
}

std::optional<early_warning> warning_book::open_for(const std::string& metric_id) const {
  if (auto it = open_.find(metric_id); it != open_.end())
    return it->second;
  return std::nullopt;
}

std::vector<early_warning> warning_book::recent(size_t n) const {
  const size_t k = std::min(n, recent_.size());
  return {recent_.begin(), recent_.begin() + static_cast<std::ptrdiff_t>(k)};
}

warning_book::statistics warning_book::stats() const {
  statistics s;
  s.raised = raised_;
  s.prevented = prevented_;
  s.came_true = came_true_;
  s.false_alarm = false_alarm_;
  s.mean_lead_minutes = came_true_ > 0 ? lead_sum_minutes_ / static_cast<double>(came_true_) : 0.0;
  s.lead_minutes.assign(lead_minutes_.begin(), lead_minutes_.end());
  return s;
}

nlohmann::json warning_book::to_json() const {
  json open_list = json::array();
  for (const early_warning& w : open())
    open_list.push_back(warning_to_json(w));
  json recent_list = json::array();
  for (const early_warning& w : recent_)
    recent_list.push_back(warning_to_json(w));
  json last_raise = json::object();
  for (const auto& [metric, entry] : last_raise_)
    last_raise[metric] = json{{"at", entry.first}, {"count", entry.second}};
  return json{
      {"version", 1},
      {"open", std::move(open_list)},
      {"recent", std::move(recent_list)},
      {"stats",
       {{"raised", raised_},
        {"prevented", prevented_},
        {"came_true", came_true_},
        {"false_alarm", false_alarm_},
        {"lead_sum_minutes", lead_sum_minutes_},
        {"lead_minutes", json(std::vector<double>(lead_minutes_.begin(), lead_minutes_.end()))}}},
      {"last_raise", std::move(last_raise)}};
}

warning_book warning_book::from_json(const nlohmann::json& j, warning_policy policy) {
  const reader top = object_reader(j, "");
  if (const int64_t version = top.integer("version"); version != 1)
    top.fail("version", "must be 1, found " + std::to_string(version));

  warning_book b(policy);
  const json& open_list = top.array("open");
  for (size_t i = 0; i < open_list.size(); ++i) {
    const std::string where = "open[" + std::to_string(i) + "]";
    const std::string ctx = where + ": ";
    early_warning w = warning_from_json(open_list[i], where);
    const reader r{open_list[i], ctx};
    if (w.outcome != warning_outcome::open)
      r.fail("outcome", "must be 'open' for an open warning, found '" + to_string(w.outcome) + "'");
    if (b.open_.count(w.metric_id) > 0)
      r.fail("metric_id", "'" + w.metric_id + "' has a second open warning");
    b.open_.emplace(w.metric_id, std::move(w));
  }

  const json& recent_list = top.array("recent");
  for (size_t i = 0; i < recent_list.size(); ++i) {
    const std::string where = "recent[" + std::to_string(i) + "]";
    const std::string ctx = where + ": ";
    early_warning w = warning_from_json(recent_list[i], where);
    if (w.outcome == warning_outcome::open)
      reader{recent_list[i], ctx}.fail("outcome", "must not be 'open' for a resolved warning");
    if (b.recent_.size() < policy.keep_recent)
      b.recent_.push_back(std::move(w));
  }

  const reader s{top.object("stats"), "stats: "};
  b.raised_ = s.count("raised");
  b.prevented_ = s.count("prevented");
  b.came_true_ = s.count("came_true");
  b.false_alarm_ = s.count("false_alarm");
  b.lead_sum_minutes_ = s.number("lead_sum_minutes");
  const json& leads = s.array("lead_minutes");
  for (size_t i = 0; i < leads.size(); ++i) {
    if (!leads[i].is_number())
      s.fail("lead_minutes",
             "[" + std::to_string(i) + "] must be a number" + reader::found(leads[i]));
    b.lead_minutes_.push_back(leads[i].get<double>());
  }
  while (b.lead_minutes_.size() > policy.keep_lead_samples)
    b.lead_minutes_.pop_front();

  const json& last_raise = top.object("last_raise");
  for (const auto& [metric, entry] : last_raise.items()) {
    const reader r = object_reader(entry, "last_raise['" + metric + "']: ");
    b.last_raise_[metric] = {r.integer("at"), r.count("count")};
  }
  return b;
}

} // namespace grace::predictor
