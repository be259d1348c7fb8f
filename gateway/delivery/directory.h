#pragma once
// The directory destination: one file per delivery, written atomically (a temporary file in
// the same folder, fsync, rename, fsync of the folder), so that a reader never sees half a
// file and a file that is there survives a crash. Names start with the delivery id, zero-padded,
// so that a listing sorts in the order the messages were received; a retry after a crash writes
// the same name again (idempotent).

#include <memory>
#include <string>

#include "gateway/delivery/destination.h"

namespace fcpgw::gateway::delivery {

/// "000000000042-SIU_S12-MSG00001.json": delivery id, message type and control id (only
/// letters, digits, '.', '-' and '_' kept; bounded), and the extension of the content type.
std::string delivery_file_name(const Payload& payload);

/// The folder is created when missing; nullptr and `error` when it cannot be.
std::unique_ptr<Destination> make_directory_destination(const config::Destination& config,
                                                        std::string& error);

}  // namespace fcpgw::gateway::delivery
