#pragma once
// `srt://HOST:PORT?mode=caller|listener&...` for both directions: the monitor's and the live
// input's receive side and the headend's send side (sinks). One parser, one set of messages,
// one place that turns the options into libsrt socket flags. Links libsrt, never libav*.
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "headend/net/url.hpp"

namespace skyclass::net {

enum class SrtDirection { receive, send };

// A libsrt call failed (a socket, an option, a bind). The message names the option.
class SrtError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct SrtUrl {
  std::string host;  // a listener's may be empty (all addresses)
  std::uint16_t port = 0;
  bool listener = false;
  std::optional<int> latency_ms;
  std::string passphrase;  // from passphrase=, passphrase_file= or passphrase_env=; never shown
  std::optional<int> pbkeylen;
  // A caller sends it in the handshake. A receiving listener accepts only that one.
  std::string streamid;
  // A sending listener's allow-list (allow=a,b + allow_file= lines + streamid=); empty: any.
  std::vector<std::string> allow;
  std::optional<int> rcvbuf_bytes;  // receive
  std::optional<int> sndbuf_bytes;  // send
  std::optional<std::int64_t> maxbw_bytes_per_s;  // send: SRTO_MAXBW (0 = input rate + oheadbw)
  std::optional<int> oheadbw_percent;             // send
  std::optional<int> connect_timeout_ms;
  std::vector<UrlOption> extra;  // the caller's own options (see parse_srt_url), not checked here
  std::string description;       // the URL as written, with passphrase=***
};

// Parses `url` (starting with "srt://"). `extra_options` are further names the caller handles
// itself (a sink's queue_ms=); they come back in SrtUrl::extra. Throws UrlError naming the
// option; the passphrase never appears in a message.
SrtUrl parse_srt_url(std::string_view url, SrtDirection direction,
                     std::span<const std::string_view> extra_options = {});

// The option names parse_srt_url knows for `direction` (for help texts).
std::span<const std::string_view> srt_option_names(SrtDirection direction);

// srt_startup() once per process, srt_cleanup() at exit; libsrt logs only critical lines.
void srt_startup_once();

// A live-mode, non-blocking socket with the URL's options (streamid only on a caller).
// Throws SrtError naming the option libsrt refused.
int create_srt_socket(const SrtUrl& url);

// libsrt's last error as text, for messages.
std::string srt_last_error();

}  // namespace skyclass::net
