#pragma once
// Runs a playbook's command: argv executed directly, never through a shell.
//
//  - argv[0] must be an absolute path; otherwise nothing runs (started=false).
//  - fork + execve: arguments reach the program literally ("a; rm -rf /" is
//    one argument, not a shell command).
//  - The environment is ONLY the given map plus PATH=/usr/bin:/bin (a PATH in
//    the map replaces that default); nothing of the node's environment is
//    inherited. Names must be non-empty and contain no '='.
//  - stdin is /dev/null; stdout and stderr are captured together, at most
//    `max_output` bytes (the rest is read and dropped, `truncated` set).
//  - The child leads its own process group, and inherits no other open file
//    descriptor and no ignored or blocked signal of the node.
//  - At the timeout the whole process group gets SIGTERM, then SIGKILL after
//    `kill_grace_ms`. When the command exits normally, processes it left
//    running in the background are not touched.
//  - timeout_ms must be positive.
// Blocking: the actor calls it off its own thread.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace grace::executor {

// Between SIGTERM and SIGKILL at a timeout.
inline constexpr int64_t kill_grace_ms = 500;

struct command_result {
  bool started = false; // false: could not start (error says why)
  int exit_code = -1;   // -1 when killed by a signal or not started
  int signal = 0;       // the signal that ended it, 0 if it exited
  bool timed_out = false;
  std::string output; // stdout+stderr, at most max_output bytes
  bool truncated = false;
  int64_t duration_ms = 0;
  std::string error;
  bool ok() const { return started && !timed_out && exit_code == 0; }
};

command_result run_command(const std::vector<std::string>& argv,
                           const std::map<std::string, std::string>& env, int64_t timeout_ms,
                           size_t max_output = 64 * 1024);

// One line for logs and execution records: "exit 0 in 12ms",
// "killed by signal 9 after timeout 5s", "not started: ...".
std::string describe(const command_result& r);

} // namespace grace::executor
