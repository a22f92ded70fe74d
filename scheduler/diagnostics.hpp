#pragma once
// Problems found in an input file, reported all at once as `file:line: column: message`.
#include <cstdint>
#include <string>
#include <vector>

namespace skyclass::scheduler {

struct Diagnostic {
  std::string file;
  int line = 0;        // 1-based; 0 when the problem belongs to no single line
  std::string column;  // the CSV column, config key or field; may be empty
  std::string message;
  bool is_error = true;  // false: a warning, the output is still complete

  std::string to_string() const;
};

class Diagnostics {
 public:
  void error(std::string file, int line, std::string column, std::string message);
  void warning(std::string file, int line, std::string column, std::string message);
  bool has_errors() const;
  const std::vector<Diagnostic>& all() const { return items_; }
  void append(const Diagnostics& other);
  // One line per diagnostic, in the order found.
  std::string to_string() const;

 private:
  std::vector<Diagnostic> items_;
};

}  // namespace skyclass::scheduler
