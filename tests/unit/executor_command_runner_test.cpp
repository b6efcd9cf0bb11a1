#include "actors/executor/command_runner.hpp"

#include <algorithm>
#include <csignal>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sstream>
#include <unistd.h>

using namespace grace::executor;

namespace {

std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string line; std::getline(in, line);)
    out.push_back(line);
  std::sort(out.begin(), out.end());
  return out;
}

std::string temp_path(const std::string& name) {
  return "/tmp/grace-executor-test-" + std::to_string(getpid()) + "-" + name;
}

} // namespace

TEST(executor_command, echo_output_is_captured) {
  auto r = run_command({"/bin/echo", "hello", "world"}, {}, 5000);
  EXPECT_TRUE(r.started) << r.error;
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.signal, 0);
  EXPECT_EQ(r.output, "hello world\n");
  EXPECT_FALSE(r.truncated);
  EXPECT_FALSE(r.timed_out);
}

TEST(executor_command, exit_code_of_false) {
  auto r = run_command({"/bin/false"}, {}, 5000);
  EXPECT_TRUE(r.started);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(describe(r).rfind("exit 1 in ", 0), 0u) << describe(r);
}

TEST(executor_command, stderr_is_captured_with_stdout) {
  auto r = run_command({"/bin/sh", "-c", "echo out; echo err 1>&2; exit 3"}, {}, 5000);
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.output, "out\nerr\n");
}

TEST(executor_command, relative_command_is_refused_without_running) {
  const auto marker = temp_path("relative");
  unlink(marker.c_str());
  auto r = run_command({"touch", marker}, {}, 5000);
  EXPECT_FALSE(r.started);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.exit_code, -1);
  EXPECT_NE(r.error.find("absolute"), std::string::npos) << r.error;
  EXPECT_NE(access(marker.c_str(), F_OK), 0);
  EXPECT_FALSE(run_command({}, {}, 5000).started);
}

TEST(executor_command, missing_program_is_reported_as_not_started) {
  auto r = run_command({"/nonexistent/grace-no-such-program"}, {}, 5000);
  EXPECT_FALSE(r.started);
  EXPECT_NE(r.error.find("No such file"), std::string::npos) << r.error;
}

TEST(executor_command, shell_metacharacters_are_passed_literally) {
  const auto marker = temp_path("x");
  unlink(marker.c_str());
  const std::string arg = "a; touch " + marker + " && echo $HOME `id` | cat > " + marker;
  auto r = run_command({"/bin/echo", arg}, {}, 5000);
  EXPECT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.output, arg + "\n");
  EXPECT_NE(access(marker.c_str(), F_OK), 0) << "a shell ran the argument";
}

TEST(executor_command, environment_is_only_the_given_map_plus_path) {
  setenv("GRACE_EXECUTOR_TEST_SECRET", "leak", 1);
  auto r = run_command({"/usr/bin/env"}, {{"FOO", "bar"}, {"EMPTY", ""}}, 5000);
  unsetenv("GRACE_EXECUTOR_TEST_SECRET");
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(lines_of(r.output),
            (std::vector<std::string>{"EMPTY=", "FOO=bar", "PATH=/usr/bin:/bin"}));
}

TEST(executor_command, given_path_replaces_the_default) {
  auto r = run_command({"/usr/bin/env"}, {{"PATH", "/opt/bin"}}, 5000);
  EXPECT_EQ(lines_of(r.output), (std::vector<std::string>{"PATH=/opt/bin"}));
}

TEST(executor_command, invalid_environment_name_is_refused) {
  auto r = run_command({"/usr/bin/env"}, {{"A=B", "c"}}, 5000);
  EXPECT_FALSE(r.started);
  EXPECT_NE(r.error.find("environment"), std::string::npos) << r.error;
}

TEST(executor_command, stdin_is_dev_null) {
  auto r = run_command({"/bin/cat"}, {}, 5000);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.output, "");
}

TEST(executor_command, timeout_kills_sleep_within_the_timeout) {
  auto r = run_command({"/bin/sleep", "10"}, {}, 300);
  EXPECT_TRUE(r.started);
  EXPECT_TRUE(r.timed_out);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.exit_code, -1);
  EXPECT_EQ(r.signal, SIGTERM);
  EXPECT_GE(r.duration_ms, 290);
  EXPECT_LT(r.duration_ms, 1500);
}

TEST(executor_command, timeout_kills_the_whole_group_and_ignored_sigterm_gets_sigkill) {
  // The shell ignores SIGTERM and its background child keeps the pipe open:
  // both must be gone after the timeout plus the grace.
  auto r =
      run_command({"/bin/sh", "-c", "trap '' TERM; /bin/sleep 10 & /bin/sleep 10; wait"}, {}, 300);
  EXPECT_TRUE(r.timed_out);
  EXPECT_EQ(r.signal, SIGKILL);
  EXPECT_LT(r.duration_ms, 300 + kill_grace_ms + 1000);
}

TEST(executor_command, background_process_holding_the_pipe_does_not_block_the_result) {
  const auto t = std::chrono::steady_clock::now();
  auto r = run_command({"/bin/sh", "-c", "/bin/sleep 1 & echo done"}, {}, 5000);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t)
          .count();
  EXPECT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.output, "done\n");
  EXPECT_LT(ms, 800);
}

TEST(executor_command, output_is_truncated_to_max_output) {
  auto r = run_command({"/bin/sh", "-c",
                        "i=0; while [ $i -lt 2000 ]; do echo 0123456789; "
                        "i=$((i+1)); done"},
                       {}, 5000, 100);
  EXPECT_TRUE(r.ok()) << r.error;
  EXPECT_TRUE(r.truncated);
  EXPECT_EQ(r.output.size(), 100u);
  EXPECT_EQ(r.output.substr(0, 11), "0123456789\n");
}

TEST(executor_command, nonpositive_timeout_is_refused) {
  auto r = run_command({"/bin/true"}, {}, 0);
  EXPECT_FALSE(r.started);
  EXPECT_NE(r.error.find("timeout"), std::string::npos);
}

TEST(executor_command, no_descriptor_of_the_node_is_inherited) {
  // A descriptor opened without close-on-exec, as a library might leave one.
  const int leaked = open("/dev/null", O_RDONLY);
  ASSERT_GE(leaked, 3);
  auto r = run_command({"/bin/sh", "-c", "ls /proc/$$/fd"}, {}, 5000);
  close(leaked);
  ASSERT_TRUE(r.ok()) << r.error << r.output;
  EXPECT_EQ(lines_of(r.output), (std::vector<std::string>{"0", "1", "2"}));
}

TEST(executor_command, ignored_signals_of_the_node_are_not_inherited) {
  // A server ignores SIGPIPE and may ignore SIGTERM; the command must not.
  auto old_term = signal(SIGTERM, SIG_IGN);
  auto r = run_command({"/bin/sleep", "10"}, {}, 200);
  signal(SIGTERM, old_term);
  EXPECT_TRUE(r.timed_out);
  EXPECT_EQ(r.signal, SIGTERM);
  EXPECT_LT(r.duration_ms, 200 + kill_grace_ms);
  EXPECT_NE(describe(r).find("timed out"), std::string::npos) << describe(r);
}
