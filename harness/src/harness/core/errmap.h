// harness/core/errmap.h — which JET_err codes each injected fault may produce.
//
// One declarative table: fault class x site (which file the fault hit, and in which
// phase) -> the set of codes an API call may return. Every campaign checks every
// outcome against it: a code outside the set is a violation, whatever else happened.
// The table is the single source of docs/ERRORS.md (`jetfault errmap --markdown`).
//
// What is checked: every call that fails (its code must be in the row), and the
// outcome of each whole phase that succeeded, as JET_errSuccess: a row without
// JET_errSuccess says the fault must make that phase fail (e.g. a corrupt log inside
// the backup set must make the restore fail). JET_errSuccess is allowed wherever the
// content check can still judge the outcome (an injected fault the engine legitimately absorbs, e.g. EIO on deleting an
// obsolete log, or a torn log tail): success is never "ok" by itself, the oracle
// must accept the content too.
//
// Lookup is most-specific-first: (fault, file, phase), then (fault, any file, phase),
// then (fault, file, any phase), then (fault, any, any).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "jet/jet.h"

namespace jetharness {

enum class FaultClass : std::uint8_t {
  kNone,               // no fault active: the follow-up call after a crash or a fault
  kCrash,              // power loss at an I/O point (the interrupted call)
  kIoError,            // EIO on one operation
  kDiskFull,           // ENOSPC on one operation
  kOutOfMemory,        // one allocation refused
  kMissingLog,         // a log generation deleted
  kCorruptPage,        // bytes of a database page changed on the medium
  kCorruptCheckpoint,  // bytes of the checkpoint file changed on the medium
  kCorruptLog,         // bytes inside a log generation changed (not the tail)
  kTornLog,            // the unsynced tail of a log torn at a sector
  kForeignLog,         // a generation from another lineage, or out of order
  kSharingViolation,   // a file held open by another handle without sharing
  kBadArgument,        // API misuse: invalid paths, handles, modes, parameters
  kLostWrite,          // a write the device acknowledged and dropped
  kMisdirectedWrite,   // a write the device acknowledged and stored at another offset
  kForeignDatabase,    // another database's file at the path a log attaches
};
inline constexpr std::size_t kFaultClassCount = 16;

enum class FileRole : std::uint8_t { kAny, kDatabase, kLog, kCheckpoint, kBackupSet };
enum class Phase : std::uint8_t { kAny, kApi, kWorkload, kBackup, kRestore, kRecovery };

const char* FaultClassName(FaultClass fault);
const char* FileRoleName(FileRole role);
const char* PhaseName(Phase phase);
bool ParseFaultClass(const std::string& name, FaultClass* out);

struct ErrCell {
  FaultClass fault;
  FileRole file;
  Phase phase;
  std::vector<JET_ERR> allowed;
  const char* why;  // one line: why these codes (rendered in docs/ERRORS.md)
};

// The table, in documentation order.
const std::vector<ErrCell>& ErrorMapTable();
// Index into ErrorMapTable() of the cell governing (fault, file, phase), or -1.
int FindErrCell(FaultClass fault, FileRole file, Phase phase);

// What a campaign saw for each cell.
class ErrMapCoverage {
 public:
  ErrMapCoverage();
  // Checks one outcome; counts it against its cell. Returns "" when allowed, else a
  // one-line violation ("io_error on log during recovery returned JET_errFoo (-1),
  // allowed: ...").
  std::string Check(FaultClass fault, FileRole file, Phase phase, JET_ERR code);
  void Merge(const ErrMapCoverage& other);
  // Adds `hits` outcomes with `code` to cell `cell`, and violations: how a coverage
  // read back from a JSON report (a worker's case, a shard) is rebuilt.
  void Add(std::size_t cell, JET_ERR code, std::uint64_t hits);
  void AddViolations(std::size_t n) { violations_ += n; }

  std::size_t cells() const { return exercised_.size(); }
  std::size_t exercised_cells() const;
  std::size_t violations() const { return violations_; }
  std::uint64_t hits(std::size_t cell) const { return exercised_[cell]; }
  // Codes actually returned per cell (for the HTML matrix).
  const std::vector<std::vector<std::pair<JET_ERR, std::uint64_t>>>& codes_seen() const { return codes_seen_; }

 private:
  std::vector<std::uint64_t> exercised_;
  std::vector<std::vector<std::pair<JET_ERR, std::uint64_t>>> codes_seen_;
  std::size_t violations_ = 0;
};

// "JET_errDiskIO (-1022)"
std::string CodeLabel(JET_ERR code);
// docs/ERRORS.md, generated: the table and every engine code (JetErrorAt...).
std::string ErrorMapMarkdown();
// A compact plain-text rendering for `jetfault errmap`.
std::string ErrorMapText();

}  // namespace jetharness
