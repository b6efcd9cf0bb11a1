#pragma once
// Text from outside (a config file, a request body) quoted in an error
// message: always valid UTF-8 and short, so that any error can go into a log
// line or a JSON answer, whatever bytes it quotes. Shared by the config
// readers and the ingest parsers.
#include <string>
#include <string_view>

namespace grace::text {

// Well-formed UTF-8 (no overlong forms, surrogates or code points past
// U+10FFFF): what a JSON answer can carry.
bool is_valid_utf8(std::string_view text);

// Length of the well-formed UTF-8 sequence at text[i] (i < text.size()), 0
// when none starts there.
size_t utf8_sequence_length(std::string_view text, size_t i);

// `text` with every byte that is not printable UTF-8 (invalid sequences and
// control characters) written as "\xNN".
std::string printable(std::string_view text);

// `text` printable and quoted, cut after its first 60 bytes with the full
// length noted: a 40,000-character value gives a short error.
std::string quote_for_error(std::string_view text);

} // namespace grace::text
