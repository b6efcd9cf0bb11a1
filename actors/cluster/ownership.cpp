#include "actors/cluster/ownership.hpp"

#include "actors/cluster/shard_map.hpp"

#include <algorithm>
#include <limits>
#include <stdexcept>

namespace grace::cluster {

const char* to_string(shard_role r) {
  switch (r) {
  case shard_role::idle:
    return "idle";
  case shard_role::claiming:
    return "claiming";
  case shard_role::serving:
    return "serving";
  case shard_role::releasing:
    return "releasing";
  }
  return "unknown";
}

ownership::ownership(std::string self, int shards)
    : self_(std::move(self)), roles_(static_cast<size_t>(shards), shard_role::idle),
      tokens_(static_cast<size_t>(shards), 0), changed_at_(static_cast<size_t>(shards), 0) {
  if (shards <= 0)
    throw std::invalid_argument("ownership: shard count must be positive");
}

void ownership::lease_granted(int64_t lease_id, int64_t sent_ms, int64_t ttl_ms) {
  // A new lease owns nothing yet: claims under the old one died with it.
  stop_all();
  lease_ = lease_id;
  deadline_ms_ = sent_ms + ttl_ms;
}

void ownership::lease_kept(int64_t sent_ms, int64_t ttl_ms) {
  if (lease_ == 0)
    return;
  deadline_ms_ = std::max(deadline_ms_, sent_ms + ttl_ms);
}

void ownership::lease_kept(int64_t lease_id, int64_t sent_ms, int64_t ttl_ms) {
  if (lease_id == lease_)
    lease_kept(sent_ms, ttl_ms);
}

void ownership::lease_lost() {
  stop_all();
  lease_ = 0;
  deadline_ms_ = 0;
}

bool ownership::expire_if_due(int64_t now_ms) {
  if (lease_ == 0 || now_ms < deadline_ms_)
    return false;
  lease_lost();
  return true;
}

bool ownership::lease_alive(int64_t now_ms) const {
  return lease_ != 0 && now_ms < deadline_ms_;
}

void ownership::stop_all() {
  std::fill(roles_.begin(), roles_.end(), shard_role::idle);
  std::fill(tokens_.begin(), tokens_.end(), 0);
}

std::vector<ownership_action> ownership::reconcile(const std::vector<std::string>& members,
                                                   const std::map<int, owner_record>& owners,
                                                   int64_t now_ms) {
  return reconcile(members, owners, now_ms, std::numeric_limits<int64_t>::max());
}

std::vector<ownership_action> ownership::reconcile(const std::vector<std::string>& members,
                                                   const std::map<int, owner_record>& owners,
                                                   int64_t now_ms, int64_t read_revision) {
  std::vector<ownership_action> actions;
  if (!lease_alive(now_ms)) {
    stop_all();
    return actions;
  }
  const bool member = std::find(members.begin(), members.end(), self_) != members.end();
  for (int shard = 0; shard < shards(); ++shard) {
    auto& role = roles_[static_cast<size_t>(shard)];
    auto& token = tokens_[static_cast<size_t>(shard)];
    if (read_revision < changed_at_[static_cast<size_t>(shard)])
      continue; // read before our claim or release was answered
    const auto preferred = preferred_owner(shard, members);
    const bool preferred_here = member && preferred && *preferred == self_;
    const auto it = owners.find(shard);
    if (it == owners.end()) {
      // Nobody holds it (a release finished, or the owner's lease expired).
      if (role == shard_role::claiming)
        continue; // our claim is on its way
      role = shard_role::idle;
      token = 0;
      if (preferred_here) {
        role = shard_role::claiming;
        actions.push_back({ownership_action_kind::claim, shard, 0});
      }
      continue;
    }
    const auto& owner = it->second;
    const bool ours = owner.node == self_ && owner.lease == lease_;
    if (!ours) {
      // Someone else holds it (or a key of an earlier lease of ours, which
      // expires with that lease): never serve it here.
      if (role != shard_role::claiming)
        role = shard_role::idle;
      token = 0;
      continue;
    }
    if (role == shard_role::releasing)
      continue; // the delete is on its way
    if (member && preferred && !preferred_here) {
      // A member etcd lists is preferred now: hand over. Stop serving before
      // the delete is sent, so that two nodes never serve the shard at once.
      role = shard_role::releasing;
      actions.push_back({ownership_action_kind::release, shard, owner.fencing_token});
      token = 0;
      continue;
    }
    // Ours under the live lease: etcd is the truth (a claim whose answer was
    // lost is adopted here).
    role = shard_role::serving;
    token = owner.fencing_token;
  }
  return actions;
}

void ownership::claim_succeeded(int shard, int64_t fencing_token) {
  if (shard < 0 || shard >= shards())
    return;
  auto& role = roles_[static_cast<size_t>(shard)];
  if (role != shard_role::claiming)
    return; // the lease was lost meanwhile: the claim died with it
  role = shard_role::serving;
  tokens_[static_cast<size_t>(shard)] = fencing_token;
}

void ownership::claim_succeeded(int shard, int64_t fencing_token, int64_t lease_id) {
  if (lease_id != lease_ || shard < 0 || shard >= shards())
    return;
  if (roles_[static_cast<size_t>(shard)] == shard_role::claiming)
    changed_at_[static_cast<size_t>(shard)] = fencing_token;
  claim_succeeded(shard, fencing_token);
}

void ownership::claim_failed(int shard, int64_t lease_id) {
  if (lease_id == lease_)
    claim_failed(shard);
}

void ownership::release_done(int shard, int64_t lease_id, int64_t revision) {
  if (lease_id != lease_ || shard < 0 || shard >= shards())
    return;
  if (roles_[static_cast<size_t>(shard)] != shard_role::releasing)
    return; // claimed again meanwhile: this answer is about the earlier claim
  changed_at_[static_cast<size_t>(shard)] = revision;
  release_done(shard);
}

void ownership::claim_failed(int shard) {
  if (shard < 0 || shard >= shards())
    return;
  auto& role = roles_[static_cast<size_t>(shard)];
  if (role == shard_role::claiming)
    role = shard_role::idle;
}

void ownership::release_done(int shard) {
  if (shard < 0 || shard >= shards())
    return;
  auto& role = roles_[static_cast<size_t>(shard)];
  if (role == shard_role::releasing)
    role = shard_role::idle;
  tokens_[static_cast<size_t>(shard)] = 0;
}

shard_role ownership::role(int shard) const {
  if (shard < 0 || shard >= shards())
    return shard_role::idle;
  return roles_[static_cast<size_t>(shard)];
}

bool ownership::serving(int shard, int64_t now_ms) const {
  return lease_alive(now_ms) && role(shard) == shard_role::serving;
}

int64_t ownership::fencing_token(int shard) const {
  if (shard < 0 || shard >= shards())
    return 0;
  return tokens_[static_cast<size_t>(shard)];
}

std::vector<int> ownership::serving_shards(int64_t now_ms) const {
  std::vector<int> out;
  for (int shard = 0; shard < shards(); ++shard)
    if (serving(shard, now_ms))
      out.push_back(shard);
  return out;
}

} // namespace grace::cluster
