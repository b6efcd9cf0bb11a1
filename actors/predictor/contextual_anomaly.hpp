#pragma once
// Contextual anomaly detector: the algorithm of CAD OSE (M. Smirnov, 2016;
// "contextOSE" in the Numenta Anomaly Benchmark), written afresh for GRACE.
// A second, model-free view of a metric beside the forecast residuals of
// anomaly_score: it learns which patterns of quantised values follow which,
// and scores a sample by how much of what it expected did not happen.
//
// Per sample:
//  1. the value is quantised into 2^value_bits levels over the range seen so
//     far (running min and max: no look-ahead; or the range of the first
//     range_samples, then fixed, values beyond it on the extreme levels);
//     each bit i of the level is one sensory fact, 2i + bit;
//  2. a context is a (left, right) pair of fact sets: "after these facts,
//     those follow". The left facts of a step are the step's sensory facts
//     plus one fact per active context (the most used contexts that fully
//     matched), so contexts chain into longer ones;
//  3. each step learns the zero-level context (previous left facts, current
//     sensory facts) and, when that one is new, the contexts made of the
//     partial overlaps of known contexts with the stream;
//  4. raw score = (1 - share of the selected contexts (left side fully
//     matched) whose right side also matched + share of the candidate new
//     contexts that really were new) / 2: 0 when everything expected
//     happened and nothing new was needed, 1 when nothing expected happened
//     and everything was new;
//  5. after a raw score at or above alarm_level the detector rests
//     (reports 0) for rest_samples, as an operator would not want the same
//     episode again.
// Pure core: no CAF, deterministic, memory bounded by max_contexts.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <nlohmann/json.hpp>
#include <unordered_map>
#include <vector>

namespace grace::predictor {

struct contextual_params {
  int value_bits = 3;        // the value is quantised into 2^value_bits levels
  int max_left_facts = 7;    // overlap contexts learned only from this few left facts
  int max_active = 15;       // active contexts fed back as facts of the next step
  double alarm_level = 0.75; // a raw score at or above this starts a rest
  int rest_samples = 150;    // samples reported as 0 after an alarm (and at the start)
  // > 0: the quantisation range is learned over this many samples and then
  // fixed (a new extreme re-quantises every level, so everything learned
  // looks new at once); 0: it follows the running min and max throughout.
  int range_samples = 0;
  // Headroom: the levels span the learned range widened by this share of it
  // on each side, so values beyond what was seen (an event) still get levels
  // of their own instead of all sharing the extreme one.
  double range_margin = 0.0;
  // No context is learned beyond this many (the memory bound; the model
  // keeps scoring with what it knows).
  size_t max_contexts = 200'000;
};
void to_json(nlohmann::json& j, const contextual_params& p);
void from_json(const nlohmann::json& j, contextual_params& p);

class contextual_detector {
public:
  explicit contextual_detector(contextual_params p = {});

  // Feeds the next sample and returns its score in [0, 1] (0 while resting).
  double update(double value);

  double last_raw() const { return last_raw_; } // the score before the rest rule
  size_t contexts() const { return contexts_.size(); }
  const contextual_params& params() const { return p_; }

  nlohmann::json to_json() const;
  static contextual_detector from_json(const nlohmann::json& j);

private:
  using facts = std::vector<uint32_t>; // sorted, unique

  struct semi_context {
    facts members;
    facts crossed;            // members present in the last fact group crossed
    std::map<int, int> pairs; // left side only: right semi-context id -> context id
  };
  struct context {
    uint64_t hits = 0;       // times it fully matched
    bool zero_level = false; // learned (or seen) as (left facts, next sensory facts)
    int left = 0, right = 0; // semi-context ids
  };
  enum side : size_t { left_side = 0, right_side = 1 };

  facts sensory_facts(double value);
  // Finds or creates the semi-context of these facts on one side.
  int semi_of(side s, const facts& f);
  // Finds or creates the context (l, r); returns whether it is new (false
  // also when the memory is full).
  bool learn(const facts& l, const facts& r, bool zero_level);
  void cross(side s, const facts& group);
  // One step of the context memory; returns the two shares of the raw score.
  std::pair<double, double> step(const facts& sensory);

  contextual_params p_;
  std::vector<semi_context> semis_[2];
  std::map<facts, int> semi_index_[2];
  std::unordered_map<uint32_t, std::vector<int>> fact_index_[2];
  std::vector<int> crossed_[2]; // semi-contexts crossed by the last group, in id order
  std::vector<context> contexts_;
  int just_learned_ = -1; // the zero-level context learned this step (not judged)
  facts left_group_;      // sensory + active-context facts of the previous step
  bool have_range_ = false;
  double min_ = 0.0, max_ = 0.0;
  uint64_t seen_ = 0;             // samples fed (for range_samples)
  std::deque<double> recent_raw_; // the last rest_samples raw scores
  double last_raw_ = 0.0;
};

} // namespace grace::predictor
