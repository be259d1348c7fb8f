#pragma once
// The answer to an HL7 batch (FHS/BHS … BTS/FTS) from the answers to its messages, each
// decided and journaled as if it had come alone. v2.5.1 section 2.10.3.3: a batch is
// acknowledged by a batch, BHS-12 naming the batch it answers; every message keeps its own
// acknowledgement rules (MSH-15/16), so a batch of messages that ask for none is answered by
// an empty batch, which says that all were accepted.

#include <string_view>
#include <vector>

#include "gateway/service/intake.h"
#include "hl7v2/batch.h"

namespace fcpgw::gateway::service {

/// Whether a message's answer says it was accepted (AA, CA, or HTTP 202).
bool accepted(const Answer& a);

/// The answer to `in`, whose messages (batch by batch, in order) got `answers`. MLLP: the
/// batch ACK as one message (one frame). HTTP (`over_http`): the batch ACK as the body, status
/// 202 when every message was accepted, 200 when some were not (the ACKs say which), 503 with
/// Retry-After when the journal could not take the batch. `code` is AA when every message was
/// accepted, else AE (for logs and metrics; the ACKs inside say more).
Answer batch_answer(const hl7v2::BatchFile& in, const std::vector<Answer>& answers,
                    std::string_view now, std::string_view control_id, bool over_http);

}  // namespace fcpgw::gateway::service
