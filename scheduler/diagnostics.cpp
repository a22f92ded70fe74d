#include "scheduler/diagnostics.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace skyclass::scheduler {

std::string Diagnostic::to_string() const {
  std::string where = line > 0 ? fmt::format("{}:{}", file, line) : file;
  std::string kind = is_error ? "" : "warning: ";
  if (column.empty()) return fmt::format("{}: {}{}", where, kind, message);
  return fmt::format("{}: {}: {}{}", where, column, kind, message);
}

void Diagnostics::error(std::string file, int line, std::string column, std::string message) {
  items_.push_back({std::move(file), line, std::move(column), std::move(message), true});
}

void Diagnostics::warning(std::string file, int line, std::string column, std::string message) {
  items_.push_back({std::move(file), line, std::move(column), std::move(message), false});
}

bool Diagnostics::has_errors() const {
  return std::any_of(items_.begin(), items_.end(), [](const Diagnostic& d) { return d.is_error; });
}

void Diagnostics::append(const Diagnostics& other) {
  items_.insert(items_.end(), other.items_.begin(), other.items_.end());
}

std::string Diagnostics::to_string() const {
  std::string text;
  for (const auto& d : items_) text += d.to_string() + "\n";
  return text;
}

}  // namespace skyclass::scheduler
