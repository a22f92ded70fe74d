#include "headend/net/udp_url.hpp"

#include <algorithm>
#include <array>

#include <fmt/format.h>

namespace skyclass::net {
namespace {

constexpr std::array<std::string_view, 4> kUdpSendOptions = {"ttl", "pkt_size", "iface", "tos"};
constexpr int kTsPacketBytes = 188;
constexpr int kMaxPacketsPerDatagram = 7;

}  // namespace

UdpSendUrl parse_udp_send_url(std::string_view text,
                              std::span<const std::string_view> extra_options) {
  if (!text.starts_with("udp://")) {
    throw UrlError(fmt::format("udp: expected udp://HOST:PORT?..., got '{}'", text));
  }
  std::string_view rest = text.substr(6);
  if (rest.starts_with('@')) {
    throw UrlError(fmt::format(
        "udp: '{}' is a receive address; a sink sends to udp://HOST:PORT (unicast or group)",
        text));
  }
  NetSpec net = parse_net_spec("udp", rest);
  if (net.host.empty()) throw UrlError("udp: a sink needs a host (udp://HOST:PORT)");
  std::vector<std::string_view> known(kUdpSendOptions.begin(), kUdpSendOptions.end());
  known.insert(known.end(), extra_options.begin(), extra_options.end());
  UdpSendUrl url;
  url.description = describe_url("udp", net.authority, net.options, {});
  const UrlOptions options("udp", std::move(net.options), known);
  url.host = net.host;
  url.port = net.port;
  if (auto ttl = options.integer("ttl", 0, 255, "hops")) url.ttl = static_cast<int>(*ttl);
  if (auto tos = options.integer("tos", 0, 255, "IP TOS byte")) url.tos = static_cast<int>(*tos);
  url.pkt_size = static_cast<int>(
      options.integer("pkt_size", kTsPacketBytes, kTsPacketBytes * kMaxPacketsPerDatagram, "bytes")
          .value_or(kTsPacketBytes * kMaxPacketsPerDatagram));
  if (url.pkt_size % kTsPacketBytes != 0) {
    throw UrlError(fmt::format(
        "udp: option 'pkt_size' must be a multiple of 188 (whole TS packets) up to 1316, got {}",
        url.pkt_size));
  }
  url.iface = options.text("iface");
  for (const UrlOption& o : options.all()) {
    if (std::find(extra_options.begin(), extra_options.end(), o.name) != extra_options.end()) {
      url.extra.push_back(o);
    }
  }
  return url;
}

}  // namespace skyclass::net
