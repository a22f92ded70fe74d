#pragma once
// Where the transport stream goes. Playout writes whole 188-byte packets to every sink; a sink
// never throws into playout: a failure is counted and shown in its state, and playout goes on.
// `file:` writes in the caller's thread. `udp://` and `srt://` are uplinks: each has its own
// bounded queue and sender thread, so write() only copies into the queue and never waits on the
// network; a slow or dead uplink drops its own oldest backlog and counts it.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace skyclass::headend {

// One SRT connection of a sink, from srt_bstats once per second (the sender's view). A
// caller's counters add up over its reconnects; a listener has one per connected station.
struct LinkState {
  std::string peer;      // the station's address (listener) or the target's (caller)
  std::string streamid;  // what the station sent (listener) or what we send (caller)
  bool connected = false;
  double rtt_ms = 0;
  double send_rate_mbps = 0;
  std::int64_t packets_sent = 0;           // SRT packets, retransmissions excluded
  std::int64_t packets_lost = 0;           // reported lost by the receiver
  std::int64_t packets_retransmitted = 0;
  std::int64_t packets_dropped = 0;        // too late to send (SRT's own drop)
  std::int64_t send_buffer_ms = 0;
  std::int64_t send_buffer_bytes = 0;
  std::uint64_t bytes = 0;                 // TS bytes handed to this link
  std::uint64_t queue_dropped = 0;         // TS packets dropped from this link's queue
  std::string connected_since_utc;         // ISO 8601, empty when not connected
};
void to_json(nlohmann::json& j, const LinkState& s);

struct SinkState {
  std::string name;       // the --output value, secrets removed (passphrase=***)
  std::string state;      // "open", "failed", "closed"; SRT: "connected", "disconnected",
                          // "listening"
  std::uint64_t bytes = 0;
  std::uint64_t packets_dropped = 0;  // packets the sink could not write (or dropped backlog)
  std::string last_error;
  // SRT only (omitted from the JSON otherwise).
  bool srt = false;
  std::uint64_t connections = 0;  // links established since the sink opened
  std::uint64_t rejected = 0;     // listener: callers refused in the handshake (streamid)
  std::vector<LinkState> links;
};
void to_json(nlohmann::json& j, const SinkState& s);

class Sink {
 public:
  virtual ~Sink() = default;
  // Whole packets only (a multiple of 188 bytes).
  virtual void write(std::span<const std::uint8_t> packets) = 0;
  // Flushes what is buffered and closes; the output then ends on a packet boundary.
  virtual void close() = 0;
  virtual SinkState state() const = 0;
};

// `file:PATH`: the stream is written as it is made (a reader can follow the file, and whatever
// was written survives a crash). An existing file is replaced. A FIFO or character device
// (file:/dev/stdout) is written the same way.
class FileSink final : public Sink {
 public:
  // Throws std::runtime_error naming the file when it cannot be created.
  explicit FileSink(std::string path);
  ~FileSink() override;
  void write(std::span<const std::uint8_t> packets) override;
  void close() override;
  SinkState state() const override { return state_; }

 private:
  std::string path_;
  int fd_ = -1;
  SinkState state_;
};

// Parses an --output value. Throws std::invalid_argument naming the value (or, for a network
// URL, the option) and what was expected for a scheme this build does not know, or a malformed
// value; std::runtime_error when the sink cannot start (a file, a socket, a port in use).
//   file:PATH
//   udp://HOST:PORT[?ttl=N&pkt_size=BYTES&iface=ADDR|NAME&tos=N&queue_ms=MS]
//       unicast or multicast; pkt_size a multiple of 188 up to 1316 (the default: 7 packets).
//   srt://HOST:PORT?mode=caller|listener&latency=MS&passphrase=..|passphrase_file=PATH|
//       passphrase_env=NAME&pbkeylen=16|24|32&streamid=ID&allow=ID,ID&allow_file=PATH&
//       sndbuf=BYTES&maxbw=BYTES_PER_S&oheadbw=PCT&timeout=MS&queue_ms=MS&stats_log=PATH
//       caller (default): reconnects with backoff up to 2 s and resumes at the live point.
//       listener: any number of stations at once; allow/allow_file/streamid make an allow-list
//       checked in the handshake. stats_log appends one JSON line per link per second.
//   queue_ms (50..10000, default 1000): the most backlog an uplink keeps before it drops the
//   oldest (also bounded to that time at 15 Mbit/s).
std::unique_ptr<Sink> open_sink(const std::string& spec);

}  // namespace skyclass::headend
