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
  // Valid until the next next_due call: the multiplexer packetises it from there, without a
  // copy, and calls next_due again only once the whole section is out.
  std::span<const std::uint8_t> section;
};

class SiSource {
 public:
  virtual ~SiSource() = default;

  // Asked by the multiplexer when a packet slot is free for SI. `now_27mhz` is the PCR-clock time
  // of that slot (27 MHz ticks since the multiplex started). Returns the most urgent section due
  // at or before `now_27mhz`, or nothing.
  virtual std::optional<SectionOnPid> next_due(std::uint64_t now_27mhz) = 0;

  // A time (same clock as next_due) before which next_due would return nothing and change
  // nothing, as far as the source knows now. The multiplexer asks next_due only from then on, so
  // a source whose content can change from outside must return a time no later than the change
  // should take effect. 0 (the default): ask at every free slot.
  virtual std::uint64_t quiet_until_27mhz() const { return 0; }

  // Called when the last packet of the section from the previous next_due has been written:
  // `end_27mhz` (same clock) is the end of that packet. The section's packets may have been
  // interleaved with PCR packets, so its last byte can leave later than its size alone says;
  // a source that keeps a minimum gap after a section's last byte (EN 300 468 5.1.4: 25 ms)
  // times the gap from here.
  virtual void section_sent(std::uint64_t end_27mhz) { (void)end_27mhz; }

  // Upper bound of the SI bit rate this source will ever ask for, including TS overhead.
  // The multiplexer adds it to the ES rates to refuse a muxrate that cannot carry everything.
  virtual std::uint64_t max_bitrate_bps() const = 0;
};

}  // namespace skyclass::mux
