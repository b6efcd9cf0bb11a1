#pragma once
// The HTTP front's rules for what a request may be, as pure functions on
// strings (no socket, no cpp-httplib): UTF-8, Content-Length, Host and Origin,
// media types, the end of a request head, and which listen addresses need a
// token.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace grace::http {

// True when `text` is well-formed UTF-8 (no overlong forms, no surrogates,
// nothing above U+10FFFF); otherwise `bad_offset` is the first bad byte.
bool valid_utf8(std::string_view text, size_t* bad_offset = nullptr);

// Compares two secrets in time independent of where they differ.
bool same_secret(std::string_view a, std::string_view b);

// `text` safe to write to a log line: invalid UTF-8 and control bytes become
// \xNN, a backslash becomes \\ (so an escape in the input cannot pass for one).
std::string log_safe(std::string_view text, size_t max_bytes = 200);

// A Content-Length value: decimal digits only (no sign, no spaces), at most
// 18 of them; nullopt otherwise.
std::optional<uint64_t> parse_content_length(std::string_view text);

// "application/json; charset=utf-8" -> "application/json" (lower case, trimmed).
std::string media_type(std::string_view content_type);

// True for 127.0.0.0/8, ::1 (also IPv4-mapped) and the name "localhost".
bool is_loopback_address(const std::string& address);
// True for 0.0.0.0 and ::, which listen on every interface.
bool is_wildcard_address(const std::string& address);

// Why the node must not listen on `bind` with `token`, or nullopt when it may:
// any address other than a loopback one needs a token (whitespace is none).
std::optional<std::string> exposure_problem(const std::string& bind, const std::string& token);

// The Host names the node answers to: the configured ones, the bind address
// when it is a specific one, and the loopback names when it listens on
// loopback (or on every interface). A name given with a port matches that
// port only; one without matches any port.
class host_policy {
public:
  host_policy(const std::string& bind, const std::vector<std::string>& allowed_hosts);

  // True when the Host header value names this node.
  bool allows(std::string_view host_header) const;
  // The names, for error messages.
  std::string describe() const;

private:
  struct entry {
    std::string name; // lower case; IPv6 in brackets
    std::optional<int> port;
  };
  std::vector<entry> entries_;
};

// Splits "name:port" / "[v6]:port" / "name" into the lower-case name and port;
// nullopt when malformed (an empty name, a bad port, stray brackets).
struct host_and_port {
  std::string name;
  std::optional<int> port;
};
std::optional<host_and_port> split_host(std::string_view host);

// True when `origin` ("http://host:port", also https) names the same host and
// port as the request's Host header; "null" and anything malformed are not.
bool same_origin(std::string_view origin, std::string_view host_header);

// Where the request head (request line and headers) ends in `buffer` from
// `from`: the offset just past the blank line, or npos when it has not
// arrived yet.
size_t request_head_end(std::string_view buffer, size_t from = 0);

} // namespace grace::http
