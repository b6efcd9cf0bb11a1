#pragma once
// The node's one type-ID block. The registered name is the wire identity
// between cluster nodes: renaming a type breaks compatibility.
#include "messages/actors.hpp"
#include "messages/types.hpp"

#include <caf/type_id.hpp>

CAF_BEGIN_TYPE_ID_BLOCK(grace, caf::first_custom_type_id)
CAF_ADD_TYPE_ID(grace, (grace::metric_sample))
CAF_ADD_TYPE_ID(grace, (grace::snapshot))
CAF_ADD_TYPE_ID(grace, (grace::forecast_point))
CAF_ADD_TYPE_ID(grace, (grace::feature_weight))
CAF_ADD_TYPE_ID(grace, (grace::forecast))
CAF_ADD_TYPE_ID(grace, (grace::early_warning))
CAF_ADD_TYPE_ID(grace, (grace::warning_statistics))
CAF_ADD_TYPE_ID(grace, (grace::warnings_view))
CAF_ADD_TYPE_ID(grace, (grace::ranked_playbook))
CAF_ADD_TYPE_ID(grace, (grace::excluded_playbook))
CAF_ADD_TYPE_ID(grace, (grace::recommendation))
CAF_ADD_TYPE_ID(grace, (grace::experience))
CAF_ADD_TYPE_ID(grace, (grace::training_record))
CAF_ADD_TYPE_ID(grace, (grace::training_status))
CAF_ADD_TYPE_ID(grace, (grace::health_part))
CAF_ADD_TYPE_ID(grace, (grace::health_report))
CAF_ADD_TYPE_ID(grace, (grace::reload_outcome))
CAF_ADD_TYPE_ID(grace, (grace::ledger_report))
CAF_ADD_TYPE_ID(grace, (grace::snapshot_query))
CAF_ADD_TYPE_ID(grace, (grace::simulated_action))
CAF_ADD_TYPE_ID(grace, (grace::forecast_request))
CAF_ADD_TYPE_ID(grace, (grace::artifact_copy))
CAF_ADD_TYPE_ID(grace, (grace::recommend_request))
CAF_ADD_TYPE_ID(grace, (grace::reward_report))
CAF_ADD_TYPE_ID(grace, (grace::execution_request))
CAF_ADD_TYPE_ID(grace, (grace::execution))
CAF_ADD_TYPE_ID(grace, (grace::ingest_receipt))
CAF_ADD_TYPE_ID(grace, (grace::sample_log_record))
CAF_ADD_TYPE_ID(grace, (grace::sample_log_chunk))
CAF_ADD_TYPE_ID(grace, (grace::closed_windows))
CAF_ADD_TYPE_ID(grace, (grace::stored_item))
CAF_ADD_TYPE_ID(grace, (grace::stored_items_change))
CAF_ADD_TYPE_ID(grace, (grace::peer_hello))
CAF_END_TYPE_ID_BLOCK(grace)
