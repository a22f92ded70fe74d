#pragma once
// RFC 4180 CSV as spreadsheets write it: optional UTF-8 BOM, CRLF or LF line ends, quoted fields
// with "" escapes and embedded line breaks. Every record remembers the line it started on.
#include <string>
#include <string_view>
#include <vector>

#include "scheduler/diagnostics.hpp"

namespace skyclass::scheduler {

struct CsvRecord {
  int line = 0;  // 1-based line where the record starts
  std::vector<std::string> fields;
};

// Parses `text`; syntax problems (a quote in an unquoted field, an unterminated quote, bytes that
// are not UTF-8) go to `diagnostics` against `file_name`. Blank lines are skipped.
std::vector<CsvRecord> parse_csv(std::string_view text, const std::string& file_name,
                                 Diagnostics& diagnostics);

// Returns the byte offset of the first invalid UTF-8 sequence, or npos when `text` is valid.
std::size_t find_invalid_utf8(std::string_view text);

}  // namespace skyclass::scheduler
