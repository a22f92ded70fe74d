// skyclass-bench-udpsend: plays one transport stream file to N loopback UDP ports at once, each
// paced at a constant rate (7 packets per datagram), for `tools/bench tsmon`'s live part.
//   skyclass-bench-udpsend FILE --port-base 15000 --streams 20 --rate 2500000 --seconds 10
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <fmt/format.h>

namespace {

std::int64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1'000'000'000LL + ts.tv_nsec;
}

void sleep_until(std::int64_t ns) {
  timespec ts{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
  clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr);
}

int usage(const char* error) {
  std::fprintf(stderr, "skyclass-bench-udpsend: %s\nusage: skyclass-bench-udpsend FILE "
               "[--port-base P] [--streams N] [--rate BPS] [--seconds S]\n", error);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage("no FILE");
  std::string file = argv[1];
  int port_base = 15000, streams = 20;
  double rate_bps = 2'500'000, seconds = 10;
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string option = argv[i];
    const char* value = argv[i + 1];
    if (option == "--port-base") port_base = std::stoi(value);
    else if (option == "--streams") streams = std::stoi(value);
    else if (option == "--rate") rate_bps = std::stod(value);
    else if (option == "--seconds") seconds = std::stod(value);
    else return usage(fmt::format("unknown option {}", option).c_str());
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) return usage(fmt::format("cannot open {}", file).c_str());
  const std::vector<char> ts((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  constexpr std::size_t kDatagram = 7 * 188;
  if (ts.size() < kDatagram) return usage("file shorter than one datagram");
  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) return usage("socket failed");
  std::vector<sockaddr_in> to(static_cast<std::size_t>(streams));
  for (int s = 0; s < streams; ++s) {
    to[s].sin_family = AF_INET;
    to[s].sin_port = htons(static_cast<std::uint16_t>(port_base + s));
    to[s].sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  }
  const double datagram_ns = kDatagram * 8 / rate_bps * 1e9;
  const auto total = static_cast<std::int64_t>(seconds * 1e9 / datagram_ns);
  const std::int64_t start = now_ns();
  std::size_t offset = 0;
  std::int64_t sent = 0, failed = 0;
  for (std::int64_t k = 0; k < total; ++k) {
    sleep_until(start + static_cast<std::int64_t>(static_cast<double>(k) * datagram_ns));
    if (offset + kDatagram > ts.size()) offset = 0;  // loop (a continuity error per stream)
    for (int s = 0; s < streams; ++s) {
      if (sendto(fd, ts.data() + offset, kDatagram, 0, reinterpret_cast<sockaddr*>(&to[s]),
                 sizeof(to[s])) == static_cast<ssize_t>(kDatagram)) {
        ++sent;
      } else {
        ++failed;
      }
    }
    offset += kDatagram;
  }
  close(fd);
  std::fprintf(stderr, "skyclass-bench-udpsend: %lld datagrams sent, %lld failed, %.1f s\n",
               static_cast<long long>(sent), static_cast<long long>(failed),
               static_cast<double>(now_ns() - start) / 1e9);
  return failed == 0 ? 0 : 1;
}
