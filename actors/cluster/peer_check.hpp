#pragma once
// Whether a peer's hello may be accepted: same protocol version, and the node
// etcd lists at that address. Plain values, no CAF.
#include <cstdint>
#include <optional>
#include <string>

namespace grace::cluster {

// nullopt: accept; otherwise the refusal, in words fit for a log line.
// `expected_id` empty: any valid node id (the side that accepts connections
// learns the id from the hello).
std::optional<std::string> hello_problem(uint32_t ours, uint32_t theirs,
                                         const std::string& their_id,
                                         const std::string& expected_id);

} // namespace grace::cluster
