#include "scheduler/csv.hpp"

#include <fmt/format.h>

namespace skyclass::scheduler {
namespace {

class CsvReader {
 public:
  CsvReader(std::string_view text, const std::string& file, Diagnostics& diagnostics)
      : text_(text), file_(file), diagnostics_(diagnostics) {
    if (text_.substr(0, 3) == "\xEF\xBB\xBF") text_.remove_prefix(3);
  }

  std::vector<CsvRecord> read_all() {
    std::vector<CsvRecord> records;
    while (pos_ < text_.size()) {
      CsvRecord record = read_record();
      bool blank = record.fields.size() == 1 && record.fields[0].empty();
      if (!blank) records.push_back(std::move(record));
    }
    return records;
  }

 private:
  bool at_line_end() const {
    return pos_ >= text_.size() || text_[pos_] == '\n' ||
           (text_[pos_] == '\r' && (pos_ + 1 >= text_.size() || text_[pos_ + 1] == '\n'));
  }

  void consume_line_end() {
    if (pos_ < text_.size() && text_[pos_] == '\r') ++pos_;
    if (pos_ < text_.size() && text_[pos_] == '\n') ++pos_;
    ++line_;
  }

  CsvRecord read_record() {
    CsvRecord record;
    record.line = line_;
    while (true) {
      record.fields.push_back(read_field(record));
      if (pos_ < text_.size() && text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      consume_line_end();
      return record;
    }
  }

  std::string read_field(const CsvRecord& record) {
    if (pos_ < text_.size() && text_[pos_] == '"') return read_quoted(record);
    std::string field;
    while (pos_ < text_.size() && text_[pos_] != ',' && !at_line_end()) {
      if (text_[pos_] == '"') {
        diagnostics_.error(file_, line_, fmt::format("field {}", record.fields.size() + 1),
                           "a quote inside an unquoted field; quote the whole field and "
                           "double the inner quotes (\"\")");
      }
      field += text_[pos_++];
    }
    return field;
  }

  std::string read_quoted(const CsvRecord& record) {
    int start_line = line_;
    ++pos_;  // opening quote
    std::string field;
    while (pos_ < text_.size()) {
      char c = text_[pos_++];
      if (c == '"') {
        if (pos_ < text_.size() && text_[pos_] == '"') {
          field += '"';
          ++pos_;
          continue;
        }
        if (pos_ < text_.size() && text_[pos_] != ',' && !at_line_end()) {
          diagnostics_.error(file_, line_, fmt::format("field {}", record.fields.size() + 1),
                             "text after the closing quote of a quoted field");
          while (pos_ < text_.size() && text_[pos_] != ',' && !at_line_end()) field += text_[pos_++];
        }
        return field;
      }
      if (c == '\n') ++line_;
      if (c == '\r' && pos_ < text_.size() && text_[pos_] == '\n') continue;  // CRLF -> LF
      field += c;
    }
    diagnostics_.error(file_, start_line, fmt::format("field {}", record.fields.size() + 1),
                       "quoted field is never closed (missing \")");
    return field;
  }

  std::string_view text_;
  const std::string& file_;
  Diagnostics& diagnostics_;
  std::size_t pos_ = 0;
  int line_ = 1;
};

}  // namespace

std::vector<CsvRecord> parse_csv(std::string_view text, const std::string& file_name,
                                 Diagnostics& diagnostics) {
  return CsvReader(text, file_name, diagnostics).read_all();
}

std::size_t find_invalid_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    auto c = static_cast<unsigned char>(text[i]);
    std::size_t length = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3
                                        : (c >> 3) == 0x1E ? 4 : 0;
    if (length == 0 || i + length > text.size()) return i;
    std::uint32_t cp = length == 1 ? c : c & (0x7F >> length);
    for (std::size_t k = 1; k < length; ++k) {
      auto cc = static_cast<unsigned char>(text[i + k]);
      if ((cc & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (cc & 0x3F);
    }
    bool overlong = (length == 2 && cp < 0x80) || (length == 3 && cp < 0x800) ||
                    (length == 4 && cp < 0x10000);
    if (overlong || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return i;
    i += length;
  }
  return std::string_view::npos;
}

}  // namespace skyclass::scheduler
