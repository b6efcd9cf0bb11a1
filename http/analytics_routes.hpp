#pragma once
// The dashboard API (/api/ml/dashboard/*), the latest forecasts for charts
// (/api/forecasts/latest) and the Prometheus exposition (/metrics), all
// answered by the analytics component; /metrics adds the HTTP front's own
// request figures. On a cluster node the overview and the health report
// merge every member's (docs/cluster.md).
#include "http/actor_gateway.hpp"
#include "http/request_metrics.hpp"
#include "http/router.hpp"

#include <httplib.h>
#include <memory>

namespace grace::http {

void install_analytics_routes(router& server, actor_gateway& gateway,
                              std::shared_ptr<request_metrics> metrics, bool cluster);

} // namespace grace::http
