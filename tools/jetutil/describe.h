// tools/jetutil/describe.h — the on-disk structs as JSON documents, for `dump` (and
// `check`). The text output is rendered from the same document (RenderText), so the
// two forms cannot drift apart.
#pragma once

#include <string>

#include "cli.h"
#include "format/checkpoint.h"
#include "format/db_header.h"
#include "format/lgpos.h"
#include "format/log_attach.h"
#include "format/log_header.h"
#include "format/signature.h"

namespace jetutil {

// "2026-11-25 12:04:05.000" (LOGTIME is UTC when its fUTC bit is set).
std::string DescribeLogTime(const jet::format::LogTime& time);
Json DescribeSignature(const jet::format::Signature& signature);
std::string DescribeLgpos(const jet::format::Lgpos& lgpos);
Json DescribeAttachList(const std::vector<jet::format::AttachInfo>& list);

Json DescribeDbHeader(const jet::format::DbHeader& header);
Json DescribeLogFileHeader(const jet::format::LogFileHeader& header);
Json DescribeCheckpoint(const jet::format::Checkpoint& checkpoint);

// "key: value" lines, nested objects indented by two spaces, arrays as "- " items.
std::string RenderText(const Json& json);

}  // namespace jetutil
