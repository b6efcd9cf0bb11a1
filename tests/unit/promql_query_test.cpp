// The PromQL source's pure core: query_range planning under the point limit,
// the Prometheus HTTP API's answers, and backfilled snapshots.
#include "actors/promql/promql_query.hpp"

#include <gtest/gtest.h>
#include <stdexcept>

using namespace grace;
using namespace grace::promql;

namespace {

band always_good(const std::string&, const snapshot&) {
  return band::good;
}

std::string vector_answer(const std::string& series) {
  return R"({"status":"success","data":{"resultType":"vector","result":[)" + series + "]}}";
}

} // namespace

TEST(PromqlPlan, SevenDaysAtOneMinuteTakesTwoChunksUnderTheLimit) {
  const int64_t until = 1'700'000'100'000 - 1'700'000'100'000 % 300000;
  const int64_t from = until - 7 * 86400000LL;
  const auto chunks = plan_chunks(from, until, 60000);
  ASSERT_EQ(chunks.size(), 2u);
  size_t total = 0;
  for (const auto& c : chunks) {
    EXPECT_LE(c.points(), max_points_per_query);
    EXPECT_LT(c.points(), 11000u);
    total += c.points();
  }
  EXPECT_EQ(total, 7u * 1440u); // [from, until): until itself is not asked for
  EXPECT_EQ(chunks.front().start_ms, from);
  EXPECT_EQ(chunks.back().end_ms, until - 60000);
  EXPECT_EQ(chunks[1].start_ms, chunks[0].end_ms + 60000); // adjacent, no overlap
}

TEST(PromqlPlan, AlignsToTheStepAndCoversEveryTimeOnce) {
  const auto chunks = plan_chunks(1001, 10'000'001, 7000, 100);
  ASSERT_FALSE(chunks.empty());
  EXPECT_EQ(chunks.front().start_ms, 7000);
  int64_t expect = 7000;
  for (const auto& c : chunks) {
    EXPECT_EQ(c.start_ms, expect);
    EXPECT_EQ(c.start_ms % 7000, 0);
    EXPECT_LE(c.points(), 100u);
    expect = c.end_ms + 7000;
  }
  EXPECT_LT(chunks.back().end_ms, 10'000'001);
  EXPECT_GE(chunks.back().end_ms + 7000, 10'000'001);
}

TEST(PromqlPlan, EmptyRangesAndBadArguments) {
  EXPECT_TRUE(plan_chunks(100, 100, 10).empty());
  EXPECT_TRUE(plan_chunks(101, 109, 10).empty()); // no multiple of 10 inside
  EXPECT_EQ(plan_chunks(100, 101, 10).size(), 1u);
  EXPECT_THROW(plan_chunks(0, 100, 0), std::invalid_argument);
  EXPECT_THROW(plan_chunks(0, 100, 10, 0), std::invalid_argument);
  const auto one = plan_chunks(-25, 25, 10, 1); // one point per chunk, negative times too
  ASSERT_EQ(one.size(), 5u);
  EXPECT_EQ(one.front().start_ms, -20);
}

TEST(PromqlInstant, OneSeriesGivesItsValueAndDropsLabels) {
  const auto a = parse_instant_answer(
      200, vector_answer(R"({"metric":{"job":"api"},"value":[1700000000.5,"0.25"]})"));
  ASSERT_TRUE(a.ok()) << a.error;
  ASSERT_EQ(a.points.size(), 1u);
  EXPECT_EQ(a.points[0].ts_ms, 1'700'000'000'500);
  EXPECT_DOUBLE_EQ(a.points[0].value, 0.25);
}

TEST(PromqlInstant, ScalarIsOneSeries) {
  const auto a = parse_instant_answer(
      200, R"({"status":"success","data":{"resultType":"scalar","result":[1700000000,"3"]}})");
  ASSERT_TRUE(a.ok()) << a.error;
  EXPECT_DOUBLE_EQ(a.points.at(0).value, 3.0);
}

TEST(PromqlInstant, EmptyAndSeveralSeriesAreErrorsThatSayWhat) {
  auto empty = parse_instant_answer(200, vector_answer(""));
  EXPECT_NE(empty.error.find("no series"), std::string::npos) << empty.error;
  auto two = parse_instant_answer(200, vector_answer(R"({"metric":{"a":"1"},"value":[1,"1"]},)"
                                                     R"({"metric":{"a":"2"},"value":[1,"2"]})"));
  EXPECT_NE(two.error.find("2 series"), std::string::npos) << two.error;
  EXPECT_EQ(two.series, 2u);
}

TEST(PromqlInstant, NaNAndInfinityAreErrors) {
  for (const char* v : {"NaN", "+Inf", "-Inf"}) {
    const auto a = parse_instant_answer(
        200, vector_answer(std::string(R"({"metric":{},"value":[1,")") + v + "\"]}"));
    EXPECT_FALSE(a.ok()) << v;
    EXPECT_EQ(a.non_finite, 1u) << v;
    EXPECT_TRUE(a.points.empty());
  }
}

TEST(PromqlInstant, TheServersErrorMessageIsKept) {
  const auto a = parse_instant_answer(
      400,
      R"({"status":"error","errorType":"bad_data","error":"1:5: parse error: unexpected \")\""})");
  EXPECT_FALSE(a.ok());
  EXPECT_NE(a.error.find("HTTP 400"), std::string::npos) << a.error;
  EXPECT_NE(a.error.find("bad_data"), std::string::npos) << a.error;
  EXPECT_NE(a.error.find("parse error: unexpected"), std::string::npos) << a.error;
}

TEST(PromqlInstant, NonJsonAndHttpErrorsAreErrors) {
  EXPECT_NE(parse_instant_answer(502, "Bad Gateway\n").error.find("HTTP 502: Bad Gateway"),
            std::string::npos);
  EXPECT_FALSE(parse_instant_answer(200, "<html>").ok());
  EXPECT_FALSE(parse_instant_answer(200, "").ok());
  EXPECT_FALSE(parse_instant_answer(200, R"({"status":"success"})").ok());
  EXPECT_FALSE(parse_instant_answer(
                   200, R"({"status":"success","data":{"resultType":"matrix","result":[]}})")
                   .ok());
  EXPECT_FALSE(parse_instant_answer(200, vector_answer(R"({"metric":{},"value":[1,"x1"]})")).ok());
  EXPECT_FALSE(parse_instant_answer(200, vector_answer(R"({"metric":{},"value":[1,""]})")).ok());
  EXPECT_FALSE(parse_instant_answer(200, vector_answer(R"({"metric":{},"value":[-1,"1"]})")).ok());
  EXPECT_FALSE(parse_instant_answer(200, vector_answer(R"({"metric":{},"value":["1","1"]})")).ok());
  // Nested deeper than any answer: refused, not built.
  EXPECT_FALSE(parse_instant_answer(200, std::string(100000, '[')).ok());
  // The server's bytes are quoted printable and cut short.
  const auto binary = parse_instant_answer(500, std::string(1000, '\x01'));
  EXPECT_LT(binary.error.size(), 400u);
  EXPECT_EQ(binary.error.find('\x01'), std::string::npos);
}

TEST(PromqlRange, ReadsTheMatrixSkipsNonFiniteAndChecksOrder) {
  const std::string body =
      R"({"status":"success","data":{"resultType":"matrix","result":[{"metric":{"x":"y"},)"
      R"("values":[[60,"1"],[120,"NaN"],[180,"3"]]}]}})";
  const auto a = parse_range_answer(200, body);
  ASSERT_TRUE(a.ok()) << a.error;
  ASSERT_EQ(a.points.size(), 2u);
  EXPECT_EQ(a.non_finite, 1u);
  EXPECT_EQ(a.points[1].ts_ms, 180000);
  const auto backwards = parse_range_answer(
      200, R"({"status":"success","data":{"resultType":"matrix","result":[{"metric":{},)"
           R"("values":[[120,"1"],[60,"2"]]}]}})");
  EXPECT_FALSE(backwards.ok());
  EXPECT_TRUE(backwards.points.empty());
}

TEST(PromqlRange, NoSeriesIsNoDataAndTwoAreAnError) {
  const auto none =
      parse_range_answer(200, R"({"status":"success","data":{"resultType":"matrix","result":[]}})");
  EXPECT_TRUE(none.ok());
  EXPECT_TRUE(none.points.empty());
  const auto two = parse_range_answer(
      200, R"({"status":"success","data":{"resultType":"matrix","result":[)"
           R"({"metric":{"a":"1"},"values":[[1,"1"]]},{"metric":{"a":"2"},"values":[[1,"1"]]}]}})");
  EXPECT_FALSE(two.ok());
}

TEST(PromqlSeconds, MillisecondsAsPrometheusTakesThem) {
  EXPECT_EQ(prometheus_seconds(1'700'000'000'000), "1700000000");
  EXPECT_EQ(prometheus_seconds(1'700'000'000'050), "1700000000.050");
  EXPECT_EQ(prometheus_seconds(60000), "60");
  EXPECT_EQ(prometheus_seconds(1500), "1.500");
}

TEST(PromqlBackfill, SnapshotsAsTheAggregatorMakesThemOnlyForClosedWindows) {
  std::vector<point> points;
  // One point a minute over 15 minutes: windows [0,5), [5,10), [10,15) min.
  for (int i = 0; i < 15; ++i)
    points.push_back({i * 60000, static_cast<double>(i)});
  const auto snaps = backfill_snapshots("api.latency_p95", points, 300000, 600000, always_good);
  ASSERT_EQ(snaps.size(), 2u); // the window reaching `until` is left out
  EXPECT_EQ(snaps[0].window_start, 0);
  EXPECT_EQ(snaps[0].count, 5u);
  EXPECT_DOUBLE_EQ(snaps[0].mean, 2.0);
  EXPECT_DOUBLE_EQ(snaps[0].last, 4.0);
  EXPECT_EQ(snaps[1].window_end, 600000);
  EXPECT_DOUBLE_EQ(snaps[1].max, 9.0);
  // The same samples through the aggregator's own window give the same numbers.
  aggregator::snapshot_window live({300000, 0, 1 << 16}, always_good);
  for (const auto& p : points)
    live.add("api.latency_p95", p.ts_ms, p.value);
  const auto closed = live.close_until(600000);
  ASSERT_EQ(closed.size(), 2u);
  EXPECT_DOUBLE_EQ(closed[1].p95, snaps[1].p95);
  EXPECT_DOUBLE_EQ(closed[1].p50, snaps[1].p50);
}

TEST(PromqlBackfill, ChunkByChunkGivesTheSameSnapshotsAndKeepsOnlyOpenWindows) {
  std::vector<point> points;
  for (int i = 0; i < 2000; ++i) // every 7 s: windows cut across chunk ends
    points.push_back({1'000'000 + i * 7000, static_cast<double>((i * 37) % 101)});
  const int64_t until = 1'000'000 + 1900 * 7000 - (1'000'000 + 1900 * 7000) % 300000;
  const auto whole = backfill_snapshots("m", points, 300000, until, always_good);
  backfill_accumulator acc("m", 300000, until, always_good);
  for (size_t start = 0; start < points.size(); start += 333) {
    std::vector<point> chunk(points.begin() + static_cast<long>(start),
                             points.begin()
                                 + static_cast<long>(std::min(start + 333, points.size())));
    acc.add(chunk, chunk.back().ts_ms + 3000); // the chunk's end may lie past its last point
  }
  const auto chunked = acc.finish();
  ASSERT_EQ(chunked.size(), whole.size());
  ASSERT_GT(whole.size(), 40u);
  for (size_t i = 0; i < whole.size(); ++i) {
    EXPECT_EQ(chunked[i].window_start, whole[i].window_start);
    EXPECT_EQ(chunked[i].count, whole[i].count);
    EXPECT_DOUBLE_EQ(chunked[i].mean, whole[i].mean);
    EXPECT_DOUBLE_EQ(chunked[i].p95, whole[i].p95);
    EXPECT_LE(chunked[i].window_end, until);
  }
  EXPECT_LT(acc.points(), points.size()); // the points past `until` were left out
}
