#pragma once
// Where virtual time starts when the node starts. Under a time scale (or a
// replay's fixed origin) virtual time is not the wall clock, so a restart must
// not begin again from the wall clock: everything stored would lie in the
// future (cooldowns "ran -58h ago", every playbook refused). The node saves its
// clock's position through storage periodically and at shutdown; at start,
// virtual time resumes from the newest of that position and of the times
// storage holds (after a kill -9 the saved position may be one save period old,
// what was stored since is not).
#include <cstdint>
#include <optional>
#include <string>

namespace grace {

// The component-state key the position is saved under.
inline constexpr const char* clock_state_key = "node_clock";

struct clock_position {
  int64_t virtual_ms = 0;       // virtual time when saved
  double time_scale = 1.0;      // the scale the node ran at
  int64_t saved_at_wall_ms = 0; // wall clock when saved
};

std::string to_json_text(const clock_position& p);
// A saved position; nullopt with `problem` saying what is wrong otherwise.
std::optional<clock_position> parse_clock_position(const std::string& text, std::string& problem);

// Scale 1 without a fixed origin: virtual time is the wall clock (live samples
// carry wall-clock times), so nothing is resumed.
bool follows_wall_clock(double time_scale, int64_t configured_origin_ms);

struct clock_start_inputs {
  double time_scale = 1.0;
  int64_t wall_now_ms = 0;
  int64_t configured_origin_ms = 0; // a fixed start (replay: the file's first row); 0: none
  std::optional<clock_position> saved;
  int64_t newest_stored_ms = 0; // newest virtual time storage holds; 0: nothing stored
};

enum class clock_start_source { wall_clock, configured_origin, saved_position, stored_data };

struct clock_start {
  int64_t virtual_origin_ms = 0;
  clock_start_source source = clock_start_source::wall_clock;
  // Following the wall clock while storage holds later times (written under a
  // time scale): how far ahead they are; ages of that data read negative.
  int64_t stored_ahead_ms = 0;
};

// Following the wall clock: the wall clock. Otherwise the newest of the
// configured origin, the saved position and the newest stored time; with
// none of them the wall clock.
clock_start choose_clock_start(const clock_start_inputs& in);

} // namespace grace
