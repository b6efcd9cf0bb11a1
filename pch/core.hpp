// Precompiled header of the targets without CAF or GoogleTest that use
// nlohmann/json: pure cores and benchmark drivers (applied by
// cmake/GraceBuildSpeed.cmake; GRACE_PCH=OFF builds without it). Third-party
// and standard headers only, never a project header.
#pragma once

#include "json_extern.hpp"
#include "std.hpp"

#include <nlohmann/json.hpp>
