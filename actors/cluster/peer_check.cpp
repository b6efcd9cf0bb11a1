#include "actors/cluster/peer_check.hpp"

#include "actors/cluster/membership.hpp"

namespace grace::cluster {

std::optional<std::string> hello_problem(uint32_t ours, uint32_t theirs,
                                         const std::string& their_id,
                                         const std::string& expected_id) {
  if (!valid_name(their_id))
    return std::string("the peer sent no valid node id");
  if (theirs != ours)
    return "peer '" + their_id + "' speaks cluster protocol version " + std::to_string(theirs)
           + ", this node speaks version " + std::to_string(ours)
           + ": run the same grace-node release on every node";
  if (!expected_id.empty() && their_id != expected_id)
    return "the peer at this address says it is '" + their_id + "', etcd lists '" + expected_id
           + "' there";
  return std::nullopt;
}

} // namespace grace::cluster
