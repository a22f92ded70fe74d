#pragma once
// Result<T>: the outcome of decoding untrusted bytes. Decoders never throw on bad input; they
// return an Error whose message names the table, the field and what was expected.
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>

#include <fmt/format.h>

namespace skyclass::mux {

struct Error {
  std::string message;
};

template <class... Args>
Error make_error(fmt::format_string<Args...> format, Args&&... args) {
  return Error{fmt::format(format, std::forward<Args>(args)...)};
}

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}
  Result(Error error) : state_(std::move(error)) {}

  bool ok() const { return std::holds_alternative<T>(state_); }
  explicit operator bool() const { return ok(); }

  // Asking for the value of a failed result is a programming error: it throws std::logic_error
  // with the decode message rather than reading garbage.
  const T& value() const& { return std::get<T>(checked()); }
  T& value() & { return std::get<T>(checked()); }
  T&& value() && { return std::get<T>(std::move(checked())); }
  const T& operator*() const& { return value(); }
  const T* operator->() const { return &value(); }

  const std::string& error() const {
    static const std::string none;
    return ok() ? none : std::get<Error>(state_).message;
  }
  // Moves the error out, for propagating it with `return result.take_error();`.
  Error take_error() const { return Error{error()}; }

 private:
  std::variant<T, Error>& checked() {
    if (!ok()) throw std::logic_error("Result::value() on error: " + error());
    return state_;
  }
  const std::variant<T, Error>& checked() const {
    if (!ok()) throw std::logic_error("Result::value() on error: " + error());
    return state_;
  }

  std::variant<T, Error> state_;
};

}  // namespace skyclass::mux
