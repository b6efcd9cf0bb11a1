#pragma once
// cpp-httplib's server with connection handling that slow and idle clients
// cannot starve.
//
// cpp-httplib 0.11 gives every connection a worker thread for its whole life:
// a socket that sends nothing, or a request head one byte at a time, holds a
// worker for seconds, and a few hundred of them stop the API. Here a worker
// only ever serves a request whose head has fully arrived. Between requests,
// and while a head trickles in, a connection waits in an epoll set (one-shot)
// that the idle workers themselves wait on; it costs no thread. A sweep
// closes connections idle for `idle_timeout`, answers 408 to a head not
// complete within `read_timeout` and 431 to one larger than `max_head_bytes`,
// and a new connection beyond `max_connections` closes the one that has
// waited longest. Request parsing, routing and answers stay cpp-httplib's
// (process_request), reading and writing through this server's stream.
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <httplib.h>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace grace::http {

struct connection_limits {
  std::chrono::milliseconds idle_timeout{10000}; // between requests
  std::chrono::milliseconds read_timeout{10000}; // a request's head and body, from its first byte
  std::chrono::milliseconds write_timeout{5000}; // each write of an answer
  std::chrono::milliseconds linger{2000};        // reading what a client still sends after an
                                                 // early answer, so that it gets the answer
  size_t max_head_bytes = 32 * 1024;
  size_t max_connections = 1024;
  size_t threads = 16;
  int backlog = 4096; // the kernel caps it at net.core.somaxconn
};

// What the request on this worker thread did, for the connection's fate after
// the answer: kept open only when its body (if any) was read to its end.
struct exchange_state {
  bool checked = false;   // the head was parsed and the pre-routing checks ran
  bool has_body = false;  // it declared a body (Content-Length > 0 or chunked)
  bool body_read = false; // and that body was read to its end
  bool close = false;     // close after this answer whatever the above
  bool timed_out = false; // a read ran past http.read_timeout
};

// The request being served on this thread; a dummy outside of one.
exchange_state& current_exchange();

class front_server : public httplib::Server {
public:
  explicit front_server(connection_limits limits);
  ~front_server() override;
  front_server(const front_server&) = delete;
  front_server& operator=(const front_server&) = delete;

  // Binds (port 0: any free port) with a listen queue of `backlog`; the bound
  // port, or -1.
  int bind_with_backlog(const std::string& host, int port);

  // Closes the listening socket, also when the accept loop has not started
  // yet (cpp-httplib's stop() does nothing then, and the loop would block in
  // accept for good once it starts).
  void stop_listening();

  const connection_limits& limits() const { return limits_; }
  size_t open_connections() const { return open_.load(); }

private:
  struct connection;
  class connection_stream;
  class accept_queue;
  using connection_ptr = std::shared_ptr<connection>;

  // Called by cpp-httplib's accept loop (on its thread) for each new socket.
  bool process_and_close_socket(socket_t sock) override;

  void work();                          // a worker: takes ready connections from epoll
  void sweep_until_stopped();           // closes connections past their deadline
  void on_ready(connection_ptr c);      // bytes (or the end) arrived on a waiting connection
  void serve(connection_ptr c);         // its requests, while complete heads are buffered
  bool serve_one(connection& c);        // false when the connection is done (closed or lingering)
  void wait_for_more(connection_ptr c); // back into the epoll set until bytes arrive
  void linger(connection_ptr c);
  connection_ptr take(uint64_t id);
  bool evict_longest_waiting();
  void close_connection(connection& c);
  void refuse_head_too_large(connection& c);
  void shut_down();

  connection_limits limits_;
  int epoll_ = -1;
  int wake_ = -1; // readable once stopping: wakes every worker
  std::mutex mutex_;
  std::unordered_map<uint64_t, connection_ptr> waiting_; // in the epoll set, by id
  uint64_t next_id_ = 1;
  std::vector<std::thread> workers_;
  std::thread sweeper_;
  std::atomic<size_t> open_{0};
  std::atomic<bool> stopping_{false};
  std::atomic<bool> shut_down_{false};
};

} // namespace grace::http
