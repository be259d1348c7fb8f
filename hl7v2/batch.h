#pragma once
// The HL7 batch protocol (v2.5.1 section 2.10.3): a file (FHS … FTS) of batches (BHS … BTS) of
// messages, cut into its messages without parsing them, and the batch that acknowledges it.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hl7v2/delimiters.h"

namespace fcpgw::hl7v2 {

/// An FHS or BHS as read (fields raw, in the envelope's own delimiters). The two segments have
/// the same layout: -3/-4 sending application/facility, -5/-6 receiving, -7 date/time,
/// -11 control id, -12 the control id of the batch or file this one answers.
struct BatchHeader {
  Delimiters delimiters;
  std::string sending_application;
  std::string sending_facility;
  std::string receiving_application;
  std::string receiving_facility;
  std::string control_id;  ///< FHS-11 / BHS-11
};

/// One batch: its header (none for messages directly inside a file), its messages as they are
/// in the input (segment terminators kept), and BTS-1 as sent.
struct Batch {
  std::optional<BatchHeader> header;
  std::vector<std::string_view> messages;
  std::optional<std::string> trailer_count;  ///< BTS-1; nullopt when there is no BTS
};

/// A whole batch transmission. Lines that belong to no message (other than the envelope
/// segments and blank lines) are kept as a message of their own, so that they are answered
/// and never dropped unseen.
struct BatchFile {
  std::optional<BatchHeader> file;  ///< FHS
  std::vector<Batch> batches;
  std::optional<std::string> trailer_count;  ///< FTS-1 (batches); nullopt when there is no FTS
};

/// What is wrong with a trailer's count (BTS-1 of messages, FTS-1 of batches) against what
/// arrived: empty when it is absent, empty or right; else a sentence for the answer's comment
/// (BTS-2, FTS-2) and the log, naming the field and both numbers (never the value when it is
/// not a number). A count that differs means messages were lost on the way, or a sender's bug.
[[nodiscard]] std::string trailer_count_problem(std::string_view field,
                                                const std::optional<std::string>& sent,
                                                std::size_t received);

/// True when the first non-blank line of `bytes` is an FHS or BHS segment.
[[nodiscard]] bool is_batch(std::string_view bytes) noexcept;

/// Cuts `bytes` (which is_batch() accepts) into its batches and messages. Segments may end in
/// CR, LF or CRLF. The views point into `bytes`.
[[nodiscard]] BatchFile split_batch(std::string_view bytes);

/// Every trailer_count_problem of `in`, joined with "; ": each BTS-1 against its batch's
/// messages, FTS-1 against the batches that had a BHS (none to check when the file holds its
/// messages directly). Empty when all agree.
[[nodiscard]] std::string count_problems(const BatchFile& in);

/// The batch that acknowledges `in` (v2.5.1 2.10.3.3): an FHS when `in` had one, then per
/// input batch a BHS (-3/-4 and -5/-6 swapped, -7 `timestamp`, -11 `control_id` with the
/// batch's number, -12 the acknowledged BHS-11), its ACK messages and a BTS whose BTS-1 counts
/// them; an FTS counting the batches. A BTS-1 or FTS-1 of `in` that does not match what
/// arrived is answered in BTS-2 / FTS-2 (trailer_count_problem). `acks[i]` holds the ACKs for batch i, each an ER7
/// message whose segments end in CR. Written in the input's delimiters.
[[nodiscard]] std::string build_batch_ack(const BatchFile& in,
                                          const std::vector<std::vector<std::string>>& acks,
                                          std::string_view timestamp, std::string_view control_id);

}  // namespace fcpgw::hl7v2
