#pragma once
// Where the transport stream goes. Playout writes whole 188-byte packets to every sink; a sink
// never throws into playout: a failure is counted and shown in its state, and playout goes on.
// `file:` is here; UDP and SRT sinks implement the same interface.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace skyclass::headend {

struct SinkState {
  std::string name;       // the --output value, secrets removed
  std::string state;      // "open", "failed", "closed"
  std::uint64_t bytes = 0;
  std::uint64_t packets_dropped = 0;  // packets the sink could not write
  std::string last_error;
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

// Parses an --output value. Throws std::invalid_argument naming the value and what was expected
// for a scheme this build does not know, or a malformed value.
std::unique_ptr<Sink> open_sink(const std::string& spec);

}  // namespace skyclass::headend
