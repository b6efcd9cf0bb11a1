#include "http/request_rules.hpp"

#include "common/error_text.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <cctype>
#include <cstring>

namespace grace::http {

bool same_secret(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < a.size(); ++i)
    diff |= static_cast<unsigned char>(a[i] ^ (i < b.size() ? b[i] : 0));
  return diff == 0;
}

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

bool blank(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isspace(c); });
}

bool parse_port(std::string_view text, int& port) {
  if (text.empty() || text.size() > 5)
    return false;
  int v = 0;
  for (char c : text) {
    if (c < '0' || c > '9')
      return false;
    v = v * 10 + (c - '0');
  }
  if (v > 65535)
    return false;
  port = v;
  return true;
}

} // namespace

bool valid_utf8(std::string_view text, size_t* bad_offset) {
  for (size_t i = 0; i < text.size();) {
    // Bodies are mostly ASCII: skip eight such bytes at a time.
    if (i + 8 <= text.size()) {
      uint64_t block;
      std::memcpy(&block, text.data() + i, sizeof block);
      if ((block & 0x8080808080808080ULL) == 0) {
        i += 8;
        continue;
      }
    }
    const size_t n = text::utf8_sequence_length(text, i);
    if (n == 0) {
      if (bad_offset)
        *bad_offset = i;
      return false;
    }
    i += n;
  }
  return true;
}

std::string log_safe(std::string_view text, size_t max_bytes) {
  std::string out;
  const bool cut = text.size() > max_bytes;
  if (cut)
    text = text.substr(0, max_bytes);
  for (size_t i = 0; i < text.size();) {
    const size_t n = text::utf8_sequence_length(text, i);
    const auto c = static_cast<unsigned char>(text[i]);
    if (n == 0 || (n == 1 && (c < 0x20 || c == 0x7F || c == '\\'))) {
      if (c == '\\') {
        out += "\\\\";
      } else {
        static const char digits[] = "0123456789abcdef";
        out += "\\x";
        out += digits[c >> 4];
        out += digits[c & 0xF];
      }
      ++i;
    } else {
      out.append(text.substr(i, n));
      i += n;
    }
  }
  if (cut)
    out += "...";
  return out;
}

std::optional<uint64_t> parse_content_length(std::string_view text) {
  if (text.empty() || text.size() > 18)
    return std::nullopt;
  uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9')
      return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v;
}

std::string media_type(std::string_view content_type) {
  return lower(trim(content_type.substr(0, content_type.find(';'))));
}

bool is_loopback_address(const std::string& address) {
  if (lower(address) == "localhost")
    return true;
  in_addr v4{};
  if (inet_pton(AF_INET, address.c_str(), &v4) == 1)
    return (ntohl(v4.s_addr) >> 24) == 127;
  std::string bare = address;
  if (bare.size() > 2 && bare.front() == '[' && bare.back() == ']')
    bare = bare.substr(1, bare.size() - 2);
  in6_addr v6{};
  if (inet_pton(AF_INET6, bare.c_str(), &v6) == 1) {
    if (IN6_IS_ADDR_LOOPBACK(&v6))
      return true;
    return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
  }
  return false;
}

bool is_wildcard_address(const std::string& address) {
  in_addr v4{};
  if (inet_pton(AF_INET, address.c_str(), &v4) == 1)
    return v4.s_addr == INADDR_ANY;
  std::string bare = address;
  if (bare.size() > 2 && bare.front() == '[' && bare.back() == ']')
    bare = bare.substr(1, bare.size() - 2);
  in6_addr v6{};
  return inet_pton(AF_INET6, bare.c_str(), &v6) == 1 && IN6_IS_ADDR_UNSPECIFIED(&v6);
}

std::optional<std::string> exposure_problem(const std::string& bind, const std::string& token) {
  if (is_loopback_address(bind) || !blank(token))
    return std::nullopt;
  return "refusing to listen on " + bind
         + " without a token: every host that can reach it could change this node. Set "
           "http.token (a bearer token, not blank) or bind a loopback address (http.bind: "
           "127.0.0.1)";
}

std::optional<host_and_port> split_host(std::string_view host) {
  host_and_port out;
  std::string_view name = host;
  std::string_view port;
  if (!host.empty() && host.front() == '[') {
    const size_t close = host.find(']');
    if (close == std::string_view::npos)
      return std::nullopt;
    name = host.substr(0, close + 1);
    std::string_view rest = host.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':')
        return std::nullopt;
      port = rest.substr(1);
      if (port.empty())
        return std::nullopt;
    }
  } else {
    const size_t colon = host.find(':');
    if (colon != std::string_view::npos) {
      name = host.substr(0, colon);
      port = host.substr(colon + 1);
      if (port.empty())
        return std::nullopt;
    }
  }
  if (name.empty() || name == "[]")
    return std::nullopt;
  for (char c : name)
    if (static_cast<unsigned char>(c) <= ' ' || c == '/' || c == '@' || c == '\\'
        || static_cast<unsigned char>(c) >= 0x7F)
      return std::nullopt;
  if (name.front() != '[' && name.find_first_of("[]") != std::string_view::npos)
    return std::nullopt;
  out.name = lower(name);
  if (!port.empty()) {
    int p = 0;
    if (!parse_port(port, p))
      return std::nullopt;
    out.port = p;
  }
  return out;
}

host_policy::host_policy(const std::string& bind, const std::vector<std::string>& allowed_hosts) {
  auto add = [&](const std::string& text) {
    if (auto hp = split_host(text))
      entries_.push_back({hp->name, hp->port});
  };
  for (const auto& h : allowed_hosts)
    add(h);
  const bool every_interface = is_wildcard_address(bind);
  if (is_loopback_address(bind) || every_interface) {
    add("localhost");
    add("127.0.0.1");
    add("[::1]");
  }
  if (!every_interface) {
    // A bare IPv6 bind address is written in brackets in a Host header.
    in6_addr v6{};
    add(inet_pton(AF_INET6, bind.c_str(), &v6) == 1 ? "[" + bind + "]" : bind);
  }
}

bool host_policy::allows(std::string_view host_header) const {
  auto hp = split_host(trim(host_header));
  if (!hp)
    return false;
  // A fully qualified name may end with a dot.
  std::string name = hp->name;
  if (name.size() > 1 && name.back() == '.' && name.front() != '[')
    name.pop_back();
  return std::any_of(entries_.begin(), entries_.end(), [&](const entry& e) {
    return e.name == name && (!e.port || e.port == hp->port);
  });
}

std::string host_policy::describe() const {
  std::vector<std::string> names;
  for (const auto& e : entries_) {
    std::string text = e.name + (e.port ? ":" + std::to_string(*e.port) : "");
    if (std::find(names.begin(), names.end(), text) == names.end())
      names.push_back(std::move(text));
  }
  std::string out;
  for (const auto& n : names)
    out += (out.empty() ? "" : ", ") + n;
  return out;
}

bool same_origin(std::string_view origin, std::string_view host_header) {
  origin = trim(origin);
  std::string_view rest;
  const std::string scheme_part = lower(origin.substr(0, 8));
  if (scheme_part.rfind("http://", 0) == 0)
    rest = origin.substr(7);
  else if (scheme_part == "https://")
    rest = origin.substr(8);
  else
    return false;
  auto a = split_host(rest);
  auto b = split_host(trim(host_header));
  return a && b && a->name == b->name && a->port == b->port;
}

size_t request_head_end(std::string_view buffer, size_t from) {
  for (size_t i = buffer.find('\n', from); i != std::string_view::npos;
       i = buffer.find('\n', i + 1)) {
    // "\n\n" or "\n\r\n": an empty line ends the head.
    if (i + 1 < buffer.size() && buffer[i + 1] == '\n')
      return i + 2;
    if (i + 2 < buffer.size() && buffer[i + 1] == '\r' && buffer[i + 2] == '\n')
      return i + 3;
  }
  return std::string_view::npos;
}

} // namespace grace::http
