#pragma once
// The parts of a network URL that SkyClass's inputs and sinks share: `HOST:PORT?NAME=VALUE&...`
// with %-encoded values, each option known and given once. No libav*, no sockets here.
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace skyclass::net {

// A URL that cannot be used: the message names the option (or the address) and what was
// expected. It never holds a secret.
class UrlError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

struct UrlOption {
  std::string name;
  std::string value;      // %-decoded
  std::string raw_value;  // as written, for descriptions
};

struct NetSpec {
  std::string authority;  // "HOST:PORT" as written
  std::string host;       // without IPv6 brackets; empty for ":PORT"
  std::uint16_t port = 0;
  std::vector<UrlOption> options;
};

// "HOST:PORT?a=b&c=d", "[IPV6]:PORT?..." or ":PORT?...". `label` starts every message ("srt").
NetSpec parse_net_spec(std::string_view label, std::string_view text);

// The options of one URL: each one of `known`, each given once.
class UrlOptions {
 public:
  UrlOptions(std::string_view label, std::vector<UrlOption> options,
             std::span<const std::string_view> known);

  const std::vector<UrlOption>& all() const { return options_; }
  bool has(std::string_view name) const { return text(name).has_value(); }
  std::optional<std::string> text(std::string_view name) const;
  // An integer in [min, max]; the message names the option and the unit.
  std::optional<std::int64_t> integer(std::string_view name, std::int64_t min, std::int64_t max,
                                      std::string_view unit) const;
  const std::string& label() const { return label_; }

 private:
  std::string label_;
  std::vector<UrlOption> options_;
};

// "scheme://AUTHORITY?name=value&..." with every option in `secret` shown as ***.
std::string describe_url(std::string_view scheme, std::string_view authority,
                         const std::vector<UrlOption>& options,
                         std::span<const std::string_view> secret);

}  // namespace skyclass::net
