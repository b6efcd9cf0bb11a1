// Net changes to a set of keyed items (the agent's pending events, its
// expired ids) since they were last taken: what a store that holds the set as
// it was then must erase and put to hold it as it is now. An item added and
// removed between two takes costs the store nothing.
//
// The owner reports every item that enters the set (put) and every one that
// leaves it (erase), each at most once per membership; it never puts an id
// that is already in the set.
#pragma once

#include <cstddef>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace grace::rl {

class set_changes {
public:
  struct taken {
    std::vector<std::string> erase;                       ///< apply first
    std::vector<std::pair<std::string, std::string>> put; ///< id and its JSON, in put order
    bool empty() const { return erase.empty() && put.empty(); }
  };

  void put(const std::string& id, std::string json);
  void erase(const std::string& id);
  /// The changes since the last take; the store holds the set as it is now
  /// once they are applied.
  taken take();
  bool empty() const { return live_puts_ == 0 && erase_.empty(); }

private:
  // In put order; an entry erased before the take has an empty id.
  std::vector<std::pair<std::string, std::string>> puts_;
  std::unordered_map<std::string, std::size_t> put_at_; // id -> index in puts_
  std::size_t live_puts_ = 0;
  // Ids the store holds and the set no longer does.
  std::unordered_set<std::string> erase_;
};

} // namespace grace::rl
