// fuzz/mutators/log_stream_mutator.h — log_stream_fuzzer's custom mutator: mutates a
// whole log file (edb.log) inside its format.
//
// Of every 100 calls, about 20 (and every call on a file whose header does not decode
// and is not repaired) are libFuzzer's byte-level mutation of the whole file; the others
// parse the file (fuzz/log_image.h) and make one change:
//   record payload bytes, changed in place (35), or a record's type (5), CRC and the
//     checksums of the segments holding it re-sealed;
//   the record sequence re-framed (20): a record deleted, duplicated, swapped with the
//     next, resized, or a new one inserted; the file rebuilt as LogWriter frames it;
//   a segment header field (12): logtime, lgposDurable (another record's position, one
//     past the end, or a mutated value), ibEnd, flags — the segment re-sealed;
//   a shadow (5): the last data segment copied into the next slot as its shadow,
//     sometimes with the original then torn, so the reader's repair runs;
//   a header field (10): generation, csecLGFile, page size, times, signature, flags,
//     lgposPrevGenEnd, attach list — the header re-sealed;
//   damage (8): a segment zeroed or overwritten without re-sealing, or the file cut.
// The result is at most max_size bytes.
#pragma once

#include <cstddef>
#include <cstdint>

#include "mutators/mutation.h"

namespace jetfault::fuzz {

std::size_t MutateLogFile(std::uint8_t* data, std::size_t size, std::size_t max_size, std::uint64_t seed,
                          const ByteMutator& fallback, MutationKind* kind = nullptr);

}  // namespace jetfault::fuzz
