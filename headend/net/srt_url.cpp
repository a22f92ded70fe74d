#include "headend/net/srt_url.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>

#include <syslog.h>

#include <fmt/format.h>
#include <srt/srt.h>

namespace skyclass::net {
namespace {

constexpr std::array<std::string_view, 9> kReceiveOptions = {
    "mode",     "latency",  "passphrase", "passphrase_file", "passphrase_env",
    "pbkeylen", "streamid", "rcvbuf",     "timeout"};
constexpr std::array<std::string_view, 13> kSendOptions = {
    "mode",     "latency",  "passphrase", "passphrase_file", "passphrase_env",
    "pbkeylen", "streamid", "allow",      "allow_file",      "sndbuf",
    "maxbw",    "oheadbw",  "timeout"};
constexpr std::array<std::string_view, 1> kSecretOptions = {"passphrase"};
constexpr std::size_t kMaxStreamIdChars = 512;  // libsrt's limit
constexpr int kPayloadBytes = 1472;             // one SRT packet with headers, for SRTO_FC

std::vector<std::string> lines_of(std::string_view option, const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    throw UrlError(fmt::format("srt: option '{}': cannot read '{}': {}", option, path,
                               std::strerror(errno)));
  }
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(line);
  }
  return lines;
}

std::string first_line_of(const std::string& path) {
  const std::vector<std::string> lines = lines_of("passphrase_file", path);
  if (lines.empty()) {
    throw UrlError(fmt::format("srt: option 'passphrase_file': '{}' is empty", path));
  }
  return lines.front();
}

std::string passphrase_of(const UrlOptions& options) {
  const auto given = std::count_if(options.all().begin(), options.all().end(),
                                   [](const UrlOption& o) { return o.name.starts_with("passphrase"); });
  if (given > 1) {
    throw UrlError("srt: give only one of passphrase, passphrase_file, passphrase_env");
  }
  std::string passphrase = options.text("passphrase").value_or("");
  if (const auto path = options.text("passphrase_file")) passphrase = first_line_of(*path);
  if (const auto name = options.text("passphrase_env")) {
    const char* value = std::getenv(name->c_str());
    if (value == nullptr) {
      throw UrlError(fmt::format("srt: option 'passphrase_env': variable '{}' is not set", *name));
    }
    passphrase = value;
  }
  if (given == 1 && (passphrase.size() < 10 || passphrase.size() > 79)) {
    throw UrlError(
        fmt::format("srt: the passphrase must be 10 to 79 characters (libsrt's rule), it has {}",
                    passphrase.size()));
  }
  return passphrase;
}

std::optional<int> as_int(std::optional<std::int64_t> value) {
  if (!value) return std::nullopt;
  return static_cast<int>(*value);
}

void check_streamid(std::string_view option, const std::string& id) {
  if (id.size() > kMaxStreamIdChars) {
    throw UrlError(fmt::format("srt: option '{}' has a streamid of {} characters (at most {})",
                               option, id.size(), kMaxStreamIdChars));
  }
}

// allow=a,b,c and the non-empty, non-comment lines of allow_file=.
std::vector<std::string> allow_list(const UrlOptions& options) {
  std::vector<std::string> allow;
  if (const auto text = options.text("allow")) {
    std::string_view rest = *text;
    while (!rest.empty()) {
      const std::size_t comma = rest.find(',');
      const std::string id(rest.substr(0, comma));
      rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
      if (id.empty()) throw UrlError("srt: option 'allow' has an empty streamid");
      check_streamid("allow", id);
      allow.push_back(id);
    }
  }
  if (const auto path = options.text("allow_file")) {
    for (std::string line : lines_of("allow_file", *path)) {
      const auto first = line.find_first_not_of(" \t");
      if (first == std::string::npos || line[first] == '#') continue;
      line = line.substr(first, line.find_last_not_of(" \t") - first + 1);
      check_streamid("allow_file", line);
      allow.push_back(line);
    }
    if (allow.empty()) {
      throw UrlError(fmt::format("srt: option 'allow_file': '{}' lists no streamid", *path));
    }
  }
  return allow;
}

void parse_send_options(const UrlOptions& options, SrtUrl& url) {
  url.allow = allow_list(options);
  if (!url.listener && (options.has("allow") || options.has("allow_file"))) {
    throw UrlError("srt: options 'allow' and 'allow_file' apply to mode=listener");
  }
  if (url.listener && !url.streamid.empty()) url.allow.push_back(url.streamid);
  url.sndbuf_bytes = as_int(options.integer("sndbuf", 65536, 1 << 30, "bytes"));
  url.maxbw_bytes_per_s = options.integer("maxbw", -1, std::int64_t{1} << 40, "bytes/s");
  url.oheadbw_percent = as_int(options.integer("oheadbw", 5, 100, "%"));
}

void set_flag(int s, SRT_SOCKOPT option, const void* value, int length, std::string_view name) {
  if (srt_setsockflag(s, option, value, length) == SRT_ERROR) {
    throw SrtError(fmt::format("srt: cannot set {}: {}", name, srt_getlasterror_str()));
  }
}

void set_int(int s, SRT_SOCKOPT option, int value, std::string_view name) {
  set_flag(s, option, &value, sizeof value, name);
}

void set_bool(int s, SRT_SOCKOPT option, bool value, std::string_view name) {
  set_flag(s, option, &value, sizeof value, name);
}

// A buffer beyond the flight window is capped by libsrt, so the window grows first.
void set_buffer(int s, SRT_SOCKOPT option, int bytes, std::string_view name) {
  set_int(s, SRTO_FC, std::max(25600, bytes / kPayloadBytes + 1), "flight window");
  set_int(s, option, bytes, name);
}

void configure(int s, const SrtUrl& url) {
  const SRT_TRANSTYPE live = SRTT_LIVE;
  set_flag(s, SRTO_TRANSTYPE, &live, sizeof live, "transtype");
  set_bool(s, SRTO_TSBPDMODE, true, "tsbpd");
  set_bool(s, SRTO_RCVSYN, false, "rcvsyn");
  set_bool(s, SRTO_SNDSYN, false, "sndsyn");
  if (url.latency_ms) set_int(s, SRTO_LATENCY, *url.latency_ms, "latency");
  if (!url.passphrase.empty()) {
    set_flag(s, SRTO_PASSPHRASE, url.passphrase.data(), static_cast<int>(url.passphrase.size()),
             "passphrase");
    set_bool(s, SRTO_ENFORCEDENCRYPTION, true, "enforced encryption");
  }
  if (url.pbkeylen) set_int(s, SRTO_PBKEYLEN, *url.pbkeylen, "pbkeylen");
  if (!url.listener && !url.streamid.empty()) {
    set_flag(s, SRTO_STREAMID, url.streamid.data(), static_cast<int>(url.streamid.size()),
             "streamid");
  }
  if (url.rcvbuf_bytes) set_buffer(s, SRTO_RCVBUF, *url.rcvbuf_bytes, "rcvbuf");
  if (url.sndbuf_bytes) set_buffer(s, SRTO_SNDBUF, *url.sndbuf_bytes, "sndbuf");
  if (url.maxbw_bytes_per_s) {
    const std::int64_t maxbw = *url.maxbw_bytes_per_s;
    set_flag(s, SRTO_MAXBW, &maxbw, sizeof maxbw, "maxbw");
  }
  if (url.oheadbw_percent) set_int(s, SRTO_OHEADBW, *url.oheadbw_percent, "oheadbw");
  if (url.connect_timeout_ms) set_int(s, SRTO_CONNTIMEO, *url.connect_timeout_ms, "timeout");
}

}  // namespace

std::span<const std::string_view> srt_option_names(SrtDirection direction) {
  if (direction == SrtDirection::receive) return kReceiveOptions;
  return kSendOptions;
}

SrtUrl parse_srt_url(std::string_view text, SrtDirection direction,
                     std::span<const std::string_view> extra_options) {
  if (!text.starts_with("srt://")) {
    throw UrlError(fmt::format("srt: expected srt://HOST:PORT?..., got '{}'",
                               text.substr(0, text.find('?'))));
  }
  NetSpec net = parse_net_spec("srt", text.substr(6));
  std::vector<std::string_view> known(srt_option_names(direction).begin(),
                                      srt_option_names(direction).end());
  known.insert(known.end(), extra_options.begin(), extra_options.end());
  SrtUrl url;
  url.description = describe_url("srt", net.authority, net.options, kSecretOptions);
  const UrlOptions options("srt", std::move(net.options), known);
  url.host = net.host;
  url.port = net.port;
  const std::string mode = options.text("mode").value_or("caller");
  if (mode != "caller" && mode != "listener") {
    throw UrlError(fmt::format("srt: option 'mode' must be caller or listener, got '{}'", mode));
  }
  url.listener = mode == "listener";
  if (!url.listener && url.host.empty()) {
    throw UrlError("srt: a caller needs a host (srt://HOST:PORT)");
  }
  url.latency_ms = as_int(options.integer("latency", 0, 60000, "ms"));
  url.passphrase = passphrase_of(options);
  url.pbkeylen = as_int(options.integer("pbkeylen", 16, 32, "16, 24 or 32"));
  if (url.pbkeylen && *url.pbkeylen % 8 != 0) {
    throw UrlError(
        fmt::format("srt: option 'pbkeylen' must be 16, 24 or 32, got {}", *url.pbkeylen));
  }
  if (url.pbkeylen && url.passphrase.empty()) {
    throw UrlError("srt: option 'pbkeylen' needs a passphrase");
  }
  url.streamid = options.text("streamid").value_or("");
  check_streamid("streamid", url.streamid);
  if (direction == SrtDirection::receive) {
    url.rcvbuf_bytes = as_int(options.integer("rcvbuf", 65536, 1 << 30, "bytes"));
  } else {
    parse_send_options(options, url);
  }
  url.connect_timeout_ms = as_int(options.integer("timeout", 100, 120000, "ms"));
  for (const UrlOption& o : options.all()) {
    if (std::find(extra_options.begin(), extra_options.end(), o.name) != extra_options.end()) {
      url.extra.push_back(o);
    }
  }
  return url;
}

void srt_startup_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    srt_startup();
    // Stop libsrt's garbage-collector thread before static destructors run: when startup was
    // counted twice (a socket made before this call starts libsrt too), libsrt's own teardown
    // frees its tables under that thread and the process crashes at exit.
    std::atexit([] { srt_cleanup(); });
    // Link trouble is reported in SkyClass's own status and views; libsrt's stderr lines
    // would tear them.
    srt_setloglevel(LOG_CRIT);
  });
}

int create_srt_socket(const SrtUrl& url) {
  srt_startup_once();
  const SRTSOCKET s = srt_create_socket();
  if (s == SRT_INVALID_SOCK) {
    throw SrtError(fmt::format("srt: cannot create a socket: {}", srt_getlasterror_str()));
  }
  try {
    configure(s, url);
  } catch (...) {
    srt_close(s);
    throw;
  }
  return s;
}

std::string srt_last_error() { return srt_getlasterror_str(); }

}  // namespace skyclass::net
