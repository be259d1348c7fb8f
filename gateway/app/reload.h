#pragma once
// What `fcpgw serve` builds from a configuration and can build again while it runs: the
// mappings, the routes, and from them the accept stage and the translate stage. A reload
// (SIGHUP, POST /admin/reload) reads the same file and --set overrides again, builds the new
// set and checks it first; only a set without errors replaces the running one, so a broken
// mapping file leaves the old set working.

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "gateway/config/config.h"
#include "gateway/service/accept.h"
#include "gateway/service/translate.h"

namespace fcpgw::gateway::app {

class JournaledIntake;

/// The stages built from one configuration.
struct Stages {
  std::shared_ptr<const service::Acceptor> acceptor;
  std::shared_ptr<const service::Translator> translator;
};

/// Builds the stages of `config`: loads the mappings and checks the routes against them.
/// nullopt with one line per problem; `environment` tells a missing mappings folder (exit 3)
/// from a mistake in the files (exit 2).
std::optional<Stages> build_stages(const Config& config, std::vector<std::string>& problems,
                                   bool* environment = nullptr);

class Reloader {
 public:
  /// `apply` installs new stages (the intake's acceptor, the dispatcher's translator).
  Reloader(const Config& started, std::function<void(const Stages&)> apply);

  /// Reloads; one at a time. Returns the problems (empty on success), which are also logged.
  std::vector<std::string> reload();

 private:
  std::mutex mutex_;
  config::Delivery destinations_;  // as started: destinations do not change without a restart
  std::string file_;
  std::vector<std::string> sets_;
  std::function<void(const Stages&)> apply_;
};

}  // namespace fcpgw::gateway::app
