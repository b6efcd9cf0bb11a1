#include "actors/ingest/prometheus_text.hpp"

#include "common/error_text.hpp"

#include <charconv>
#include <cmath>
#include <limits>
#include <unordered_set>
#include <utility>

namespace grace::ingest {

std::string to_string(metric_type t) {
  switch (t) {
  case metric_type::untyped:
    return "untyped";
  case metric_type::counter:
    return "counter";
  case metric_type::gauge:
    return "gauge";
  case metric_type::histogram:
    return "histogram";
  case metric_type::summary:
    return "summary";
  }
  return "unknown";
}

text_format_error::text_format_error(size_t line, size_t column, const std::string& message)
    : std::runtime_error("line " + std::to_string(line) + ", column " + std::to_string(column)
                         + ": " + text::printable(message)),
      line_(line), column_(column) {}

namespace {

bool is_name_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

bool is_name_char(char c) {
  return is_name_start(c) || (c >= '0' && c <= '9');
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size())
    return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z')
      x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z')
      y = static_cast<char>(y - 'A' + 'a');
    if (x != y)
      return false;
  }
  return true;
}

// A float as Go's strconv.ParseFloat reads it (decimal forms, NaN, Inf,
// Infinity with optional sign, case-insensitive). Hex floats are refused.
bool parse_go_float(std::string_view tok, double& out) {
  if (tok.empty())
    return false;
  bool negative = false;
  std::string_view rest = tok;
  if (rest[0] == '+' || rest[0] == '-') {
    negative = rest[0] == '-';
    rest.remove_prefix(1);
  }
  if (iequals(rest, "nan")) {
    out = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  if (iequals(rest, "inf") || iequals(rest, "infinity")) {
    out = negative ? -std::numeric_limits<double>::infinity()
                   : std::numeric_limits<double>::infinity();
    return true;
  }
  if (rest.empty())
    return false;
  for (char c : rest)
    if (!((c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-'))
      return false;
  if (rest[0] == '+' || rest[0] == '-')
    return false;
  double v = 0.0;
  auto [ptr, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), v);
  if (ec != std::errc() || ptr != rest.data() + rest.size())
    return false;
  out = negative ? -v : v;
  return true;
}

bool parse_int64(std::string_view tok, int64_t& out) {
  if (!tok.empty() && tok[0] == '+') {
    tok.remove_prefix(1);
    if (!tok.empty() && tok[0] == '-') // "+-5" is no number
      return false;
  }
  if (tok.empty() || (tok[0] == '-' && tok.size() == 1))
    return false;
  auto [ptr, ec] = std::from_chars(tok.data(), tok.data() + tok.size(), out);
  return ec == std::errc() && ptr == tok.data() + tok.size();
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() > suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

class text_parser {
public:
  explicit text_parser(std::string_view text) : text_(text) {}

  exposition run() {
    while (pos_ < text_.size()) {
      line_start_ = pos_;
      parse_line();
      if (pos_ < text_.size()) { // at '\n'
        ++pos_;
        ++line_;
      }
    }
    return std::move(out_);
  }

private:
  [[noreturn]] void fail(const std::string& message) const {
    throw text_format_error(line_, pos_ - line_start_ + 1, message);
  }

  bool at_eol() const { return pos_ >= text_.size() || text_[pos_] == '\n'; }

  char cur() const { return text_[pos_]; }

  std::string describe_current() const {
    if (pos_ >= text_.size())
      return "end of input";
    char c = text_[pos_];
    if (c == '\n')
      return "end of line";
    if (c == '\r')
      return "a carriage return";
    if (static_cast<unsigned char>(c) < 0x20)
      return "a control character";
    if (static_cast<unsigned char>(c) >= 0x7F) {
      static const char hex[] = "0123456789abcdef";
      const auto b = static_cast<unsigned char>(c);
      return std::string("byte 0x") + hex[b >> 4] + hex[b & 0xF];
    }
    return std::string("'") + c + "'";
  }

  bool skip_blanks() {
    size_t start = pos_;
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t'))
      ++pos_;
    return pos_ != start;
  }

  std::string_view read_token() {
    size_t start = pos_;
    // Tokens end at a blank or any control character (newline, CR, ...).
    while (pos_ < text_.size() && static_cast<unsigned char>(text_[pos_]) > 0x20)
      ++pos_;
    return text_.substr(start, pos_ - start);
  }

  std::string_view read_metric_name() {
    if (at_eol() || !(is_name_start(cur()) || cur() == ':'))
      fail("expected a metric name, got " + describe_current());
    size_t start = pos_;
    while (pos_ < text_.size() && (is_name_char(text_[pos_]) || text_[pos_] == ':'))
      ++pos_;
    return text_.substr(start, pos_ - start);
  }

  void expect_eol(const char* after) {
    skip_blanks();
    if (!at_eol())
      fail(std::string("expected end of line after ") + after + ", got " + describe_current());
  }

  void parse_line() {
    skip_blanks();
    if (at_eol())
      return;
    if (cur() == '#')
      parse_comment();
    else
      parse_sample();
  }

  size_t family_for(std::string_view name) {
    auto it = family_index_.find(std::string(name));
    if (it != family_index_.end())
      return it->second;
    out_.families.push_back(metric_family{std::string(name), {}, metric_type::untyped});
    flags_.push_back({});
    family_index_.emplace(std::string(name), out_.families.size() - 1);
    return out_.families.size() - 1;
  }

  void parse_comment() {
    ++pos_; // '#'
    skip_blanks();
    std::string_view keyword = read_token();
    if (keyword != "HELP" && keyword != "TYPE") {
      while (!at_eol())
        ++pos_;
      return;
    }
    if (!skip_blanks())
      fail(std::string("expected a blank and a metric name after ") + std::string(keyword)
           + ", got " + describe_current());
    std::string_view name = read_metric_name();
    if (keyword == "HELP") {
      if (!at_eol() && !skip_blanks())
        fail("expected a blank after the metric name in HELP, got " + describe_current());
      size_t idx = family_for(name);
      if (flags_[idx].help)
        fail("second HELP line for metric " + text::quote_for_error(name));
      flags_[idx].help = true;
      out_.families[idx].help = read_help_text();
      return;
    }
    if (!skip_blanks())
      fail("expected a blank and a metric type after the metric name in TYPE, got "
           + describe_current());
    std::string_view type = read_token();
    metric_type t;
    if (type == "counter")
      t = metric_type::counter;
    else if (type == "gauge")
      t = metric_type::gauge;
    else if (type == "histogram")
      t = metric_type::histogram;
    else if (type == "summary")
      t = metric_type::summary;
    else if (type == "untyped")
      t = metric_type::untyped;
    else {
      pos_ -= type.size();
      fail("expected a metric type (counter, gauge, histogram, summary, untyped), got "
           + text::quote_for_error(type));
    }
    expect_eol("the metric type");
    if (sampled_.count(std::string(name)) != 0) {
      pos_ = line_start_;
      fail("TYPE line for metric " + text::quote_for_error(name) + " after its samples");
    }
    size_t idx = family_for(name);
    if (flags_[idx].type)
      fail("second TYPE line for metric " + text::quote_for_error(name));
    flags_[idx].type = true;
    out_.families[idx].type = t;
  }

  std::string read_help_text() {
    const size_t start = pos_;
    std::string help;
    while (!at_eol()) {
      char c = cur();
      if (c == '\\') {
        ++pos_;
        if (at_eol())
          fail("expected an escape character after '\\' in HELP, got " + describe_current());
        char e = cur();
        if (e == '\\')
          help += '\\';
        else if (e == 'n')
          help += '\n';
        else
          fail(std::string("invalid escape sequence '\\") + e + "' in HELP (expected \\\\ or \\n)");
        ++pos_;
      } else {
        help += c;
        ++pos_;
      }
    }
    if (!text::is_valid_utf8(help)) {
      pos_ = start;
      fail("expected UTF-8 text in HELP");
    }
    return help;
  }

  std::string read_label_value() {
    // at the opening quote
    const size_t start = pos_++;
    std::string value;
    for (;;) {
      if (at_eol())
        fail("expected a closing '\"' for the label value, got " + describe_current());
      char c = cur();
      if (c == '"') {
        if (!text::is_valid_utf8(value)) {
          pos_ = start;
          fail("expected a UTF-8 label value");
        }
        ++pos_;
        return value;
      }
      if (c == '\\') {
        ++pos_;
        if (at_eol())
          fail("expected an escape character after '\\', got " + describe_current());
        char e = cur();
        if (e == '\\')
          value += '\\';
        else if (e == '"')
          value += '"';
        else if (e == 'n')
          value += '\n';
        else
          fail(std::string("invalid escape sequence '\\") + e
               + "' in label value (expected \\\\, \\\" or \\n)");
        ++pos_;
        continue;
      }
      value += c;
      ++pos_;
    }
  }

  void parse_labels(std::map<std::string, std::string>& labels) {
    ++pos_; // '{'
    for (;;) {
      skip_blanks();
      if (at_eol())
        fail("expected a label name or '}', got " + describe_current());
      if (cur() == '}') {
        ++pos_;
        return;
      }
      if (!is_name_start(cur()))
        fail("expected a label name or '}', got " + describe_current());
      size_t start = pos_;
      while (pos_ < text_.size() && is_name_char(text_[pos_]))
        ++pos_;
      std::string name(text_.substr(start, pos_ - start));
      skip_blanks();
      if (at_eol() || cur() != '=')
        fail("expected '=' after label name " + text::quote_for_error(name) + ", got "
             + describe_current());
      ++pos_;
      skip_blanks();
      if (at_eol() || cur() != '"')
        fail("expected '\"' to open the value of label " + text::quote_for_error(name) + ", got "
             + describe_current());
      std::string value = read_label_value();
      auto [where, inserted] = labels.emplace(name, std::move(value));
      (void)where;
      if (!inserted) {
        pos_ = start;
        fail("duplicate label " + text::quote_for_error(name));
      }
      skip_blanks();
      if (at_eol())
        fail("expected ',' or '}' after a label, got " + describe_current());
      if (cur() == ',') {
        ++pos_;
        continue;
      }
      if (cur() == '}') {
        ++pos_;
        return;
      }
      fail("expected ',' or '}' after a label, got " + describe_current());
    }
  }

  void check_family_rules(const prom_sample& s, size_t line_pos) {
    auto type_of = [&](std::string_view n) -> std::optional<metric_type> {
      auto it = family_index_.find(std::string(n));
      if (it == family_index_.end() || !flags_[it->second].type)
        return std::nullopt;
      return out_.families[it->second].type;
    };
    auto fail_at_start = [&](const std::string& msg) {
      pos_ = line_pos;
      fail(msg);
    };
    std::string_view name = s.name;
    if (ends_with(name, "_bucket")) {
      auto base = name.substr(0, name.size() - 7);
      if (type_of(base) == metric_type::histogram) {
        auto le = s.labels.find("le");
        double bound = 0.0;
        if (le == s.labels.end())
          fail_at_start("expected label 'le' on histogram bucket " + text::quote_for_error(s.name));
        if (!parse_go_float(le->second, bound))
          fail_at_start("expected a float in label 'le' of " + text::quote_for_error(s.name)
                        + ", got " + text::quote_for_error(le->second));
      }
      return;
    }
    if (type_of(name) == metric_type::summary) {
      auto q = s.labels.find("quantile");
      double quantile = 0.0;
      if (q == s.labels.end())
        fail_at_start("expected label 'quantile' on summary sample "
                      + text::quote_for_error(s.name));
      if (!parse_go_float(q->second, quantile))
        fail_at_start("expected a float in label 'quantile' of " + text::quote_for_error(s.name)
                      + ", got " + text::quote_for_error(q->second));
    }
  }

  // A TYPE line must come before the samples of its family. A histogram's or
  // summary's _bucket/_sum/_count series follow their TYPE line, so a second
  // TYPE for them is caught as a duplicate; an untyped `x_count` is its own
  // family and does not stop a later `# TYPE x ...`.
  void note_sampled(std::string_view name) {
    if (name == last_sampled_)
      return;
    last_sampled_.assign(name);
    sampled_.emplace(last_sampled_);
  }

  void parse_sample() {
    size_t line_pos = pos_;
    prom_sample s;
    s.line = line_;
    s.name = std::string(read_metric_name());
    bool blank = skip_blanks();
    if (!at_eol() && cur() == '{') {
      parse_labels(s.labels);
      blank = skip_blanks();
    } else if (!blank && !at_eol()) {
      fail("expected '{' or a blank after the metric name, got " + describe_current());
    }
    if (at_eol())
      fail("expected a value after " + text::quote_for_error(s.name) + ", got "
           + describe_current());
    if (!blank)
      fail("expected a blank before the value, got " + describe_current());
    size_t value_pos = pos_;
    std::string_view value_tok = read_token();
    if (!parse_go_float(value_tok, s.value)) {
      pos_ = value_pos;
      fail("expected a float value (or NaN, +Inf, -Inf), got " + text::quote_for_error(value_tok));
    }
    skip_blanks();
    if (!at_eol() && static_cast<unsigned char>(cur()) < 0x20)
      fail("expected a blank or end of line after the value, got " + describe_current());
    if (!at_eol()) {
      size_t ts_pos = pos_;
      std::string_view ts_tok = read_token();
      int64_t ts = 0;
      if (!parse_int64(ts_tok, ts)) {
        pos_ = ts_pos;
        fail("expected an integer timestamp in milliseconds or end of line, got "
             + text::quote_for_error(ts_tok));
      }
      s.timestamp_ms = ts;
      expect_eol("the timestamp");
    }
    check_family_rules(s, line_pos);
    note_sampled(s.name);
    out_.samples.push_back(std::move(s));
  }

  struct family_flags {
    bool help = false;
    bool type = false;
  };

  std::string_view text_;
  size_t pos_ = 0;
  size_t line_ = 1;
  size_t line_start_ = 0;
  exposition out_;
  std::unordered_map<std::string, size_t> family_index_;
  std::vector<family_flags> flags_;
  std::unordered_set<std::string> sampled_;
  std::string last_sampled_;
};

} // namespace

exposition parse_prometheus_text(std::string_view text) {
  return text_parser(text).run();
}

series_mapper::series_mapper(std::vector<mapping_rule> rules) : rules_(std::move(rules)) {
  for (size_t i = 0; i < rules_.size(); ++i)
    by_series_[rules_[i].series].push_back(i);
}

mapping_result series_mapper::map(const std::vector<prom_sample>& samples,
                                  timestamp_ms default_ts) const {
  mapping_result out;
  out.samples.reserve(samples.size());
  for (const auto& s : samples) {
    auto it = by_series_.find(s.name);
    bool matched = false;
    if (it != by_series_.end()) {
      for (size_t idx : it->second) {
        const auto& rule = rules_[idx];
        bool ok = true;
        for (const auto& [k, v] : rule.match) {
          auto l = s.labels.find(k);
          if (l == s.labels.end() || l->second != v) {
            ok = false;
            break;
          }
        }
        if (!ok)
          continue;
        if (!matched && !std::isfinite(s.value)) {
          ++out.non_finite;
          matched = true;
          break;
        }
        matched = true;
        out.samples.push_back(
            metric_sample{rule.metric_id, s.timestamp_ms.value_or(default_ts), s.value, s.labels});
      }
    }
    if (!matched)
      ++out.unmatched;
  }
  return out;
}

} // namespace grace::ingest
