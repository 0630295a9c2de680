// bench_fixture.h — a database built once per benchmark through the public API.
//
// Benchmarks drive the engine exactly as an application would (jet.h only) on a
// MemFs (CPU cost, no device noise) or on real files under a temporary directory.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "faultfs/mem_fs.h"
#include "faultfs/vfs.h"
#include "jet/jet.h"

namespace jetbench {

struct Layout {
  std::string root;  // instance directory
  std::string system_path() const { return root + "/sys"; }
  std::string log_path() const { return root + "/log"; }
  std::string db_path() const { return root + "/db/bench.edb"; }
  std::string backup_path() const { return root + "/backup"; }
};

// Aborts the benchmark binary with the error name: a benchmark of a failing engine
// measures nothing.
void Check(JET_ERR err, const char* what);

// A fresh instance name: names must be unique among live instances.
std::string NextInstanceName();

// Creates an instance (not initialised) with vfs, the layout's paths and the page size.
JET_INSTANCE CreateConfiguredInstance(faultfs::Vfs& vfs, const Layout& layout, unsigned long page_size);

// Creates an instance on vfs with the given page size and returns it initialised.
JET_INSTANCE StartInstance(faultfs::Vfs& vfs, const Layout& layout, unsigned long page_size);

// An initialised instance with one session on a new database at layout.db_path()
// that holds one empty table, open.
struct BenchTable {
  JET_INSTANCE instance = 0;
  JET_SESID sesid = 0;
  JET_DBID dbid = 0;
  JET_TABLEID table = 0;
};
BenchTable StartWithTable(faultfs::Vfs& vfs, const Layout& layout, unsigned long page_size, const char* table_name);

// Loads `records` records of `value_bytes` bytes in transactions of `txn_size`,
// takes a full backup, and shuts down cleanly. Deterministic contents.
void BuildBackedUpDatabase(faultfs::Vfs& vfs, const Layout& layout, unsigned long page_size, std::uint32_t records,
                           std::uint32_t value_bytes, std::uint32_t txn_size);

// Copies every file below `from` to `to` (same relative names) and syncs each: the
// baseline a restore is compared against. Returns bytes copied.
std::uint64_t CopyTree(faultfs::Vfs& vfs, const std::string& from, const std::string& to);

}  // namespace jetbench
