#pragma once
// Who listens to which topic. "*" subscribes to every topic. Generic over the
// subscriber's identity so the actor shell can use actor addresses.
#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace grace::mesh {

template <class Subscriber> class topic_table {
public:
  void subscribe(const std::string& topic, const Subscriber& s) { topics_[topic].insert(s); }

  void unsubscribe_everywhere(const Subscriber& s) {
    for (auto it = topics_.begin(); it != topics_.end();) {
      it->second.erase(s);
      it = it->second.empty() ? topics_.erase(it) : std::next(it);
    }
  }

  // Everyone subscribed to `topic` or to "*", each once.
  std::vector<Subscriber> recipients(const std::string& topic) const {
    std::set<Subscriber> out;
    for (const auto* key : {&topic, &wildcard()}) {
      auto it = topics_.find(*key);
      if (it != topics_.end())
        out.insert(it->second.begin(), it->second.end());
    }
    return {out.begin(), out.end()};
  }

  size_t subscriptions() const {
    size_t n = 0;
    for (const auto& [topic, subs] : topics_)
      n += subs.size();
    return n;
  }

private:
  static const std::string& wildcard() {
    static const std::string w = "*";
    return w;
  }
  std::map<std::string, std::set<Subscriber>> topics_;
};

} // namespace grace::mesh
