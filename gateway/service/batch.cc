#include "gateway/service/batch.h"

#include <string>

namespace fcpgw::gateway::service {

bool accepted(const Answer& a) {
  if (a.status != 0) return a.status == 202;
  return a.code == "AA" || a.code == "CA";
}

Answer batch_answer(const hl7v2::BatchFile& in, const std::vector<Answer>& answers,
                    std::string_view now, std::string_view control_id, bool over_http) {
  std::vector<std::vector<std::string>> acks(in.batches.size());
  bool all = true;
  bool failed = false;
  std::size_t k = 0;
  for (std::size_t b = 0; b < in.batches.size(); ++b) {
    for (std::size_t i = 0; i < in.batches[b].messages.size() && k < answers.size(); ++i, ++k) {
      const Answer& a = answers[k];
      all = all && accepted(a);
      failed = failed || a.status == 503;
      for (const std::string& ack : a.acks) acks[b].push_back(ack);
    }
  }
  // A trailer whose count disagrees with what arrived means messages were lost on the way: the
  // ones that did arrive are answered as usual, and the batch as a whole is not all taken.
  all = all && hl7v2::count_problems(in).empty();
  Answer out;
  const std::string batch = hl7v2::build_batch_ack(in, acks, now, control_id);
  out.code = all ? "AA" : "AE";
  out.message_type = "BATCH";
  out.control_id = in.batches.empty() || !in.batches.front().header
                       ? (in.file ? in.file->control_id : std::string())
                       : in.batches.front().header->control_id;
  if (over_http) {
    out.status = failed ? 503 : all ? 202 : 200;
    out.content_type = "x-application/hl7-v2+er7";
    out.body = batch;
    if (failed) out.headers.emplace_back("Retry-After", "5");
  } else {
    out.acks.push_back(batch);
  }
  return out;
}

}  // namespace fcpgw::gateway::service
