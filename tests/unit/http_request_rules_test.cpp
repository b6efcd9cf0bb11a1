// The HTTP front's request rules on their own: UTF-8, Content-Length, media
// types, Host and Origin, the end of a request head, and exposure.
#include "http/request_rules.hpp"

#include <gtest/gtest.h>

using namespace grace::http;

TEST(http_request_rules, utf8_accepts_well_formed_text_only) {
  EXPECT_TRUE(valid_utf8(""));
  EXPECT_TRUE(valid_utf8("api.latency_p95"));
  EXPECT_TRUE(valid_utf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
  size_t bad = 99;
  EXPECT_FALSE(valid_utf8("ab\xff", &bad));
  EXPECT_EQ(bad, 2u);
  EXPECT_FALSE(valid_utf8("\xc3\x28", &bad)); // a lead byte without its continuation
  EXPECT_EQ(bad, 0u);
  EXPECT_FALSE(valid_utf8("\xc0\xaf"));             // overlong '/'
  EXPECT_FALSE(valid_utf8("\xe0\x80\xaf"));         // overlong, three bytes
  EXPECT_FALSE(valid_utf8("\xed\xa0\x80"));         // a UTF-16 surrogate
  EXPECT_FALSE(valid_utf8("\xf4\x90\x80\x80"));     // above U+10FFFF
  EXPECT_FALSE(valid_utf8("\xe2\x82"));             // cut short
  EXPECT_FALSE(valid_utf8(std::string("\x80", 1))); // a lone continuation byte
  // Past the eight-byte ASCII blocks, and inside one.
  EXPECT_FALSE(valid_utf8("abcdefghijklmnop\xff", &bad));
  EXPECT_EQ(bad, 16u);
  EXPECT_FALSE(valid_utf8("abc\xff"
                          "defghijklmnop",
                          &bad));
  EXPECT_EQ(bad, 3u);
  EXPECT_TRUE(valid_utf8(std::string(1000, 'x') + "\xc3\xa9" + std::string(13, 'y')));
}

TEST(http_request_rules, log_safe_escapes_what_a_terminal_or_parser_would_misread) {
  EXPECT_EQ(log_safe("plain café"), "plain café");
  EXPECT_EQ(log_safe("a\xff\xfe"), "a\\xff\\xfe");
  EXPECT_EQ(log_safe("line\nbreak\x1b[31m"), "line\\x0abreak\\x1b[31m");
  EXPECT_EQ(log_safe("back\\x41"), "back\\\\x41");
  EXPECT_EQ(log_safe(std::string(300, 'x'), 10), std::string(10, 'x') + "...");
}

TEST(http_request_rules, content_length_is_digits_only) {
  EXPECT_EQ(parse_content_length("0"), 0u);
  EXPECT_EQ(parse_content_length("4096"), 4096u);
  for (const char* bad : {"", "-1", "+5", " 5", "5 ", "1e3", "0x10", "12345678901234567890"})
    EXPECT_FALSE(parse_content_length(bad).has_value()) << bad;
}

TEST(http_request_rules, media_type_drops_parameters_and_case) {
  EXPECT_EQ(media_type("application/json"), "application/json");
  EXPECT_EQ(media_type(" Application/JSON ; charset=utf-8"), "application/json");
  EXPECT_EQ(media_type("text/plain; version=0.0.4"), "text/plain");
  EXPECT_EQ(media_type(""), "");
}

TEST(http_request_rules, loopback_and_wildcard_addresses) {
  for (const char* a : {"127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost", "::ffff:127.0.0.1"})
    EXPECT_TRUE(is_loopback_address(a)) << a;
  for (const char* a : {"0.0.0.0", "::", "192.168.1.5", "example.com", "128.0.0.1"})
    EXPECT_FALSE(is_loopback_address(a)) << a;
  EXPECT_TRUE(is_wildcard_address("0.0.0.0"));
  EXPECT_TRUE(is_wildcard_address("::"));
  EXPECT_FALSE(is_wildcard_address("127.0.0.1"));
}

TEST(http_request_rules, only_loopback_may_listen_without_a_token) {
  EXPECT_FALSE(exposure_problem("127.0.0.1", "").has_value());
  EXPECT_FALSE(exposure_problem("0.0.0.0", "s3cret").has_value());
  for (const char* token : {"", " ", " \t\n"}) {
    auto problem = exposure_problem("0.0.0.0", token);
    ASSERT_TRUE(problem.has_value());
    EXPECT_NE(problem->find("http.token"), std::string::npos) << *problem;
  }
  EXPECT_TRUE(exposure_problem("192.168.1.5", "").has_value());
}

TEST(http_request_rules, split_host_reads_names_addresses_and_ports) {
  auto h = split_host("Grace.Internal:8000");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->name, "grace.internal");
  EXPECT_EQ(h->port, 8000);
  h = split_host("[::1]:80");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->name, "[::1]");
  EXPECT_EQ(h->port, 80);
  EXPECT_FALSE(split_host("localhost")->port.has_value());
  for (const char* bad :
       {"", ":80", "a:", "a:x", "a:70000", "[::1", "[::1]x", "a b", "u@h", "http://h", "::1"})
    EXPECT_FALSE(split_host(bad).has_value()) << bad;
}

TEST(http_request_rules, host_policy_on_loopback) {
  host_policy hosts("127.0.0.1", {"grace.internal", "ops.example:9000"});
  for (const char* ok :
       {"127.0.0.1", "127.0.0.1:8000", "localhost:8000", "LOCALHOST", "[::1]:8000",
        "grace.internal", "grace.internal:1234", "grace.internal.", "ops.example:9000"})
    EXPECT_TRUE(hosts.allows(ok)) << ok;
  for (const char* refused : {"evil.example", "localhost.evil.example", "127.0.0.1.nip.io",
                              "ops.example", "ops.example:9001", "", "10.0.0.1"})
    EXPECT_FALSE(hosts.allows(refused)) << refused;
  EXPECT_NE(hosts.describe().find("grace.internal"), std::string::npos);
}

TEST(http_request_rules, host_policy_on_other_addresses) {
  host_policy specific("192.168.1.5", {});
  EXPECT_TRUE(specific.allows("192.168.1.5:8000"));
  EXPECT_FALSE(specific.allows("localhost:8000"));
  host_policy every("0.0.0.0", {"grace.example"});
  EXPECT_TRUE(every.allows("localhost:8000"));
  EXPECT_TRUE(every.allows("grace.example"));
  EXPECT_FALSE(every.allows("0.0.0.0"));
  EXPECT_FALSE(every.allows("192.168.1.5"));
  host_policy v6("::1", {});
  EXPECT_TRUE(v6.allows("[::1]:8000"));
}

TEST(http_request_rules, same_origin_compares_host_and_port) {
  EXPECT_TRUE(same_origin("http://127.0.0.1:8000", "127.0.0.1:8000"));
  EXPECT_TRUE(same_origin("HTTP://LocalHost:8000", "localhost:8000"));
  EXPECT_TRUE(same_origin("https://grace.example", "grace.example"));
  EXPECT_FALSE(same_origin("http://localhost:8000", "127.0.0.1:8000"));
  EXPECT_FALSE(same_origin("http://127.0.0.1:8001", "127.0.0.1:8000"));
  EXPECT_FALSE(same_origin("http://evil.example", "127.0.0.1:8000"));
  EXPECT_FALSE(same_origin("null", "127.0.0.1:8000"));
  EXPECT_FALSE(same_origin("file://", "127.0.0.1:8000"));
  EXPECT_FALSE(same_origin("http://127.0.0.1:8000/path", "127.0.0.1:8000"));
}

TEST(http_request_rules, request_head_end) {
  const std::string head = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  EXPECT_EQ(request_head_end(head), head.size());
  EXPECT_EQ(request_head_end(head + "next"), head.size());
  EXPECT_EQ(request_head_end("GET / HTTP/1.1\r\nHost: x\r\n"), std::string::npos);
  EXPECT_EQ(request_head_end("GET / HTTP/1.1\r\nHost: x\r\n\r"), std::string::npos);
  EXPECT_EQ(request_head_end("GET / HTTP/1.1\nHost: x\n\n"), 24u);
  // Resuming a search just before where the last one stopped.
  EXPECT_EQ(request_head_end(head, head.size() - 3), head.size());
}
