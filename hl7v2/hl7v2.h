#pragma once
// Everything of fcpgw_hl7v2 in one include.
#include "hl7v2/ack.h"
#include "hl7v2/builder.h"
#include "hl7v2/delimiters.h"
#include "hl7v2/message.h"
#include "hl7v2/mllp.h"
#include "hl7v2/path.h"
#include "hl7v2/types.h"
