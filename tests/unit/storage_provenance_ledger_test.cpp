#include "actors/storage/atomic_file.hpp"
#include "actors/storage/provenance_ledger.hpp"
#include "storage_test_support.hpp"

#include <fstream>
#include <gtest/gtest.h>
#include <sstream>

using namespace grace::storage;
using grace::storage::test::temp_dir;
using nlohmann::json;

namespace {

// A ledger with `n` entries; returns its lines (with newlines stripped).
std::vector<std::string> make_ledger(const std::filesystem::path& path, int n) {
  provenance_ledger ledger(path);
  for (int i = 1; i <= n; ++i)
    ledger.append("action", json{{"i", i}, {"what", "restart"}, {"x", 0.1 * i}}, 1000 + i);
  std::vector<std::string> lines;
  std::istringstream in(read_file(path));
  for (std::string line; std::getline(in, line);)
    lines.push_back(line);
  return lines;
}

void write_lines(const std::filesystem::path& path, const std::vector<std::string>& lines,
                 bool final_newline = true) {
  std::string s;
  for (size_t i = 0; i < lines.size(); ++i)
    s += lines[i] + (i + 1 < lines.size() || final_newline ? "\n" : "");
  write_file_atomically(path, s);
}

} // namespace

TEST(storage_ledger, sha256_matches_a_known_vector) {
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(storage_ledger, canonical_form_is_sorted_and_compact) {
  EXPECT_EQ(ledger_canonical_form(3, 42, "k", json{{"b", 1}, {"a", "x"}}, ledger_zero_hash),
            R"({"kind":"k","payload":{"a":"x","b":1},"prev_hash":")" + ledger_zero_hash
                + R"(","seq":3,"ts":42})");
}

TEST(storage_ledger, entries_say_their_wall_clock_time_in_iso_8601_and_older_ones_still_verify) {
  temp_dir dir;
  auto path = dir / "ledger.jsonl";
  // An entry as written before times were text: ts in unix milliseconds.
  const json older_payload{{"playbook", "restart"}};
  json older{{"seq", 1},
             {"ts", 1'762'703'123'004},
             {"kind", "playbook_run"},
             {"payload", older_payload},
             {"prev_hash", ledger_zero_hash}};
  older["hash"] =
      ledger_hash(1, 1'762'703'123'004, "playbook_run", older_payload, ledger_zero_hash);
  write_lines(path, {older.dump()});
  {
    provenance_ledger ledger(path);
    EXPECT_EQ(ledger.last_seq(), 1u);
    ledger.append("approval", json{{"by", "ops"}}, 1'762'703'183'250);
  }
  std::istringstream in(read_file(path));
  std::string first, second;
  std::getline(in, first);
  std::getline(in, second);
  EXPECT_EQ(json::parse(second)["ts"], "2025-11-09T15:46:23.250Z");
  auto v = verify_ledger(path);
  EXPECT_TRUE(v.ok) << v.reason;
  EXPECT_EQ(v.entries_checked, 2u);

  // A ts that is neither is refused, naming the field.
  auto bad = json::parse(second);
  bad["ts"] = "2025-11-09 15:46:23";
  write_lines(path, {first, bad.dump()});
  v = verify_ledger(path);
  EXPECT_FALSE(v.ok);
  EXPECT_NE(v.reason.find("'ts'"), std::string::npos) << v.reason;
}

TEST(storage_ledger, appends_chain_and_verify_and_survive_reopen) {
  temp_dir dir;
  auto path = dir / "ledger.jsonl";
  {
    provenance_ledger ledger(path);
    EXPECT_EQ(ledger.last_seq(), 0u);
    auto e1 = ledger.append("playbook_run", json{{"playbook", "restart"}}, 10);
    EXPECT_EQ(e1.seq, 1u);
    EXPECT_EQ(e1.prev_hash, ledger_zero_hash);
    EXPECT_EQ(e1.hash, ledger_hash(1, "1970-01-01T00:00:00.010Z", "playbook_run",
                                   json{{"playbook", "restart"}}, ledger_zero_hash));
    auto e2 = ledger.append("approval", json{{"by", "ops"}}, 11);
    EXPECT_EQ(e2.seq, 2u);
    EXPECT_EQ(e2.prev_hash, e1.hash);
  }
  auto v = verify_ledger(path);
  EXPECT_TRUE(v.ok) << v.reason;
  EXPECT_EQ(v.entries_checked, 2u);
  provenance_ledger reopened(path);
  EXPECT_FALSE(reopened.recovery().truncated_tail);
  EXPECT_EQ(reopened.recovery().entries, 2u);
  EXPECT_EQ(reopened.last_seq(), 2u);
  auto e3 = reopened.append("x", json::object(), 12);
  EXPECT_EQ(e3.seq, 3u);
  auto all = read_ledger(path);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[1].kind, "approval");
  EXPECT_EQ(all[1].payload, (json{{"by", "ops"}}));
  EXPECT_EQ(all[2].prev_hash, all[1].hash);
}

TEST(storage_ledger, a_missing_file_is_an_empty_valid_ledger) {
  temp_dir dir;
  auto v = verify_ledger(dir / "none.jsonl");
  EXPECT_TRUE(v.ok);
  EXPECT_EQ(v.entries_checked, 0u);
}

TEST(storage_ledger, rejects_a_non_object_payload) {
  temp_dir dir;
  provenance_ledger ledger(dir / "l.jsonl");
  EXPECT_THROW(ledger.append("k", json::array({1, 2}), 1), storage_error);
  EXPECT_THROW(ledger.append("k", json{{"bad", std::string("\xff\xfe")}}, 1), storage_error);
  EXPECT_EQ(ledger.last_seq(), 0u);
  EXPECT_TRUE(verify_ledger(dir / "l.jsonl").ok);
}

TEST(storage_ledger, a_second_writer_is_refused) {
  temp_dir dir;
  provenance_ledger first(dir / "l.jsonl");
  try {
    provenance_ledger second(dir / "l.jsonl");
    FAIL();
  } catch (const storage_error& e) {
    EXPECT_NE(std::string(e.what()).find("in use"), std::string::npos) << e.what();
  }
}

TEST(storage_ledger, tamper_edited_payload_is_named) {
  temp_dir dir;
  auto path = dir / "l.jsonl";
  auto lines = make_ledger(path, 20);
  auto j = json::parse(lines[16]);
  j["payload"]["what"] = "delete_everything";
  lines[16] = j.dump();
  write_lines(path, lines);
  auto v = verify_ledger(path);
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.reason, "entry 17: hash does not match its content");
  EXPECT_EQ(v.first_bad_seq, 17u);
  EXPECT_EQ(v.first_bad_line, 17u);
  EXPECT_EQ(v.entries_checked, 16u);
}

TEST(storage_ledger, tamper_edited_payload_with_recomputed_hash_breaks_the_next_link) {
  temp_dir dir;
  auto path = dir / "l.jsonl";
  auto lines = make_ledger(path, 20);
  auto j = json::parse(lines[16]);
  j["payload"]["what"] = "delete_everything";
  j["hash"] = ledger_hash(17, j["ts"], j["kind"], j["payload"], j["prev_hash"]);
  lines[16] = j.dump();
  write_lines(path, lines);
  EXPECT_EQ(verify_ledger(path).reason, "entry 18: prev_hash does not match entry 17's hash");
}

TEST(storage_ledger, tamper_deleted_line_is_named) {
  temp_dir dir;
  auto path = dir / "l.jsonl";
  auto lines = make_ledger(path, 12);
  lines.erase(lines.begin() + 8); // entry 9
  write_lines(path, lines);
  auto v = verify_ledger(path);
  EXPECT_EQ(v.reason, "entry 9: seq 9 expected, found 10");
  EXPECT_EQ(v.first_bad_line, 9u);
}

TEST(storage_ledger, tamper_reordered_lines_are_named) {
  temp_dir dir;
  auto path = dir / "l.jsonl";
  auto lines = make_ledger(path, 8);
  std::swap(lines[4], lines[5]);
  write_lines(path, lines);
  EXPECT_EQ(verify_ledger(path).reason, "entry 5: seq 5 expected, found 6");

  // Reordered with the seq fields rewritten: the chain still breaks.
  lines = make_ledger(dir / "m.jsonl", 8);
  auto a = json::parse(lines[4]);
  auto b = json::parse(lines[5]);
  std::swap(a["seq"], b["seq"]);
  lines[4] = b.dump();
  lines[5] = a.dump();
  write_lines(dir / "m.jsonl", lines);
  EXPECT_EQ(verify_ledger(dir / "m.jsonl").reason,
            "entry 5: prev_hash does not match entry 4's hash");
}

TEST(storage_ledger, invalid_json_in_the_middle_is_corruption_not_recovered) {
  temp_dir dir;
  auto path = dir / "l.jsonl";
  auto lines = make_ledger(path, 6);
  lines[4] = lines[4].substr(0, 30);
  write_lines(path, lines);
  auto v = verify_ledger(path);
  EXPECT_EQ(v.reason, "line 5: not valid JSON");
  EXPECT_EQ(v.first_bad_line, 5u);
  const auto before = read_file(path);
  try {
    provenance_ledger ledger(path);
    FAIL() << "opened a corrupt ledger";
  } catch (const ledger_corrupt_error& e) {
    EXPECT_NE(std::string(e.what()).find("line 5: not valid JSON"), std::string::npos);
    EXPECT_EQ(e.verification.first_bad_line, 5u);
  }
  EXPECT_EQ(read_file(path), before); // untouched
}

TEST(storage_ledger, a_tampered_complete_last_line_is_corruption) {
  temp_dir dir;
  auto path = dir / "l.jsonl";
  auto lines = make_ledger(path, 3);
  auto j = json::parse(lines[2]);
  j["ts"] = 5;
  lines[2] = j.dump();
  write_lines(path, lines);
  EXPECT_THROW(provenance_ledger ledger(path), ledger_corrupt_error);
}

TEST(storage_ledger, torn_tail_without_newline_is_truncated_and_reported) {
  temp_dir dir;
  auto path = dir / "l.jsonl";
  auto lines = make_ledger(path, 5);
  const auto intact = read_file(path);
  lines[4] = lines[4].substr(0, lines[4].size() / 2); // crash mid-append
  write_lines(path, lines, false);
  auto v = verify_ledger(path);
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.first_bad_line, 5u);
  EXPECT_NE(v.reason.find("line 5: incomplete last line"), std::string::npos) << v.reason;

  provenance_ledger ledger(path);
  EXPECT_TRUE(ledger.recovery().truncated_tail);
  EXPECT_EQ(ledger.recovery().entries, 4u);
  EXPECT_EQ(ledger.recovery().bytes_dropped, lines[4].size());
  EXPECT_NE(ledger.recovery().reason.find("incomplete"), std::string::npos);
  EXPECT_EQ(ledger.last_seq(), 4u);
  auto e = ledger.append("after_crash", json::object(), 99);
  EXPECT_EQ(e.seq, 5u);
  EXPECT_TRUE(verify_ledger(path).ok);
  EXPECT_NE(read_file(path), intact);
}

TEST(storage_ledger, torn_tail_of_garbage_with_newline_is_truncated) {
  temp_dir dir;
  auto path = dir / "l.jsonl";
  auto lines = make_ledger(path, 3);
  lines.push_back(std::string("\0\0\0\0", 4)); // zero-filled block after a crash
  write_lines(path, lines, true);
  provenance_ledger ledger(path);
  EXPECT_TRUE(ledger.recovery().truncated_tail);
  EXPECT_EQ(ledger.last_seq(), 3u);
  EXPECT_TRUE(verify_ledger(path).ok);
}

TEST(storage_ledger, missing_fields_are_named) {
  temp_dir dir;
  auto path = dir / "l.jsonl";
  auto lines = make_ledger(path, 2);
  auto j = json::parse(lines[1]);
  j.erase("prev_hash");
  lines[1] = j.dump();
  write_lines(path, lines);
  EXPECT_EQ(verify_ledger(path).reason,
            "line 2: field 'prev_hash' is missing or not 64 lowercase hex digits");
}
