// fuzz/restore/judge.h — what restore_fuzzer asks of a restore that succeeded.
//
// The checks are the ones the harness and the engine already have, reused, not copied:
//   * jet::backup::VerifyDatabaseLinks (backup/page_links.h, `jetutil check`): every
//     page of the file passes its checksum for its page number, and the B-tree sibling
//     links hold;
//   * jetharness::ReadAllDatabases (harness/engine/driver.h), after soft recovery
//     (JetInit): the table in the backup exists, every table's forward scan is strictly
//     ascending, the backward scan is its exact reverse, every record is found by a seek
//     on its key with the same value, and no scan runs away; then a clean JetTerm.
#pragma once

#include <string>

#include "faultfs/mem_fs.h"
#include "harness/core/model.h"
#include "harness/engine/layout.h"

namespace jetfault::fuzz {

struct RestoredContent {
  std::string problem;         // empty when every check passed
  jetharness::DbState tables;  // the logical content read back
};

// Judges the database restored into `fs` (plain MemFs, no faults) with `settings` (the
// restore's instance settings; layout.db_dir is where the database landed).
RestoredContent JudgeRestoredDatabase(faultfs::MemFs& fs, const jetharness::InstanceSettings& settings);

}  // namespace jetfault::fuzz
