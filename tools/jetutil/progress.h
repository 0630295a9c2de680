// tools/jetutil/progress.h — shows JET_PFNSTATUS progress (backup, restore) on stderr:
// one redrawn bar when stderr is a terminal; otherwise a few plain lines (begin, each
// 10% step or the figure after 5 s without a line, complete), so logs see
// "restore: 40%" lines, never carriage returns or one line per percent.
#pragma once

#include "jet/jet.h"

namespace jetutil {

// The callback to pass to JetRestoreInstance / JetBackupInstance. It keeps its state
// in one process-wide display: jetutil runs one operation at a time.
JET_ERR ShowProgress(JET_SESID sesid, JET_SNP snp, JET_SNT snt, void* pv);

}  // namespace jetutil
