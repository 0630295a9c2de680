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
// A set forged by re-sealed edits (restore/script.h) can describe any database — a log
// record whose CRC holds may insert a key out of order — so of a restore from one only
// what restore itself promises is required: the first check (pages and links, which
// restore verified before it said success). The database is still opened and read back
// in full (a crash or sanitizer report there is a finding), but what the reads find is
// not judged.
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
// forged: the set had re-sealed edits (see above).
RestoredContent JudgeRestoredDatabase(faultfs::MemFs& fs, const jetharness::InstanceSettings& settings,
                                      bool forged = false);

}  // namespace jetfault::fuzz
