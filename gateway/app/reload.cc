#include "gateway/app/reload.h"

#include <chrono>

#include "gateway/observability/log.h"
#include "gateway/service/limits.h"
#include "gateway/service/mapping_files.h"
#include "gateway/service/router.h"

namespace fcpgw::gateway::app {

namespace obs = observability;

std::optional<Stages> build_stages(const Config& config, std::vector<std::string>& problems,
                                   bool* environment) {
  auto engine = service::load_engine(config);
  if (!engine) {
    problems = engine.error().lines;
    if (environment != nullptr) *environment = engine.error().environment;
    return std::nullopt;
  }
  auto shared = std::make_shared<const mappings::Engine>(std::move(*engine));
  for (const std::string& p : service::check_routes(config.delivery, *shared)) {
    problems.push_back(config.source() + ": " + p);
  }
  if (!problems.empty()) return std::nullopt;
  const service::AcceptLimits limits{service::v2_limits(config), service::fhir_limits(config)};
  Stages s;
  s.acceptor = std::make_shared<const service::Acceptor>(
      shared, limits, std::make_shared<const service::Router>(config.delivery));
  s.translator = std::make_shared<const service::Translator>(shared, limits);
  return s;
}

Reloader::Reloader(const Config& started, std::function<void(const Stages&)> apply)
    : destinations_(started.delivery),
      file_(started.file()),
      sets_(started.sets()),
      apply_(std::move(apply)) {}

std::vector<std::string> Reloader::reload() {
  std::lock_guard lock(mutex_);
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::string> problems;
  auto config = Config::load(file_, sets_);
  if (!config) {
    for (const ConfigError& e : config.error()) problems.push_back(to_string(e));
  } else if (config->delivery.destinations != destinations_.destinations) {
    problems.push_back(config->source() +
                       ": destinations changed; they take effect at the next start, not on "
                       "reload (routes and mappings do)");
  } else if (auto stages = build_stages(*config, problems)) {
    apply_(*stages);
  }
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - start)
                      .count();
  if (problems.empty()) {
    obs::log(obs::Level::info, "serve.reloaded", {{"ms", ms}});
  } else {
    for (const std::string& p : problems) {
      obs::log(obs::Level::error, "serve.reload_refused", {{"problem", p}});
    }
  }
  return problems;
}

}  // namespace fcpgw::gateway::app
