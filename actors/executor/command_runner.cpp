#include "actors/executor/command_runner.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace grace::executor {

namespace {

using clock_type = std::chrono::steady_clock;

int64_t ms_since(clock_type::time_point t0) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - t0).count();
}

std::string errno_text(int e) {
  return std::strerror(e);
}

// Closes every descriptor >= 3 except `keep`. Async-signal-safe (runs in the
// forked child): close_range when the kernel has it, else a plain loop.
void close_other_fds(int keep, int max_fd) {
#ifdef SYS_close_range
  bool done = true;
  if (keep > 3 && syscall(SYS_close_range, 3u, static_cast<unsigned>(keep - 1), 0u) != 0)
    done = false;
  if (done && syscall(SYS_close_range, static_cast<unsigned>(keep + 1), ~0u, 0u) != 0)
    done = false;
  if (done)
    return;
#endif
  for (int fd = 3; fd < max_fd; ++fd)
    if (fd != keep)
      close(fd);
}

// In the child, after fork: never returns. Only async-signal-safe calls.
[[noreturn]] void exec_child(char* const* argv, char* const* envp, int out_fd, int err_fd,
                             int max_fd) {
  setpgid(0, 0);
  // Default dispositions and an empty mask: ignored signals (SIGPIPE in a
  // server, say) would otherwise survive execve.
  struct sigaction dfl;
  std::memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig)
    if (sig != SIGKILL && sig != SIGSTOP)
      sigaction(sig, &dfl, nullptr);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);

  int in_fd = open("/dev/null", O_RDONLY);
  if (in_fd < 0 || dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(out_fd, 2) < 0) {
    int e = errno;
    (void)!write(err_fd, &e, sizeof e);
    _exit(127);
  }
  close_other_fds(err_fd, max_fd); // err_fd is close-on-exec
  execve(argv[0], argv, envp);
  int e = errno;
  (void)!write(err_fd, &e, sizeof e);
  _exit(127);
}

} // namespace

command_result run_command(const std::vector<std::string>& argv,
                           const std::map<std::string, std::string>& env, int64_t timeout_ms,
                           size_t max_output) {
  command_result r;
  const auto t0 = clock_type::now();
  if (argv.empty() || argv[0].empty()) {
    r.error = "no command given";
    return r;
  }
  if (argv[0].front() != '/') {
    r.error = "command '" + argv[0] + "' is not an absolute path; nothing was run";
    return r;
  }
  if (timeout_ms <= 0) {
    r.error = "timeout must be positive, got " + std::to_string(timeout_ms) + "ms";
    return r;
  }
  for (const auto& a : argv)
    if (a.find('\0') != std::string::npos) {
      r.error = "an argument contains a NUL byte";
      return r;
    }

  // Everything the child needs is built before fork.
  std::vector<std::string> env_strings;
  bool has_path = false;
  for (const auto& [k, v] : env) {
    if (k.empty() || k.find('=') != std::string::npos || k.find('\0') != std::string::npos
        || v.find('\0') != std::string::npos) {
      r.error = "invalid environment variable name '" + k + "'";
      return r;
    }
    has_path = has_path || k == "PATH";
    env_strings.push_back(k + "=" + v);
  }
  if (!has_path)
    env_strings.emplace_back("PATH=/usr/bin:/bin");
  std::vector<char*> argv_ptrs;
  for (const auto& a : argv)
    argv_ptrs.push_back(const_cast<char*>(a.c_str()));
  argv_ptrs.push_back(nullptr);
  std::vector<char*> env_ptrs;
  for (const auto& e : env_strings)
    env_ptrs.push_back(const_cast<char*>(e.c_str()));
  env_ptrs.push_back(nullptr);
  int max_fd = 1024;
  if (struct rlimit rl; getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
    max_fd = static_cast<int>(std::min<rlim_t>(rl.rlim_cur, 1 << 20));

  int out_pipe[2];
  int err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) {
    r.error = "cannot create a pipe: " + errno_text(errno);
    return r;
  }
  if (pipe2(err_pipe, O_CLOEXEC) != 0) {
    r.error = "cannot create a pipe: " + errno_text(errno);
    close(out_pipe[0]);
    close(out_pipe[1]);
    return r;
  }

  const pid_t pid = fork();
  if (pid < 0) {
    r.error = "cannot fork: " + errno_text(errno);
    for (int fd : {out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]})
      close(fd);
    return r;
  }
  if (pid == 0)
    exec_child(argv_ptrs.data(), env_ptrs.data(), out_pipe[1], err_pipe[1], max_fd);

  // Parent. Set the group here too, so a kill cannot race the child's setpgid.
  setpgid(pid, pid);
  close(out_pipe[1]);
  close(err_pipe[1]);

  // The error pipe closes at execve (close-on-exec) or carries the errno.
  int child_errno = 0;
  ssize_t n;
  do {
    n = read(err_pipe[0], &child_errno, sizeof child_errno);
  } while (n < 0 && errno == EINTR);
  close(err_pipe[0]);
  if (n == static_cast<ssize_t>(sizeof child_errno)) {
    close(out_pipe[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    r.error = "cannot execute " + argv[0] + ": " + errno_text(child_errno);
    r.duration_ms = ms_since(t0);
    return r;
  }
  r.started = true;

  const int fd = out_pipe[0];
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  const auto deadline = t0 + std::chrono::milliseconds(timeout_ms);
  bool eof = false;
  bool exited = false;
  int status = 0;
  char buf[16384];

  // Reads what the pipe has now; false when it would block.
  auto drain = [&] {
    for (;;) {
      ssize_t got = read(fd, buf, sizeof buf);
      if (got > 0) {
        const size_t room = max_output - std::min(max_output, r.output.size());
        const size_t take = std::min(room, static_cast<size_t>(got));
        r.output.append(buf, take);
        if (take < static_cast<size_t>(got))
          r.truncated = true;
        continue;
      }
      if (got == 0) {
        eof = true;
        return;
      }
      if (errno == EINTR)
        continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK)
        eof = true; // a broken pipe: nothing more to read
      return;
    }
  };
  auto reap = [&](int flags) {
    if (exited)
      return;
    pid_t w;
    do {
      w = waitpid(pid, &status, flags);
    } while (w < 0 && errno == EINTR);
    if (w == pid) {
      exited = true;
    } else if (w < 0) {
      // ECHILD: someone else reaped it (SIGCHLD ignored); the status is lost.
      exited = true;
      status = -1;
      r.error = "exit status lost: " + errno_text(errno);
    }
  };

  while (true) {
    const auto now = clock_type::now();
    if (now >= deadline) {
      r.timed_out = true;
      break;
    }
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count() + 1;
    if (!eof) {
      // Wake up now and then to notice a child that exited while a process it
      // started in the background keeps the pipe open.
      struct pollfd p {
        fd, POLLIN, 0
      };
      int rc = poll(&p, 1, static_cast<int>(std::min<int64_t>(left, 50)));
      if (rc > 0)
        drain();
      reap(WNOHANG);
      if (exited) {
        drain();
        break;
      }
    } else {
      reap(WNOHANG);
      if (exited)
        break;
      std::this_thread::sleep_for(std::chrono::milliseconds(std::min<int64_t>(left, 2)));
    }
  }

  if (r.timed_out) {
    kill(-pid, SIGTERM);
    const auto kill_at = clock_type::now() + std::chrono::milliseconds(kill_grace_ms);
    while (!exited && clock_type::now() < kill_at) {
      if (!eof) {
        struct pollfd p {
          fd, POLLIN, 0
        };
        if (poll(&p, 1, 5) > 0)
          drain();
      } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
      reap(WNOHANG);
    }
    // SIGKILL for whatever is left of the group (the leader or its children).
    kill(-pid, SIGKILL);
    reap(0);
    drain();
  }
  close(fd);

  r.duration_ms = ms_since(t0);
  if (status != -1) {
    if (WIFEXITED(status)) {
      r.exit_code = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
      r.signal = WTERMSIG(status);
    }
  }
  if (r.timed_out && r.error.empty())
    r.error = "timed out after " + std::to_string(timeout_ms) + "ms";
  return r;
}

std::string describe(const command_result& r) {
  if (!r.started)
    return "not started: " + r.error;
  std::string out;
  if (r.timed_out)
    out = "timed out after " + std::to_string(r.duration_ms) + "ms, ";
  if (r.signal != 0)
    out += "killed by signal " + std::to_string(r.signal);
  else if (r.exit_code >= 0)
    out += "exit " + std::to_string(r.exit_code);
  else
    out += "exit status unknown";
  if (!r.timed_out)
    out += " in " + std::to_string(r.duration_ms) + "ms";
  if (r.truncated)
    out += ", output truncated to " + std::to_string(r.output.size()) + " bytes";
  return out;
}

} // namespace grace::executor
