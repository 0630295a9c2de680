// jet-seam-crash, jet-seam-io-error, jet-seam-backup: the engine seam's generic
// scenarios (seam/scenarios.h) on the JET adapter (jet_under_test.h), the same
// functions the sqlite-crash-*, sqlite-io-error-* and sqlite-backup-* scenarios bind
// to SQLite.
#include "harness/engine/jet_under_test.h"
#include "harness/engine/scenarios.h"

namespace jetharness {

Scenario JetSeamCrashScenario() {
  Scenario s;
  s.name = "jet-seam-crash";
  s.summary = "JET through the engine seam: power loss at every I/O point, four survivor images, soft recovery";
  s.description =
      "The generic crash scenario of the engine seam (the one sqlite-crash-* runs) on the JET adapter: "
      "a seeded single-session workload (inserts, replaces, deletes, lazy commits, rollbacks, long "
      "values in odd cases, one transaction left open) runs once, recorded, through EngineUnderTest; "
      "before every I/O operation the disk is snapshotted with the model's window. Each of four "
      "survivor images is reopened (JetInit: soft recovery), read back with the driver's physical "
      "checks and must equal a prefix of the commits holding every durable one; a clean JetTerm and "
      "JetInit must then show the same content. crash-workload checks more of JET (sessions, probes, "
      "savepoints, small caches); this checks the seam on an engine whose results are known.";
  s.default_cases = 2;  // an even case and an odd one (long values: the log rolls over, checkpoints run mid-workload)
  s.run = [](CaseContext& ctx) { RunSeamCrash(ctx, MakeJetSeamEnv(ctx)); };
  return s;
}

Scenario JetSeamIoErrorScenario() {
  Scenario s;
  s.name = "jet-seam-io-error";
  s.summary = "JET through the engine seam: EIO and ENOSPC at every I/O point, then power loss";
  s.description =
      "The generic I/O-error scenario of the engine seam (the one sqlite-io-error-* runs) on the JET "
      "adapter: EIO (a failed sync also loses its dirty data) and ENOSPC on every I/O operation of a "
      "seeded single-session workload. The failing call's code must be one the error map allows for "
      "the fault, the file it hit and the call's phase (the same table io-error checks); whatever it "
      "returned, the disk a power failure then leaves (unsynced writes dropped, or kept) must recover "
      "to a prefix holding every durable commit.";
  s.default_cases = 2;  // an even case and an odd one (long values: the log rolls over, checkpoints run mid-workload)
  s.run = [](CaseContext& ctx) { RunSeamIoError(ctx, MakeJetSeamEnv(ctx)); };
  return s;
}

Scenario JetSeamBackupScenario() {
  Scenario s;
  s.name = "jet-seam-backup";
  s.summary =
      "JET through the engine seam: power loss at every I/O point of JetBackupInstance and of JetRestoreInstance";
  s.description =
      "The generic backup scenario of the engine seam (the one sqlite-backup-* runs) on the JET adapter, "
      "circular logging on (so a restore stops at the backup moment): half of a seeded single-session "
      "workload, a full JetBackupInstance, the other half (commits the backup must not hold), a clean "
      "JetTerm. Power fails before every I/O operation of the backup and after it returned, four "
      "survivor images each: JetRestoreInstance on the image must refuse an incomplete set (the store then "
      "recovers within the workload's window) or give exactly the commits made before the backup was "
      "called, and after the backup returned only the latter. Then power fails before every I/O "
      "operation of a restore and after it returned: the interrupted restore, run again, must give "
      "exactly the backup, and a returned one must survive. crash-restore and backup-chain check more of "
      "JET's restore (roll forward, incremental sets, nested crashes).";
  s.default_cases = 1;
  s.run = [](CaseContext& ctx) { RunSeamBackup(ctx, MakeJetSeamBackupEnv(ctx)); };
  return s;
}

}  // namespace jetharness
