#pragma once
// The translate stage: an accepted message, read back from the journal, translated for one
// destination by the loaded mappings. Pure: no I/O; the caller passes the time. Safe to call
// from many threads at once.

#include <memory>
#include <string>
#include <string_view>

#include "gateway/service/accept.h"

namespace fcpgw::gateway::service {

struct TranslateRequest {
  std::string_view raw;           ///< the message as received
  std::string_view content_type;  ///< "er7" or "fhir-json"
  std::string_view mapping;       ///< the route's mapping; "" = the one that takes the type
  bool message_bundle = false;    ///< v2 -> FHIR: a message Bundle instead of a transaction
  std::string_view message_time;  ///< FHIR -> v2: the time for MSH-7 (FHIR instant)
};

struct Translated {
  bool ok = false;
  std::string output;        ///< the translation (FHIR JSON, ER7)
  std::string content_type;  ///< "fhir-json" or "er7"
  std::string mapping;       ///< the mapping that ran
  /// When not ok: why, without patient data ("PID-3[1].1: ... (v2-to-fhir/siu.json: ...)").
  std::string problem;
};

class Translator {
 public:
  Translator(std::shared_ptr<const mappings::Engine> engine, AcceptLimits limits);
  [[nodiscard]] Translated translate(const TranslateRequest& request) const;
  [[nodiscard]] const mappings::Engine& engine() const noexcept { return *engine_; }

 private:
  std::shared_ptr<const mappings::Engine> engine_;
  AcceptLimits limits_;
};

}  // namespace fcpgw::gateway::service
