#pragma once
// The names a PEM certificate is issued to: its subject's common name (CN)
// and its subjectAltName DNS names. A cluster node's id must be one of them,
// so that a certificate speaks for one member only (cluster_settings.cpp).
#include <optional>
#include <string>
#include <vector>

namespace grace::cluster {

// nullopt with `why` set when `pem` holds no readable certificate.
std::optional<std::vector<std::string>> certificate_names(const std::string& pem, std::string& why);

} // namespace grace::cluster
