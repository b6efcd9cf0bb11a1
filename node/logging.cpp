#include "node/logging.hpp"

#include <chrono>
#include <ctime>
#include <nlohmann/json.hpp>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <stdexcept>

namespace grace::node {

namespace {

// {"ts":"2026-11-27T10:00:00.123Z","level":"info","tag":"CATALOG","msg":"..."}
class json_line_formatter : public spdlog::formatter {
public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    using namespace std::chrono;
    auto ms = duration_cast<milliseconds>(msg.time.time_since_epoch()).count();
    std::time_t secs = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
    std::string text(msg.payload.data(), msg.payload.size());
    nlohmann::json j;
    j["ts"] = std::string(stamp) + "." + std::to_string(1000 + ms % 1000).substr(1) + "Z";
    j["level"] = std::string(spdlog::level::to_string_view(msg.level).data(),
                             spdlog::level::to_string_view(msg.level).size());
    // The seed's console tag ("[CATALOG] ...") becomes a field of its own.
    if (text.size() > 2 && text[0] == '[') {
      auto close = text.find(']');
      if (close != std::string::npos) {
        j["tag"] = text.substr(1, close - 1);
        auto rest = text.find_first_not_of(' ', close + 1);
        text = rest == std::string::npos ? "" : text.substr(rest);
      }
    }
    j["msg"] = text;
    auto line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    dest.append(line.data(), line.data() + line.size());
    dest.push_back('\n');
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<json_line_formatter>();
  }
};

} // namespace

void setup_logging(const std::string& format, const std::string& level) {
  auto lvl = spdlog::level::from_str(level);
  if (lvl == spdlog::level::off && level != "off")
    throw std::invalid_argument("unknown log level '" + level + "'");
  auto logger =
      std::make_shared<spdlog::logger>("grace", std::make_shared<spdlog::sinks::stdout_sink_mt>());
  if (format == "json")
    logger->set_formatter(std::make_unique<json_line_formatter>());
  else if (format == "text")
    // The wall clock in ISO 8601 UTC, as the JSON lines have it: a line says
    // which clock and zone it is whatever the machine's time zone.
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%-5l%$ %v", spdlog::pattern_time_type::utc);
  else
    throw std::invalid_argument("unknown log format '" + format + "' (expected text or json)");
  logger->set_level(lvl);
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

} // namespace grace::node
