// Precompiled header of the targets that use CAF: the actor libraries, the
// HTTP front, the node and the actor protocol tests (applied by
// cmake/GraceBuildSpeed.cmake; GRACE_PCH=OFF builds without it).
//
// Third-party and standard headers only, never a project header: a change to
// our own headers must not rebuild the precompiled header, and every source
// still includes what it uses (a GRACE_PCH=OFF build checks that).
#pragma once

#include "json_extern.hpp"
#include "std.hpp"

#include <caf/actor.hpp>
#include <caf/actor_addr.hpp>
#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/after.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/fwd.hpp>
#include <caf/message.hpp>
#include <caf/replies_to.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/sec.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/type_id.hpp>
#include <caf/typed_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

// fmt 9 compiles detail::vformat_to<char> (the whole formatting engine behind
// every spdlog call) into each source that logs, although the shared libfmt
// already exports that instantiation; fmt 10 declares it extern itself. The
// same declaration here lets the sources use the library's copy: the same
// code from the same fmt release, compiled once instead of in every source.
#if defined(FMT_VERSION) && FMT_VERSION >= 90000 && FMT_VERSION < 100000                           \
    && !defined(FMT_HEADER_ONLY)
namespace fmt {
inline namespace v9 {
namespace detail {
extern template FMT_API void vformat_to(buffer<char>&, string_view,
                                        basic_format_args<buffer_context<char>>, locale_ref);
} // namespace detail
} // namespace v9
} // namespace fmt
#endif
