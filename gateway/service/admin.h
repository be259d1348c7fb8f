#pragma once
// The operators' API behind the HTTP listener's /admin routes (admin token only): the journal
// operations of `fcpgw journal` and a reload of mappings and routes. The listener hands the
// request over as it came; app/ implements it on the live journal.

#include <string>

#include "gateway/service/intake.h"

namespace fcpgw::gateway::service {

struct AdminRequest {
  std::string method;  ///< "GET" or "POST"
  std::string path;    ///< below /admin/: "journal", "journal/12/retry", "reload"
  std::string query;   ///< after '?', undecoded ("state=dead&limit=10")
};

class Admin {
 public:
  virtual ~Admin() = default;
  /// Answers one request (JSON body); `done` runs once, on any thread.
  virtual void handle(AdminRequest request, AnswerHandler done) = 0;
};

}  // namespace fcpgw::gateway::service
