#include "messages/register_types.hpp"

#include "messages/errors.hpp"
#include "messages/type_ids.hpp"

#include <caf/actor_system_config.hpp>

namespace grace {

void register_types(caf::actor_system_config& cfg) {
  cfg.add_message_types<caf::id_block::grace>();
  cfg.add_message_type<catalog_actor>("grace::catalog_actor");
  cfg.add_message_type<storage_actor>("grace::storage_actor");
  cfg.add_message_type<supervisor_actor>("grace::supervisor_actor");
  cfg.add_message_type<ingest_actor>("grace::ingest_actor");
  cfg.add_message_type<aggregator_actor>("grace::aggregator_actor");
  cfg.add_message_type<simulator_actor>("grace::simulator_actor");
  cfg.add_message_type<mesh_actor>("grace::mesh_actor");
  cfg.add_message_type<replay_actor>("grace::replay_actor");
  cfg.add_message_type<scrape_actor>("grace::scrape_actor");
  cfg.add_message_type<integration_actor>("grace::integration_actor");
  cfg.add_message_type<forecaster_actor>("grace::forecaster_actor");
  cfg.add_message_type<trainer_actor>("grace::trainer_actor");
  cfg.add_message_type<scheduler_actor>("grace::scheduler_actor");
  cfg.add_message_type<rl_agent_actor>("grace::rl_agent_actor");
  cfg.add_message_type<predictor_actor>("grace::predictor_actor");
  cfg.add_message_type<executor_actor>("grace::executor_actor");
  cfg.add_message_type<notifier_actor>("grace::notifier_actor");
  cfg.add_message_type<action_worker_actor>("grace::action_worker_actor");
  cfg.add_message_type<cluster_actor>("grace::cluster_actor");
  cfg.add_message_type<cluster_peer_actor>("grace::cluster_peer_actor");
  cfg.add_message_type<etcd_worker_actor>("grace::etcd_worker_actor");
  cfg.add_message_type<peer_dialer_actor>("grace::peer_dialer_actor");
  cfg.add_error_category(error_category(),
                         [](uint8_t code, caf::atom_value, const caf::message& ctx) {
                           std::string text = "grace:" + to_string(static_cast<errc>(code));
                           if (ctx.match_elements<std::string>())
                             text += ": " + ctx.get_as<std::string>(0);
                           return text;
                         });
}

} // namespace grace
