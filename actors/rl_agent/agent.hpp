// The causal playbook learner's pure core: recommends a playbook per
// (service, diagnosis) context, learns from the causal reward of what it
// recommended, and keeps what off-policy evaluation and persistence need.
//
// Default policy `hierarchical_thompson`: Thompson sampling on a posterior
// per (context, playbook) whose prior is what the playbook did in the other
// contexts (partial pooling; population.hpp). How much a context borrows is
// estimated from the data: the between-context spread, the broad prior of an
// unknown playbook, and the share of contexts that follow the pool at all (a
// context whose outcomes disagree moves to a "free" component within a few
// outcomes). Statistics are discounted and a CUSUM change detector frees an
// arm whose outcomes shift; the exploration floor fades as a context settles
// (agent_config::floor_decay). The choice follows the online knowledge
// gradient on those posteriors, with a horizon derived from the discount and
// the outcomes still pending counted as learned by their variance
// (exploration_rule::knowledge_gradient, agent_config::count_pending);
// Thompson draws (tempered by
// sampling_scale) and information-directed sampling from the same draws are
// options (exploration_rule).
// Optional optimism for playbooks not yet tried in the context
// (agent_config::untried_optimism, off by default). `thompson` is the same
// without pooling, discounting or change detection; `greedy_ema` is the
// seed's rule (value <- 0.7 value + 0.3 reward, pick the highest value, ties
// to the first candidate).
//
// Choice probabilities are estimated by drawing the posteriors
// probability_samples times and the choice is then drawn from those
// probabilities, so the logged propensity is exactly the probability the
// choice had. They are a function of the learned statistics only, so
// recommend() keeps them per (context, candidates, risk cap) until the next
// change to what was learned (and, with count_pending, to the context's
// pending events): between two outcomes, repeated recommendations for a
// context cost one draw, not probability_samples of them.
//
// Events: recommend() issues an id `rl-<salt>-<counter>` (16 hex digits of a
// salt, 12 of a counter kept in the snapshot). The salt is not in the
// snapshot: the owner gives every start its own (fresh_event_id_salt()), so
// ids stay unique across restarts (a restart from an older snapshot reuses
// counter values, never ids) and across nodes. The event waits in a pending
// set until reward(); the set holds at most max_pending events (at the cap the
// oldest expires) and expire_pending(now) expires those older than
// pending_ttl_ms. A reward for an expired event is rejected as expired (the
// last max_pending expired ids are remembered), for an id never issued here
// as unknown.
//
// Cost: every call is linear in the number of contexts at most (the pooled
// population is built once per change and reused by reads).
//
// Not thread-safe: one owner (the actor) calls it. Deterministic given the
// seed and the sequence of calls; the RNG state is part of the snapshot.
#pragma once

#include "actors/rl_agent/context_policy.hpp"
#include "actors/rl_agent/population.hpp"
#include "actors/rl_agent/replay_buffer.hpp"
#include "actors/rl_agent/set_changes.hpp"
#include "actors/rl_agent/types.hpp"

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace grace::rl {

enum class policy_kind { hierarchical_thompson, thompson, greedy_ema };

/// How the Thompson policies turn posterior draws into choice probabilities.
/// `thompson`: the probability that an arm's draw is the highest.
/// `information_directed`: variance-based information-directed sampling
/// (Russo and Van Roy, 2014/2018) over the same draws: per arm its expected
/// regret (E[max] - its mean) and how much knowing it would tell about
/// which arm is best (the variance over the best arm's identity of its
/// conditional mean); the choice mixes at most two arms to minimise
/// regret^2 / information. It stops exploring once the draws agree on the
/// best arm, and explores a close runner-up as long as it is informative.
/// `knowledge_gradient`: the online knowledge gradient (Ryzhov, Powell and
/// Frazier, 2012): each arm's index is its posterior mean plus the horizon
/// times the expected rise of the best posterior mean that one more outcome
/// of it would bring (closed form for Gaussian beliefs and noise); the
/// highest index is chosen (ties split), the exploration floor spread over
/// all. The horizon is how many more outcomes the context's statistics will
/// remember (agent_config::knowledge_horizon), so a context explores while
/// what it could still learn outweighs what exploring costs over the
/// outcomes that learning would serve.
enum class exploration_rule { thompson, information_directed, knowledge_gradient };
const char* to_string(exploration_rule rule);

const char* to_string(policy_kind kind);
/// Parses the config value `policy:`; throws rl_error(invalid_argument).
policy_kind parse_policy_kind(const std::string& name);

struct agent_config {
  policy_kind policy = policy_kind::hierarchical_thompson;
  double learning_rate = 0.3; ///< the product description's EMA rate (grace.yaml)
  std::uint64_t seed = 42;
  pooling_config pooling;
  /// Per learning step in a context every arm's statistics are multiplied by
  /// this, so the effective memory is about 1 / (1 - discount) outcomes.
  double discount = 0.999;
  double change_slack = 0.5;     ///< CUSUM k, in noise standard deviations
  double change_threshold = 8.0; ///< CUSUM h; higher = fewer false alarms
  /// Prior probability, per learning step in its context, that a playbook's
  /// effect there changes (an online change-point treatment over three run
  /// lengths: unchanged, changed since a suspected earlier point, changed
  /// since the last outcome). An arm whose last outcome was d steps ago has
  /// changed since with probability 1 - (1 - h)^d, and its Thompson draw
  /// then comes from the broad prior, so a playbook abandoned long ago is
  /// tried again now and then; a suspected earlier change draws from the
  /// broad prior updated by the outcomes since that point. Each outcome
  /// updates the probability by Bayes' rule (how well each hypothesis
  /// predicted it): a retry that only a change explains counts as evidence
  /// of one instead of being averaged into the old history; once a change is
  /// near certain (0.99) the history is replaced by the outcomes since and
  /// the arm stops borrowing from the pool; a suspicion the outcomes refute
  /// is dropped (the knowledge gradient judges an arm by the moments of that
  /// same mixture). 0 (the default): off; across the rl-family training worlds
  /// every rate tried (3e-5 to 3e-4) re-explored more than it found under
  /// Thompson draws; under the knowledge gradient 3e-5 helped on the training
  /// worlds but not on the held-out ones (docs/evaluation/learning.md).
  double change_hazard = 0.0;
  /// The change hazard learned from the data instead of fixed (used when
  /// change_hazard is 0): the CUSUM detector's firing rate pooled over every
  /// context, fires / learning steps (`per_arm`: each learning step exposes
  /// the played arm to a change the detector can see, and an arm not played
  /// is assumed to change as often), or that rate divided by the mean number
  /// of playbooks per context (`per_context`: a context's changes strike one
  /// of its playbooks), or (`from_jumps`) the squared jumps the detector
  /// measured per learning step (agent_config::learned_drift's variance)
  /// divided by the squared jump a change brings under the hazard's own
  /// model (the new mean drawn from the broad prior: twice its variance), so
  /// false alarms (no jump) count for about nothing. No fire yet: 0, the
  /// agent without a hazard. Off by
  /// default (docs/evaluation/learning.md, "Playbooks the context
  /// abandoned").
  enum class hazard_estimate { off, per_arm, per_context, from_jumps };
  hazard_estimate learned_hazard = hazard_estimate::off;
  /// A drift variance per learning step, learned from the data: the squared
  /// jumps the CUSUM detector measured (an arm's mean after a fire against
  /// its mean before, less both means' sampling variance, so a false alarm
  /// adds about nothing), summed over every context and arm and divided by
  /// the learning steps. An arm's belief widens by that times the learning
  /// steps in its context since its last outcome, so the knowledge gradient
  /// (or a Thompson draw) values re-trying a playbook the context abandoned
  /// in a world where playbooks are seen to change, and not where none is.
  /// Off by default (docs/evaluation/learning.md, "Playbooks the context
  /// abandoned").
  bool learned_drift = false;
  int probability_samples = 256; ///< Monte Carlo draws for choice probabilities
  /// Share of choices spread uniformly over the allowed candidates (Thompson
  /// policies). Every playbook then keeps a propensity of at least
  /// floor / candidates (faded, below), so off-policy evaluation of any
  /// other policy has support in the log.
  double exploration_floor = 0.01;
  /// The floor fades as a context settles: floor * sqrt(K / (K + floor_decay
  /// * n)) with K allowed candidates and n learning steps in the context, so
  /// a settled context stops paying for it while every propensity stays
  /// positive. 0 keeps it constant.
  double floor_decay = 1.0;
  /// Posterior draws are mean + sampling_scale * sd * z: below 1 the draws
  /// explore less than the posterior says. 0.7 (with Thompson choices) was
  /// tuned on the rl-family training worlds; the information-directed rule
  /// is meant with 1 (docs/evaluation/learning.md, "Exploration by
  /// information"). The knowledge gradient does not draw.
  double sampling_scale = 0.7;
  /// See exploration_rule (config key `exploration_rule`). The knowledge
  /// gradient is the default: across the rl-family worlds it is level with
  /// information-directed sampling and ahead of tempered Thompson, and on the
  /// node's simulator after one day (a handful of runs per context) ahead of
  /// or level with both (docs/evaluation/learning.md, "The knowledge
  /// gradient"). Its log supports off-policy estimates of distant targets
  /// less well than Thompson draws do.
  exploration_rule exploration = exploration_rule::knowledge_gradient;
  /// Outcomes over which a context uses what it learns now
  /// (exploration_rule::knowledge_gradient). 0 (the default): derived from
  /// the discount, discount / (1 - discount), the weight of all future
  /// outcomes relative to this one (999 at 0.999); 1e4 without discounting.
  double knowledge_horizon = 0.0;
  /// How many outcomes of one arm the knowledge gradient values together
  /// (exploration_rule::knowledge_gradient). 1 (the default): one outcome,
  /// the plain knowledge gradient. Above 1: KG(*) (Frazier and Powell 2010),
  /// the value per outcome of m outcomes, maximised over m up to this; 0: up
  /// to the horizon. One noisy outcome of an arm well behind can be worth
  /// almost nothing (it cannot overturn the gap) where ten are worth their
  /// cost, so the one-outcome index under-explores such an arm.
  double knowledge_lookahead = 1.0;
  /// The knowledge gradient counts an arm's outcomes still pending (chosen,
  /// not yet rewarded) as already learned: their variance, not their mean
  /// (the hallucinated observations of batch Bayesian optimisation, GP-BUCB,
  /// Desautels, Krause and Burdick 2014), so the value of one more outcome is
  /// judged after the ones on their way. Without it a deterministic index
  /// asks for the same exploratory arm at every incident that arrives before
  /// the first outcome does. The choice then depends on the pending set too
  /// (cached choices of a context are dropped when it changes). On by
  /// default: across the rl-family worlds it cut the regret of each context's
  /// first incidents and the worst decile, in training and held out
  /// (docs/evaluation/learning.md, "Outcomes on their way").
  bool count_pending = true;
  /// Optimism for playbooks never tried in a context (Thompson policies): if
  /// one's posterior mean + untried_optimism * sd reaches the best posterior
  /// mean among the tried ones, the untried ones that do are chosen first
  /// (with probability 1 - exploration_floor, split evenly). The pooled prior
  /// says what a playbook does elsewhere; when that is uncertain enough to
  /// beat what is known here, one trial settles it, where Thompson draws
  /// could leave it untried for many incidents behind a decent partial fix.
  /// A playbook known bad elsewhere (a tight, low prior) is not forced.
  /// 0 (the default) turns it off: across the rl-family worlds it cost regret.
  double untried_optimism = 0.0;
  /// The reward of a run no incident was seen around (no breach at the
  /// action nor in its evaluation window: it acted on a forecast alone) is
  /// taken as the playbook's effect plus this much more variance: if the
  /// forecast was wrong there was nothing to fix and the reward is the
  /// forecast's error, anywhere in [-1, 1] whatever the playbook. 1/3 is the
  /// variance of a reward uniform on [-1, 1], the least informative bounded
  /// one. Such an outcome then counts noise / (noise + this) of a full one
  /// (inverse-variance weighting; about a fifth to a half at noise sd 0.25 to
  /// 0.5) and its surprise is judged against that wider spread. 0: full weight.
  double unseen_incident_variance = 1.0 / 3.0;
  std::size_t replay_capacity = 10000;
  std::size_t max_pending = 10000; ///< at the cap the oldest unrewarded event expires
  /// expire_pending() expires events older than this, in virtual time and (when
  /// the wall clock is given) in wall-clock time too: a run can wait for a
  /// person's approval (wall clock) before its outcome is measured (virtual).
  std::int64_t pending_ttl_ms = 24LL * 3600 * 1000;
};

const char* to_string(agent_config::hazard_estimate h);

nlohmann::json config_to_json(const agent_config& cfg);
/// Reads the keys present in `j` over the defaults; throws rl_error on bad values.
agent_config config_from_json(const nlohmann::json& j);

struct agent_statistics {
  std::size_t contexts = 0;
  std::size_t experiences = 0; ///< in the replay buffer
  std::uint64_t updates = 0;   ///< learning steps since creation
  std::uint64_t recommendations = 0;
  std::size_t pending = 0;
  double average_reward = 0.0;
  /// Share of recommendations whose choice was not the top-scored playbook.
  double exploration_rate = 0.0;
  std::uint64_t changes_detected = 0;
  policy_kind policy = policy_kind::hierarchical_thompson;
};

struct arm_summary {
  std::string playbook;
  double value = 0.0;       ///< posterior mean (greedy_ema: the EMA value)
  double uncertainty = 0.0; ///< posterior standard deviation
  std::uint64_t pulls = 0;
  double ema_value = 0.0; ///< the product description's value, tracked under every policy
  bool decoupled = false; ///< a change was detected: no longer pooled
};

struct context_summary {
  context_key context;
  std::uint64_t updates = 0;
  std::vector<arm_summary> arms; ///< best value first
};

void to_json(nlohmann::json& j, const recommendation& r);
void to_json(nlohmann::json& j, const learn_result& r);

class agent {
public:
  explicit agent(agent_config cfg = {});

  /// Chooses one of `candidates` for the context and remembers the event until
  /// its reward arrives. Candidates above `max_risk_tier` are never chosen and
  /// are listed in `excluded`, not in `ranked`. Times: virtual now and wall
  /// now (0: unknown, only virtual time counts for expiry). The event id
  /// ends with `event_id_suffix` (a cluster names the context's shard there).
  /// Throws rl_error.
  recommendation recommend(const context_key& context, const std::vector<candidate>& candidates,
                           std::optional<int> max_risk_tier = std::nullopt, std::int64_t now_ms = 0,
                           std::int64_t now_wall_ms = 0, const std::string& event_id_suffix = "");

  /// Learns from the reward of a recommended event (about its `chosen`).
  /// `incident_seen`: see experience::incident_seen. Rejects unknown, expired
  /// (also one past pending_ttl not yet swept) or already-rewarded events and
  /// rewards outside [-1, 1]. Throws rl_error.
  learn_result reward(const std::string& event_id, double reward,
                      const std::map<std::string, double>& kpi_deltas = {}, std::int64_t now_ms = 0,
                      std::int64_t now_wall_ms = 0, bool incident_seen = true);

  /// Withdraws a pending event whose recommendation was never acted on (the
  /// executor refused the run, nobody approved it, or it was only a dry run):
  /// it leaves the pending set without teaching anything, as if it had
  /// expired, so a later reward for it is rejected as expired. The caller may
  /// then recommend again among the candidates that can run; that choice has
  /// its own event and a propensity exact for the reduced set. Returns false
  /// if the event was not pending (unknown, rewarded or expired already).
  bool withdraw(const std::string& event_id);

  /// What reward() would learn, without learning it: the outcome as the
  /// experiences table holds it (rewarded_at_ms = now_ms). Throws the
  /// rl_error reward() would throw and changes nothing, also for an event
  /// past its time-to-live (reward() then expires it).
  struct stored_outcome;
  stored_outcome preview_reward(const std::string& event_id, double reward,
                                const std::map<std::string, double>& kpi_deltas,
                                std::int64_t now_ms, std::int64_t now_wall_ms) const;

  /// Expires pending events older than pending_ttl_ms (see agent_config);
  /// returns how many. The owner calls it periodically with its clocks.
  std::size_t expire_pending(std::int64_t now_ms, std::int64_t now_wall_ms = 0);

  /// Applies the configured bounds over a restored snapshot's; at a lower cap
  /// the oldest pending events expire at once. Returns how many did.
  std::size_t set_limits(std::size_t max_pending, std::int64_t pending_ttl_ms);

  /// The salt of the ids this agent issues from now on; the owner sets a
  /// fresh one at every start. The default is derived from the seed
  /// (deterministic, for tests and offline runs).
  void set_event_id_salt(std::uint64_t salt) { salt_ = salt; }
  std::uint64_t event_id_salt() const { return salt_; }

  /// Choice probabilities the current policy would give, without choosing or
  /// changing state (Monte Carlo with its own generator seeded by `seed`).
  /// Used as a target policy for off-policy evaluation.
  std::vector<ranked_playbook> action_probabilities(const context_key& context,
                                                    const std::vector<candidate>& candidates,
                                                    std::optional<int> max_risk_tier,
                                                    std::uint64_t seed) const;

  /// Replaces the replay buffer with experiences read back from storage (in
  /// the order their rewards arrived; only the newest replay_capacity are
  /// kept) and re-fits every policy from them. The way back when a snapshot
  /// is missing or corrupt but the experiences table is intact.
  void load_experiences(const std::vector<experience>& experiences);

  /// An outcome as the experiences table holds it (no candidate list).
  struct stored_outcome {
    std::string event_id;
    context_key context;
    std::string chosen;
    double propensity = 1.0;
    double reward = 0.0;
    std::map<std::string, double> kpi_deltas;
    std::int64_t rewarded_at_ms = 0;
  };
  /// After restoring a snapshot: re-learns the stored outcomes the snapshot
  /// does not hold yet (snapshots are written a moment after the change, the
  /// experience row with the reward). An outcome whose event is pending here
  /// is learned exactly as reward() would; one whose recommendation came after
  /// the snapshot is learned with its chosen playbook as the only candidate
  /// known. Outcomes already in the replay buffer are skipped; invalid ones
  /// are skipped and counted. Returns how many were learned.
  std::size_t recover(const std::vector<stored_outcome>& outcomes, std::size_t* skipped = nullptr);

  /// Rebuilds every context's policy from the replay buffer, in the order the
  /// rewards arrived (the buffer is bounded: older experiences are gone).
  void refit_from_replay();

  agent_statistics statistics() const;
  /// The part of the statistics held by the contexts `keep` accepts (a
  /// cluster node's share: the contexts of the shards it serves). contexts,
  /// experiences, pending and updates (the contexts' learning steps) count
  /// those contexts only, average_reward is the mean reward of their
  /// experiences in the replay buffer; recommendations, exploration_rate and
  /// changes_detected are this agent's own counters, whichever context.
  agent_statistics statistics(const std::function<bool(const context_key&)>& keep) const;
  std::vector<context_summary> policies() const;
  /// Every context known here (learned in, or offered with a pending event).
  std::vector<context_key> contexts() const;
  std::optional<context_summary> policy(const context_key& context) const;
  const replay_buffer& experiences() const { return replay_; }
  const agent_config& config() const { return cfg_; }

  /// Snapshot of everything (config, RNG, contexts, pending events, replay
  /// buffer, counters).
  nlohmann::json to_json() const;
  /// Restores a snapshot (to_json() or policy_json()); throws
  /// rl_error(corrupt_state) with the reason.
  static agent from_json(const nlohmann::json& j);

  // --- pending events and expired ids stored apart from the snapshot ------
  // They change with every recommendation and can number max_pending each,
  // so the owner stores them as rows changed one by one rather than in every
  // snapshot: policy_json() is the snapshot without them, and
  // take_event_changes() says which rows to erase and put since last time.

  /// The snapshot without pending events and expired ids (to_json() is this
  /// plus them); from_json() reads it, restore_events() adds the rows.
  nlohmann::json policy_json() const;
  /// Starts collecting the changes to the pending events and expired ids.
  /// `store_holds_current`: the store already holds those the agent holds now
  /// (they were restored from it); otherwise they are all changes to put.
  void track_event_changes(bool store_holds_current);
  struct event_changes {
    set_changes::taken pending; ///< rows: event id, pending event JSON
    set_changes::taken expired; ///< rows: event id, "{}", oldest first
    bool empty() const { return pending.empty() && expired.empty(); }
  };
  /// The changes since the last call (or since tracking started). The JSON of
  /// a pending event is made when it is added, so taking them is cheap.
  event_changes take_event_changes();
  /// Adds stored pending events (id, JSON as take_event_changes() gave it, in
  /// issue order) and expired ids (oldest first), restoring the contexts they
  /// were offered in. Ids already held are skipped. Returns the ids of the
  /// rows that are unusable (skipped; the owner should erase them).
  std::vector<std::string>
  restore_events(const std::vector<std::pair<std::string, std::string>>& pending,
                 const std::vector<std::string>& expired);

  /// One context's state, to move it to the node that now owns it: its
  /// policy, its pending events and its experiences in the replay buffer.
  /// The posterior the new owner computes can differ: the pooled prior comes
  /// from the other contexts each agent holds.
  nlohmann::json export_context(const context_key& context) const;
  /// Replaces (or adds) the context described by an export_context() result;
  /// adds its pending events and experiences not already held. Throws
  /// rl_error(corrupt_state) and changes nothing if the export is invalid.
  void import_context(const nlohmann::json& j);
  /// Forgets a context with its pending events and experiences (after it
  /// moved away): rewards for its events are then rejected here as unknown.
  void erase_context(const context_key& context);

private:
  struct pending_event {
    context_key context;
    std::vector<candidate> candidates;
    std::optional<int> max_risk_tier;
    std::string chosen;
    double propensity = 1.0;
    std::int64_t recommended_at_ms = 0;
    std::uint64_t sequence = 0;
    std::int64_t recommended_at_wall_ms = 0; ///< 0: unknown
  };

  struct scored {
    std::vector<ranked_playbook> ranked; // candidate order, not yet sorted
    std::vector<std::string> excluded;
  };
  static nlohmann::json pending_to_json(const std::string& id, const pending_event& p);
  static std::pair<std::string, pending_event> pending_from_json(const nlohmann::json& j);
  scored score(const context_key& context, const std::vector<candidate>& candidates,
               std::optional<int> max_risk_tier, std::mt19937_64& rng) const;
  double exploration_floor_in(std::uint64_t context_updates, std::size_t candidates) const;
  /// The horizon of exploration_rule::knowledge_gradient (agent_config::knowledge_horizon).
  double knowledge_horizon() const;
  /// Prior probability that `arm` changed since its last outcome, in a
  /// context at learning step `context_updates` (agent_config::change_hazard).
  double changed_probability(const arm_statistics& arm, std::uint64_t context_updates) const;
  /// What the playbook's mean is if it changed: the broad prior updated by
  /// the outcomes since the suspected change point.
  gaussian changed_belief(const population_model& population, const arm_statistics& arm) const;
  double estimate(const population_model& population, const context_key& context,
                  const std::string& playbook, const arm_statistics& arm) const;
  learn_result apply(const experience& e);
  learn_result learn_pending(std::unordered_map<std::string, pending_event>::iterator it,
                             double reward, const std::map<std::string, double>& kpi_deltas,
                             std::int64_t now_ms, bool incident_seen = true);
  /// How much of a full observation an outcome counts, and the variance its
  /// reward has beyond the noise (agent_config::unseen_incident_variance).
  double extra_variance(const experience& e) const;
  context_summary summarize(const context_key& context, const context_policy& policy) const;
  /// The pooled population of every context, built once per change.
  const population_model& population() const;
  void contexts_changed() {
    population_.reset();
    choices_.clear();
  }
  /// What score() returned for a question, while nothing learned changed.
  struct choice_question {
    context_key context;
    std::vector<std::pair<std::string, int>> candidates; // playbook, risk tier
    std::optional<int> max_risk_tier;
    friend bool operator<(const choice_question& a, const choice_question& b) {
      return std::tie(a.context, a.candidates, a.max_risk_tier)
             < std::tie(b.context, b.candidates, b.max_risk_tier);
    }
  };
  static constexpr std::size_t max_cached_choices = 4096;
  bool past_ttl(const pending_event& p, std::int64_t now_ms, std::int64_t now_wall_ms) const;
  /// Moves a pending event to the expired ones (at most max_pending kept).
  void expire(std::string event_id);
  void remember_expired(const std::string& event_id);
  void add_pending(const std::string& event_id, pending_event p);
  void drop_pending(std::unordered_map<std::string, pending_event>::iterator it);
  /// Forgets a context nothing was learned in once no event of it is pending
  /// (it exists only to list what was offered there).
  void prune_if_unused(const context_key& context);
  std::string next_event_id(const std::string& suffix);
  void check_reward(const std::string& event_id, double reward,
                    const std::map<std::string, double>& kpi_deltas) const;
  // Event change tracking (track_event_changes): called where pending events
  // and expired ids enter and leave their sets.
  void note_pending_added(const std::string& event_id);
  void note_pending_removed(const std::string& event_id);
  void note_expired_added(const std::string& event_id);
  void note_expired_removed(const std::string& event_id);

  agent_config cfg_;
  std::mt19937_64 rng_;
  std::uint64_t salt_;
  std::uint64_t next_sequence_ = 0;
  std::map<context_key, context_policy> contexts_;
  std::unordered_map<std::string, pending_event> pending_;
  std::deque<std::string> pending_order_; // issue order, for eviction
  /// Pending events per context and chosen playbook (a context with none has
  /// no entry): what agent_config::count_pending counts, and which contexts
  /// still wait for an outcome.
  std::map<context_key, std::map<std::string, int>> pending_chosen_;
  /// Drops the cached choices of a context whose pending set changed, when
  /// choices depend on it (agent_config::count_pending).
  void pending_changed(const context_key& context);
  std::unordered_set<std::string> expired_;
  std::deque<std::string> expired_order_; // oldest first, at most max_pending
  mutable std::optional<population_model> population_;
  std::map<choice_question, scored> choices_; // cleared by contexts_changed()
  replay_buffer replay_;
  std::uint64_t updates_ = 0;
  std::uint64_t recommendations_ = 0;
  std::uint64_t explorations_ = 0;
  std::uint64_t changes_detected_ = 0;
  /// CUSUM fires only (agent_config::learned_hazard; the change-point
  /// mixture's own detections are not counted, so the estimate does not feed
  /// itself).
  std::uint64_t detector_fires_ = 0;
  /// The change hazard in force: change_hazard, or the learned one
  /// (agent_config::learned_hazard).
  double hazard() const;
  /// agent_config::learned_drift: the variance per learning step (0 off).
  double drift_variance() const;
  /// The detector's measured squared jumps per learning step (0 without).
  double jump_variance() const;
  double reward_sum_ = 0.0;
  bool track_events_ = false;
  set_changes pending_changes_;
  set_changes expired_changes_;
};

/// The seed's console line for a learning step:
/// `[CAUSAL-RL] 📊 Learned: scale-api-shard → reward=1.00 (trust_delta=+0.05)`.
std::string learned_log_line(const learn_result& r);

/// Throws rl_error(invalid_argument) for empty names, no candidates,
/// duplicate playbooks or risk tiers outside 1..4.
void validate_candidates(const context_key& context, const std::vector<candidate>& candidates);

/// A salt for one start's event ids: 64 bits from the operating system's
/// random source, mixed with the clocks and the process id.
std::uint64_t fresh_event_id_salt();

} // namespace grace::rl
