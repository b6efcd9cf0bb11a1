#include "actors/executor/webhook_client.hpp"

#include <arpa/inet.h>
#include <atomic>
#include <chrono>
#include <gtest/gtest.h>
#include <httplib.h>
#include <mutex>
#include <netinet/in.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

using namespace grace::executor;

namespace {

// A local HTTP server on 127.0.0.1 and a free port, running on its own thread.
class executor_webhook_server : public ::testing::Test {
protected:
  void SetUp() override {
    server_.Post("/hook", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> guard(mutex_);
      body_ = req.body;
      token_ = req.get_header_value("X-Token");
      content_type_ = req.get_header_value("Content-Type");
      content_types_ = req.get_header_value_count("Content-Type");
      ++calls_;
      res.set_content(R"({"accepted":true})", "application/json");
    });
    server_.Post("/flaky", [this](const httplib::Request&, httplib::Response& res) {
      res.status = ++calls_ == 1 ? 500 : 200;
      res.set_content(res.status == 500 ? "try again" : "ok", "text/plain");
    });
    server_.Post("/down", [this](const httplib::Request&, httplib::Response& res) {
      ++calls_;
      res.status = 503;
    });
    server_.Post("/bad", [this](const httplib::Request&, httplib::Response& res) {
      ++calls_;
      res.status = 400;
      res.set_content("missing field 'target'", "text/plain");
    });
    server_.Post("/slow", [this](const httplib::Request&, httplib::Response& res) {
      ++calls_;
      std::this_thread::sleep_for(std::chrono::milliseconds(600));
      res.set_content("late", "text/plain");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    ASSERT_GT(port_, 0);
    // The socket already listens: requests queue until the thread accepts them.
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }

  void TearDown() override {
    server_.stop();
    if (thread_.joinable())
      thread_.join();
  }

  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::mutex mutex_;
  std::string body_, token_, content_type_;
  size_t content_types_ = 0;
  std::atomic<int> calls_{0};
};

// A port with a bound socket that does not listen: connecting is refused.
struct refusing_port {
  int fd = -1;
  int port = 0;
  refusing_port() {
    fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
      socklen_t len = sizeof addr;
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
      port = ntohs(addr.sin_port);
    }
  }
  ~refusing_port() { close(fd); }
};

} // namespace

TEST_F(executor_webhook_server, posts_body_and_headers) {
  const std::string body = R"({"playbook":"restart","target":"grace-api"})";
  auto r = post_webhook(url("/hook"), {{"X-Token", "s3cret"}}, body, 2000, 2);
  EXPECT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.attempts, 1);
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.response_excerpt, R"({"accepted":true})");
  std::lock_guard<std::mutex> guard(mutex_);
  EXPECT_EQ(body_, body);
  EXPECT_EQ(token_, "s3cret");
  EXPECT_EQ(content_type_, "application/json");
}

TEST_F(executor_webhook_server, content_type_header_replaces_the_default) {
  auto r =
      post_webhook(url("/hook"), {{"content-type", "application/vnd.grace+json"}}, "{}", 2000, 0);
  EXPECT_TRUE(r.ok) << r.error;
  std::lock_guard<std::mutex> guard(mutex_);
  EXPECT_EQ(content_type_, "application/vnd.grace+json");
  EXPECT_EQ(content_types_, 1u);
}

TEST_F(executor_webhook_server, server_error_is_retried) {
  auto r = post_webhook(url("/flaky"), {}, "{}", 2000, 2);
  EXPECT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.attempts, 2);
  EXPECT_EQ(calls_.load(), 2);
}

TEST_F(executor_webhook_server, retries_run_out_on_a_persistent_server_error) {
  auto r = post_webhook(url("/down"), {}, "{}", 2000, 2);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.attempts, 3);
  EXPECT_EQ(calls_.load(), 3);
  EXPECT_NE(r.error.find("503"), std::string::npos) << r.error;
}

TEST_F(executor_webhook_server, client_error_is_not_retried) {
  auto r = post_webhook(url("/bad"), {}, "{}", 2000, 3);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.attempts, 1);
  EXPECT_EQ(calls_.load(), 1);
  EXPECT_EQ(r.response_excerpt, "missing field 'target'");
  EXPECT_NE(r.error.find("400"), std::string::npos) << r.error;
}

TEST_F(executor_webhook_server, slow_handler_times_out) {
  auto r = post_webhook(url("/slow"), {}, "{}", 150, 0);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.attempts, 1);
  EXPECT_FALSE(r.error.empty());
  EXPECT_LT(r.duration_ms, 550);
}

TEST(executor_webhook, connection_refused_is_retried_then_reported) {
  refusing_port closed;
  ASSERT_GT(closed.port, 0);
  auto r =
      post_webhook("http://127.0.0.1:" + std::to_string(closed.port) + "/hook", {}, "{}", 1000, 1);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.attempts, 2);
  EXPECT_NE(r.error.find("cannot reach"), std::string::npos) << r.error;
}

TEST(executor_webhook, bad_urls_are_refused_without_a_request) {
  for (const std::string url : {"ftp://example.com/x", "127.0.0.1:8080/hook", "http:///x"}) {
    auto r = post_webhook(url, {}, "{}", 1000, 2);
    EXPECT_FALSE(r.ok) << url;
    EXPECT_EQ(r.attempts, 0) << url;
    EXPECT_FALSE(r.error.empty()) << url;
  }
}

TEST(executor_webhook, https_support_matches_the_build) {
  auto r = post_webhook("https://127.0.0.1:1/hook", {}, "{}", 200, 0);
  EXPECT_FALSE(r.ok);
  if (webhook_https_supported()) {
    EXPECT_EQ(r.attempts, 1); // tried (and refused)
  } else {
    EXPECT_EQ(r.attempts, 0);
    EXPECT_NE(r.error.find("TLS"), std::string::npos) << r.error;
  }
}
