#include "actors/storage/artifact_versions.hpp"
#include "actors/storage/atomic_file.hpp"
#include "actors/storage/data_dir.hpp"
#include "storage_test_support.hpp"

#include <fstream>
#include <gtest/gtest.h>

using namespace grace::storage;
using grace::storage::test::file_names;
using grace::storage::test::temp_dir;
namespace fs = std::filesystem;

namespace {

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const storage_error& e) {
    return e.what();
  }
  return "";
}

} // namespace

TEST(storage_data_dir, prepare_creates_the_layout_and_is_idempotent) {
  temp_dir dir;
  auto root = dir / "data";
  prepare_data_dir(root);
  prepare_data_dir(root);
  EXPECT_EQ(training_categories.size(), 10u);
  for (auto c : training_categories)
    EXPECT_TRUE(fs::is_directory(root / "grace_training" / std::string(c))) << c;
  EXPECT_TRUE(fs::is_directory(root / "ml_artifacts" / "temporal_forecaster"));
  EXPECT_TRUE(fs::is_directory(root / "storage" / "provenance"));
  EXPECT_EQ(ledger_path(root), root / "storage" / "provenance" / "ledger.jsonl");
  EXPECT_TRUE(fs::is_directory(sample_log_dir(root)));
  EXPECT_EQ(sample_log_dir(root), root / "storage" / "wal");
  // No probe files are left behind.
  EXPECT_TRUE(file_names(root / "storage" / "provenance").empty());
}

TEST(storage_data_dir, a_file_where_a_folder_should_be_is_named) {
  temp_dir dir;
  fs::create_directories(dir / "data");
  std::ofstream(dir / "data" / "grace_training") << "oops";
  auto msg = error_of([&] { prepare_data_dir(dir / "data"); });
  EXPECT_NE(msg.find((dir / "data" / "grace_training").string()), std::string::npos) << msg;
  EXPECT_NE(msg.find("is a file, not a directory"), std::string::npos) << msg;

  std::ofstream(dir / "root_file") << "x";
  msg = error_of([&] { prepare_data_dir(dir / "root_file"); });
  EXPECT_NE(msg.find("exists but is not a directory"), std::string::npos) << msg;
}

TEST(storage_data_dir, record_path_is_dated_in_utc) {
  // 2024-03-05 07:08:09.123 UTC
  auto p = record_path("/data", "github", "repo_scan", "abc-1.2", 1709622489123);
  EXPECT_EQ(p, fs::path("/data/grace_training/github/2024-03-05/070809_repo_scan_abc-1.2.json"));
  // The epoch, and a time before it (floor, not truncation toward zero).
  EXPECT_EQ(record_path("/d", "reddit", "k", "i", 0).filename(), "000000_k_i.json");
  EXPECT_EQ(record_path("/d", "reddit", "k", "i", -1).parent_path().filename(), "1969-12-31");
  EXPECT_EQ(record_path("/d", "reddit", "k", "i", -1).filename(), "235959_k_i.json");
}

TEST(storage_data_dir, record_path_rejects_unknown_categories_and_traversal) {
  auto msg = error_of([] { record_path("/d", "secrets", "k", "i", 0); });
  EXPECT_NE(msg.find("unknown training category 'secrets'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("governance"), std::string::npos) << msg;

  msg = error_of([] { record_path("/d", "github", "../../etc", "i", 0); });
  EXPECT_NE(msg.find("record kind '../../etc' contains '/'"), std::string::npos) << msg;
  msg = error_of([] { record_path("/d", "github", "k", "..", 0); });
  EXPECT_NE(msg.find("record id '..' is not allowed"), std::string::npos) << msg;
  msg = error_of([] { record_path("/d", "github", ".", "i", 0); });
  EXPECT_NE(msg.find("record kind '.' is not allowed"), std::string::npos) << msg;
  msg = error_of([] { record_path("/d", "github", "k", "", 0); });
  EXPECT_NE(msg.find("record id is empty"), std::string::npos) << msg;
  msg = error_of([] { record_path("/d", "github", "k", "a b", 0); });
  EXPECT_NE(msg.find("contains ' ' at position 2"), std::string::npos) << msg;
  msg = error_of([] { record_path("/d", "github", "k", std::string("a\0b", 3), 0); });
  EXPECT_NE(msg.find("byte 0"), std::string::npos) << msg;
  EXPECT_NE(error_of([] { record_path("/d", "github", std::string(129, 'k'), "i", 0); }), "");
}

TEST(storage_data_dir, write_record_creates_the_day_folder) {
  temp_dir dir;
  prepare_data_dir(dir.path());
  auto p = write_record(dir.path(), "errors_fixed", "fix", "42", 1709622489123, "{\"a\":1}");
  EXPECT_EQ(read_file(p), "{\"a\":1}");
  EXPECT_EQ(p.parent_path().filename(), "2024-03-05");
}

TEST(storage_artifact_versions, keeps_previous_versions_and_prunes_to_keep) {
  temp_dir dir;
  EXPECT_EQ(save_artifact(dir.path(), "tft_model.json", "v-a", 2), 0u);
  EXPECT_EQ(save_artifact(dir.path(), "tft_model.json", "v-b", 2), 1u);
  EXPECT_EQ(save_artifact(dir.path(), "tft_model.json", "v-c", 2), 2u);
  EXPECT_EQ(save_artifact(dir.path(), "tft_model.json", "v-d", 2), 3u);
  EXPECT_EQ(file_names(dir.path()),
            (std::vector<std::string>{"tft_model.json", "tft_model.v2.json", "tft_model.v3.json"}));
  auto versions = list_artifact_versions(dir.path(), "tft_model.json");
  ASSERT_EQ(versions.size(), 3u);
  EXPECT_TRUE(versions[0].is_current);
  EXPECT_EQ(read_file(versions[0].path), "v-d");
  EXPECT_EQ(versions[1].number, 3u);
  EXPECT_EQ(read_file(versions[1].path), "v-c");
  EXPECT_EQ(versions[2].number, 2u);
  EXPECT_EQ(read_file(versions[2].path), "v-b");
}

TEST(storage_artifact_versions, keep_zero_keeps_only_the_current) {
  temp_dir dir;
  save_artifact(dir.path(), "policy", "1", 0);
  save_artifact(dir.path(), "policy", "2", 0);
  EXPECT_EQ(file_names(dir.path()), std::vector<std::string>{"policy"});
  EXPECT_EQ(read_file(dir / "policy"), "2");
}

TEST(storage_artifact_versions, falls_back_to_the_newest_valid_version) {
  temp_dir dir;
  save_artifact(dir.path(), "tft_model.json", "good-1", 5);
  save_artifact(dir.path(), "tft_model.json", "good-2", 5);
  save_artifact(dir.path(), "tft_model.json", "good-3", 5);
  // The current file and the newest previous version are corrupt.
  std::ofstream(dir / "tft_model.json", std::ios::trunc) << "garbage";
  std::ofstream(dir / "tft_model.v2.json", std::ios::trunc) << "gar";
  auto validate = [](const std::string& s) {
    return s.rfind("good-", 0) == 0 ? std::string() : std::string("not a model");
  };
  auto loaded = load_newest_valid_artifact(dir.path(), "tft_model.json", validate);
  ASSERT_TRUE(loaded.version.has_value());
  EXPECT_EQ(loaded.content, "good-1");
  EXPECT_EQ(loaded.version->number, 1u);
  ASSERT_EQ(loaded.rejected.size(), 2u);
  EXPECT_NE(loaded.rejected[0].find("not a model"), std::string::npos);

  auto none = load_newest_valid_artifact(dir / "absent", "tft_model.json", validate);
  EXPECT_FALSE(none.version.has_value());
}

TEST(storage_artifact_versions, rejects_bad_names) {
  temp_dir dir;
  EXPECT_NE(error_of([&] { save_artifact(dir.path(), "../x", "c", 1); }), "");
  EXPECT_NE(error_of([&] { list_artifact_versions(dir.path(), ".."); }), "");
}
