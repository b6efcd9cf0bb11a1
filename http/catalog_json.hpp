#pragma once
// The catalog as the API shows it (GET /api/catalog): other programs read it,
// so field names are stable.
#include "actors/catalog/catalog.hpp"

#include <nlohmann/json.hpp>

namespace grace::http {

nlohmann::json to_json(const catalog::metric_definition& m);
nlohmann::json to_json(const catalog::playbook_definition& p);
nlohmann::json to_json(const catalog::metrics_catalog& c);

} // namespace grace::http
