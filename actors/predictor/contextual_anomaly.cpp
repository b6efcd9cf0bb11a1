#include "actors/predictor/contextual_anomaly.hpp"

#include <algorithm>
#include <cmath>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>

namespace grace::predictor {

namespace {

// Facts of active contexts live above every sensory fact.
constexpr uint32_t context_fact_base = 0x8000'0000u;
constexpr size_t context_limit = 0x4000'0000u;

bool sorted_unique(const std::vector<uint32_t>& f) {
  return std::adjacent_find(f.begin(), f.end(), [](uint32_t a, uint32_t b) { return a >= b; })
         == f.end();
}

} // namespace

void to_json(nlohmann::json& j, const contextual_params& p) {
  j = {{"value_bits", p.value_bits},       {"max_left_facts", p.max_left_facts},
       {"max_active", p.max_active},       {"alarm_level", p.alarm_level},
       {"rest_samples", p.rest_samples},   {"max_contexts", p.max_contexts},
       {"range_samples", p.range_samples}, {"range_margin", p.range_margin}};
}

void from_json(const nlohmann::json& j, contextual_params& p) {
  p.value_bits = j.value("value_bits", p.value_bits);
  p.max_left_facts = j.value("max_left_facts", p.max_left_facts);
  p.max_active = j.value("max_active", p.max_active);
  p.alarm_level = j.value("alarm_level", p.alarm_level);
  p.rest_samples = j.value("rest_samples", p.rest_samples);
  p.max_contexts = j.value("max_contexts", p.max_contexts);
  p.range_samples = j.value("range_samples", p.range_samples);
  p.range_margin = j.value("range_margin", p.range_margin);
}

contextual_detector::contextual_detector(contextual_params p) : p_(p) {
  p_.value_bits = std::clamp(p_.value_bits, 1, 16);
  p_.max_left_facts = std::max(p_.max_left_facts, 1);
  p_.max_active = std::max(p_.max_active, 0);
  p_.rest_samples = std::max(p_.rest_samples, 1);
  p_.max_contexts = std::min(p_.max_contexts, context_limit);
  p_.range_samples = std::max(p_.range_samples, 0);
  p_.range_margin = std::isfinite(p_.range_margin) ? std::clamp(p_.range_margin, 0.0, 100.0) : 0.0;
  recent_raw_.push_back(1.0); // nothing is reported before rest_samples of history
}

contextual_detector::facts contextual_detector::sensory_facts(double value) {
  const bool learning_range =
      p_.range_samples == 0 || seen_ < static_cast<uint64_t>(p_.range_samples);
  ++seen_;
  if (std::isfinite(value) && learning_range) {
    if (!have_range_) {
      min_ = max_ = value;
      have_range_ = true;
    }
    min_ = std::min(min_, value);
    max_ = std::max(max_, value);
  }
  const double top = std::ldexp(1.0, p_.value_bits) - 1.0;
  double range = max_ - min_;
  if (!(range > 0.0) || !std::isfinite(range))
    range = top; // a constant series: unit steps around its value
  const double low = min_ - p_.range_margin * range;
  range *= 1.0 + 2.0 * p_.range_margin;
  double level = (value - low) / (range / top);
  if (std::isnan(level))
    level = top;
  const auto q = static_cast<uint32_t>(std::clamp(level, 0.0, top));
  facts f;
  for (int bit = 0; bit < p_.value_bits; ++bit)
    f.push_back(static_cast<uint32_t>(2 * bit) + ((q >> bit) & 1u));
  return f; // ascending by construction
}

int contextual_detector::semi_of(side s, const facts& f) {
  auto [it, inserted] = semi_index_[s].emplace(f, static_cast<int>(semis_[s].size()));
  if (inserted) {
    semis_[s].push_back({f, {}, {}});
    for (uint32_t fact : f)
      fact_index_[s][fact].push_back(it->second);
  }
  return it->second;
}

bool contextual_detector::learn(const facts& l, const facts& r, bool zero_level) {
  if (contexts_.size() >= p_.max_contexts) {
    // Memory full: only an existing context can still be marked zero-level.
    const auto li = semi_index_[left_side].find(l);
    const auto ri = semi_index_[right_side].find(r);
    if (zero_level && li != semi_index_[left_side].end() && ri != semi_index_[right_side].end()) {
      const auto& pairs = semis_[left_side][static_cast<size_t>(li->second)].pairs;
      if (const auto c = pairs.find(ri->second); c != pairs.end())
        contexts_[static_cast<size_t>(c->second)].zero_level = true;
    }
    return false;
  }
  const int li = semi_of(left_side, l);
  const int ri = semi_of(right_side, r);
  auto& pairs = semis_[left_side][static_cast<size_t>(li)].pairs;
  const auto [it, inserted] = pairs.emplace(ri, static_cast<int>(contexts_.size()));
  if (!inserted) {
    if (zero_level)
      contexts_[static_cast<size_t>(it->second)].zero_level = true;
    return false;
  }
  contexts_.push_back({0, zero_level, li, ri});
  if (zero_level)
    just_learned_ = it->second;
  return true;
}

void contextual_detector::cross(side s, const facts& group) {
  for (int id : crossed_[s])
    semis_[s][static_cast<size_t>(id)].crossed.clear();
  std::vector<int> touched;
  for (uint32_t fact : group) {
    const auto it = fact_index_[s].find(fact);
    if (it == fact_index_[s].end())
      continue;
    for (int id : it->second) {
      auto& semi = semis_[s][static_cast<size_t>(id)];
      if (semi.crossed.empty())
        touched.push_back(id);
      semi.crossed.push_back(fact);
    }
  }
  std::sort(touched.begin(), touched.end());
  crossed_[s] = std::move(touched);
}

std::pair<double, double> contextual_detector::step(const facts& sensory) {
  std::set<std::pair<facts, facts>> candidates_seen;
  bool new_zero_level = false;
  if (!left_group_.empty() && !sensory.empty()) {
    candidates_seen.emplace(left_group_, sensory);
    new_zero_level = learn(left_group_, sensory, true);
  }
  cross(right_side, sensory);

  // Contexts whose left side the previous step crossed: fully matched left
  // sides are predictions ("selected"); a prediction whose right side also
  // matched is active. Partial overlaps of zero-level contexts with the
  // stream are candidate new contexts, learned only when the stream itself
  // was new (a new zero-level context).
  std::vector<std::pair<uint64_t, int>> active; // (hits, context id)
  std::vector<std::pair<facts, facts>> candidates;
  size_t selected = 0;
  const auto max_left = static_cast<size_t>(p_.max_left_facts);
  for (int l : crossed_[left_side]) {
    const auto& ls = semis_[left_side][static_cast<size_t>(l)];
    const bool left_full = ls.crossed.size() == ls.members.size();
    for (const auto& [r, c] : ls.pairs) {
      if (c == just_learned_)
        continue;
      auto& ctx = contexts_[static_cast<size_t>(c)];
      const auto& rs = semis_[right_side][static_cast<size_t>(r)];
      const bool may_learn =
          ctx.zero_level && new_zero_level && !rs.crossed.empty() && ls.crossed.size() <= max_left;
      if (left_full) {
        ++selected;
        if (!rs.crossed.empty() && rs.crossed.size() == rs.members.size()) {
          ++ctx.hits;
          active.emplace_back(ctx.hits, c);
          continue;
        }
      }
      if (may_learn)
        candidates.emplace_back(ls.crossed, rs.crossed);
    }
  }
  just_learned_ = -1;
  for (const auto& c : candidates)
    candidates_seen.insert(c);

  const double active_share =
      selected > 0 ? static_cast<double>(active.size()) / static_cast<double>(selected) : 0.0;
  // The most used active contexts become facts of the next left group.
  std::sort(active.begin(), active.end());
  const size_t keep = std::min(active.size(), static_cast<size_t>(p_.max_active));
  facts group = sensory;
  for (size_t i = active.size() - keep; i < active.size(); ++i)
    group.push_back(context_fact_base + static_cast<uint32_t>(active[i].second));
  std::sort(group.begin(), group.end());
  group.erase(std::unique(group.begin(), group.end()), group.end());
  left_group_ = std::move(group);

  size_t learned = new_zero_level ? 1 : 0;
  for (const auto& [l, r] : candidates)
    learned += learn(l, r, false) ? 1 : 0;
  just_learned_ = -1;
  cross(left_side, left_group_);

  const double new_share =
      new_zero_level && !candidates_seen.empty()
          ? static_cast<double>(learned) / static_cast<double>(candidates_seen.size())
          : 0.0;
  return {active_share, new_share};
}

double contextual_detector::update(double value) {
  const auto [active_share, new_share] = step(sensory_facts(value));
  last_raw_ = std::clamp((1.0 - active_share + new_share) / 2.0, 0.0, 1.0);
  const double recent_max = *std::max_element(recent_raw_.begin(), recent_raw_.end());
  recent_raw_.push_back(last_raw_);
  while (recent_raw_.size() > static_cast<size_t>(p_.rest_samples))
    recent_raw_.pop_front();
  return recent_max < p_.alarm_level ? last_raw_ : 0.0;
}

nlohmann::json contextual_detector::to_json() const {
  nlohmann::json sides = nlohmann::json::array();
  for (const auto& side_semis : semis_) {
    nlohmann::json members = nlohmann::json::array();
    for (const auto& s : side_semis)
      members.push_back(s.members);
    sides.push_back(std::move(members));
  }
  nlohmann::json ctx = nlohmann::json::array();
  for (const auto& c : contexts_)
    ctx.push_back({c.hits, c.zero_level, c.left, c.right});
  return {{"params", p_},
          {"semis", sides},
          {"contexts", ctx},
          {"left_group", left_group_},
          {"have_range", have_range_},
          {"range", {min_, max_}},
          {"seen", seen_},
          {"recent_raw", std::vector<double>(recent_raw_.begin(), recent_raw_.end())},
          {"last_raw", last_raw_}};
}

contextual_detector contextual_detector::from_json(const nlohmann::json& j) {
  contextual_detector d(j.at("params").get<contextual_params>());
  auto fail = [](const std::string& what) {
    throw std::runtime_error("contextual_detector: " + what);
  };
  const auto& sides = j.at("semis");
  if (!sides.is_array() || sides.size() != 2)
    fail("'semis' must hold the left and the right semi-contexts");
  for (size_t s = 0; s < 2; ++s)
    for (const auto& m : sides[s]) {
      const auto members = m.get<facts>();
      if (members.empty() || !sorted_unique(members))
        fail("a semi-context's facts must be non-empty, ascending and unique");
      if (d.semi_index_[s].count(members) != 0)
        fail("a semi-context is listed twice");
      d.semi_of(static_cast<side>(s), members);
    }
  for (const auto& c : j.at("contexts")) {
    const auto hits = c.at(0).get<uint64_t>();
    const bool zero_level = c.at(1).get<bool>();
    const int l = c.at(2).get<int>(), r = c.at(3).get<int>();
    if (l < 0 || r < 0 || static_cast<size_t>(l) >= d.semis_[left_side].size()
        || static_cast<size_t>(r) >= d.semis_[right_side].size())
      fail("a context names a semi-context that does not exist");
    if (!d.semis_[left_side][static_cast<size_t>(l)]
             .pairs.emplace(r, static_cast<int>(d.contexts_.size()))
             .second)
      fail("a context is listed twice");
    d.contexts_.push_back({hits, zero_level, l, r});
  }
  d.left_group_ = j.at("left_group").get<facts>();
  if (!sorted_unique(d.left_group_))
    fail("'left_group' must be ascending and unique");
  d.have_range_ = j.at("have_range").get<bool>();
  const auto range = j.at("range").get<std::vector<double>>();
  if (range.size() != 2 || (d.have_range_ && !(range[0] <= range[1])))
    fail("'range' must be [min, max]");
  d.seen_ = j.value("seen", uint64_t{0});
  d.min_ = range[0];
  d.max_ = range[1];
  const auto recent = j.at("recent_raw").get<std::vector<double>>();
  if (recent.empty() || recent.size() > static_cast<size_t>(d.p_.rest_samples))
    fail("'recent_raw' must hold 1 to rest_samples scores");
  d.recent_raw_.assign(recent.begin(), recent.end());
  d.last_raw_ = j.at("last_raw").get<double>();
  d.cross(left_side, d.left_group_); // what the last step left crossed
  return d;
}

} // namespace grace::predictor
