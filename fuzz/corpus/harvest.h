// fuzz/corpus/harvest.h — turns the files of an engine run into seeds: each file is
// cut the way the matching fuzz target reads its input (docs/FUZZING.md):
//   *.edb               db_header_fuzzer  header + shadow
//                       db_page_fuzzer    [size selector][pgno][page] for each page
//                       backup_manifest_fuzzer  the trailer page of a backup copy
//   *.log               log_header_fuzzer the 4 KiB header
//                       log_stream_fuzzer the whole file
//                       log_record_fuzzer each record payload the LogReader returns
//   *.chk               checkpoint_fuzzer each 4 KiB copy
//   jetbackup.manifest  backup_manifest_fuzzer
#pragma once

#include <string>

#include "corpus/seed_writer.h"
#include "faultfs/vfs.h"

namespace jetfault::corpus {

// `label` prefixes every seed name (e.g. "8k-running").
void HarvestSeeds(faultfs::Vfs& fs, const std::string& label, SeedWriter& out);

// [u8 page-size selector][u32 pgno LE][page]: the db_page_fuzzer input layout.
Bytes PageInput(std::uint32_t page_size, std::uint32_t pgno, const Bytes& page);

}  // namespace jetfault::corpus
