#include "headend/net/address.hpp"

#include <cstring>

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>

#include <fmt/format.h>

#include "headend/net/url.hpp"

namespace skyclass::net {

std::string address_text(const sockaddr* address) {
  char host[INET6_ADDRSTRLEN] = {};
  if (address->sa_family == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(address);
    inet_ntop(AF_INET6, &v6->sin6_addr, host, sizeof host);
    return fmt::format("[{}]:{}", host, ntohs(v6->sin6_port));
  }
  const auto* v4 = reinterpret_cast<const sockaddr_in*>(address);
  inet_ntop(AF_INET, &v4->sin_addr, host, sizeof host);
  return fmt::format("{}:{}", host, ntohs(v4->sin_port));
}

SocketAddress resolve(std::string_view label, const std::string& host, std::uint16_t port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string port_text = std::to_string(port);
  const int rc =
      getaddrinfo(host.empty() ? "0.0.0.0" : host.c_str(), port_text.c_str(), &hints, &found);
  if (rc != 0) {
    throw UrlError(fmt::format("{}: cannot resolve '{}': {}", label, host, gai_strerror(rc)));
  }
  const addrinfo* chosen = found;
  for (const addrinfo* a = found; a != nullptr; a = a->ai_next) {
    if (a->ai_family == AF_INET) {
      chosen = a;
      break;
    }
  }
  SocketAddress address;
  std::memcpy(&address.storage, chosen->ai_addr, chosen->ai_addrlen);
  address.length = chosen->ai_addrlen;
  freeaddrinfo(found);
  return address;
}

bool is_multicast(const SocketAddress& address) {
  if (address.family() == AF_INET6) {
    return IN6_IS_ADDR_MULTICAST(&reinterpret_cast<const sockaddr_in6*>(address.get())->sin6_addr);
  }
  return IN_MULTICAST(ntohl(reinterpret_cast<const sockaddr_in*>(address.get())->sin_addr.s_addr));
}

unsigned interface_index(const std::string& iface) {
  if (const unsigned index = if_nametoindex(iface.c_str()); index != 0) return index;
  in6_addr v6{};
  in_addr v4{};
  const bool is_v6 = inet_pton(AF_INET6, iface.c_str(), &v6) == 1;
  const bool is_v4 = inet_pton(AF_INET, iface.c_str(), &v4) == 1;
  ifaddrs* list = nullptr;
  if ((!is_v6 && !is_v4) || getifaddrs(&list) != 0) return 0;
  unsigned index = 0;
  for (const ifaddrs* a = list; a != nullptr && index == 0; a = a->ifa_next) {
    if (a->ifa_addr == nullptr) continue;
    if (is_v6 && a->ifa_addr->sa_family == AF_INET6 &&
        std::memcmp(&reinterpret_cast<const sockaddr_in6*>(a->ifa_addr)->sin6_addr, &v6,
                    sizeof v6) == 0) {
      index = if_nametoindex(a->ifa_name);
    }
    if (is_v4 && a->ifa_addr->sa_family == AF_INET &&
        reinterpret_cast<const sockaddr_in*>(a->ifa_addr)->sin_addr.s_addr == v4.s_addr) {
      index = if_nametoindex(a->ifa_name);
    }
  }
  freeifaddrs(list);
  return index;
}

}  // namespace skyclass::net
