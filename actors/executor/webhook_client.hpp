#pragma once
// A playbook's webhook: POST a JSON body to a URL.
//
//  - http:// always; https:// when cpp-httplib was built with OpenSSL
//    (CPPHTTPLIB_OPENSSL_SUPPORT, as Debian builds it; certificates are
//    verified), otherwise a clear error without any attempt.
//  - `headers` are sent as given; Content-Type defaults to application/json
//    (a Content-Type in `headers` replaces it).
//  - `timeout_ms` applies per attempt to connecting and to each read and
//    write.
//  - 1 + `retries` attempts at most: a connection error, a timeout or a 5xx
//    answer is retried after a short backoff (100 ms, doubling, at most 1 s);
//    a 2xx answer is success; any other answer (4xx, 3xx: redirects are not
//    followed) ends at once without retry.
// Blocking: the actor calls it off its own thread.
#include <cstdint>
#include <map>
#include <string>

namespace grace::executor {

struct webhook_result {
  bool ok = false;              // a 2xx answer
  int status = 0;               // HTTP status of the last answer, 0 if none
  int attempts = 0;             // requests made
  std::string error;            // empty when ok
  std::string response_excerpt; // the start of the last answer's body (at most 512 bytes)
  int64_t duration_ms = 0;
};

webhook_result post_webhook(const std::string& url,
                            const std::map<std::string, std::string>& headers,
                            const std::string& json_body, int64_t timeout_ms, int retries);

// Whether https:// URLs can be used (cpp-httplib built with OpenSSL).
bool webhook_https_supported();

} // namespace grace::executor
