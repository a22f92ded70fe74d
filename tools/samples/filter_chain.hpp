#pragma once
// A linear libavfilter chain built filter by filter. Options go in as key/value pairs through
// avfilter_init_dict, so titles and expressions need no filtergraph-string escaping, and an
// option a filter does not know is an error instead of a silent no-op.
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "tools/samples/av_raii.hpp"

namespace skyclass::tools {

using FilterOptions = std::vector<std::pair<const char*, std::string>>;

// Replaces the value of `key` in `options`, or adds it.
void set_option(FilterOptions& options, const char* key, std::string value);

// The graph and the sink frames are pulled from (the sink belongs to the graph).
struct FilterOutput {
  av::FilterGraphPtr graph;
  AVFilterContext* sink = nullptr;
};

class FilterChain {
 public:
  // `file` only names the clip in error messages.
  explicit FilterChain(std::filesystem::path file);

  // Creates a filter, initialises it with `options` and links it after the previous one.
  AVFilterContext* append(const char* filter_name, const FilterOptions& options);
  // Appends the sink ("buffersink" or "abuffersink"), configures the graph and hands it over.
  FilterOutput finish(const char* sink_name);

  AVFilterGraph* graph() const { return graph_.get(); }
  const std::filesystem::path& file() const { return file_; }

 private:
  std::filesystem::path file_;
  av::FilterGraphPtr graph_;
  AVFilterContext* last_ = nullptr;
  int count_ = 0;
};

}  // namespace skyclass::tools
