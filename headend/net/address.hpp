#pragma once
// Socket addresses for the UDP and SRT inputs and sinks.
#include <cstdint>
#include <string>
#include <string_view>

#include <sys/socket.h>

namespace skyclass::net {

struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;
  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
  int family() const { return storage.ss_family; }
};

// "1.2.3.4:5000" or "[::1]:5000".
std::string address_text(const sockaddr* address);

// An empty host is the IPv4 wildcard; IPv4 results come first. Throws UrlError naming `label`
// and the host.
SocketAddress resolve(std::string_view label, const std::string& host, std::uint16_t port);

bool is_multicast(const SocketAddress& address);

// An interface given by name ("eth0") or by one of its addresses; 0 when there is none.
unsigned interface_index(const std::string& iface);

}  // namespace skyclass::net
