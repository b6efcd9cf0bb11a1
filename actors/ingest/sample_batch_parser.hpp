#pragma once
// The body of POST /api/metrics turned into metric samples: a JSON batch or a
// Prometheus text exposition (0.0.4). Pure: the catalog is reached through the
// resolver functions passed in, and the clock through `now_ms`.
//
// JSON batch: `[{"metric": id, "value": v, "ts": t, "labels": {...}}, ...]`
//   Whole-body errors (nothing accepted, `error` set): not valid JSON, the top
//   level is not an array, an element is not an object.
//   Per-sample rejections (index = position in the array), first failing rule:
//     "metric" missing, not a string, or not a catalog id;
//     "value" missing or not a JSON number (a string "12" is rejected);
//     "ts": absent or null = now_ms; an integer = unix ms (0 .. 2^63-1); a
//       string = RFC 3339 / ISO 8601 date-time (as csv_series's
//       parse_timestamp_ms reads it: "YYYY-MM-DD[T ]HH:MM[:SS[.fff]][Z|±HH:MM]");
//       anything else (a fraction, a bool, a bare-number string, a date
//       before 1970) is rejected;
//       a ts later than now_ms + max_future_ms is rejected;
//     "labels": absent or null = none; otherwise an object of string values.
//   Other keys are ignored. A key given twice counts once, with its last value.
// Prometheus text: any syntax error is a whole-body error naming line and
//   column. Per sample (index = position among the samples, comments and
//   blank lines not counted): the series name must resolve to a catalog id,
//   the value must be finite, and the timestamp (if any) not negative and not
//   in the future beyond max_future_ms; no timestamp = now_ms. All series
//   labels are kept.
#include "messages/types.hpp"

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace grace::ingest {

struct sample_rejection {
  size_t index = 0;
  std::string reason;
};

struct batch_parse_result {
  std::string error;                      // non-empty: the body was rejected whole
  size_t total = 0;                       // samples in the body
  std::vector<metric_sample> accepted;    // in body order
  std::vector<sample_rejection> rejected; // in body order
  bool malformed() const { return !error.empty(); }
};

// Is this a catalog metric id?
using metric_id_check = std::function<bool(const std::string& id)>;
// The catalog metric id for a Prometheus series name, if any.
using prometheus_name_resolver = std::function<std::optional<std::string>(const std::string&)>;

struct time_rules {
  timestamp_ms now_ms = 0;        // also the ts of samples that carry none
  timestamp_ms max_future_ms = 0; // a ts beyond now_ms + this is rejected
};

enum class body_format { json, prometheus_text, unsupported };

// By Content-Type (parameters and case ignored): application/json -> json;
// text/plain (the 0.0.4 exposition; a version other than 0.0.4 is
// unsupported) -> prometheus_text; empty -> json; anything else unsupported.
body_format format_for_content_type(std::string_view content_type);

// The JSON batch, through the fastest parser built in (simdjson when the
// build found it, nlohmann otherwise). Same results either way.
batch_parse_result parse_json_batch(std::string_view body, const metric_id_check& is_known,
                                    const time_rules& rules);

// The same with nlohmann::json regardless of the build: the reference the fast
// path is tested against.
batch_parse_result parse_json_batch_nlohmann(std::string_view body, const metric_id_check& is_known,
                                             const time_rules& rules);

// Which parser parse_json_batch uses: "simdjson" or "nlohmann".
const char* json_batch_backend();

batch_parse_result parse_prometheus_batch(std::string_view body,
                                          const prometheus_name_resolver& resolve,
                                          const time_rules& rules);

} // namespace grace::ingest
