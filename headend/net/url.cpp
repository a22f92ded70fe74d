#include "headend/net/url.hpp"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace skyclass::net {
namespace {

std::string percent_decode(std::string_view label, std::string_view name, std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    unsigned byte = 0;
    const char* first = text.data() + i + 1;
    const auto [end, ec] = i + 2 < text.size()
                               ? std::from_chars(first, first + 2, byte, 16)
                               : std::from_chars_result{first, std::errc::invalid_argument};
    if (ec != std::errc{} || end != first + 2) {
      throw UrlError(fmt::format("{}: bad %-escape in option '{}' (expected %XX)", label, name));
    }
    out += static_cast<char>(byte);
    i += 2;
  }
  return out;
}

std::vector<UrlOption> parse_query(std::string_view label, std::string_view query) {
  std::vector<UrlOption> options;
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view item = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (item.empty()) continue;
    const std::size_t eq = item.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      // Only the name: a value here could be a secret written without its '='.
      const std::string_view name = item.substr(0, std::min<std::size_t>(item.size(), 32));
      throw UrlError(fmt::format("{}: option '{}' needs the form NAME=VALUE", label,
                                 name.starts_with("passphrase") ? "passphrase" : name));
    }
    const std::string name(item.substr(0, eq));
    const std::string_view raw = item.substr(eq + 1);
    options.push_back({name, percent_decode(label, name, raw), std::string(raw)});
  }
  return options;
}

std::uint16_t parse_port(std::string_view label, std::string_view text) {
  unsigned port = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || port == 0 ||
      port > 65535) {
    throw UrlError(fmt::format("{}: bad port '{}' (expected 1..65535)", label, text));
  }
  return static_cast<std::uint16_t>(port);
}

}  // namespace

NetSpec parse_net_spec(std::string_view label, std::string_view text) {
  NetSpec spec;
  const std::size_t question = text.find('?');
  if (question != std::string_view::npos) {
    spec.options = parse_query(label, text.substr(question + 1));
  }
  std::string_view authority = text.substr(0, question);
  if (!authority.empty() && authority.back() == '/') authority.remove_suffix(1);
  spec.authority = std::string(authority);
  const std::size_t colon = authority.rfind(':');
  if (authority.starts_with('[')) {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos || close + 1 != colon) {
      throw UrlError(fmt::format("{}: bad address '{}' (expected [IPV6]:PORT)", label, authority));
    }
    spec.host = std::string(authority.substr(1, close - 1));
  } else if (colon == std::string_view::npos) {
    throw UrlError(fmt::format("{}: '{}' has no port (expected HOST:PORT)", label, authority));
  } else {
    spec.host = std::string(authority.substr(0, colon));
  }
  spec.port = parse_port(label, authority.substr(colon + 1));
  return spec;
}

UrlOptions::UrlOptions(std::string_view label, std::vector<UrlOption> options,
                       std::span<const std::string_view> known)
    : label_(label), options_(std::move(options)) {
  for (std::size_t i = 0; i < options_.size(); ++i) {
    const std::string& name = options_[i].name;
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      throw UrlError(fmt::format("{}: unknown option '{}' (known: {})", label_, name,
                                 fmt::join(known, ", ")));
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (options_[j].name == name) {
        throw UrlError(fmt::format("{}: option '{}' is given twice", label_, name));
      }
    }
  }
}

std::optional<std::string> UrlOptions::text(std::string_view name) const {
  for (const UrlOption& o : options_) {
    if (o.name == name) return o.value;
  }
  return std::nullopt;
}

std::optional<std::int64_t> UrlOptions::integer(std::string_view name, std::int64_t min,
                                                std::int64_t max, std::string_view unit) const {
  const std::optional<std::string> value = text(name);
  if (!value) return std::nullopt;
  std::int64_t number = 0;
  const auto [end, ec] = std::from_chars(value->data(), value->data() + value->size(), number);
  if (value->empty() || ec != std::errc{} || end != value->data() + value->size() ||
      number < min || number > max) {
    throw UrlError(fmt::format("{}: option '{}' must be an integer {}..{} ({}), got '{}'", label_,
                               name, min, max, unit, *value));
  }
  return number;
}

std::string describe_url(std::string_view scheme, std::string_view authority,
                         const std::vector<UrlOption>& options,
                         std::span<const std::string_view> secret) {
  std::string text = fmt::format("{}://{}", scheme, authority);
  char separator = '?';
  for (const UrlOption& o : options) {
    const bool hidden = std::find(secret.begin(), secret.end(), o.name) != secret.end();
    text += fmt::format("{}{}={}", separator, o.name, hidden ? "***" : o.raw_value);
    separator = '&';
  }
  return text;
}

}  // namespace skyclass::net
