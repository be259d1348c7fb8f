#pragma once
// The admin HTTP API of `fcpgw serve` (the /admin routes, admin token only), on the live
// journal: the same operations and JSON as `fcpgw journal --json`, and reload.
//
//   GET  /admin/journal?state=&since=&type=&key=&limit=&after=   list
//   GET  /admin/journal/stats                                    stats
//   GET  /admin/journal/{id}                                     show
//   POST /admin/journal/{id}/retry | replay | skip               act on one message
//   POST /admin/journal/retry-dead                               retry every dead delivery
//   POST /admin/reload                                           mappings and routes
//
// Operations wait for the journal (an action waits for its commit), so they run on a thread
// of their own, never on the listener's.

#include <boost/asio/thread_pool.hpp>
#include <functional>
#include <string>
#include <vector>

#include "gateway/journal/journal.h"
#include "gateway/service/admin.h"

namespace fcpgw::gateway::app {

class AdminApi final : public service::Admin {
 public:
  /// `reload` returns the problems of a refused reload (empty when it took effect); `after_act`
  /// runs after an action changed deliveries (the dispatcher's wake-up).
  AdminApi(journal::Journal& journal, std::function<std::vector<std::string>()> reload,
           std::function<void()> after_act);
  ~AdminApi() override;

  void handle(service::AdminRequest request, service::AnswerHandler done) override;
  /// Finishes what is running and refuses what comes later.
  void stop();

  /// The answer for one request (runs on the caller's thread; public for tests).
  service::Answer answer(const service::AdminRequest& request);

 private:
  journal::Journal& journal_;
  std::function<std::vector<std::string>()> reload_;
  std::function<void()> after_act_;
  boost::asio::thread_pool pool_{1};
};

}  // namespace fcpgw::gateway::app
