#include "actors/rl_agent/set_changes.hpp"

namespace grace::rl {

void set_changes::put(const std::string& id, std::string json) {
  put_at_[id] = puts_.size();
  puts_.emplace_back(id, std::move(json));
  ++live_puts_;
}

void set_changes::erase(const std::string& id) {
  const auto it = put_at_.find(id);
  if (it == put_at_.end()) {
    // In the set since before the last take, so in the store.
    erase_.insert(id);
    return;
  }
  // Put since the last take: the store holds it only if it left the set and
  // came back meanwhile, and then its first erase is already noted.
  puts_[it->second] = {};
  put_at_.erase(it);
  --live_puts_;
  // Many short-lived items (a burst at the pending cap) leave mostly holes.
  if (puts_.size() > 1024 && live_puts_ < puts_.size() / 4) {
    std::vector<std::pair<std::string, std::string>> kept;
    kept.reserve(live_puts_);
    for (auto& entry : puts_)
      if (!entry.first.empty()) {
        put_at_[entry.first] = kept.size();
        kept.push_back(std::move(entry));
      }
    puts_ = std::move(kept);
  }
}

set_changes::taken set_changes::take() {
  taken out;
  out.erase.reserve(erase_.size());
  while (!erase_.empty()) // moved out, not copied
    out.erase.push_back(std::move(erase_.extract(erase_.begin()).value()));
  out.put.reserve(live_puts_);
  for (auto& entry : puts_)
    if (!entry.first.empty())
      out.put.push_back(std::move(entry));
  puts_ = {};
  put_at_.clear();
  erase_.clear();
  live_puts_ = 0;
  return out;
}

} // namespace grace::rl
