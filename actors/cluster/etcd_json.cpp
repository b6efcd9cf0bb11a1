#include "actors/cluster/etcd_json.hpp"

#include <limits>
#include <nlohmann/json.hpp>

namespace grace::cluster::etcd {

namespace {

using json = nlohmann::json;

constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int decode_char(char c) {
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  if (c == '+')
    return 62;
  if (c == '/')
    return 63;
  return -1;
}

json parse_document(std::string_view body, const char* what) {
  auto doc = json::parse(body.begin(), body.end(), nullptr, false);
  if (doc.is_discarded())
    throw etcd_error(std::string("etcd ") + what + ": the answer is not JSON");
  if (!doc.is_object())
    throw etcd_error(std::string("etcd ") + what + ": the answer is not a JSON object");
  // Errors: {"error": "...", "code": N, "message": "..."} (unary calls) or
  // {"error": {"grpc_code": N, "http_code": N, "message": "..."}} (streams).
  auto error = doc.find("error");
  if (error != doc.end()) {
    std::string message;
    if (error->is_string())
      message = error->get<std::string>();
    else if (error->is_object() && error->contains("message") && (*error)["message"].is_string())
      message = (*error)["message"].get<std::string>();
    else
      message = "an error without a message";
    if (message.size() > 300)
      message.resize(300);
    throw etcd_error(std::string("etcd ") + what + ": "
                     + json(message).dump(-1, ' ', false, json::error_handler_t::replace));
  }
  return doc;
}

// An int64 field: a JSON string of digits (optionally signed) or a JSON
// integer; absent means 0.
int64_t int_field(const json& obj, const char* name, const char* what) {
  auto it = obj.find(name);
  if (it == obj.end() || it->is_null())
    return 0;
  if (it->is_number_integer()) {
    if (it->is_number_unsigned()
        && it->get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      throw etcd_error(std::string("etcd ") + what + ": field '" + name + "' is out of range");
    return it->get<int64_t>();
  }
  if (it->is_string()) {
    const auto& s = it->get_ref<const std::string&>();
    size_t i = 0;
    bool negative = false;
    if (!s.empty() && s[0] == '-') {
      negative = true;
      i = 1;
    }
    if (i == s.size() || s.size() - i > 19)
      throw etcd_error(std::string("etcd ") + what + ": field '" + name + "' is not an integer");
    uint64_t v = 0;
    for (; i < s.size(); ++i) {
      if (s[i] < '0' || s[i] > '9')
        throw etcd_error(std::string("etcd ") + what + ": field '" + name + "' is not an integer");
      v = v * 10 + static_cast<uint64_t>(s[i] - '0');
    }
    const uint64_t limit = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
    if (v > limit + (negative ? 1 : 0))
      throw etcd_error(std::string("etcd ") + what + ": field '" + name + "' is out of range");
    if (negative)
      return v == limit + 1 ? std::numeric_limits<int64_t>::min() : -static_cast<int64_t>(v);
    return static_cast<int64_t>(v);
  }
  throw etcd_error(std::string("etcd ") + what + ": field '" + name + "' is not an integer");
}

bool bool_field(const json& obj, const char* name, const char* what) {
  auto it = obj.find(name);
  if (it == obj.end() || it->is_null())
    return false;
  if (!it->is_boolean())
    throw etcd_error(std::string("etcd ") + what + ": field '" + name + "' is not a boolean");
  return it->get<bool>();
}

std::string bytes_field(const json& obj, const char* name, const char* what) {
  auto it = obj.find(name);
  if (it == obj.end() || it->is_null())
    return {};
  if (!it->is_string())
    throw etcd_error(std::string("etcd ") + what + ": field '" + name + "' is not a string");
  auto decoded = base64_decode(it->get_ref<const std::string&>());
  if (!decoded)
    throw etcd_error(std::string("etcd ") + what + ": field '" + name + "' is not base64");
  return std::move(*decoded);
}

const json& object_field(const json& obj, const char* name, const char* what) {
  static const json empty = json::object();
  auto it = obj.find(name);
  if (it == obj.end() || it->is_null())
    return empty;
  if (!it->is_object())
    throw etcd_error(std::string("etcd ") + what + ": field '" + name + "' is not an object");
  return *it;
}

const json& array_field(const json& obj, const char* name, const char* what) {
  static const json empty = json::array();
  auto it = obj.find(name);
  if (it == obj.end() || it->is_null())
    return empty;
  if (!it->is_array())
    throw etcd_error(std::string("etcd ") + what + ": field '" + name + "' is not an array");
  return *it;
}

int64_t header_revision(const json& doc, const char* what) {
  return int_field(object_field(doc, "header", what), "revision", what);
}

key_value parse_kv(const json& kv, const char* what) {
  if (!kv.is_object())
    throw etcd_error(std::string("etcd ") + what + ": a key-value is not an object");
  key_value out;
  out.key = bytes_field(kv, "key", what);
  out.value = bytes_field(kv, "value", what);
  out.create_revision = int_field(kv, "create_revision", what);
  out.mod_revision = int_field(kv, "mod_revision", what);
  out.version = int_field(kv, "version", what);
  out.lease = int_field(kv, "lease", what);
  return out;
}

std::vector<key_value> parse_kvs(const json& obj, const char* what) {
  std::vector<key_value> out;
  for (const auto& kv : array_field(obj, "kvs", what))
    out.push_back(parse_kv(kv, what));
  return out;
}

std::string id_text(int64_t v) {
  return std::to_string(v);
}

json put_op(std::string_view key, std::string_view value, int64_t lease) {
  json put = {{"key", base64_encode(key)}, {"value", base64_encode(value)}};
  if (lease != 0)
    put["lease"] = id_text(lease);
  return put;
}

} // namespace

std::string base64_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t n = (static_cast<uint8_t>(bytes[i]) << 16)
                       | (static_cast<uint8_t>(bytes[i + 1]) << 8)
                       | static_cast<uint8_t>(bytes[i + 2]);
    out.push_back(alphabet[(n >> 18) & 63]);
    out.push_back(alphabet[(n >> 12) & 63]);
    out.push_back(alphabet[(n >> 6) & 63]);
    out.push_back(alphabet[n & 63]);
  }
  const size_t rest = bytes.size() - i;
  if (rest == 1) {
    const uint32_t n = static_cast<uint8_t>(bytes[i]) << 16;
    out.push_back(alphabet[(n >> 18) & 63]);
    out.push_back(alphabet[(n >> 12) & 63]);
    out.append("==");
  } else if (rest == 2) {
    const uint32_t n =
        (static_cast<uint8_t>(bytes[i]) << 16) | (static_cast<uint8_t>(bytes[i + 1]) << 8);
    out.push_back(alphabet[(n >> 18) & 63]);
    out.push_back(alphabet[(n >> 12) & 63]);
    out.push_back(alphabet[(n >> 6) & 63]);
    out.push_back('=');
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0)
    return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    int v[4];
    int padding = 0;
    for (int j = 0; j < 4; ++j) {
      const char c = text[i + static_cast<size_t>(j)];
      if (c == '=' && last && j >= 2) {
        v[j] = 0;
        ++padding;
        continue;
      }
      if (padding > 0)
        return std::nullopt; // data after padding
      v[j] = decode_char(c);
      if (v[j] < 0)
        return std::nullopt;
    }
    const uint32_t n = (static_cast<uint32_t>(v[0]) << 18) | (static_cast<uint32_t>(v[1]) << 12)
                       | (static_cast<uint32_t>(v[2]) << 6) | static_cast<uint32_t>(v[3]);
    out.push_back(static_cast<char>((n >> 16) & 0xff));
    if (padding < 2)
      out.push_back(static_cast<char>((n >> 8) & 0xff));
    if (padding < 1)
      out.push_back(static_cast<char>(n & 0xff));
  }
  return out;
}

std::string prefix_range_end(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty()) {
    auto& last = end.back();
    if (static_cast<uint8_t>(last) < 0xff) {
      last = static_cast<char>(static_cast<uint8_t>(last) + 1);
      return end;
    }
    end.pop_back();
  }
  return std::string(1, '\0'); // every key
}

request lease_grant_request(int64_t ttl_seconds) {
  return {"/v3/lease/grant", json{{"TTL", id_text(ttl_seconds)}}.dump()};
}

request lease_keepalive_request(int64_t lease) {
  return {"/v3/lease/keepalive", json{{"ID", id_text(lease)}}.dump()};
}

request lease_revoke_request(int64_t lease) {
  return {"/v3/lease/revoke", json{{"ID", id_text(lease)}}.dump()};
}

request put_request(std::string_view key, std::string_view value, int64_t lease) {
  return {"/v3/kv/put", put_op(key, value, lease).dump()};
}

request range_prefix_request(std::string_view prefix) {
  return {"/v3/kv/range", json{{"key", base64_encode(prefix)},
                               {"range_end", base64_encode(prefix_range_end(prefix))}}
                              .dump()};
}

request claim_request(std::string_view key, std::string_view value, int64_t lease) {
  json txn = {{"compare", json::array({{{"key", base64_encode(key)},
                                        {"target", "CREATE"},
                                        {"result", "EQUAL"},
                                        {"create_revision", "0"}}})},
              {"success", json::array({{{"request_put", put_op(key, value, lease)}}})},
              {"failure", json::array({{{"request_range", {{"key", base64_encode(key)}}}}})}};
  return {"/v3/kv/txn", txn.dump()};
}

request release_request(std::string_view key, int64_t create_revision) {
  json txn = {
      {"compare", json::array({{{"key", base64_encode(key)},
                                {"target", "CREATE"},
                                {"result", "EQUAL"},
                                {"create_revision", id_text(create_revision)}}})},
      {"success", json::array({{{"request_delete_range", {{"key", base64_encode(key)}}}}})}};
  return {"/v3/kv/txn", txn.dump()};
}

request fenced_put_once_request(std::string_view fence_key, int64_t fencing_token,
                                std::string_view key, std::string_view value) {
  json txn = {{"compare", json::array({{{"key", base64_encode(fence_key)},
                                        {"target", "CREATE"},
                                        {"result", "EQUAL"},
                                        {"create_revision", id_text(fencing_token)}},
                                       {{"key", base64_encode(key)},
                                        {"target", "CREATE"},
                                        {"result", "EQUAL"},
                                        {"create_revision", "0"}}})},
              {"success", json::array({{{"request_put", put_op(key, value, 0)}}})},
              {"failure", json::array({{{"request_range", {{"key", base64_encode(fence_key)}}}},
                                       {{"request_range", {{"key", base64_encode(key)}}}}})}};
  return {"/v3/kv/txn", txn.dump()};
}

const char* to_string(fenced_put_outcome o) {
  switch (o) {
  case fenced_put_outcome::committed:
    return "committed";
  case fenced_put_outcome::already_committed:
    return "already_committed";
  case fenced_put_outcome::conflict:
    return "conflict";
  case fenced_put_outcome::not_owner:
    return "not_owner";
  }
  return "unknown";
}

fenced_put_outcome read_fenced_put(const txn_answer& answer, std::string_view fence_key,
                                   int64_t fencing_token, std::string_view key,
                                   std::string_view value) {
  if (answer.succeeded)
    return fenced_put_outcome::committed;
  const key_value* fence = nullptr;
  const key_value* existing = nullptr;
  for (const auto& kv : answer.kvs) {
    if (kv.key == fence_key)
      fence = &kv;
    else if (kv.key == key)
      existing = &kv;
  }
  // The fence first: a write that was not ours to make is refused even when
  // the same value is already there.
  if (fence == nullptr || fence->create_revision != fencing_token)
    return fenced_put_outcome::not_owner;
  if (existing != nullptr && existing->value == value)
    return fenced_put_outcome::already_committed;
  return fenced_put_outcome::conflict;
}

request watch_create_request(std::string_view prefix, int64_t start_revision) {
  json create = {{"key", base64_encode(prefix)},
                 {"range_end", base64_encode(prefix_range_end(prefix))}};
  if (start_revision > 0)
    create["start_revision"] = id_text(start_revision);
  return {"/v3/watch", json{{"create_request", create}}.dump()};
}

lease_grant parse_lease_grant(std::string_view body) {
  const char* what = "lease grant";
  auto doc = parse_document(body, what);
  lease_grant out;
  out.id = int_field(doc, "ID", what);
  out.ttl_seconds = int_field(doc, "TTL", what);
  if (out.id == 0)
    throw etcd_error("etcd lease grant: the answer has no lease ID");
  if (out.ttl_seconds <= 0)
    throw etcd_error("etcd lease grant: the granted TTL is not positive");
  return out;
}

keepalive_answer parse_keepalive(std::string_view body) {
  const char* what = "lease keepalive";
  auto doc = parse_document(body, what);
  // A stream answer: {"result": {...}}.
  const auto& result = object_field(doc, "result", what);
  keepalive_answer out;
  out.id = int_field(result, "ID", what);
  out.ttl_seconds = int_field(result, "TTL", what);
  if (out.ttl_seconds < 0)
    out.ttl_seconds = 0;
  return out;
}

range_answer parse_range(std::string_view body) {
  const char* what = "range";
  auto doc = parse_document(body, what);
  range_answer out;
  out.revision = header_revision(doc, what);
  out.kvs = parse_kvs(doc, what);
  return out;
}

txn_answer parse_txn(std::string_view body) {
  const char* what = "txn";
  auto doc = parse_document(body, what);
  txn_answer out;
  out.revision = header_revision(doc, what);
  out.succeeded = bool_field(doc, "succeeded", what);
  for (const auto& op : array_field(doc, "responses", what)) {
    if (!op.is_object())
      throw etcd_error("etcd txn: a response is not an object");
    auto it = op.find("response_range");
    if (it != op.end() && !it->is_null()) {
      if (!it->is_object())
        throw etcd_error("etcd txn: field 'response_range' is not an object");
      auto kvs = parse_kvs(*it, what);
      out.kvs.insert(out.kvs.end(), kvs.begin(), kvs.end());
    }
  }
  return out;
}

watch_message parse_watch_message(std::string_view document) {
  const char* what = "watch";
  auto doc = parse_document(document, what);
  const auto& result = object_field(doc, "result", what);
  watch_message out;
  out.revision = header_revision(result, what);
  out.created = bool_field(result, "created", what);
  out.canceled = bool_field(result, "canceled", what);
  out.compact_revision = int_field(result, "compact_revision", what);
  auto reason = result.find("cancel_reason");
  if (reason != result.end() && reason->is_string())
    out.cancel_reason = reason->get<std::string>().substr(0, 300);
  for (const auto& e : array_field(result, "events", what)) {
    if (!e.is_object())
      throw etcd_error("etcd watch: an event is not an object");
    watch_event ev;
    auto type = e.find("type");
    if (type != e.end() && !type->is_null()) {
      if (type->is_string() && *type == "DELETE")
        ev.deleted = true;
      else if (type->is_string() && *type == "PUT")
        ev.deleted = false;
      else if (type->is_number_integer() && (*type == 0 || *type == 1))
        ev.deleted = *type == 1;
      else
        throw etcd_error("etcd watch: an event has an unknown type");
    }
    ev.kv = parse_kv(object_field(e, "kv", what), what);
    out.events.push_back(std::move(ev));
  }
  return out;
}

std::vector<std::string> stream_splitter::feed(std::string_view bytes) {
  std::vector<std::string> out;
  buffer_.append(bytes);
  size_t start = 0;
  for (;;) {
    const auto nl = buffer_.find('\n', start);
    if (nl == std::string::npos)
      break;
    std::string line = buffer_.substr(start, nl - start);
    start = nl + 1;
    if (!line.empty() && line.back() == '\r')
      line.pop_back();
    if (!line.empty())
      out.push_back(std::move(line));
  }
  buffer_.erase(0, start);
  if (buffer_.size() > max_) {
    buffer_.clear();
    throw etcd_error("etcd watch: a message is longer than " + std::to_string(max_) + " bytes");
  }
  return out;
}

} // namespace grace::cluster::etcd
