#include "actors/storage/atomic_file.hpp"
#include "storage_test_support.hpp"

#include <fstream>
#include <gtest/gtest.h>
#include <sys/stat.h>

using namespace grace::storage;
using grace::storage::test::file_names;
using grace::storage::test::temp_dir;

TEST(storage_atomic_file, creates_and_replaces_content_without_leaving_temp_files) {
  temp_dir dir;
  auto path = dir / "model.json";
  write_file_atomically(path, "first");
  EXPECT_EQ(read_file(path), "first");
  write_file_atomically(path, "second, longer content");
  EXPECT_EQ(read_file(path), "second, longer content");
  write_file_atomically(path, "");
  EXPECT_EQ(read_file(path), "");
  EXPECT_EQ(file_names(dir.path()), std::vector<std::string>{"model.json"});
}

TEST(storage_atomic_file, large_content_round_trips) {
  temp_dir dir;
  std::string big(3 * 1024 * 1024 + 17, '\0');
  for (size_t i = 0; i < big.size(); ++i)
    big[i] = static_cast<char>(i * 31 % 251);
  write_file_atomically(dir / "big.bin", big);
  EXPECT_EQ(read_file(dir / "big.bin"), big);
}

TEST(storage_atomic_file, keeps_the_mode_of_an_existing_file) {
  temp_dir dir;
  auto path = dir / "f";
  write_file_atomically(path, "a");
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
  ::chmod(path.c_str(), 0600);
  write_file_atomically(path, "b");
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(storage_atomic_file, directory_under_a_regular_file_gives_a_clear_error) {
  // Permission bits do not stop root; a regular file used as a directory
  // (ENOTDIR) fails for every user.
  temp_dir dir;
  std::ofstream(dir / "plain_file") << "x";
  auto path = dir / "plain_file" / "model.json";
  try {
    write_file_atomically(path, "content");
    FAIL() << "expected storage_error";
  } catch (const storage_error& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find(path.string()), std::string::npos) << msg;
    EXPECT_NE(msg.find("not a directory"), std::string::npos) << msg;
  }
  EXPECT_EQ(file_names(dir.path()), std::vector<std::string>{"plain_file"});
}

TEST(storage_atomic_file, target_that_is_a_directory_fails_and_removes_the_temp_file) {
  temp_dir dir;
  std::filesystem::create_directory(dir / "taken");
  std::filesystem::create_directory(dir / "taken" / "sub"); // non-empty: rename fails
  try {
    write_file_atomically(dir / "taken", "content");
    FAIL() << "expected storage_error";
  } catch (const storage_error& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find((dir / "taken").string()), std::string::npos) << msg;
    EXPECT_NE(msg.find("is a directory"), std::string::npos) << msg;
  }
  EXPECT_EQ(file_names(dir.path()), std::vector<std::string>{"taken"});
}

TEST(storage_atomic_file, error_messages_use_plain_words) {
  EXPECT_NE(describe_errno(ENOSPC).find("disk full"), std::string::npos);
  EXPECT_NE(describe_errno(EACCES).find("not writable"), std::string::npos);
  EXPECT_NE(describe_errno(EROFS).find("not writable"), std::string::npos);
}

TEST(storage_atomic_file, reading_a_missing_file_or_a_directory_names_the_problem) {
  temp_dir dir;
  try {
    read_file(dir / "missing.json");
    FAIL();
  } catch (const storage_error& e) {
    EXPECT_NE(std::string(e.what()).find("does not exist"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("missing.json"), std::string::npos) << e.what();
  }
  try {
    read_file(dir.path());
    FAIL();
  } catch (const storage_error& e) {
    EXPECT_NE(std::string(e.what()).find("is a directory"), std::string::npos) << e.what();
  }
}
