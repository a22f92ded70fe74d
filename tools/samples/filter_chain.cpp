#include "tools/samples/filter_chain.hpp"

#include <cstring>

#include <fmt/format.h>

namespace skyclass::tools {

void set_option(FilterOptions& options, const char* key, std::string value) {
  for (auto& [existing, old] : options)
    if (std::strcmp(existing, key) == 0) {
      old = std::move(value);
      return;
    }
  options.emplace_back(key, std::move(value));
}

FilterChain::FilterChain(std::filesystem::path file)
    : file_(std::move(file)), graph_(av::make_filter_graph(file_)) {
  graph_->nb_threads = 1;  // deterministic and cheap: clips are generated in parallel instead
}

AVFilterContext* FilterChain::append(const char* filter_name, const FilterOptions& options) {
  const AVFilter* filter = avfilter_get_by_name(filter_name);
  if (!filter)
    throw std::runtime_error(
        fmt::format("{}: this libavfilter has no '{}' filter", file_.string(), filter_name));
  std::string instance = fmt::format("{}{}", filter_name, count_++);
  AVFilterContext* ctx = avfilter_graph_alloc_filter(graph_.get(), filter, instance.c_str());
  if (!ctx) av::throw_error(AVERROR(ENOMEM), fmt::format("creating filter {}", instance), file_);

  av::Dictionary dict;
  for (const auto& [key, value] : options) dict.set(key, value);
  av::check(avfilter_init_dict(ctx, dict.slot()), fmt::format("initialising filter {}", instance),
            file_);
  if (std::string unused = dict.first_unused_key(); !unused.empty())
    throw std::runtime_error(
        fmt::format("{}: filter {} has no option '{}'", file_.string(), instance, unused));

  if (last_)
    av::check(avfilter_link(last_, 0, ctx, 0), fmt::format("linking filter {}", instance), file_);
  last_ = ctx;
  return ctx;
}

FilterOutput FilterChain::finish(const char* sink_name) {
  AVFilterContext* sink = append(sink_name, {});
  av::check(avfilter_graph_config(graph_.get(), nullptr), "configuring the filter graph", file_);
  last_ = nullptr;
  return FilterOutput{std::move(graph_), sink};
}

}  // namespace skyclass::tools
