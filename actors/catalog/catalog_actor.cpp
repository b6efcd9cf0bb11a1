#include "actors/catalog/catalog_actor.hpp"

#include "common/error_text.hpp"
#include "messages/errors.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace grace {

namespace {

std::vector<std::string> error_lines(const catalog::load_result& r) {
  std::vector<std::string> out;
  for (const auto& e : r.errors)
    out.push_back(e.to_string());
  return out;
}

// The loader reports every problem as an error and throws nothing it knows
// of; should something unforeseen throw all the same (memory, a library), the
// reload is refused like any other invalid catalog rather than taking the
// component down.
catalog::load_result load_guarded(const std::string& path) {
  try {
    return catalog::load_catalog_file(path);
  } catch (const std::exception& e) {
    catalog::load_result failed;
    failed.errors.push_back(
        {path, 0, 0, "", "cannot read the catalog: " + text::printable(e.what())});
    return failed;
  }
}

void log_loaded(const catalog::metrics_catalog& c) {
  std::string categories;
  for (const auto& cat : c.categories())
    categories += (categories.empty() ? "" : ", ") + cat;
  spdlog::info("[CATALOG] ✅ Loaded {} metric definitions", c.metrics().size());
  spdlog::info("[CATALOG]    Categories: {}", categories);
  spdlog::info("[CATALOG]    Playbooks: {}", c.playbooks().size());
}

} // namespace

catalog_actor::behavior_type catalog_component(catalog_actor::stateful_pointer<catalog_state> self,
                                               std::string path) {
  self->state.path = path;
  auto loaded = load_guarded(path);
  if (!loaded.catalog) {
    std::string why;
    for (const auto& line : error_lines(loaded))
      why += "\n  " + line;
    spdlog::error("[CATALOG] ❌ {} is invalid:{}", path, why);
    self->quit(make_error(errc::startup_failed, "catalog " + path + " is invalid:" + why));
    return catalog_actor::behavior_type::make_empty_behavior();
  }
  self->state.current =
      std::make_shared<const catalog::metrics_catalog>(std::move(*loaded.catalog));
  self->state.generation = 1;
  log_loaded(*self->state.current);
  return {
      [=](atom::get) -> catalog_ref { return self->state.current; },
      [=](atom::reload) -> reload_outcome {
        auto& st = self->state;
        auto result = load_guarded(st.path);
        reload_outcome out;
        if (!result.catalog) {
          out.errors = error_lines(result);
          st.last_errors = out.errors;
          ++st.refused_reloads;
          out.generation = st.generation;
          spdlog::warn("[CATALOG] ⚠️ Reload refused, keeping the last good catalog ({} errors)",
                       out.errors.size());
          for (const auto& e : out.errors)
            spdlog::warn("[CATALOG]    {}", e);
          return out;
        }
        st.current = std::make_shared<const catalog::metrics_catalog>(std::move(*result.catalog));
        st.last_errors.clear();
        out.reloaded = true;
        out.generation = ++st.generation;
        spdlog::info("[CATALOG] 🔄 Reloaded {} (generation {})", st.path, st.generation);
        log_loaded(*st.current);
        return out;
      },
      [=](atom::status) -> catalog_status {
        const auto& st = self->state;
        catalog_status out;
        out.path = st.path;
        out.generation = st.generation;
        out.metrics = st.current->metrics().size();
        out.playbooks = st.current->playbooks().size();
        out.refused_reloads = st.refused_reloads;
        out.last_errors = st.last_errors;
        return out;
      },
  };
}

} // namespace grace
