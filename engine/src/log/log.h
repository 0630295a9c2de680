// log/log.h — the write-ahead transaction log: the seam between the log subsystem
// (framing, generations, checkpoint) and its users (database layer, recovery, backup).
//
// The log subsystem transports typed, opaque record payloads; what a payload means
// is defined by its producer (db/log_records.h). Guarantees:
//  * Append() returns the record's Lgpos; records are totally ordered by Lgpos.
//  * A record is atomic: after a crash it is either wholly readable or absent.
//  * FlushTo(p) returns only when every record at or before p is durable (written
//    and synced). The database layer calls it before writing any page whose last
//    change is at p (write-ahead rule) and a durable commit calls it for its commit
//    record. Flush(sync) writes everything buffered, and syncs it only with sync.
//  * A flush never rewrites a data segment that was written by an earlier flush, so a
//    torn write can only damage data that was never acknowledged durable. The one slot
//    it rewrites holds the previous flush's shadow: a copy of that flush's last
//    segment, written and synced after its data was synced, which lets the reader
//    repair at-rest damage to the last durable segment and prove the rest durable.
//  * Each generation is one file: edb.log (current), edbXXXXX.log (archived).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "faultfs/vfs.h"
#include "format/checkpoint.h"
#include "format/lgpos.h"
#include "format/log_attach.h"
#include "jet/file_names.h"
#include "format/signature.h"
#include "jet/jet.h"

namespace jet::log {

using format::Lgpos;
using format::Signature;

// A database attached to the instance, as recorded in checkpoint and log headers
// (ESE's ATTACHINFO) so that redo knows what to open before it sees an attach record.
// Defined with its codec in format/log_attach.h: dbid, path, sign_db, lgpos_attach,
// lgpos_consistent, page_size.
using AttachInfo = format::AttachInfo;

struct LogConfig {
  faultfs::Vfs* vfs = nullptr;
  std::string log_dir;                      // JET_paramLogFilePath
  std::string base_name = "edb";            // JET_paramBaseName
  std::uint32_t log_file_bytes = 1u << 20;  // JET_paramLogFileSize * 1024
  std::uint32_t page_size = 8192;           // database page size recorded in headers
  bool circular = false;                    // JET_paramCircularLog
};

// "edb.log", "edb0000A.log", "edb.chk", "edbtmp.log": defined in the public
// jet/file_names.h, which tools and the harness read too.
using files::ArchivedLogName;
using files::CheckpointName;
using files::CurrentLogName;
using files::ParseArchivedLogName;
using files::TempLogName;

struct LogRecord {
  std::uint8_t type = 0;
  Lgpos lgpos;  // position of the record's first byte
  std::vector<std::uint8_t> payload;
};

struct GenerationInfo;

// Appends records to the current generation, rolling over to a new one when full.
// Thread-safe: every method may be called from any session thread.
class LogWriter {
 public:
  // Starts a new generation `generation` in lineage `sign_log` (a fresh instance
  // passes generation 1 and a new signature; recovery passes last generation + 1).
  // attach_provider supplies the attach list written into each new generation header.
  // The new generation is written as edbtmp.log, synced, then an existing edb.log
  // (a lower generation) is renamed to its archived name and edbtmp.log to edb.log,
  // then the directory is synced. The header's tmPrevGen is previous->tm_create when
  // `previous` is given, else the tmCreate of generation-1 found in log_dir, else zero.
  // JET_errInvalidLogSequence if log_dir's edb.log is already `generation` or later.
  static JET_ERR Create(const LogConfig& config, const Signature& sign_log, std::int32_t generation,
                        Lgpos prev_generation_end, std::function<std::vector<AttachInfo>()> attach_provider,
                        std::unique_ptr<LogWriter>* out, const GenerationInfo* previous = nullptr);
  virtual ~LogWriter() = default;

  // Buffers a record. JET_errRecordTooBig if it can never fit in one generation.
  virtual JET_ERR Append(std::uint8_t type, std::span<const std::uint8_t> payload, Lgpos* lgpos) = 0;
  // Writes buffered records; with sync, makes them durable. Seals the partial segment.
  virtual JET_ERR Flush(bool sync) = 0;
  // Makes everything at or before lgpos durable (no-op if already durable).
  virtual JET_ERR FlushTo(Lgpos lgpos) = 0;
  // Ends the current generation (archiving edb.log) and starts the next.
  virtual JET_ERR Roll() = 0;
  // Called after a generation is archived, with its number: the instance moves the
  // checkpoint forward and, with circular logging, the writer may then delete
  // generations below the checkpoint (DeleteGenerationsBelow).
  virtual void SetGenerationArchivedCallback(std::function<JET_ERR(std::int32_t)> callback) = 0;
  virtual JET_ERR DeleteGenerationsBelow(std::int32_t generation) = 0;

  virtual Lgpos end() const = 0;      // position the next record will get
  virtual Lgpos durable() const = 0;  // everything before this is durable
  virtual std::int32_t generation() const = 0;
  virtual const Signature& sign_log() const = 0;
};

// One generation found in a directory, header already parsed and checked.
struct GenerationInfo {
  std::int32_t generation = 0;
  std::string path;
  Signature sign_log;
  format::LogTime tm_create;
  format::LogTime tm_prev_gen;
  Lgpos prev_generation_end;
  std::uint32_t page_size = 0;
  bool circular = false;
  std::vector<AttachInfo> attach;
  std::uint16_t csec_file = 0;  // file size in 4 KiB sectors, header included
};

// Lists the generations present in dir (archived logs and edb.log), sorted. Does
// not require contiguity; a header that fails its checksum yields JET_errLogFileCorrupt
// unless it is edb.log with a torn/zero header (then it is skipped: a crash during
// creation), and a file whose name disagrees with its header generation yields
// JET_errLogGenerationMismatch.
JET_ERR ListGenerations(faultfs::Vfs& vfs, const std::string& dir, const std::string& base,
                        std::vector<GenerationInfo>* out);

// Whether the newest generation of dir is lost, given that ListGenerations found no
// edb.log although the lineage went on (archived generations exist): edb.log is absent
// only while a rollover is between its two renames, and then edbtmp.log is present.
// *lost is true when edbtmp.log is absent too (the durable commits in the newest
// generation are gone). I/O errors through IoError().
JET_ERR CurrentLogLost(faultfs::Vfs& vfs, const std::string& dir, const std::string& base, bool* lost);

// Reads records in order across a sequence of generation files, applying the
// torn-tail rule at the end of the last generation and checking chaining
// (sign_log, generation numbers, tm_prev_gen == previous tm_create) between them.
class LogReader {
 public:
  // generations must be sorted and contiguous; reading starts at `start`.
  static JET_ERR Open(faultfs::Vfs& vfs, std::vector<GenerationInfo> generations, Lgpos start,
                      std::unique_ptr<LogReader>* out);
  // The same, reading `generations` where they are (no copy): they must outlive the reader.
  static JET_ERR OpenBorrowed(faultfs::Vfs& vfs, std::span<const GenerationInfo> generations, Lgpos start,
                              std::unique_ptr<LogReader>* out);
  virtual ~LogReader() = default;
  // Next record; *end = true (and JET_errSuccess) at the end of the valid log.
  // Corruption that is not a torn tail yields JET_errLogFileCorrupt.
  virtual JET_ERR Next(LogRecord* record, bool* end) = 0;
  // Position right after the last valid record (where a new generation must begin).
  virtual Lgpos valid_end() const = 0;
  // Generation of the record last returned (or being read): lets hard restore tell
  // a backup-set log from a log-path log when it maps JET_errLogFileCorrupt.
  virtual std::int32_t generation() const = 0;
};

// The checkpoint file (edb.chk, two shadowed 4 KiB copies). Defined with its codec in
// format/checkpoint.h: checkpoint (redo starts here: all page changes before it are
// on disk and no transaction still open began before it), sign_log, attach,
// lgpos_full_backup (zero: no full backup yet), full_backup_gen_low/high,
// lgpos_inc_backup.
using Checkpoint = format::Checkpoint;

// JET_errCheckpointFileNotFound, JET_errCheckpointCorrupt (both copies bad),
// JET_errFileInvalidType; I/O errors through IoError().
JET_ERR ReadCheckpoint(faultfs::Vfs& vfs, const std::string& path, Checkpoint* out);
// Writes both copies and syncs (copy 0 then copy 1, so one is always whole).
JET_ERR WriteCheckpoint(faultfs::Vfs& vfs, const std::string& path, const Checkpoint& checkpoint);

}  // namespace jet::log
