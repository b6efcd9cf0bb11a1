// Throughput of the telemetry path's pure cores, in samples/s (the
// items_per_second column). The goal is >= 1M samples/s for the JSON batch
// path (1,000-sample batches), for the aggregator and for the sample log
// (encoding a batch and writing it with one write(2)).
#include "actors/aggregator/snapshot_window.hpp"
#include "actors/ingest/prometheus_text.hpp"
#include "actors/ingest/sample_batch_parser.hpp"
#include "actors/storage/sample_log.hpp"

#include <benchmark/benchmark.h>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <unordered_set>
#include <vector>

using namespace grace;

namespace {

constexpr timestamp_ms now = 1'700'000'100'000;

// 20 catalog-like metric ids.
std::vector<std::string> metric_ids() {
  std::vector<std::string> ids;
  const char* groups[] = {"api", "executor", "storage", "forecaster"};
  const char* names[] = {"latency_p95", "error_rate", "request_rate", "queue_depth", "cpu"};
  for (auto g : groups)
    for (auto n : names)
      ids.push_back(std::string(g) + "." + n);
  return ids;
}

// A realistic push: id, value, unix-ms ts and two labels per sample.
std::string json_batch(size_t n) {
  auto ids = metric_ids();
  std::string body = "[";
  for (size_t i = 0; i < n; ++i) {
    if (i)
      body += ",\n";
    body += R"({"metric":")" + ids[i % ids.size()] + R"(","value":)"
            + std::to_string(100.0 + static_cast<double>(i % 97) * 1.37) + R"(,"ts":)"
            + std::to_string(now - 60'000 + static_cast<int64_t>(i)) + R"(,"labels":{"host":"web-)"
            + std::to_string(i % 8) + R"(","region":"eu-west-1"}})";
  }
  return body + "]";
}

std::string prom_text(size_t n) {
  auto ids = metric_ids();
  std::string text;
  for (size_t f = 0; f < ids.size(); ++f) {
    std::string name = ids[f];
    for (auto& c : name)
      if (c == '.')
        c = '_';
    text += "# HELP " + name + " A metric.\n# TYPE " + name + " gauge\n";
    for (size_t i = f; i < n; i += ids.size())
      text += name + "{host=\"web-" + std::to_string(i % 8) + "\",region=\"eu-west-1\"} "
              + std::to_string(100.0 + static_cast<double>(i % 97) * 1.37) + " "
              + std::to_string(now - 60'000 + static_cast<int64_t>(i)) + "\n";
  }
  return text;
}

const std::unordered_set<std::string>& known_set() {
  static const std::unordered_set<std::string> s = [] {
    auto ids = metric_ids();
    return std::unordered_set<std::string>(ids.begin(), ids.end());
  }();
  return s;
}

bool is_known(const std::string& id) {
  return known_set().count(id) != 0;
}

std::optional<std::string> resolve(const std::string& prom) {
  std::string id = prom;
  auto p = id.find('_');
  if (p != std::string::npos)
    id[p] = '.';
  if (known_set().count(id))
    return id;
  return std::nullopt;
}

template <ingest::batch_parse_result (*Parse)(std::string_view, const ingest::metric_id_check&,
                                              const ingest::time_rules&)>
void BM_JsonBatch(benchmark::State& state) {
  const std::string body = json_batch(static_cast<size_t>(state.range(0)));
  const ingest::metric_id_check check = is_known;
  const ingest::time_rules rules{now, 300'000};
  for (auto _ : state) {
    auto r = Parse(body, check, rules);
    if (r.accepted.size() != static_cast<size_t>(state.range(0)))
      state.SkipWithError("not all accepted");
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(body.size()));
}

void BM_PrometheusTextParse(benchmark::State& state) {
  const std::string text = prom_text(static_cast<size_t>(state.range(0)));
  for (auto _ : state) {
    auto doc = ingest::parse_prometheus_text(text);
    benchmark::DoNotOptimize(doc);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(text.size()));
}

void BM_PrometheusBatch(benchmark::State& state) {
  const std::string text = prom_text(static_cast<size_t>(state.range(0)));
  const ingest::prometheus_name_resolver res = resolve;
  const ingest::time_rules rules{now, 300'000};
  for (auto _ : state) {
    auto r = ingest::parse_prometheus_batch(text, res, rules);
    if (r.accepted.size() != static_cast<size_t>(state.range(0)))
      state.SkipWithError("not all accepted");
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

// Adds range(0) samples spread over 20 metrics and one 5-minute window
// (arriving in batches of one metric's samples mixed like a push), then closes
// the window: the aggregator's whole per-window work.
void BM_AggregatorAddClose(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  auto ids = metric_ids();
  std::vector<metric_sample> samples;
  samples.reserve(n);
  for (size_t i = 0; i < n; ++i)
    samples.push_back(metric_sample{ids[i % ids.size()],
                                    now + static_cast<int64_t>(i % 299'000),
                                    100.0 + static_cast<double>((i * 7919) % 1000) * 0.1,
                                    {}});
  for (auto _ : state) {
    aggregator::snapshot_window w({}, [](const std::string&, const snapshot& s) {
      return s.mean > 150 ? band::warning : band::good;
    });
    for (const auto& s : samples)
      w.add(s.metric_id, s.ts, s.value);
    auto snaps = w.close_all();
    benchmark::DoNotOptimize(snaps);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(n));
}

// A parsed push of n samples over the 20 metrics, with labels.
std::vector<metric_sample> sample_batch_of(size_t n) {
  auto ids = metric_ids();
  std::vector<metric_sample> out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i)
    out.push_back(metric_sample{ids[i % ids.size()],
                                now - 60'000 + static_cast<int64_t>(i),
                                100.0 + static_cast<double>(i % 97) * 1.37,
                                {{"host", "web-" + std::to_string(i % 8)}, {"region", "eu"}}});
  return out;
}

// A fresh directory under $TMPDIR (or /tmp), removed afterwards.
struct scratch_dir {
  std::filesystem::path path;
  scratch_dir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "grace-bench-XXXXXX").string();
    path = ::mkdtemp(pattern.data());
  }
  ~scratch_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

void BM_SampleLogEncode(benchmark::State& state) {
  const auto batch = sample_batch_of(static_cast<size_t>(state.range(0)));
  for (auto _ : state) {
    auto encoded = storage::encode_samples(batch);
    benchmark::DoNotOptimize(encoded);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

// What the hand-off costs per batch: encode (the aggregator) and one
// write(2) of the framed record with its CRC (the storage), with the log's
// fdatasync every 1,000 batches (~every second at 1M samples/s, as
// storage.sync_interval does).
void BM_SampleLogAppend(benchmark::State& state) {
  const auto batch = sample_batch_of(static_cast<size_t>(state.range(0)));
  scratch_dir dir;
  storage::sample_log log(dir.path);
  int64_t batches = 0;
  for (auto _ : state) {
    auto encoded = storage::encode_samples(batch);
    log.append(encoded.payload);
    if (++batches % 1000 == 0)
      log.sync();
  }
  log.sync();
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.counters["bytes_per_sample"] =
      static_cast<double>(log.bytes()) / static_cast<double>(batches * state.range(0));
}

// Reading the log back at start: 1,000 records of range(0) samples, decoded.
void BM_SampleLogReplay(benchmark::State& state) {
  const auto batch = sample_batch_of(static_cast<size_t>(state.range(0)));
  scratch_dir dir;
  {
    storage::sample_log log(dir.path);
    const auto encoded = storage::encode_samples(batch);
    for (int i = 0; i < 1000; ++i)
      log.append(encoded.payload);
  }
  for (auto _ : state) {
    storage::sample_log log(dir.path);
    size_t samples = 0;
    storage::log_position at;
    for (;;) {
      auto chunk = log.read(at, 4u << 20);
      for (const auto& p : chunk.payloads)
        samples += storage::decode_samples(p).samples.size();
      if (chunk.done)
        break;
      at = chunk.next;
    }
    if (samples != 1000u * static_cast<size_t>(state.range(0)))
      state.SkipWithError("not all samples read back");
  }
  state.SetItemsProcessed(state.iterations() * 1000 * state.range(0));
}

} // namespace

BENCHMARK(BM_SampleLogEncode)->Arg(1000);
BENCHMARK(BM_SampleLogAppend)->Arg(1000);
BENCHMARK(BM_SampleLogReplay)->Arg(1000)->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_JsonBatch, ingest::parse_json_batch)->Arg(1000)->Name("BM_JsonBatch/fast");
BENCHMARK_TEMPLATE(BM_JsonBatch, ingest::parse_json_batch_nlohmann)
    ->Arg(1000)
    ->Name("BM_JsonBatch/nlohmann");
BENCHMARK(BM_PrometheusTextParse)->Arg(1000);
BENCHMARK(BM_PrometheusBatch)->Arg(1000);
BENCHMARK(BM_AggregatorAddClose)->Arg(100'000)->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
