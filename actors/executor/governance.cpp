#include "actors/executor/governance.hpp"

#include <algorithm>

namespace grace::executor {

namespace {

constexpr int64_t hour_ms = 3600000;

std::string quoted(const std::string& s) {
  return "'" + s + "'";
}

decision refuse(std::string rule, std::string reason) {
  return {verdict::refused, std::move(rule), std::move(reason)};
}

} // namespace

std::string to_string(verdict v) {
  switch (v) {
  case verdict::run:
    return "run";
  case verdict::dry_run:
    return "dry_run";
  case verdict::await_approval:
    return "await_approval";
  case verdict::refused:
    return "refused";
  }
  return "unknown";
}

std::string to_string(breaker_state s) {
  switch (s) {
  case breaker_state::closed:
    return "closed";
  case breaker_state::open:
    return "open";
  case breaker_state::half_open:
    return "half_open";
  }
  return "unknown";
}

governor::governor(governance_settings s) : settings_(s) {}

decision governor::check_rules(const catalog::playbook_definition& pb, const std::string& target,
                               timestamp_ms now) const {
  const auto on = quoted(pb.id) + " on " + target;
  // 1. Kill switch.
  if (kill_switch_) {
    auto reason = "kill_switch: engaged " + format_duration(now - kill_since_) + " ago";
    if (!kill_reason_.empty())
      reason += " (" + kill_reason_ + ")";
    return refuse("kill_switch", reason + "; " + on + " not run");
  }
  // 2. Circuit breaker.
  if (auto it = breakers_.find(pb.id); it != breakers_.end() && it->second.opened) {
    const auto& b = it->second;
    if (now < b.open_until)
      return refuse("circuit_breaker",
                    "circuit_breaker: " + quoted(pb.id) + " failed " + std::to_string(b.failures)
                        + " times in a row; open for another " + format_duration(b.open_until - now)
                        + ", " + on + " not run");
    if (b.trial_running && now - b.trial_started < settings_.breaker_open_ms)
      return refuse("circuit_breaker", "circuit_breaker: " + quoted(pb.id)
                                           + " is half-open and its trial run has not finished; "
                                           + on + " not run");
  }
  // 3. Cooldown, per playbook and target.
  if (pb.cooldown_ms > 0) {
    if (auto it = last_start_.find({pb.id, target}); it != last_start_.end()) {
      const auto since = now - it->second;
      if (since < pb.cooldown_ms)
        return refuse("cooldown", "cooldown: " + on + " ran " + format_duration(since)
                                      + " ago, cooldown " + format_duration(pb.cooldown_ms)
                                      + "; allowed again in "
                                      + format_duration(pb.cooldown_ms - since));
    }
  }
  // 4. Rate limit, per playbook over a sliding hour.
  if (auto it = starts_.find(pb.id); it != starts_.end()) {
    std::vector<timestamp_ms> in_window;
    for (auto t : it->second)
      if (t > now - hour_ms)
        in_window.push_back(t);
    const auto limit = std::max(pb.max_runs_per_hour, 0);
    const auto count = static_cast<int>(in_window.size());
    if (count >= limit) {
      auto reason = "rate_limit: " + quoted(pb.id) + " ran " + std::to_string(count)
                    + " times in the last hour, limit " + std::to_string(limit) + " per hour; " + on
                    + " not run";
      if (limit > 0) {
        // The slot frees when the (count - limit + 1)-th oldest run leaves the window.
        const auto frees_at = in_window[static_cast<size_t>(count - limit)] + hour_ms;
        reason += ", next slot in " + format_duration(frees_at - now);
      }
      return refuse("rate_limit", reason);
    }
  } else if (pb.max_runs_per_hour <= 0) {
    return refuse("rate_limit",
                  "rate_limit: " + quoted(pb.id) + " allows no runs per hour; " + on + " not run");
  }
  return {verdict::run, "", on + " may run"};
}

decision governor::decide(const catalog::playbook_definition& pb, const std::string& target,
                          timestamp_ms now) const {
  auto d = check_rules(pb, target, now);
  if (d.kind != verdict::run)
    return d;
  // 5. Mode.
  const auto on = quoted(pb.id) + " on " + target;
  switch (pb.mode) {
  case catalog::playbook_mode::auto_run:
    return d;
  case catalog::playbook_mode::dry_run:
    return {verdict::dry_run, "mode",
            "mode: " + quoted(pb.id) + " is dry-run; " + on + " is only described, not executed"};
  case catalog::playbook_mode::approval:
    return {verdict::await_approval, "mode",
            "mode: " + quoted(pb.id) + " needs an operator's approval; " + on
                + " waits for approval"};
  }
  return d;
}

decision governor::decide_approved(const catalog::playbook_definition& pb,
                                   const std::string& target, timestamp_ms now) const {
  return check_rules(pb, target, now);
}

std::vector<std::string> governor::runnable(const catalog::metrics_catalog& cat,
                                            const std::vector<std::string>& playbooks,
                                            const std::string& target, timestamp_ms now) const {
  std::vector<std::string> out;
  for (const auto& id : playbooks)
    if (const auto* pb = cat.find_playbook(id)) {
      const auto kind = decide(*pb, target, now).kind;
      if (kind == verdict::run || kind == verdict::await_approval)
        out.push_back(id);
    }
  return out;
}

void governor::started(const std::string& playbook, const std::string& target, timestamp_ms now) {
  last_start_[{playbook, target}] = now;
  auto& starts = starts_[playbook];
  starts.push_back(now);
  std::sort(starts.begin(), starts.end()); // times normally arrive in order: nearly free
  while (!starts.empty() && starts.front() <= now - hour_ms)
    starts.pop_front();
  if (auto it = breakers_.find(playbook); it != breakers_.end()) {
    auto& b = it->second;
    if (b.opened && now >= b.open_until) {
      b.trial_running = true;
      b.trial_started = now;
    }
  }
}

void governor::finished(const std::string& playbook, bool success, timestamp_ms now) {
  auto& b = breakers_[playbook];
  if (success) {
    b = breaker_info{};
    return;
  }
  ++b.failures;
  if (b.opened) {
    // A failed half-open trial opens the breaker again; a late failure of a
    // run that started before the breaker opened changes nothing.
    if (now >= b.open_until) {
      b.open_until = now + settings_.breaker_open_ms;
      b.trial_running = false;
    }
    return;
  }
  if (b.failures >= std::max(settings_.breaker_failures, 1)) {
    b.opened = true;
    b.open_until = now + settings_.breaker_open_ms;
    b.trial_running = false;
  }
}

void governor::set_kill_switch(bool engaged, const std::string& reason, timestamp_ms now) {
  if (engaged != kill_switch_)
    kill_since_ = now;
  kill_switch_ = engaged;
  kill_reason_ = reason;
}

breaker_state governor::breaker(const std::string& playbook, timestamp_ms now) const {
  auto it = breakers_.find(playbook);
  if (it == breakers_.end() || !it->second.opened)
    return breaker_state::closed;
  return now < it->second.open_until ? breaker_state::open : breaker_state::half_open;
}

int governor::consecutive_failures(const std::string& playbook) const {
  auto it = breakers_.find(playbook);
  return it == breakers_.end() ? 0 : it->second.failures;
}

int governor::runs_last_hour(const std::string& playbook, timestamp_ms now) const {
  auto it = starts_.find(playbook);
  if (it == starts_.end())
    return 0;
  return static_cast<int>(std::count_if(it->second.begin(), it->second.end(),
                                        [&](timestamp_ms t) { return t > now - hour_ms; }));
}

governance_status governor::status(timestamp_ms now) const {
  governance_status out;
  out.kill_switch = {kill_switch_, kill_reason_, kill_since_};
  for (const auto& [id, b] : breakers_)
    out.breakers.push_back(
        {id, to_string(breaker(id, now)), b.failures, b.opened, b.open_until, b.trial_running});
  for (const auto& [id, starts] : starts_)
    out.runs_last_hour[id] = runs_last_hour(id, now);
  out.settings = {settings_.breaker_failures, settings_.breaker_open_ms,
                  settings_.approval_timeout_ms};
  return out;
}

// --- approval_queue ---

namespace {

std::vector<pending_approval> oldest_first(std::vector<pending_approval> v) {
  std::stable_sort(v.begin(), v.end(), [](const pending_approval& a, const pending_approval& b) {
    return a.requested_at < b.requested_at;
  });
  return v;
}

} // namespace

void approval_queue::add(pending_approval p) {
  auto id = p.execution_id;
  items_[id] = std::move(p);
}

std::optional<pending_approval> approval_queue::take(const std::string& execution_id,
                                                     timestamp_ms now) {
  auto it = items_.find(execution_id);
  if (it == items_.end())
    return std::nullopt;
  auto p = std::move(it->second);
  items_.erase(it);
  if (now >= p.expires_at)
    return std::nullopt;
  return p;
}

std::vector<pending_approval> approval_queue::expire(timestamp_ms now) {
  std::vector<pending_approval> out;
  for (auto it = items_.begin(); it != items_.end();) {
    if (now >= it->second.expires_at) {
      out.push_back(std::move(it->second));
      it = items_.erase(it);
    } else {
      ++it;
    }
  }
  return oldest_first(std::move(out));
}

std::vector<pending_approval> approval_queue::pending() const {
  std::vector<pending_approval> out;
  out.reserve(items_.size());
  for (const auto& [id, p] : items_)
    out.push_back(p);
  return oldest_first(std::move(out));
}

bool approval_queue::remove(const std::string& execution_id) {
  return items_.erase(execution_id) > 0;
}

std::vector<approval_status> approval_queue::status(timestamp_ms now) const {
  std::vector<approval_status> out;
  for (const auto& p : pending())
    out.push_back({p.execution_id, p.playbook, p.target, p.requested_at, p.expires_at,
                   std::max<int64_t>(p.expires_at - now, 0)});
  return out;
}

} // namespace grace::executor
