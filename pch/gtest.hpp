// Precompiled header of the GoogleTest unit tests (applied by
// cmake/GraceBuildSpeed.cmake; GRACE_PCH=OFF builds without it).
// Third-party and standard headers only, never a project header.
#pragma once

#include "json_extern.hpp"
#include "std.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
