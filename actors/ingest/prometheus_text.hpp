#pragma once
// The Prometheus text exposition format, version 0.0.4: a strict parser and
// the mapping from Prometheus series to catalog metric ids. Used by the
// scraper (a target's /metrics page) and by POST /api/metrics with a
// `text/plain; version=0.0.4` body.
//
// Syntax accepted (https://prometheus.io/docs/instrumenting/exposition_formats/):
//   # HELP <name> <docstring>        docstring escapes: \\ and \n
//   # TYPE <name> <counter|gauge|histogram|summary|untyped>
//   # anything else                  a comment, ignored
//   <name>[{<label>="<value>",...}] <value> [<timestamp ms>]
// Blanks (spaces, tabs) separate tokens; leading and trailing blanks and empty
// lines are allowed. Label values escape \\, \" and \n; a trailing comma in a
// label set is allowed. Values are Go-style floats plus NaN, +Inf, -Inf (Inf
// and case variants too, as Go's ParseFloat takes them). The last line may
// lack its newline. Everything else (a carriage return, an unknown escape, a
// duplicate label, a second HELP/TYPE for one name, a histogram bucket
// without a numeric `le`, a summary sample without `quantile`) is an error.
#include "messages/types.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace grace::ingest {

enum class metric_type : uint8_t { untyped, counter, gauge, histogram, summary };

std::string to_string(metric_type t);

// A metric family as declared by HELP/TYPE lines. Families without either
// line do not appear here; their samples are untyped.
struct metric_family {
  std::string name;
  std::string help; // unescaped
  metric_type type = metric_type::untyped;
};

// One sample line. For histograms and summaries `name` is the series name as
// written (`x_bucket`, `x_sum`, `x_count`, `x`).
struct prom_sample {
  std::string name;
  std::map<std::string, std::string> labels; // unescaped values
  double value = 0.0;                        // may be NaN or ±Inf
  std::optional<int64_t> timestamp_ms;
  size_t line = 0; // 1-based line number in the document
};

struct exposition {
  std::vector<metric_family> families; // in order of first HELP/TYPE line
  std::vector<prom_sample> samples;    // in document order
};

// Thrown for a syntax error. what() reads "line L, column C: expected ...".
class text_format_error : public std::runtime_error {
public:
  text_format_error(size_t line, size_t column, const std::string& message);
  size_t line() const { return line_; }     // 1-based
  size_t column() const { return column_; } // 1-based, in bytes
private:
  size_t line_;
  size_t column_;
};

// Parses a whole exposition. Throws text_format_error on the first error.
exposition parse_prometheus_text(std::string_view text);

// --- series mapping ----------------------------------------------------------

// One scrape mapping rule: the series `series` whose labels include all of
// `match` (exact string equality) becomes catalog metric `metric_id`.
struct mapping_rule {
  std::string series;                       // Prometheus series name, e.g. http_requests_total
  std::map<std::string, std::string> match; // required labels, may be empty
  std::string metric_id;                    // catalog id
};

struct mapping_result {
  std::vector<metric_sample> samples; // in document order, one per (sample, matching rule)
  size_t unmatched = 0;               // samples no rule matched
  size_t non_finite = 0;              // matched samples dropped for NaN/±Inf values
};

// Maps parsed samples to catalog metric samples by a fixed rule set. A sample
// may match several rules (one metric sample per rule). The metric sample
// keeps all the series' labels; a sample without a timestamp gets `default_ts`
// (the scrape time).
class series_mapper {
public:
  explicit series_mapper(std::vector<mapping_rule> rules);
  mapping_result map(const std::vector<prom_sample>& samples, timestamp_ms default_ts) const;
  const std::vector<mapping_rule>& rules() const { return rules_; }

private:
  std::vector<mapping_rule> rules_;
  std::unordered_map<std::string, std::vector<size_t>> by_series_;
};

} // namespace grace::ingest
