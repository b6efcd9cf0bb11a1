#pragma once
// Console logging for the node: the product description's tagged lines as plain text, or one
// JSON object per line for log collectors (--log-format json).
#include <string>

namespace grace::node {

// Configures spdlog's default logger. Throws std::invalid_argument for an
// unknown format or level.
void setup_logging(const std::string& format, const std::string& level);

} // namespace grace::node
