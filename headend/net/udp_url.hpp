#pragma once
// `udp://HOST:PORT?ttl=&pkt_size=&iface=&tos=`: where a UDP sink sends (unicast or multicast).
// The receive side (`udp://@GROUP:PORT`) is the monitor's own, in tools/tsmon/input.cpp.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "headend/net/url.hpp"

namespace skyclass::net {

struct UdpSendUrl {
  std::string host;
  std::uint16_t port = 0;
  std::optional<int> ttl;        // IP_MULTICAST_TTL for a group, IP_TTL otherwise
  int pkt_size = 1316;           // datagram payload: whole TS packets, at most 7
  std::optional<std::string> iface;  // outgoing interface of a multicast group (name or address)
  std::optional<int> tos;        // IP_TOS byte (DSCP << 2)
  std::vector<UrlOption> extra;  // the caller's own options
  std::string description;
};

// Throws UrlError naming the option.
UdpSendUrl parse_udp_send_url(std::string_view url,
                              std::span<const std::string_view> extra_options = {});

}  // namespace skyclass::net
