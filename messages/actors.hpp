#pragma once
// Every typed actor interface of the node, one comment per handler. Components
// built in later issues extend this file; shared sub-protocols (status) are
// added to each interface with extend_with rather than re-invented.
#include "actors/catalog/catalog.hpp"
#include "messages/atoms.hpp"
#include "messages/types.hpp"

#include <caf/actor.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace grace {

// The live catalog: immutable once built, shared between actors in one node
// (each node loads its own catalog file, so it never crosses the network).
using catalog_ref = std::shared_ptr<const catalog::metrics_catalog>;

// The answer to a catalog reload.
struct reload_outcome {
  bool reloaded = false;
  uint64_t generation = 0;         // increases with every successful (re)load
  std::vector<std::string> errors; // why the new file was refused
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, reload_outcome& x) {
  return f(x.reloaded, x.generation, x.errors);
}

// The answer to a ledger verification.
struct ledger_report {
  bool ok = false;
  uint64_t entries = 0;   // entries checked
  uint64_t first_bad = 0; // sequence number (or line) of the first bad entry, 0 if ok
  std::string reason;     // plain words, empty if ok
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, ledger_report& x) {
  return f(x.ok, x.entries, x.first_bad, x.reason);
}

// Shared sub-protocol: every component answers with a JSON summary of itself.
using status_client = caf::typed_actor<
    // A JSON object describing the component's state.
    caf::replies_to<atom::status>::with<std::string>>;

// Owns the live metrics catalog and its reloads.
using catalog_actor = caf::typed_actor<
    // The current catalog.
    caf::replies_to<atom::get>::with<catalog_ref>,
    // Re-reads the catalog file; on any error the last good catalog stays.
    caf::replies_to<atom::reload>::with<reload_outcome>>::extend_with<status_client>;

// The only writer of files under the data directory.
using storage_actor = caf::typed_actor<
    // Creates the data directory layout if missing; answers the data directory.
    caf::replies_to<atom::prepare>::with<std::string>,
    // Writes a JSON record (category, kind, id, JSON text) atomically to
    // grace_training/<category>/YYYY-MM-DD/HHMMSS_<kind>_<id>.json; answers its path.
    caf::replies_to<atom::record, std::string, std::string, std::string,
                    std::string>::with<std::string>,
    // Appends an entry (kind, JSON payload) to the provenance ledger; answers its
    // sequence number once it is on disk.
    caf::replies_to<atom::append, std::string, std::string>::with<uint64_t>,
    // Checks the whole ledger chain.
    caf::replies_to<atom::verify>::with<ledger_report>>::extend_with<status_client>;

// The HTTP front: owns the server; answers status like every component.
using http_actor = status_client;

// Starts, watches and restarts the components.
using supervisor_actor = caf::typed_actor<
    // The live handle of a component by name (after a restart, the new one);
    // an error if there is no such component or it is down.
    caf::replies_to<atom::get, std::string>::with<caf::actor>,
    // True once every component has started and passed its start-up check.
    caf::replies_to<atom::ready>::with<bool>>::extend_with<status_client>;

} // namespace grace

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(grace::catalog_ref)
