// tools/jetutil/progress.h — shows JET_PFNSTATUS progress (backup, restore) on stderr:
// a redrawn bar when stderr is a terminal, one plain line per change otherwise (so
// logs and tests see "restore: 40%" lines, not carriage returns).
#pragma once

#include "jet/jet.h"

namespace jetutil {

// The callback to pass to JetRestoreInstance / JetBackupInstance. It keeps its state
// in one process-wide display: jetutil runs one operation at a time.
JET_ERR ShowProgress(JET_SESID sesid, JET_SNP snp, JET_SNT snt, void* pv);

}  // namespace jetutil
