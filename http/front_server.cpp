#include "http/front_server.hpp"

#include "http/request_rules.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <stdexcept>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

namespace grace::http {

namespace {

using clock_type = std::chrono::steady_clock;

constexpr size_t read_chunk = 16 * 1024;

thread_local exchange_state* current = nullptr;
thread_local exchange_state outside_a_request;

// Milliseconds until `deadline`, at least 0.
int millis_until(clock_type::time_point deadline) {
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_type::now()).count();
  return left <= 0 ? 0 : static_cast<int>(std::min<int64_t>(left, 1 << 30));
}

// Waits for `events` on `fd` for up to `ms`; true when ready.
bool wait_for(int fd, short events, int ms) {
  pollfd p{fd, events, 0};
  for (;;) {
    const int n = ::poll(&p, 1, ms);
    if (n < 0 && errno == EINTR)
      continue;
    return n > 0;
  }
}

// An answer written by the connection layer itself (no request was routed):
// best effort, never blocking, and the connection is closed after it.
void send_canned(int fd, int status, const char* reason, const std::string& message) {
  std::string body = "{\"error\":\"";
  for (char c : message)
    body += (c == '"' || c == '\\') ? '\'' : c;
  body += "\"}";
  const std::string out = "HTTP/1.1 " + std::to_string(status) + " " + reason
                          + "\r\nContent-Type: application/json\r\nContent-Length: "
                          + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
  (void)::send(fd, out.data(), out.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
}

// The numeric address and port of `addr` (IPv4 or IPv6).
void address_text(const sockaddr_storage& addr, std::string& ip, int& port) {
  char buf[INET6_ADDRSTRLEN] = {};
  const char* text = nullptr;
  if (addr.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&addr);
    port = ntohs(a->sin_port);
    text = inet_ntop(AF_INET, &a->sin_addr, buf, sizeof buf);
  } else if (addr.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&addr);
    port = ntohs(a->sin6_port);
    text = inet_ntop(AF_INET6, &a->sin6_addr, buf, sizeof buf);
  }
  if (text != nullptr)
    ip = text;
}

} // namespace

exchange_state& current_exchange() {
  return current != nullptr ? *current : outside_a_request;
}

// One client connection: its socket and the bytes read from it that no
// request has consumed yet. Owned by one thread at a time: the worker serving
// it, or the table of waiting connections while it is in the epoll set.
struct front_server::connection {
  enum class fill_result { open, closed };

  int fd = -1;
  uint64_t id = 0;
  bool registered = false;              // in the epoll set (added once, re-armed after)
  std::string in;                       // bytes read, from `used` on not consumed yet
  size_t used = 0;                      // consumed by the requests served so far
  size_t scanned = 0;                   // `in` searched for the end of the head up to here
  bool in_request = false;              // the current request's first byte has arrived
  bool draining = false;                // answered early: discarding what the client still sends
  clock_type::time_point deadline;      // of the idle wait, the request, or the draining
  clock_type::time_point waiting_since; // in the epoll set since

  std::string remote_ip, local_ip;
  int remote_port = 0, local_port = 0;
  bool remote_known = false, local_known = false;

  size_t pending() const { return in.size() - used; }

  // Reads what has arrived (without waiting) until `limit` unconsumed bytes.
  fill_result fill(size_t limit) {
    char chunk[read_chunk];
    while (pending() < limit) {
      const ssize_t n = ::recv(fd, chunk, sizeof chunk, MSG_DONTWAIT);
      if (n > 0) {
        in.append(chunk, static_cast<size_t>(n));
        continue;
      }
      if (n == 0)
        return fill_result::closed;
      if (errno == EINTR)
        continue;
      return errno == EAGAIN || errno == EWOULDBLOCK ? fill_result::open : fill_result::closed;
    }
    return fill_result::open;
  }

  // Starts the request deadline when a request's first byte is buffered.
  void note_request_start(std::chrono::milliseconds read_timeout) {
    if (!in_request && pending() > 0) {
      in_request = true;
      deadline = clock_type::now() + read_timeout;
    }
  }

  bool head_ready() {
    const size_t from = std::max(used, scanned >= 3 ? scanned - 3 : 0);
    scanned = in.size();
    return request_head_end(in, from) != std::string::npos;
  }

  // Drops the bytes the finished request consumed.
  void compact() {
    in.erase(0, used);
    scanned = scanned > used ? scanned - used : 0;
    used = 0;
    in_request = false;
    if (in.capacity() > 4 * read_chunk && in.size() < read_chunk)
      in.shrink_to_fit();
  }

  // Discards what arrived; false at the end of the stream.
  bool discard() {
    char sink[read_chunk];
    for (int i = 0; i < 16; ++i) {
      const ssize_t n = ::recv(fd, sink, sizeof sink, MSG_DONTWAIT);
      if (n > 0)
        continue;
      if (n < 0 && errno == EINTR)
        continue;
      return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
    }
    return true;
  }
};

// cpp-httplib reads requests and writes answers through this stream: reads
// come from the connection's buffer first and never wait past the request's
// deadline; each write waits at most write_timeout.
class front_server::connection_stream final : public httplib::Stream {
public:
  connection_stream(const connection_limits& limits, connection& c, exchange_state& ex)
      : limits_(limits), c_(c), ex_(ex) {}

  bool is_readable() const override {
    return c_.pending() > 0 || wait_for(c_.fd, POLLIN, millis_until(c_.deadline));
  }

  bool is_writable() const override {
    return wait_for(c_.fd, POLLOUT, static_cast<int>(limits_.write_timeout.count()));
  }

  ssize_t read(char* ptr, size_t size) override {
    if (c_.pending() == 0) {
      c_.in.clear();
      c_.used = c_.scanned = 0;
      for (;;) {
        if (!wait_for(c_.fd, POLLIN, millis_until(c_.deadline))) {
          ex_.timed_out = clock_type::now() >= c_.deadline;
          return -1;
        }
        if (size >= read_chunk) {
          const ssize_t n = ::recv(c_.fd, ptr, size, MSG_DONTWAIT);
          if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            continue;
          return n;
        }
        if (c_.fill(read_chunk) == connection::fill_result::closed && c_.pending() == 0)
          return 0;
        if (c_.pending() > 0)
          break;
      }
    }
    const size_t n = std::min(size, c_.pending());
    std::memcpy(ptr, c_.in.data() + c_.used, n);
    c_.used += n;
    return static_cast<ssize_t>(n);
  }

  ssize_t write(const char* ptr, size_t size) override {
    for (;;) {
      if (!is_writable())
        return -1;
      const ssize_t n = ::send(c_.fd, ptr, size, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        continue;
      return n;
    }
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    if (!c_.remote_known) {
      sockaddr_storage addr{};
      socklen_t len = sizeof addr;
      if (::getpeername(c_.fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
        address_text(addr, c_.remote_ip, c_.remote_port);
      c_.remote_known = true;
    }
    ip = c_.remote_ip;
    port = c_.remote_port;
  }

  void get_local_ip_and_port(std::string& ip, int& port) const override {
    if (!c_.local_known) {
      sockaddr_storage addr{};
      socklen_t len = sizeof addr;
      if (::getsockname(c_.fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
        address_text(addr, c_.local_ip, c_.local_port);
      c_.local_known = true;
    }
    ip = c_.local_ip;
    port = c_.local_port;
  }

  socket_t socket() const override { return c_.fd; }

private:
  const connection_limits& limits_;
  connection& c_;
  exchange_state& ex_;
};

// What cpp-httplib's accept loop submits each new socket to: runs it at once
// (process_and_close_socket never blocks), and stops the server when the
// loop ends.
class front_server::accept_queue final : public httplib::TaskQueue {
public:
  explicit accept_queue(front_server& server) : server_(server) {}
  void enqueue(std::function<void()> fn) override { fn(); }
  void shutdown() override { server_.shut_down(); }

private:
  front_server& server_;
};

front_server::front_server(connection_limits limits) : limits_(limits) {
  epoll_ = ::epoll_create1(EPOLL_CLOEXEC);
  wake_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (epoll_ < 0 || wake_ < 0)
    throw std::runtime_error(std::string("cannot create the HTTP connection set: ")
                             + std::strerror(errno));
  epoll_event ev{};
  ev.events = EPOLLIN; // level-triggered, never read: once written, every worker sees it
  ev.data.u64 = 0;
  ::epoll_ctl(epoll_, EPOLL_CTL_ADD, wake_, &ev);
  for (size_t i = 0; i < limits_.threads; ++i)
    workers_.emplace_back([this] { work(); });
  sweeper_ = std::thread([this] { sweep_until_stopped(); });
  new_task_queue = [this] { return new accept_queue(*this); };
  // The Keep-Alive header cpp-httplib writes: the idle timeout applied here,
  // and no cap on requests per connection (there is none).
  set_keep_alive_timeout(
      std::max<time_t>(1, static_cast<time_t>(limits_.idle_timeout.count() / 1000)));
  set_keep_alive_max_count(1000000);
}

front_server::~front_server() {
  shut_down();
  ::close(wake_);
  ::close(epoll_);
}

int front_server::bind_with_backlog(const std::string& host, int port) {
  int bound = port;
  if (port == 0)
    bound = bind_to_any_port(host);
  else if (!bind_to_port(host, port))
    bound = -1;
  if (bound <= 0)
    return -1;
  // cpp-httplib listens with a queue of 5 (CPPHTTPLIB_LISTEN_BACKLOG, compiled
  // into the library): a burst of new connections overflows it and each
  // dropped SYN costs its client a 1 s retransmission. listen() again on the
  // bound socket sets the queue length.
  if (::listen(svr_sock_, limits_.backlog) != 0)
    spdlog::warn("[HTTP] cannot widen the listen queue: {}", std::strerror(errno));
  return bound;
}

void front_server::stop_listening() {
  stop();
  const socket_t sock = svr_sock_.exchange(INVALID_SOCKET);
  if (sock != INVALID_SOCKET) {
    ::shutdown(sock, SHUT_RDWR);
    ::close(sock);
  }
}

bool front_server::process_and_close_socket(socket_t sock) {
  auto c = std::make_shared<connection>();
  c->fd = sock;
  ++open_;
  if (stopping_) {
    close_connection(*c);
    return true;
  }
  if (open_.load() > limits_.max_connections && !evict_longest_waiting()) {
    send_canned(sock, 503, "Service Unavailable",
                "too many open connections (http.max_connections: "
                    + std::to_string(limits_.max_connections) + ")");
    close_connection(*c);
    return true;
  }
  // A worker picks it up from the epoll set as soon as its first bytes are
  // there (often already).
  wait_for_more(std::move(c));
  return true;
}

void front_server::wait_for_more(connection_ptr c) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (stopping_)
    return close_connection(*c);
  c->waiting_since = clock_type::now();
  if (!c->in_request && !c->draining)
    c->deadline = c->waiting_since + limits_.idle_timeout;
  if (c->id == 0)
    c->id = next_id_++;
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLONESHOT;
  ev.data.u64 = c->id;
  const int op = c->registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
  if (::epoll_ctl(epoll_, op, c->fd, &ev) != 0) {
    spdlog::warn("[HTTP] cannot watch a connection: {}", std::strerror(errno));
    return close_connection(*c);
  }
  c->registered = true;
  waiting_[c->id] = std::move(c);
}

front_server::connection_ptr front_server::take(uint64_t id) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = waiting_.find(id);
  if (it == waiting_.end())
    return nullptr; // closed by the sweep in the meantime
  connection_ptr c = std::move(it->second);
  waiting_.erase(it);
  return c;
}

void front_server::work() {
  for (;;) {
    epoll_event ev{};
    const int n = ::epoll_wait(epoll_, &ev, 1, -1);
    if (stopping_)
      return;
    if (n <= 0 || ev.data.u64 == 0)
      continue;
    if (auto c = take(ev.data.u64))
      on_ready(std::move(c));
  }
}

void front_server::on_ready(connection_ptr c) {
  if (c->draining) {
    if (c->discard())
      return wait_for_more(std::move(c));
    return close_connection(*c);
  }
  const auto result = c->fill(limits_.max_head_bytes + 1);
  c->note_request_start(limits_.read_timeout);
  if (c->head_ready())
    return serve(std::move(c));
  if (c->pending() > limits_.max_head_bytes)
    return refuse_head_too_large(*c);
  if (result == connection::fill_result::closed)
    return close_connection(*c);
  wait_for_more(std::move(c));
}

void front_server::serve(connection_ptr c) {
  // Requests a client sent back to back (pipelined) are served in order.
  for (;;) {
    if (stopping_ || !serve_one(*c)) {
      if (c->draining)
        return linger(std::move(c));
      return close_connection(*c);
    }
    c->compact();
    c->note_request_start(limits_.read_timeout);
    if (c->head_ready())
      continue;
    const auto result = c->fill(limits_.max_head_bytes + 1);
    c->note_request_start(limits_.read_timeout);
    if (c->head_ready())
      continue;
    if (c->pending() > limits_.max_head_bytes)
      return refuse_head_too_large(*c);
    if (result == connection::fill_result::closed)
      return close_connection(*c);
    return wait_for_more(std::move(c));
  }
}

bool front_server::serve_one(connection& c) {
  exchange_state ex;
  bool closed_by_client = false;
  bool written = false;
  {
    connection_stream stream(limits_, c, ex);
    current = &ex;
    try {
      written = process_request(stream, false, closed_by_client, nullptr);
    } catch (const std::exception& e) {
      spdlog::error("[HTTP] a request failed outside its handler: {}", log_safe(e.what()));
    }
    current = nullptr;
  }
  const bool body_left = ex.has_body && !ex.body_read;
  if (written && ex.checked && !closed_by_client && !ex.close && !body_left)
    return true;
  // Answered before the body was read (or all of it): the rest is still on
  // its way, and closing now could reset the connection under the answer.
  c.draining = written && ex.checked && (ex.close || body_left) && !ex.timed_out;
  return false;
}

void front_server::linger(connection_ptr c) {
  ::shutdown(c->fd, SHUT_WR);
  c->draining = true;
  c->deadline = clock_type::now() + limits_.linger;
  c->in.clear();
  c->in.shrink_to_fit();
  c->used = c->scanned = 0;
  wait_for_more(std::move(c));
}

void front_server::refuse_head_too_large(connection& c) {
  send_canned(c.fd, 431, "Request Header Fields Too Large",
              "the request head is larger than " + std::to_string(limits_.max_head_bytes)
                  + " bytes");
  close_connection(c);
}

bool front_server::evict_longest_waiting() {
  std::lock_guard<std::mutex> lock(mutex_);
  auto oldest = waiting_.end();
  for (auto it = waiting_.begin(); it != waiting_.end(); ++it) {
    const connection& c = *it->second;
    if (oldest == waiting_.end() || c.draining > oldest->second->draining
        || (c.draining == oldest->second->draining
            && c.waiting_since < oldest->second->waiting_since))
      oldest = it;
  }
  if (oldest == waiting_.end())
    return false;
  close_connection(*oldest->second);
  waiting_.erase(oldest);
  return true;
}

void front_server::sweep_until_stopped() {
  while (!stopping_) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::lock_guard<std::mutex> lock(mutex_);
    const auto now = clock_type::now();
    for (auto it = waiting_.begin(); it != waiting_.end();) {
      connection& c = *it->second;
      if (now < c.deadline) {
        ++it;
        continue;
      }
      if (c.in_request && !c.draining)
        send_canned(c.fd, 408, "Request Timeout",
                    "the request did not arrive within http.read_timeout ("
                        + std::to_string(limits_.read_timeout.count()) + " ms)");
      close_connection(c);
      it = waiting_.erase(it);
    }
  }
}

void front_server::close_connection(connection& c) {
  if (c.fd < 0)
    return;
  ::close(c.fd); // also leaves the epoll set
  c.fd = -1;
  --open_;
}

void front_server::shut_down() {
  if (shut_down_.exchange(true))
    return;
  stopping_ = true;
  const uint64_t one = 1;
  (void)::write(wake_, &one, sizeof one);
  // Workers finish the request they serve (bounded by the request timeout);
  // connections they would wait on again are closed instead.
  for (auto& w : workers_)
    w.join();
  if (sweeper_.joinable())
    sweeper_.join();
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto& [id, c] : waiting_)
    close_connection(*c);
  waiting_.clear();
}

} // namespace grace::http
