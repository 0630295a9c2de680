// fuzz/mutators/restore_mutator.h — restore_fuzzer's custom mutator: mutates the
// script (fuzz/restore/script.h) so that its edits land inside the backup set's and the
// log path's structures and are re-sealed, and the restore gets past verification to
// the copy, the replay and the checks after it.
//
// The mutator replays the script's edits on a clone of the scenario's files to see what
// the restore will see, then, of every 100 calls:
//   15 libFuzzer's byte-level mutation of the whole script;
//   15 a change to the script itself: an existing raw edit re-sealed, an edit
//      dropped, szDest toggled, the fault plan dropped or mutated by libFuzzer;
//   70 one new re-sealed edit (the oldest edit dropped first when there are already 7):
//      a log record's payload bytes (52) or type (6), in the set's logs or the log
//      path's; a segment header field (8); a log header field (3); a database page of
//      the set's copy — node bytes (55%), a header field (35%: links, dbtime, objid and
//      flags twice as often as the layout counts), a tag (10%) — (20); the copy's
//      database header (5); the manifest (2); the checkpoint (3); a log cut at a
//      segment boundary (1). One in 33 of these edits is left unsealed.
// Offsets come from the files' layout, which does not depend on the run (only
// signatures and timestamps do), and re-sealing happens when the target applies the
// edit, so the inputs it makes mean the same in every process.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "faultfs/mem_fs.h"
#include "mutators/mutation.h"

namespace jetfault::fuzz {

struct RestoreMutatorContext {
  const faultfs::MemFs* base = nullptr;  // the scenario's files, before any edit
  std::string backup_dir;
  std::string log_dir;
  std::uint32_t page_size = 4096;
};

std::size_t MutateRestoreScript(std::uint8_t* data, std::size_t size, std::size_t max_size, std::uint64_t seed,
                                const RestoreMutatorContext& context, const ByteMutator& fallback,
                                MutationKind* kind = nullptr);

}  // namespace jetfault::fuzz
