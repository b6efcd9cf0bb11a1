#pragma once
// The JSON body of GET /api/snapshots/latest, rendered again only when the
// rows differ from the last ones. Rendering (nlohmann objects, number
// formatting, allocations) was most of the route's CPU, and the latest
// snapshots change only when a window closes.
//
// Not thread-safe: the gateway calls it inside its coalesced read, which
// runs one at a time.
#include "messages/types.hpp"

#include <memory>
#include <string>
#include <vector>

namespace grace::http {

class rendered_snapshots {
public:
  // `{"snapshots": rows}` as send_json() writes it; the same string object
  // as last time when the rows are the same.
  std::shared_ptr<const std::string> body_for(std::vector<snapshot> rows);

private:
  std::vector<snapshot> rows_;
  std::shared_ptr<const std::string> body_;
};

// Field by field; NaN statistics (a window whose mean overflowed) equal NaN.
bool same_snapshots(const std::vector<snapshot>& a, const std::vector<snapshot>& b);

} // namespace grace::http
