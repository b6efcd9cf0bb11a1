#include "actors/cluster/etcd_client.hpp"

#include <httplib.h>
#include <nlohmann/json.hpp>

namespace grace::cluster::etcd {

namespace {

std::string endpoint_text(const endpoint& e) {
  return e.host + ":" + std::to_string(e.port);
}

// etcd's error answer ({"error": "...", "message": "...", "code": N}) in
// plain words, or the HTTP status.
std::string error_answer(int status, const std::string& body) {
  auto doc = nlohmann::json::parse(body, nullptr, false);
  if (doc.is_object()) {
    for (const char* key : {"message", "error"}) {
      auto it = doc.find(key);
      if (it != doc.end() && it->is_string())
        return it->get<std::string>().substr(0, 300);
    }
  }
  return "HTTP status " + std::to_string(status);
}

} // namespace

etcd_client::etcd_client(std::vector<endpoint> endpoints, tls_files tls,
                         std::chrono::milliseconds timeout)
    : endpoints_(std::move(endpoints)), tls_(std::move(tls)), timeout_(timeout) {
  if (endpoints_.empty())
    throw etcd_error("etcd: no endpoint configured");
}

etcd_client::~etcd_client() = default;

httplib::SSLClient& etcd_client::connection() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!client_) {
    const auto& e = endpoints_[current_];
    auto c = std::make_unique<httplib::SSLClient>(e.host, e.port, tls_.cert, tls_.key);
    c->set_ca_cert_path(tls_.ca);
    c->enable_server_certificate_verification(true);
    c->set_connection_timeout(timeout_);
    c->set_read_timeout(timeout_);
    c->set_write_timeout(timeout_);
    c->set_keep_alive(true);
    client_ = std::move(c);
  }
  return *client_;
}

void etcd_client::next_endpoint() {
  std::lock_guard<std::mutex> lock(mutex_);
  client_.reset();
  current_ = (current_ + 1) % endpoints_.size();
}

std::string etcd_client::where() const {
  return endpoint_text(current());
}

void etcd_client::stop() {
  stopped_ = true;
  std::lock_guard<std::mutex> lock(mutex_);
  if (client_)
    client_->stop();
}

std::string etcd_client::call(const request& r) {
  if (stopped_)
    throw etcd_error("etcd: the client is stopping");
  auto& c = connection();
  if (!c.is_valid()) {
    const auto at = endpoint_text(current());
    next_endpoint();
    throw etcd_error("etcd " + at + ": cannot load the node's certificate or key");
  }
  auto res = c.Post(r.path.c_str(), r.body, "application/json");
  if (!res) {
    const auto at = endpoint_text(current());
    std::string cause = httplib::to_string(res.error());
    if (res.error() == httplib::Error::SSLServerVerification)
      cause += " (etcd's certificate is not from the cluster CA)";
    else if (res.error() == httplib::Error::SSLConnection || res.error() == httplib::Error::Read
             || res.error() == httplib::Error::Write)
      // With TLS 1.3 a refused client certificate shows up as a failed read
      // or write after the handshake.
      cause += " (no TLS exchange with etcd: it is unreachable or stalled, or it refused this "
               "node's certificate: is it from the cluster CA?)";
    next_endpoint();
    throw etcd_error("etcd " + at + r.path + ": " + cause);
  }
  if (res->status != 200)
    throw etcd_error("etcd " + endpoint_text(current()) + r.path + ": "
                     + error_answer(res->status, res->body));
  return res->body;
}

void etcd_client::watch(const request& r,
                        const std::function<bool(const std::string&)>& on_document,
                        std::chrono::milliseconds idle_timeout) {
  if (stopped_)
    return;
  auto& c = connection();
  c.set_read_timeout(idle_timeout);
  stream_splitter splitter;
  bool consumer_stopped = false;
  std::string error_body;
  httplib::Request req;
  req.method = "POST";
  req.path = r.path;
  req.body = r.body;
  req.set_header("Content-Type", "application/json");
  req.content_receiver = [&](const char* data, size_t size, uint64_t, uint64_t) {
    if (stopped_)
      return false;
    for (const auto& doc : splitter.feed(std::string_view(data, size))) {
      if (!on_document(doc)) {
        consumer_stopped = true;
        return false;
      }
    }
    return true;
  };
  httplib::Response res;
  httplib::Error err = httplib::Error::Success;
  const bool ok = c.send(req, res, err);
  c.set_read_timeout(timeout_);
  if (stopped_ || consumer_stopped)
    return;
  const auto at = endpoint_text(current());
  if (!ok) {
    if (err != httplib::Error::Read) // a silent stream timing out is normal
      next_endpoint();
    throw etcd_error("etcd " + at + r.path + ": " + httplib::to_string(err));
  }
  if (res.status != 200)
    throw etcd_error("etcd " + at + r.path + ": HTTP status " + std::to_string(res.status));
}

} // namespace grace::cluster::etcd
