#pragma once
// Where skyclass-tsmon reads a transport stream from: a file, `-` (stdin), `udp://@GROUP:PORT`
// (multicast join or unicast) and `srt://HOST:PORT?mode=caller|listener&...` through libsrt.
// A file is read as fast as it can be; the network inputs are live and stamp each chunk with
// its arrival time on the monotonic clock.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

namespace skyclass::tsmon {

// A specification that cannot be opened: the message names the option or the address and what
// was expected.
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// From srt_bstats, for an SRT input; the receiving side's view of the link. The packet counters
// add up over every link since the input opened (a caller reconnects, a listener accepts the
// next caller).
struct LinkStats {
  double rtt_ms = 0;
  double receive_rate_mbps = 0;
  std::int64_t packets_received = 0;
  std::int64_t packets_lost = 0;           // detected as lost (before retransmission)
  std::int64_t packets_retransmitted = 0;  // retransmitted packets received
  std::int64_t packets_dropped = 0;        // too late to play, dropped by the receiver
  std::int64_t receive_buffer_ms = 0;
  std::int64_t receive_buffer_bytes = 0;
  bool connected = false;
  std::string peer;              // the caller's address (listener) or the listener's (caller)
  std::int64_t connections = 0;  // links established since the input opened (reconnects add)
  std::string last_error;        // why the last link broke or the last connect failed
};

struct Chunk {
  std::size_t size = 0;                    // bytes written into the caller's buffer
  std::optional<std::int64_t> arrival_ns;  // monotonic clock; live inputs only
  bool end = false;                        // end of input (file end, or the peer closed for good)
};

class Input {
 public:
  virtual ~Input() = default;
  // Fills `buffer` with what is there, waiting at most `timeout_ms` on a live input (a chunk of
  // size 0 and end == false means nothing arrived in time). Throws InputError on a read error.
  virtual Chunk read(std::span<std::uint8_t> buffer, int timeout_ms) = 0;
  virtual bool live() const = 0;
  // SRT only: the link statistics now.
  virtual std::optional<LinkStats> link_stats() { return std::nullopt; }
  // The specification without secrets (an SRT passphrase is never shown).
  virtual std::string describe() const = 0;
};

// Opens `spec`. Throws InputError naming the problem.
//   PATH, file:PATH, -      read() returns what one read(2) gives; end at end of file.
//   udp://@GROUP:PORT, udp://@:PORT, udp://@ADDR:PORT, udp://@[IPV6]:PORT
//       options iface=ADDR|NAME (the join), buffer=BYTES (SO_RCVBUF, 4 MiB), reuse=1
//       (SO_REUSEPORT). A chunk holds whole datagrams; a live read needs a buffer that holds
//       the largest datagram.
//   srt://HOST:PORT?mode=caller|listener (caller by default; a listener's HOST may be empty)
//       options latency=MS, passphrase=, passphrase_file=PATH (first line),
//       passphrase_env=NAME, pbkeylen=16|24|32, streamid= (a listener accepts only that one),
//       rcvbuf=BYTES, timeout=MS (connect). Values may be %-encoded. A listener takes one
//       caller at a time, then the next; a caller reconnects (backoff up to 2 s) and never
//       ends. A live read needs a buffer of at least 1456 bytes (an SRT payload).
std::unique_ptr<Input> open_input(std::string_view spec);

std::int64_t monotonic_now_ns();

}  // namespace skyclass::tsmon
