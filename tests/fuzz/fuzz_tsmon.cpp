// Arbitrary bytes into the TR 101 290 analyser of skyclass-tsmon, in chunks whose sizes come from
// the input, once as a file and once as a live input: it must count, never crash, read out of
// bounds, hang or leak, and the JSON summary must build.
#include <cstddef>
#include <cstdint>
#include <span>

#include "tools/tsmon/analyzer.hpp"
#include "tools/tsmon/report.hpp"

using namespace skyclass::tsmon;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  // The first byte picks the chunk size (1..256 bytes, or whole packets); the rest is the stream.
  const std::size_t chunk = data[0] == 0 ? 188 * 7 : data[0];
  std::span<const std::uint8_t> stream(data + 1, size - 1);
  for (bool live : {false, true}) {
    AnalyzerOptions options;
    options.max_events_kept = 64;
    Analyzer analyzer(options);
    std::int64_t arrival_ns = 0;
    for (std::size_t at = 0; at < stream.size(); at += chunk) {
      const auto part = stream.subspan(at, std::min(chunk, stream.size() - at));
      if (live) {
        arrival_ns += 1'000'000;
        analyzer.feed(part, arrival_ns);
      } else {
        analyzer.feed(part);
      }
    }
    analyzer.finish();
    (void)summary_json(analyzer, ReportContext{"fuzz", live, std::nullopt}).dump();
  }
  return 0;
}
