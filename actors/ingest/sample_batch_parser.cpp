#include "actors/ingest/sample_batch_parser.hpp"

#include "common/error_text.hpp"
#include "actors/ingest/csv_series.hpp"
#include "actors/ingest/prometheus_text.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <utility>

#ifdef GRACE_HAVE_SIMDJSON
#include <simdjson.h>
#endif

namespace grace::ingest {

namespace {

// The JSON value kinds the validation distinguishes. Integers that fit int64
// are int64 whatever the parser calls them, so both backends agree.
enum class json_kind { null, boolean, string, int64, uint64, floating, array, object };

struct sample_fields_seen {
  bool metric = false, value = false, ts = false, labels = false;
};

std::string ts_future_reason(timestamp_ms max_future_ms) {
  return "ts is more than " + std::to_string(max_future_ms) + " ms in the future";
}

// at - now > max_future, without overflow whatever the two times are.
bool too_far_ahead(timestamp_ms at, const time_rules& rules) {
  return at > rules.now_ms
         && static_cast<uint64_t>(at) - static_cast<uint64_t>(rules.now_ms)
                > static_cast<uint64_t>(std::max<timestamp_ms>(rules.max_future_ms, 0));
}

// The shared validation, over an adapter A that reads one parser's DOM:
//   A::elem, A::kind(e), A::str(e), A::int64(e), A::num(e),
//   A::for_each_member(e, f(std::string_view key, A::elem value)).
template <class A>
void check_element(typename A::elem e, size_t index, const metric_id_check& is_known,
                   const time_rules& rules, batch_parse_result& out) {
  using elem = typename A::elem;
  elem metric{}, value{}, ts{}, labels{};
  sample_fields_seen seen;
  A::for_each_member(e, [&](std::string_view key, elem v) {
    if (key == "metric") {
      metric = v;
      seen.metric = true;
    } else if (key == "value") {
      value = v;
      seen.value = true;
    } else if (key == "ts") {
      ts = v;
      seen.ts = true;
    } else if (key == "labels") {
      labels = v;
      seen.labels = true;
    }
  });
  auto reject = [&](std::string reason) {
    out.rejected.push_back(sample_rejection{index, std::move(reason)});
  };
  if (!seen.metric)
    return reject("missing \"metric\"");
  if (A::kind(metric) != json_kind::string)
    return reject("metric is not a string");
  std::string id(A::str(metric));
  if (!is_known(id))
    return reject("unknown metric " + text::quote_for_error(id));
  if (!seen.value)
    return reject("missing \"value\"");
  json_kind vk = A::kind(value);
  if (vk != json_kind::int64 && vk != json_kind::uint64 && vk != json_kind::floating)
    return reject("value is not a number");
  double v = A::num(value);
  if (!std::isfinite(v))
    return reject("value is not finite");
  timestamp_ms at = rules.now_ms;
  if (seen.ts) {
    switch (A::kind(ts)) {
    case json_kind::null:
      break;
    case json_kind::int64: {
      int64_t t = A::int64(ts);
      if (t < 0)
        return reject("ts is negative");
      at = t;
      break;
    }
    case json_kind::uint64:
      return reject("ts is out of range");
    case json_kind::string: {
      std::string text(A::str(ts));
      // parse_timestamp_ms also reads bare unix seconds; a string ts must be
      // a date-time.
      bool calendar = text.size() >= 16 && text[4] == '-';
      auto parsed = calendar ? parse_timestamp_ms(text) : std::nullopt;
      if (!parsed)
        return reject("ts is not an RFC 3339 timestamp");
      if (*parsed < 0) // as an integer ts may not be negative
        return reject("ts is before 1970");
      at = *parsed;
      break;
    }
    default:
      return reject("ts is not an integer unix ms or an RFC 3339 string");
    }
  }
  if (too_far_ahead(at, rules))
    return reject(ts_future_reason(rules.max_future_ms));
  std::map<std::string, std::string> label_map;
  if (seen.labels && A::kind(labels) != json_kind::null) {
    if (A::kind(labels) != json_kind::object)
      return reject("labels is not an object");
    // Last value of a repeated key wins, for its type too: track the keys
    // whose (last) value is not a string.
    std::vector<std::string> bad;
    A::for_each_member(labels, [&](std::string_view key, elem lv) {
      std::string k(key);
      if (A::kind(lv) == json_kind::string) {
        label_map[k] = std::string(A::str(lv));
        if (!bad.empty())
          bad.erase(std::remove(bad.begin(), bad.end(), k), bad.end());
      } else {
        label_map.erase(k);
        if (std::find(bad.begin(), bad.end(), k) == bad.end())
          bad.push_back(std::move(k));
      }
    });
    if (!bad.empty())
      return reject("label " + text::quote_for_error(*std::min_element(bad.begin(), bad.end()))
                    + " is not a string");
  }
  out.accepted.push_back(metric_sample{std::move(id), at, v, std::move(label_map)});
}

// --- nlohmann ----------------------------------------------------------------

struct nlohmann_adapter {
  using elem = const nlohmann::json*;
  static json_kind kind(elem e) {
    switch (e->type()) {
    case nlohmann::json::value_t::null:
      return json_kind::null;
    case nlohmann::json::value_t::boolean:
      return json_kind::boolean;
    case nlohmann::json::value_t::string:
      return json_kind::string;
    case nlohmann::json::value_t::number_integer:
      return json_kind::int64;
    case nlohmann::json::value_t::number_unsigned:
      return e->get<uint64_t>() <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())
                 ? json_kind::int64
                 : json_kind::uint64;
    case nlohmann::json::value_t::number_float:
      return json_kind::floating;
    case nlohmann::json::value_t::array:
      return json_kind::array;
    case nlohmann::json::value_t::object:
      return json_kind::object;
    default:
      return json_kind::null; // binary/discarded: not produced by parse()
    }
  }
  static std::string_view str(elem e) { return e->get_ref<const std::string&>(); }
  static int64_t int64(elem e) {
    return e->is_number_unsigned() ? static_cast<int64_t>(e->get<uint64_t>()) : e->get<int64_t>();
  }
  static double num(elem e) { return e->get<double>(); }
  template <class F> static void for_each_member(elem e, F&& f) {
    for (auto it = e->begin(); it != e->end(); ++it)
      f(std::string_view(it.key()), &it.value());
  }
};

batch_parse_result parse_with_nlohmann(std::string_view body, const metric_id_check& is_known,
                                       const time_rules& rules) {
  batch_parse_result out;
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(body.begin(), body.end());
  } catch (const nlohmann::json::exception& e) {
    // nlohmann quotes the bytes it stopped at, which may not be UTF-8.
    out.error = "malformed JSON body: " + text::printable(e.what());
    return out;
  }
  if (!doc.is_array()) {
    out.error = "malformed JSON body: expected an array of samples";
    return out;
  }
  for (size_t i = 0; i < doc.size(); ++i)
    if (!doc[i].is_object()) {
      out.error = "malformed JSON body: element " + std::to_string(i) + " is not an object";
      return out;
    }
  out.total = doc.size();
  out.accepted.reserve(doc.size());
  for (size_t i = 0; i < doc.size(); ++i)
    check_element<nlohmann_adapter>(&doc[i], i, is_known, rules, out);
  return out;
}

// --- simdjson ----------------------------------------------------------------

#ifdef GRACE_HAVE_SIMDJSON

struct simdjson_adapter {
  using elem = simdjson::dom::element;
  static json_kind kind(elem e) {
    switch (e.type()) {
    case simdjson::dom::element_type::NULL_VALUE:
      return json_kind::null;
    case simdjson::dom::element_type::BOOL:
      return json_kind::boolean;
    case simdjson::dom::element_type::STRING:
      return json_kind::string;
    case simdjson::dom::element_type::INT64:
      return json_kind::int64;
    case simdjson::dom::element_type::UINT64:
      return json_kind::uint64;
    case simdjson::dom::element_type::DOUBLE:
      return json_kind::floating;
    case simdjson::dom::element_type::ARRAY:
      return json_kind::array;
    case simdjson::dom::element_type::OBJECT:
      return json_kind::object;
    }
    return json_kind::null;
  }
  static std::string_view str(elem e) {
    return e.get_string().value_unsafe(); // kind() checked first
  }
  static int64_t int64(elem e) { return e.get_int64().value_unsafe(); }
  static double num(elem e) {
    switch (e.type()) {
    case simdjson::dom::element_type::INT64: {
      return static_cast<double>(e.get_int64().value_unsafe());
    }
    case simdjson::dom::element_type::UINT64: {
      return static_cast<double>(e.get_uint64().value_unsafe());
    }
    default: {
      return e.get_double().value_unsafe();
    }
    }
  }
  template <class F> static void for_each_member(elem e, F&& f) {
    simdjson::dom::object obj;
    if (e.get_object().get(obj) != simdjson::SUCCESS)
      return;
    for (simdjson::dom::key_value_pair kv : obj)
      f(kv.key, kv.value);
  }
};

batch_parse_result parse_with_simdjson(std::string_view body, const metric_id_check& is_known,
                                       const time_rules& rules) {
  batch_parse_result out;
  // One parser per thread: its buffers are reused from body to body.
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(body.data(), body.size(), true).get(doc) != simdjson::SUCCESS) {
    // Rare: let the reference parser decide. It names the byte position, and
    // it reads what simdjson refuses but JSON allows (integers beyond 64 bits
    // become doubles), so both paths give the same result.
    return parse_with_nlohmann(body, is_known, rules);
  }
  simdjson::dom::array arr;
  if (doc.get_array().get(arr) != simdjson::SUCCESS) {
    out.error = "malformed JSON body: expected an array of samples";
    return out;
  }
  size_t i = 0;
  for (simdjson::dom::element e : arr) {
    if (!e.is_object()) {
      out.error = "malformed JSON body: element " + std::to_string(i) + " is not an object";
      return out;
    }
    ++i;
  }
  out.total = i;
  out.accepted.reserve(i);
  i = 0;
  for (simdjson::dom::element e : arr)
    check_element<simdjson_adapter>(e, i++, is_known, rules, out);
  return out;
}

#endif

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos)
    return {};
  size_t e = s.find_last_not_of(" \t");
  return std::string(s.substr(b, e - b + 1));
}

std::string describe_value(double v) {
  if (std::isnan(v))
    return "NaN";
  return v > 0 ? "+Inf" : "-Inf";
}

} // namespace

body_format format_for_content_type(std::string_view content_type) {
  std::string ct = lower(content_type);
  size_t semi = ct.find(';');
  std::string media = trim(std::string_view(ct).substr(0, semi));
  if (media.empty() || media == "application/json")
    return body_format::json;
  if (media != "text/plain")
    return body_format::unsupported;
  // Look for a version parameter; only 0.0.4 (or none) is the format we read.
  while (semi != std::string::npos) {
    size_t next = ct.find(';', semi + 1);
    std::string param = trim(std::string_view(ct).substr(semi + 1, next - semi - 1));
    if (param.rfind("version", 0) == 0) {
      size_t eq = param.find('=');
      if (eq == std::string::npos || trim(std::string_view(param).substr(eq + 1)) != "0.0.4")
        return body_format::unsupported;
    }
    semi = next;
  }
  return body_format::prometheus_text;
}

batch_parse_result parse_json_batch_nlohmann(std::string_view body, const metric_id_check& is_known,
                                             const time_rules& rules) {
  return parse_with_nlohmann(body, is_known, rules);
}

batch_parse_result parse_json_batch(std::string_view body, const metric_id_check& is_known,
                                    const time_rules& rules) {
#ifdef GRACE_HAVE_SIMDJSON
  return parse_with_simdjson(body, is_known, rules);
#else
  return parse_with_nlohmann(body, is_known, rules);
#endif
}

const char* json_batch_backend() {
#ifdef GRACE_HAVE_SIMDJSON
  return "simdjson";
#else
  return "nlohmann";
#endif
}

batch_parse_result parse_prometheus_batch(std::string_view body,
                                          const prometheus_name_resolver& resolve,
                                          const time_rules& rules) {
  batch_parse_result out;
  exposition doc;
  try {
    doc = parse_prometheus_text(body);
  } catch (const text_format_error& e) {
    out.error = std::string("malformed Prometheus text: ") + e.what();
    return out;
  }
  out.total = doc.samples.size();
  out.accepted.reserve(doc.samples.size());
  // Consecutive samples usually share a series name: resolve once per run.
  const std::string* last_name = nullptr;
  std::optional<std::string> last_id;
  for (size_t i = 0; i < doc.samples.size(); ++i) {
    auto& s = doc.samples[i];
    auto reject = [&](const std::string& reason) {
      out.rejected.push_back(sample_rejection{i, "line " + std::to_string(s.line) + ": " + reason});
    };
    if (last_name == nullptr || *last_name != s.name) {
      last_id = resolve(s.name);
      last_name = &s.name;
    }
    if (!last_id) {
      reject("unknown metric " + text::quote_for_error(s.name)
             + " (no catalog metric has this prometheus_name)");
      continue;
    }
    if (!std::isfinite(s.value)) {
      reject("value is not finite (" + describe_value(s.value) + ")");
      continue;
    }
    timestamp_ms at = s.timestamp_ms.value_or(rules.now_ms);
    if (at < 0) {
      reject("ts is negative");
      continue;
    }
    if (too_far_ahead(at, rules)) {
      reject(ts_future_reason(rules.max_future_ms));
      continue;
    }
    out.accepted.push_back(metric_sample{*last_id, at, s.value, std::move(s.labels)});
  }
  return out;
}

} // namespace grace::ingest
