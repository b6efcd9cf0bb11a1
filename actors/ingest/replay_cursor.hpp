#pragma once
// CSV replay: hands out the rows of a NAB-style series in event-time order as
// virtual time reaches them.
#include "actors/ingest/csv_series.hpp"
#include "messages/types.hpp"

#include <string>
#include <vector>

namespace grace::ingest {

class replay_cursor {
public:
  replay_cursor(std::string metric_id, std::vector<csv_row> rows)
      : metric_id_(std::move(metric_id)), rows_(sorted_unique_by_time(rows)) {}

  // Every row with a timestamp at or before `now_ms` not handed out yet.
  sample_batch take_until(timestamp_ms now_ms) {
    sample_batch out;
    while (next_ < rows_.size() && rows_[next_].unix_ms <= now_ms) {
      out.push_back({metric_id_, rows_[next_].unix_ms, rows_[next_].value, {{"source", "replay"}}});
      ++next_;
    }
    return out;
  }

  bool finished() const { return next_ >= rows_.size(); }
  size_t replayed() const { return next_; }
  size_t total() const { return rows_.size(); }
  // Event time of the first row (where virtual time should start), 0 if none.
  timestamp_ms first_ts() const { return rows_.empty() ? 0 : rows_.front().unix_ms; }
  const std::string& metric_id() const { return metric_id_; }

private:
  std::string metric_id_;
  std::vector<csv_row> rows_;
  size_t next_ = 0;
};

} // namespace grace::ingest
