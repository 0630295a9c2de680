// jet-seam-crash, jet-seam-io-error: the engine seam's generic scenarios
// (seam/scenarios.h) on the JET adapter (jet_under_test.h), the same functions the
// sqlite-crash-* and sqlite-io-error-* scenarios bind to SQLite.
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

}  // namespace jetharness
