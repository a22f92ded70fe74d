#pragma once
// The seam between the CBR multiplexer (which owns packet slots and the PCR clock) and the
// PSI/SI generator (which owns table content and repetition). Neither side knows the other.
#include <cstdint>
#include <optional>
#include <span>

namespace skyclass::mux {

// One complete PSI/SI section (header .. CRC32) to be packetised on a PID.
struct SectionOnPid {
  std::uint16_t pid = 0;
  std::span<const std::uint8_t> section;  // valid until the next call on the source
};

class SiSource {
 public:
  virtual ~SiSource() = default;

  // Asked by the multiplexer when a packet slot is free for SI. `now_27mhz` is the PCR-clock time
  // of that slot (27 MHz ticks since the multiplex started). Returns the most urgent section due
  // at or before `now_27mhz`, or nothing.
  virtual std::optional<SectionOnPid> next_due(std::uint64_t now_27mhz) = 0;

  // Upper bound of the SI bit rate this source will ever ask for, including TS overhead.
  // The multiplexer adds it to the ES rates to refuse a muxrate that cannot carry everything.
  virtual std::uint64_t max_bitrate_bps() const = 0;
};

}  // namespace skyclass::mux
