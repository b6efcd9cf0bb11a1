#include "actors/storage/metric_store.hpp"
#include "storage_test_support.hpp"

#include <cmath>
#include <fstream>
#include <gtest/gtest.h>
#include <limits>
#include <sqlite3.h>

using namespace grace::storage;
using grace::storage::test::temp_dir;

namespace {

grace::snapshot snap(const std::string& metric, grace::timestamp_ms start, double mean,
                     grace::band level = grace::band::good) {
  grace::snapshot s;
  s.metric_id = metric;
  s.window_start = start;
  s.window_end = start + 300000;
  s.count = 30;
  s.mean = mean;
  s.min = mean - 1;
  s.max = mean + 1;
  s.p50 = mean;
  s.p95 = mean + 0.5;
  s.last = mean + 0.25;
  s.level = level;
  return s;
}

grace::forecast fc(const std::string& metric, grace::timestamp_ms at) {
  grace::forecast f;
  f.metric_id = metric;
  f.generated_at = at;
  f.step = 300000;
  f.model_version = "tft-1";
  f.points = {{at + 300000, 1.0, 0.5, 1.5, 0.25, 1.75}, {at + 600000, 2.0, 1.5, 2.5, 1.0, 3.0}};
  f.feature_importance = {{"lags", 0.75}};
  return f;
}

std::vector<grace::timestamp_ms> starts(const std::vector<grace::snapshot>& v) {
  std::vector<grace::timestamp_ms> out;
  for (const auto& s : v)
    out.push_back(s.window_start);
  return out;
}

void raw_exec(const std::filesystem::path& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK)
      << sqlite3_errmsg(db);
  sqlite3_close(db);
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const storage_error& e) {
    return e.what();
  }
  return "";
}

} // namespace

TEST(storage_metric_store, opens_in_wal_mode_with_the_current_schema) {
  temp_dir dir;
  metric_store store(dir / "metrics.sqlite");
  EXPECT_EQ(store.journal_mode(), "wal");
  EXPECT_EQ(store.user_version(), metric_store::schema_version);
  EXPECT_TRUE(store.quick_check().empty());
}

TEST(storage_metric_store, snapshots_round_trip_and_a_stored_window_is_never_rewritten) {
  temp_dir dir;
  metric_store store(dir / "m.sqlite");
  auto a = snap("cpu", 1000, 0.5, grace::band::critical);
  a.p95 = std::nan("");
  store.store_closed_windows({a, snap("cpu", 2000, 0.6), snap("mem", 1000, 70)}, INT64_MIN, 0);
  // A closed window stored again is kept as it was.
  EXPECT_EQ(store.store_closed_windows({snap("cpu", 2000, 0.9)}, INT64_MIN, 0), 0u);
  auto cpu = store.query_snapshots("cpu", 0, 10000);
  ASSERT_EQ(cpu.size(), 2u);
  EXPECT_EQ(cpu[0].level, grace::band::critical);
  EXPECT_EQ(cpu[0].window_end, 301000);
  EXPECT_EQ(cpu[0].count, 30u);
  EXPECT_EQ(cpu[0].last, 0.75);
  EXPECT_TRUE(std::isnan(cpu[0].p95));
  EXPECT_EQ(cpu[1].mean, 0.6);
}

TEST(storage_metric_store, query_is_half_open_and_limit_keeps_the_most_recent_ascending) {
  temp_dir dir;
  metric_store store(dir / "m.sqlite");
  std::vector<grace::snapshot> batch;
  for (int i = 0; i < 10; ++i)
    batch.push_back(snap("cpu", i * 1000, i));
  store.store_closed_windows(batch, INT64_MIN, 0);
  EXPECT_EQ(starts(store.query_snapshots("cpu", 2000, 5000)),
            (std::vector<grace::timestamp_ms>{2000, 3000, 4000}));
  EXPECT_EQ(starts(store.query_snapshots("cpu", 0, 100000, 3)),
            (std::vector<grace::timestamp_ms>{7000, 8000, 9000}));
  EXPECT_EQ(starts(store.query_snapshots("cpu", 0, 5000, 2)),
            (std::vector<grace::timestamp_ms>{3000, 4000}));
  EXPECT_TRUE(store.query_snapshots("nope", 0, 100000).empty());
}

TEST(storage_metric_store, latest_per_metric_and_snapshots_since) {
  temp_dir dir;
  metric_store store(dir / "m.sqlite");
  store.store_closed_windows({snap("mem", 1000, 1), snap("cpu", 1000, 2), snap("cpu", 3000, 3),
                              snap("mem", 2000, 4), snap("disk", 500, 5)},
                             INT64_MIN, 0);
  auto latest = store.latest_per_metric();
  ASSERT_EQ(latest.size(), 3u);
  EXPECT_EQ(latest[0].metric_id, "cpu");
  EXPECT_EQ(latest[0].window_start, 3000);
  EXPECT_EQ(latest[2].metric_id, "mem");
  EXPECT_EQ(latest[2].window_start, 2000);
  auto since = store.snapshots_since(1000);
  ASSERT_EQ(since.size(), 4u);
  EXPECT_EQ(since[0].metric_id, "cpu");
  EXPECT_EQ(since[1].window_start, 3000);
  EXPECT_EQ(since[3].metric_id, "mem");
}

TEST(storage_metric_store, forecasts_round_trip_and_query_by_range) {
  temp_dir dir;
  metric_store store(dir / "m.sqlite");
  store.insert_forecasts({fc("cpu", 1000)});
  store.insert_forecasts({fc("cpu", 2000), fc("cpu", 3000), fc("mem", 2000)});
  auto again = fc("cpu", 2000);
  again.model_version = "tft-2";
  store.insert_forecasts({again}); // replaces the (cpu, 2000) forecast
  auto got = store.query_forecasts("cpu", 1000, 3000);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].generated_at, 1000);
  EXPECT_EQ(got[1].model_version, "tft-2");
  ASSERT_EQ(got[0].points.size(), 2u);
  EXPECT_EQ(got[0].points[1].hi95, 3.0);
  EXPECT_EQ(got[0].step, 300000);
  EXPECT_EQ(got[0].feature_importance[0].feature, "lags");
  EXPECT_EQ(store.query_forecasts("cpu", 0, 10000, 1).at(0).generated_at, 3000);
  EXPECT_TRUE(store.query_forecasts("disk", 0, 10000).empty());
}

TEST(storage_metric_store, experiences_and_training_records) {
  temp_dir dir;
  metric_store store(dir / "m.sqlite");
  for (int i = 0; i < 5; ++i)
    store.insert_experience({"ev" + std::to_string(i),
                             "checkout",
                             "leak",
                             "restart",
                             0.5,
                             i * 0.1,
                             {{"error_rate", -0.5}, {"odd", std::nan("")}},
                             0.01,
                             i});
  store.insert_experiences({{"ev5", "s", "d", "p", 1.0, 1.0, {}, 0.0, 5}});
  auto all = store.recent_experiences(100);
  ASSERT_EQ(all.size(), 6u);
  EXPECT_EQ(all[0].event_id, "ev0");
  EXPECT_EQ(all[1].kpi_deltas.at("error_rate"), -0.5);
  EXPECT_TRUE(std::isnan(all[1].kpi_deltas.at("odd")));
  auto recent = store.recent_experiences(2);
  ASSERT_EQ(recent.size(), 2u);
  EXPECT_EQ(recent[0].event_id, "ev4");
  EXPECT_EQ(recent[1].event_id, "ev5");

  store.insert_training_record({1, 10, 20, 1000, 5, "tft-1", {{"cpu", 0.1}}});
  store.insert_training_record({2, 30, 40, 2000, 6, "tft-2", {}});
  auto records = store.recent_training_records(10);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].cycle, 2u);
  EXPECT_EQ(records[1].validation_scores.at("cpu"), 0.1);
  EXPECT_EQ(records[1].samples, 1000u);
}

TEST(storage_metric_store, state_table_puts_and_gets) {
  temp_dir dir;
  metric_store store(dir / "m.sqlite");
  EXPECT_FALSE(store.get_state("rl_policy/checkout").has_value());
  store.put_state("rl_policy/checkout", R"({"arms":2})", 100);
  store.put_state("rl_policy/checkout", R"({"arms":3})", 200);
  store.put_state("forecaster", "{}", 50);
  auto s = store.get_state("rl_policy/checkout");
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->json, R"({"arms":3})");
  EXPECT_EQ(s->updated_at, 200);
  EXPECT_EQ(store.get_state("forecaster")->json, "{}");
}

// Collections of rows changed one by one (the RL agent's pending events).
TEST(storage_metric_store, state_rows_are_changed_in_place_and_read_in_put_order) {
  temp_dir dir;
  metric_store store(dir / "m.sqlite");
  using grace::stored_items_change;
  EXPECT_TRUE(store.state_items("rl_agent.pending").empty());
  EXPECT_EQ(store.change_state_items({stored_items_change{
                "rl_agent.pending", false, {}, {{"e1", "{\"n\":1}"}, {"e2", "{}"}, {"e3", "{}"}}}}),
            3u);
  store.change_state_items(
      {stored_items_change{"rl_agent.expired", false, {}, {{"e0", "{}"}}},
       stored_items_change{"rl_agent.pending", false, {"e2", "never-stored"}, {{"e1", "{}"}}}});
  auto rows = store.state_items("rl_agent.pending");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].id, "e3"); // e1 was put again: it comes last
  EXPECT_EQ(rows[1].id, "e1");
  EXPECT_EQ(rows[1].json, "{}");
  ASSERT_EQ(store.state_items("rl_agent.expired").size(), 1u);
  // replace_all empties one collection only.
  store.change_state_items({stored_items_change{"rl_agent.pending", true, {}, {{"e9", "{}"}}}});
  rows = store.state_items("rl_agent.pending");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].id, "e9");
  EXPECT_EQ(store.state_items("rl_agent.expired").size(), 1u);
}

TEST(storage_metric_store, a_version_1_file_gains_the_state_rows_and_keeps_its_data) {
  temp_dir dir;
  const auto path = dir / "m.sqlite";
  {
    metric_store store(path);
    store.put_state("rl_agent", "{}", 10);
  }
  raw_exec(path, "DROP TABLE state_items; PRAGMA user_version=1");
  metric_store store(path);
  EXPECT_EQ(store.user_version(), metric_store::schema_version);
  EXPECT_TRUE(store.get_state("rl_agent").has_value());
  store.change_state_items({grace::stored_items_change{"c", false, {}, {{"a", "1"}}}});
  EXPECT_EQ(store.state_items("c").size(), 1u);
}

// Where a restarted node's clock resumes: the newest time of any table.
TEST(storage_metric_store, newest_time_is_the_latest_of_every_table) {
  temp_dir dir;
  metric_store store(dir / "m.sqlite");
  EXPECT_EQ(store.newest_time(), 0);
  store.store_closed_windows({snap("a", 600000, 1.0), snap("b", 0, 1.0)}, INT64_MIN, 0);
  EXPECT_EQ(store.newest_time(), 900000); // the window's end
  store.insert_forecasts({fc("a", 1000000)});
  EXPECT_EQ(store.newest_time(), 1000000);
  store.insert_experience({"ev", "s", "d", "p", 0.5, 0.1, {}, 0.0, 1100000});
  EXPECT_EQ(store.newest_time(), 1100000);
  store.insert_training_record({1, 1150000, 1200000, 10, 1, "tft-1", {}});
  EXPECT_EQ(store.newest_time(), 1200000);
  store.put_state("executor", "{}", 1300000);
  EXPECT_EQ(store.newest_time(), 1300000);
  store.store_closed_windows({snap("a", 1200000, 1.0)}, INT64_MIN, 0);
  EXPECT_EQ(store.newest_time(), 1500000);
}

TEST(storage_metric_store, retention_deletes_old_rows_and_counts_them) {
  temp_dir dir;
  metric_store store(dir / "m.sqlite");
  store.store_closed_windows({snap("cpu", 1000, 1), snap("cpu", 2000, 2), snap("mem", 500, 3)},
                             INT64_MIN, 0);
  store.insert_forecasts({fc("cpu", 1000), fc("cpu", 5000)});
  auto r = store.delete_older_than(2000);
  EXPECT_EQ(r.snapshots, 2u);
  EXPECT_EQ(r.forecasts, 1u);
  EXPECT_EQ(starts(store.snapshots_since(0)), (std::vector<grace::timestamp_ms>{2000}));
  EXPECT_EQ(store.delete_older_than(2000).snapshots, 0u);
  store.checkpoint();
}

TEST(storage_metric_store, data_survives_reopen_and_other_connections_can_read) {
  temp_dir dir;
  auto path = dir / "m.sqlite";
  {
    metric_store store(path);
    store.store_closed_windows({snap("cpu", 1000, 1)}, INT64_MIN, 0);
    // A reader in another connection sees committed data while we hold ours.
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM snapshots", -1, &st, nullptr),
              SQLITE_OK);
    ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
    EXPECT_EQ(sqlite3_column_int(st, 0), 1);
    sqlite3_finalize(st);
    sqlite3_close(db);
  }
  metric_store again(path);
  EXPECT_EQ(again.query_snapshots("cpu", 0, 5000).size(), 1u);
}

TEST(storage_metric_store, refuses_a_newer_schema) {
  temp_dir dir;
  auto path = dir / "m.sqlite";
  { metric_store store(path); }
  raw_exec(path, "PRAGMA user_version=99");
  auto msg = error_of([&] { metric_store store(path); });
  EXPECT_NE(msg.find("schema version 99"), std::string::npos) << msg;
  EXPECT_NE(msg.find("knows only up to " + std::to_string(metric_store::schema_version)),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find(path.string()), std::string::npos) << msg;
}

TEST(storage_metric_store, a_corrupt_file_gives_a_clear_error) {
  temp_dir dir;
  auto path = dir / "m.sqlite";
  {
    std::ofstream out(path);
    for (int i = 0; i < 200; ++i)
      out << "this is not an sqlite database\n";
  }
  auto msg = error_of([&] { metric_store store(path); });
  EXPECT_NE(msg.find("corrupt or not an SQLite database"), std::string::npos) << msg;
  EXPECT_NE(msg.find(path.string()), std::string::npos) << msg;
}

TEST(storage_metric_store, an_unusable_path_gives_a_clear_error) {
  temp_dir dir;
  std::ofstream(dir / "file") << "x";
  auto msg = error_of([&] { metric_store store(dir / "file" / "m.sqlite"); });
  EXPECT_NE(msg.find("cannot open"), std::string::npos) << msg;
}

TEST(storage_metric_store, closed_windows_are_stored_once_and_never_rewritten) {
  temp_dir dir;
  const auto path = dir / "m.sqlite";
  {
    metric_store store(path);
    EXPECT_EQ(store.closed_before(), std::numeric_limits<grace::timestamp_ms>::min());
    auto first = snap("cpu", 0, 3.0);
    first.count = 5;
    EXPECT_EQ(store.store_closed_windows({first, snap("mem", 0, 70)}, 300000, 1), 2u);
    EXPECT_EQ(store.closed_before(), 300000);
    // The same window again (a retry, or a bug upstream) changes nothing.
    auto other = snap("cpu", 0, 100.0);
    other.count = 1;
    EXPECT_EQ(store.store_closed_windows({other, snap("cpu", 300000, 4)}, 600000, 2), 1u);
  }
  metric_store again(path); // and it is all still there after reopening
  EXPECT_EQ(again.closed_before(), 600000);
  auto cpu = again.query_snapshots("cpu", 0, 10000000);
  ASSERT_EQ(cpu.size(), 2u);
  EXPECT_EQ(cpu[0].count, 5u);
  EXPECT_EQ(cpu[0].mean, 3.0);
  // The watermark never goes back.
  again.store_closed_windows({}, 300000, 3);
  EXPECT_EQ(again.closed_before(), 600000);
}
