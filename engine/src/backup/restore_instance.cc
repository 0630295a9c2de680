// backup/restore_instance.cc — JetRestoreInstance: restores a set written by
// JetBackupInstance and recovers it (docs/RESTORE.md is the contract).
//
// Nothing is written until the whole set has been verified:
//   1. resolve the instance exactly as JetInit does; check the arguments;
//   2. read the manifest; check the page size and that every name in it stays inside
//      its directory;
//   3. verify the set: every log generation genLow..genHigh present, of the set's
//      lineage, chained, with the manifest's size and CRC; every database copy's
//      headers, trailer and every page checksum;
//   4. choose the log path's generations that continue the set (not with circular
//      logging: those logs were reused, the restore reaches the backup moment);
//   5. copy every database, in one pass that verifies each page before writing it, to
//      a temporary name next to its target (<target>.jetrestore): a refused set
//      leaves the instance's files unchanged (the temporaries are deleted);
//   6. write: delete edb.chk, (circular) delete the lineage's log-path generations
//      after the set, rename every temporary copy over its target;
//   7. RunRecovery with a hard-restore plan, then a clean shutdown;
//   8. check every restored database's B-tree links: the copy recorded each page's
//      links, and only the pages recovery changed are read again.
// Every step is repeatable, so a restore interrupted by a crash can simply be run again
// (a temporary copy left by the crash is recreated).
#include <algorithm>
#include <iterator>
#include <map>
#include <mutex>
#include <new>
#include <set>
#include <vector>

#include <fmt/format.h>

#include "backup/backup_set.h"
#include "backup/page_links.h"
#include "backup/page_writes.h"
#include "base/io_error.h"
#include "core/api_guard.h"
#include "core/instance.h"
#include "core/recovery.h"
#include "db/database_file.h"
#include "faultfs/alloc_fault.h"
#include "faultfs/posix_fs.h"
#include "format/backup_trailer.h"
#include "format/db_header.h"
#include "format/log_segment.h"
#include "format/page.h"
#include "jetfault/assert.h"
#include "log/log.h"
#include "log/log_files.h"

namespace jet::backup {

namespace {

JET_ERR Fail(const faultfs::Status& status, FileKind kind, const std::string& what) {
  SetLastErrorDetail(fmt::format("{}: {}", what, status.ToString()));
  return IoError(status, kind);
}

// What reading a log file header answers when the header itself is damaged: a bad
// checksum or field, a size other than it records, and — behind a checksum that holds
// (restore_fuzzer found these escaping) — another version or file type.
bool IsDamagedLogHeader(JET_ERR err) {
  return err == JET_errLogFileCorrupt || err == JET_errLogFileSizeMismatch || err == JET_errBadLogVersion ||
         err == JET_errFileInvalidType;
}

JET_ERR Refuse(JET_ERR err, const std::string& detail) {
  SetLastErrorDetail(detail);
  return err;
}

// A JSON string literal: quotes, backslashes and control characters escaped.
std::string JsonString(const std::string& text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// The seed's "Event Log entries": one JSON object per step of the restore to
// JET_paramRestoreEventSink (none when it is null).
class RestoreEvents {
 public:
  explicit RestoreEvents(JET_PFNEVENT sink) : sink_(sink) {}
  // fields: `"name": value` pairs, already JSON.
  void Emit(const char* event, const std::string& fields = {}) const {
    if (sink_ == nullptr) return;
    const std::string line = fmt::format("{{\"event\": \"{}\"{}{}}}", event, fields.empty() ? "" : ", ", fields);
    sink_(line.c_str());
  }

 private:
  JET_PFNEVENT sink_;
};

// Where one database of the set goes.
struct Target {
  const format::BackupDbEntry* entry = nullptr;
  std::string path;
  std::string temp_path() const { return path + ".jetrestore"; }
  // Where its link table goes when it outgrows its memory (PageLinkTable::Spill).
  std::string links_path() const { return path + ".jetlinks"; }
  // Every page's links as copied (the file's state when recovery starts).
  PageLinkTable links;
  std::uint64_t link_memory = 0;  // its share of JET_paramRestoreLinkMemoryMax
};

// Pages read, verified and written per I/O while copying a database: large enough that
// the copy runs at the device's streaming speed, small enough to bound memory.
constexpr std::uint64_t kCopyChunkBytes = 1u << 20;

class RestoreJob {
 public:
  RestoreJob(core::InstanceRuntime& rt, std::string set_dir, const char* dest, Progress& progress,
             const RestoreEvents& events)
      : rt_(rt),
        config_(rt.config()),
        vfs_(*config_.vfs),
        set_dir_(std::move(set_dir)),
        dest_(dest == nullptr ? std::string() : std::string(dest)),
        has_dest_(dest != nullptr),
        progress_(progress),
        events_(events) {}

  JET_ERR Run() {
    JET_ERR err = RunSteps();
    // The link tables' spill files never outlive the restore, whatever its outcome
    // (tables that stayed in memory have none: no I/O). A failed delete after a
    // success is the result; after a failure, the first failure stays the result.
    for (Target& target : targets_) {
      const std::string detail = LastErrorDetail();
      const JET_ERR discarded = target.links.Discard();
      if (discarded >= 0) continue;
      if (err >= 0) {
        err = discarded;
      } else {
        SetLastErrorDetail(detail);
      }
    }
    return err;
  }

 private:
  JET_ERR RunSteps() {
    if (JET_ERR err = CheckDirectories(); err < 0) return err;
    if (JET_ERR err = ReadManifest(vfs_, set_dir_, &manifest_); err < 0) return err;
    if (manifest_.page_size != config_.page_size) {
      return Refuse(JET_errPageSizeMismatch, fmt::format("the set has {}-byte pages, JET_paramDatabasePageSize is {}",
                                                         manifest_.page_size, config_.page_size));
    }
    if (const std::string why = config_.LogFileSizeProblem(); !why.empty()) {
      return Refuse(JET_errInvalidParameter, why);
    }
    if (JET_ERR err = ChooseTargets(); err < 0) return err;
    ShareLinkMemory();
    if (JET_ERR err = VerifySetLogs(); err < 0) return err;
    if (JET_ERR err = ChooseLogPathGenerations(); err < 0) return err;
    for (const Target& target : targets_) {
      if (JET_ERR err = CheckTargetNotInUse(target); err < 0) return err;
    }
    if (JET_ERR err = CopyDatabases(); err < 0) return err;
    events_.Emit("set_verified", fmt::format("\"databases\": {}, \"gen_low\": {}, \"gen_high\": {}, "
                                             "\"log_path_generations\": {}",
                                             targets_.size(), manifest_.gen_low, manifest_.gen_high, later_.size()));

    if (JET_ERR err = ClearInstanceState(); err < 0) return err;
    if (JET_ERR err = InstallDatabases(); err < 0) return err;
    // Recovery and the clean shutdown run on a recorder of the pages they change in
    // the restored databases: every other page is as copied, its links already known.
    PageWriteRecorder recorder(vfs_, manifest_.page_size);
    for (const Target& target : targets_) recorder.Watch(target.path);
    if (JET_ERR err = RecoverThrough(recorder); err < 0) return err;
    // Checksums proved each page intact; only the links prove the trees are whole.
    for (Target& target : targets_) {
      if (JET_ERR err = VerifyDatabaseLinks(vfs_, target.path, manifest_.page_size, &target.links,
                                            &recorder.Changed(target.path));
          err < 0) {
        return err;
      }
      // Memory (or the spill file) back before the next database.
      if (JET_ERR err = target.links.Discard(); err < 0) return err;
    }
    // The plan replayed the set's generations, then the log path's.
    JF_ASSERT_EQ(set_count_, manifest_.logs.size());
    JF_ASSERT_GE(plan_.generations.size(), set_count_);
    events_.Emit("recovered", fmt::format("\"databases\": {}, \"generations_replayed\": {}", targets_.size(),
                                          plan_.generations.size()));
    return JET_errSuccess;
  }

  bool circular() const { return (manifest_.flags & format::kBackupFlagCircular) != 0; }

  // RunRecovery and the clean shutdown with the instance's JET_paramVfs replaced by
  // vfs (which forwards to it), put back afterwards whatever happens.
  JET_ERR RecoverThrough(faultfs::Vfs& vfs) {
    struct PutBack {
      core::InstanceRuntime& rt;
      faultfs::Vfs* vfs;
      ~PutBack() {
        std::lock_guard lock(rt.mutex());
        rt.mutable_config().vfs = vfs;
      }
    } put_back{rt_, &vfs_};
    {
      std::lock_guard lock(rt_.mutex());
      JF_ASSERT(rt_.config().vfs == &vfs_);
      rt_.mutable_config().vfs = &vfs;
    }
    plan_ = MakePlan();
    JF_ASSERT_EQ(plan_.start.generation, plan_.generations.front().generation);  // replay starts at the set's first
    if (JET_ERR err = core::RunRecovery(rt_, plan_); err < 0) return err;
    return rt_.ShutdownClean();
  }

  // The seed's four paths (backup, destination, log, system): each must name a usable
  // directory, else JET_errInvalidPath. A missing one is invalid too unless
  // JET_paramCreatePathIfNotExist lets restore create it (never the backup path: it
  // must hold the set). Nothing is created here: that waits until the set is verified.
  JET_ERR CheckDirectories() {
    if (JET_ERR err = CheckDirectory("backup path", set_dir_, FileKind::kBackupSet, false); err < 0) return err;
    if (has_dest_) {
      if (dest_.empty()) return Refuse(JET_errInvalidPath, "the destination path is empty");
      // Restoring into the set itself would overwrite the copies while reading them.
      if (faultfs::JoinPath(dest_, "x") == faultfs::JoinPath(set_dir_, "x")) {
        return Refuse(JET_errInvalidPath, "the destination " + dest_ + " is the backup set directory");
      }
      if (JET_ERR err = CheckDirectory("destination", dest_, FileKind::kDatabase, true); err < 0) return err;
    }
    if (JET_ERR err = CheckDirectory("log path", config_.log_path, FileKind::kLog, true); err < 0) return err;
    return CheckDirectory("system path", config_.system_path, FileKind::kCheckpoint, true);
  }

  JET_ERR CheckDirectory(const std::string& role, const std::string& path, FileKind kind, bool may_create) {
    bool is_dir = false;
    const faultfs::Status s = vfs_.IsDirectory(path, &is_dir);
    if (s.ok()) return is_dir ? JET_errSuccess : Refuse(JET_errInvalidPath, role + " " + path + " is not a directory");
    switch (s.code()) {
      case faultfs::ErrorCode::kNotFound: {
        if (!may_create || !config_.create_paths) {
          return Refuse(JET_errInvalidPath,
                        role + " " + path + " does not exist" +
                            (may_create ? " (set JET_paramCreatePathIfNotExist to create it)" : ""));
        }
        // It will be created once the set is verified; that must not fail then, after
        // the checkpoint is gone, so its nearest existing ancestor must be a directory.
        const std::string parent = faultfs::ParentPath(path);
        if (parent == path || parent == ".") return JET_errSuccess;
        const JET_ERR err = CheckDirectory(role, parent, kind, true);
        if (err == JET_errInvalidPath)
          SetLastErrorDetail(role + " " + path + " cannot be created: " + LastErrorDetail());
        return err;
      }
      case faultfs::ErrorCode::kInvalidPath:
      case faultfs::ErrorCode::kAccessDenied:
        return Refuse(JET_errInvalidPath, role + " " + path + " cannot be used: " + s.ToString());
      default:
        // A device that fails the lookup (EIO, a crash) is an I/O error, reported as one.
        return Fail(s, kind, "stat " + path);
    }
  }

  // mkdir -p (durable) of a directory CheckDirectories accepted; a component that turns
  // out to be a file, or a path the system refuses, is still an invalid path.
  JET_ERR MakeDirectory(const std::string& role, const std::string& path, FileKind kind) {
    const faultfs::Status s = db::MakeDirsDurable(vfs_, path);
    if (s.ok()) return JET_errSuccess;
    if (s.code() == faultfs::ErrorCode::kAccessDenied || s.code() == faultfs::ErrorCode::kInvalidPath) {
      return Refuse(JET_errInvalidPath, role + " " + path + " cannot be created: " + s.ToString());
    }
    return Fail(s, kind, "create " + role + " " + path);
  }

  // Every name the manifest gives must stay where it belongs: database copies and
  // targets directly inside their directories, original paths absolute without "..".
  JET_ERR ChooseTargets() {
    if (manifest_.base_name.empty() || manifest_.base_name.size() > 8 || !IsSafeSetFileName(manifest_.base_name)) {
      return Refuse(JET_errInvalidPath, "the set's log base name is not a plain name");
    }
    std::set<std::string> paths;
    for (const format::BackupDbEntry& entry : manifest_.dbs) {
      if (!IsSafeSetFileName(entry.file_name)) {
        return Refuse(JET_errInvalidPath, "database file name '" + entry.file_name + "' would leave its directory");
      }
      if (IsLogFileName(manifest_.base_name, entry.file_name)) {
        return Refuse(JET_errInvalidPath, "database file name '" + entry.file_name + "' is a log file name");
      }
      // With a destination the original path is only a name to match log records
      // against; without one it is where the file is written, so it must be plain.
      if (!has_dest_ && !IsSafeAbsolutePath(entry.original_path)) {
        return Refuse(JET_errInvalidPath,
                      "original database path '" + entry.original_path + "' is not a plain absolute path");
      }
      Target target;
      target.entry = &entry;
      target.path = has_dest_ ? faultfs::JoinPath(dest_, entry.file_name) : entry.original_path;
      if (!paths.insert(target.path).second)
        return Refuse(JET_errInvalidPath, "two databases restore to " + target.path);
      // The temporary copy and the link table's spill file must not be another
      // database's target (x.edb, x.edb.jetrestore, x.edb.jetlinks).
      for (const std::string& scratch : {target.temp_path(), target.links_path()}) {
        if (!paths.insert(scratch).second) return Refuse(JET_errInvalidPath, "two databases restore to " + scratch);
      }
      const std::string source = faultfs::JoinPath(set_dir_, entry.file_name);
      if (JET_ERR err = RefuseSymlink(vfs_, source, FileKind::kBackupSet, "database copy"); err < 0) return err;
      if (JET_ERR err = RefuseSymlink(vfs_, target.path, FileKind::kDatabase, "restore target"); err < 0) return err;
      targets_.push_back(std::move(target));
    }
    // One target per database of the set, each with its own three paths (target,
    // temporary copy, spill file): no file of the restore is another's.
    JF_ASSERT_EQ(targets_.size(), manifest_.dbs.size());
    JF_ASSERT_EQ(paths.size(), 3 * targets_.size());
    return JET_errSuccess;
  }

  // JET_paramRestoreLinkMemoryMax, shared equally by the databases' link tables (all
  // of them are kept from the copy until the check after recovery).
  void ShareLinkMemory() {
    if (targets_.empty()) return;
    const std::uint64_t share = config_.RestoreLinkMemory() / targets_.size();
    for (Target& target : targets_) target.link_memory = std::max<std::uint64_t>(1, share);  // 0 would be unlimited
  }

  // Only the generations the manifest lists are read (by the names the set gives
  // them): other files in the set directory are not part of the set and are ignored.
  // Headers are checked first for the precise code (another lineage, a generation
  // under the wrong name), then the whole file against the manifest's size and CRC.
  JET_ERR VerifySetLogs() {
    for (const format::BackupLogEntry& entry : manifest_.logs) {
      const std::string path = faultfs::JoinPath(set_dir_, log::ArchivedLogName(manifest_.base_name, entry.generation));
      bool exists = false;
      if (auto s = vfs_.Exists(path, &exists); !s.ok()) return Fail(s, FileKind::kBackupSet, "stat " + path);
      if (!exists) {
        return Refuse(JET_errMissingLogFile,
                      fmt::format("log generation {} ({}) is missing from the backup set", entry.generation, path));
      }
      if (JET_ERR err = RefuseSymlink(vfs_, path, FileKind::kBackupSet, "backup set log"); err < 0) return err;
      format::LogFileHeader header;
      if (JET_ERR err = log::ReadLogFileHeader(vfs_, path, &header); err < 0) {
        if (!IsDamagedLogHeader(err)) return err;
        return Refuse(JET_errLogCorruptDuringHardRestore,
                      fmt::format("{}: damaged header or size ({})", path, JetErrorName(err)));
      }
      if (header.generation != entry.generation) {
        return Refuse(JET_errLogGenerationMismatch,
                      fmt::format("{} holds generation {}, not {}", path, header.generation, entry.generation));
      }
      log::GenerationInfo g = log::MakeGenerationInfo(header, path);
      if (g.sign_log != manifest_.sign_log) {
        return Refuse(JET_errInvalidLogSequence, g.path + " belongs to another log lineage than the set");
      }
      if (!set_generations_.empty() && g.tm_prev_gen != set_generations_.back().tm_create) {
        return Refuse(JET_errInvalidLogSequence, g.path + " does not continue the previous generation");
      }
      if (g.page_size != manifest_.page_size) return Refuse(JET_errPageSizeMismatch, g.path + " has another page size");
      std::uint64_t size = 0;
      std::uint32_t crc = 0;
      if (JET_ERR err = FileCrc(vfs_, g.path, FileKind::kBackupSet, &size, &crc); err < 0) return err;
      if (size != entry.size || crc != entry.crc) {
        return Refuse(JET_errLogCorruptDuringHardRestore,
                      fmt::format("{} differs from what the backup wrote ({} bytes, CRC {:#010x}; the manifest says "
                                  "{} bytes, CRC {:#010x})",
                                  g.path, size, crc, entry.size, entry.crc));
      }
      set_generations_.push_back(std::move(g));
    }
    // The manifest lists gen_low..gen_high, one entry each (its decoder checks that),
    // and every one of them is now verified, in order.
    JF_ASSERT_EQ(set_generations_.size(), manifest_.logs.size());
    JF_ASSERT(!set_generations_.empty());
    JF_ASSERT_EQ(set_generations_.back().generation, manifest_.gen_high);
    return JET_errSuccess;
  }

  // A target held open elsewhere without sharing is JET_errDatabaseSharingViolation,
  // found before anything is written (the rename that installs the copy would fail
  // only after the checkpoint was deleted).
  JET_ERR CheckTargetNotInUse(const Target& target) {
    faultfs::OpenOptions probe{faultfs::Access::kReadWrite, faultfs::kShareNone, faultfs::Disposition::kOpenExisting};
    probe.follow_links = false;
    std::unique_ptr<faultfs::File> file;
    const faultfs::Status s = vfs_.Open(target.path, probe, &file);
    if (s.ok() || s.code() == faultfs::ErrorCode::kNotFound) return JET_errSuccess;
    return Fail(s, FileKind::kDatabase, "open " + target.path);
  }

  // Every database to its temporary name; on any failure the temporaries written so
  // far are deleted, so a refused set leaves nothing behind.
  JET_ERR CopyDatabases() {
    for (Target& target : targets_) {
      if (JET_ERR err = CopyDatabase(target); err >= 0) {
        const std::uint64_t pages = std::uint64_t{target.entry->pgno_last} + 2;
        events_.Emit("database_copied", fmt::format("\"source\": {}, \"target\": {}, \"bytes\": {}",
                                                    JsonString(faultfs::JoinPath(set_dir_, target.entry->file_name)),
                                                    JsonString(target.path), pages * manifest_.page_size));
      } else {
        const std::string detail = LastErrorDetail();
        for (const Target& t : targets_) (void)vfs_.Delete(t.temp_path());  // best effort: the error is err
        SetLastErrorDetail(detail);
        return err;
      }
    }
    return JET_errSuccess;
  }

  // One database file of the set being copied: the open file, a chunk buffer (the first
  // page of it doubles as a one-page buffer) and its header once decoded.
  struct CopySource {
    std::string path;
    std::unique_ptr<faultfs::File> in;
    std::uint64_t page_size = 0;
    std::uint64_t chunk_pages = 0;
    std::vector<std::uint8_t> buffer;
    format::DbHeader header;

    std::span<std::uint8_t> page() { return std::span(buffer.data(), page_size); }
  };

  // Copies one database of the set to target.temp_path() in one pass: size, header
  // pair, manifest and trailer are checked first, then each chunk of pages is read,
  // every page's checksum verified, and only then written.
  JET_ERR CopyDatabase(Target& target) {
    CopySource source;
    if (JET_ERR err = OpenCopySource(target, &source); err < 0) return err;
    return WriteVerifiedCopy(target, source);
  }

  JET_ERR ReadCopySource(CopySource& source, std::uint64_t index, std::span<std::uint8_t> dst) {
    std::size_t got = 0;
    if (auto s = source.in->Read(index * source.page_size, dst, &got); !s.ok()) {
      return Fail(s, FileKind::kBackupSet, "read " + source.path);
    }
    return got == dst.size() ? JET_errSuccess : Refuse(JET_errReadVerifyFailure, source.path + " is short");
  }

  // The verifying half: the file's size, its header pair and its trailer, all checked
  // against the manifest before the first byte of the copy is written.
  JET_ERR OpenCopySource(Target& target, CopySource* source) {
    const format::BackupDbEntry& entry = *target.entry;
    const std::uint64_t page_size = manifest_.page_size;
    source->page_size = page_size;
    source->path = faultfs::JoinPath(set_dir_, entry.file_name);
    if (auto s = vfs_.Open(source->path, NoFollowRead(faultfs::kShareRead), &source->in); !s.ok()) {
      return Fail(s, FileKind::kBackupSet, "open " + source->path);
    }
    std::uint64_t size = 0;
    if (auto s = source->in->Size(&size); !s.ok()) return Fail(s, FileKind::kBackupSet, "size of " + source->path);
    // The header pair, the pages, then the trailer page (after page pgno_last).
    if (size != format::DbPageOffset(std::uint64_t{entry.pgno_last} + 2, page_size)) {
      return Refuse(JET_errReadVerifyFailure,
                    fmt::format("{}: {} bytes, the manifest says {} pages", source->path, size, entry.pgno_last));
    }
    if (!faultfs::AllocationAllowed("restore-page")) return Refuse(JET_errOutOfMemory, "no memory for a page buffer");
    // A chunk, but no larger than the database (a small one is not worth a 1 MiB buffer).
    source->chunk_pages = std::max<std::uint64_t>(
        2, std::min<std::uint64_t>(kCopyChunkBytes / page_size, entry.pgno_last));
    source->buffer.resize(source->chunk_pages * page_size);
    JF_ASSERT_GE(source->buffer.size(), 2 * page_size);  // the header pair is read in one go

    // Header pair, then the trailer: both checked before the first byte is written.
    if (JET_ERR err = ReadCopySource(*source, 0, std::span(source->buffer.data(), 2 * page_size)); err < 0) return err;
    if (JET_ERR err = format::DecodeDbHeaderPair(
            source->page(), std::span(source->buffer.data() + page_size, page_size), &source->header);
        err < 0) {
      return Refuse(err, source->path + ": both header copies are invalid");
    }
    if (JET_ERR err = CheckHeader(source->path, entry, source->header); err < 0) return err;
    if (JET_ERR err = ReadCopySource(*source, format::DbFilePage(std::uint64_t{entry.pgno_last} + 1), source->page());
        err < 0) {
      return err;
    }
    return CheckTrailer(source->path, source->header, source->page());
  }

  // The writing half: the header pair from the copy that decoded, then each chunk of
  // pages once every page in it verified. Fills target.links on the way.
  JET_ERR WriteVerifiedCopy(Target& target, CopySource& source) {
    const format::BackupDbEntry& entry = *target.entry;
    const std::uint64_t page_size = source.page_size;
    const std::uint64_t chunk_pages = source.chunk_pages;
    std::vector<std::uint8_t>& buffer = source.buffer;
    const std::string temp = target.temp_path();
    if (JET_ERR err = MakeDirectory("database directory", faultfs::ParentPath(temp), FileKind::kDatabase); err < 0) {
      return err;
    }
    std::unique_ptr<faultfs::File> out;
    faultfs::OpenOptions create{faultfs::Access::kReadWrite, faultfs::kShareNone, faultfs::Disposition::kCreateAlways};
    create.follow_links = false;  // never write through a link planted at the temporary name
    if (auto s = vfs_.Open(temp, create, &out); !s.ok()) return Fail(s, FileKind::kDatabase, "create " + temp);
    // The table of every page's links, filled as the pages verify: in memory, or (beyond
    // the target's share of the budget) in its spill file next to the temporary copy.
    target.links = PageLinkTable(PageLinkTable::Spill{&vfs_, target.links_path(), target.link_memory});
    if (JET_ERR err = target.links.Resize(entry.pgno_last); err < 0) return err;
    auto write = [&](std::uint64_t index, std::span<const std::uint8_t> src) -> JET_ERR {
      if (auto s = out->Write(index * page_size, src); !s.ok()) return Fail(s, FileKind::kDatabase, "write " + temp);
      return JET_errSuccess;
    };
    // Both copies from the one that decoded: a damaged copy in the set (e.g. a zeroed
    // primary whose shadow is intact) is not carried over into the restored file.
    format::EncodeDbHeader(source.header, source.page());
    for (std::uint64_t copy = 0; copy < 2; ++copy) {
      if (JET_ERR err = write(copy, source.page()); err < 0) return err;
    }
    for (std::uint64_t pgno = 1; pgno <= entry.pgno_last; pgno += chunk_pages) {
      const std::uint64_t n = std::min<std::uint64_t>(chunk_pages, entry.pgno_last - pgno + 1);
      JF_ASSERT_LE(n * page_size, buffer.size());
      const std::span<std::uint8_t> chunk(buffer.data(), n * page_size);
      if (JET_ERR err = ReadCopySource(source, format::DbFilePage(pgno), chunk); err < 0) return err;
      for (std::uint64_t i = 0; i < n; ++i) {
        const std::span<std::uint8_t> page_bytes = chunk.subspan(i * page_size, page_size);
        const auto page_number = static_cast<std::uint32_t>(pgno + i);
        if (JET_ERR err = format::VerifyPage(page_bytes, page_number); err < 0) {
          // A page whose checksum holds but whose layout does not add up fails
          // verification all the same (docs/RESTORE.md; restore_fuzzer found
          // JET_errDatabaseCorrupted escaping here).
          if (err == JET_errDatabaseCorrupted) err = JET_errReadVerifyFailure;
          return Refuse(err, fmt::format("{}: page {} fails verification", source.path, page_number));
        }
        if (JET_ERR err = target.links.Set(page_number, format::LoadPageHeader(page_bytes)); err < 0) return err;
      }
      if (JET_ERR err = write(format::DbFilePage(pgno), chunk); err < 0) return err;
    }
    if (auto s = out->Sync(); !s.ok()) return Fail(s, FileKind::kDatabase, "sync " + temp);
    return JET_errSuccess;
  }

  // After the checkpoint is gone: each verified copy replaces its target, and each
  // directory is synced so the renames survive a power failure.
  JET_ERR InstallDatabases() {
    std::set<std::string> dirs;
    for (const Target& target : targets_) {
      if (auto s = vfs_.Rename(target.temp_path(), target.path); !s.ok()) {
        return Fail(s, FileKind::kDatabase, "rename " + target.temp_path() + " to " + target.path);
      }
      dirs.insert(faultfs::ParentPath(target.path));
    }
    JF_ASSERT_LE(dirs.size(), targets_.size());
    for (const std::string& dir : dirs) {
      if (auto s = vfs_.SyncDir(dir); !s.ok()) return Fail(s, FileKind::kDatabase, "sync directory " + dir);
    }
    return JET_errSuccess;
  }

  JET_ERR CheckHeader(const std::string& source, const format::BackupDbEntry& entry, const format::DbHeader& header) {
    if (header.page_size != manifest_.page_size) return Refuse(JET_errPageSizeMismatch, source + ": page size");
    if (header.bkinfo_full_cur.gen_low == 0) {
      return Refuse(JET_errRestoreOfNonBackupDatabase, source + " was not written by a backup");
    }
    if (header.sign_db != entry.sign_db || header.sign_log != manifest_.sign_log ||
        header.bkinfo_full_cur.lgpos_mark != manifest_.lgpos_mark) {
      return Refuse(JET_errDatabasePatchFileMismatch, source + ": header does not match the manifest");
    }
    // The file's size was checked against the manifest's page count; a header that
    // describes another count would make recovery read pages the copy does not hold,
    // or leave pages it holds outside the database.
    if (header.pgno_last != entry.pgno_last) {
      return Refuse(JET_errDatabasePatchFileMismatch,
                    fmt::format("{}: the header's page count {} does not match the manifest's {}", source,
                                header.pgno_last, entry.pgno_last));
    }
    return JET_errSuccess;
  }

  JET_ERR CheckTrailer(const std::string& source, const format::DbHeader& header, std::span<const std::uint8_t> page) {
    format::BackupTrailer trailer;
    if (format::DecodeBackupTrailer(page, &trailer) < 0) {
      return Refuse(JET_errBadPatchPage, source + ": the trailer page is damaged");
    }
    if (trailer.sign_db != header.sign_db || trailer.sign_log != header.sign_log ||
        trailer.bkinfo != header.bkinfo_full_cur || trailer.pgno_last != header.pgno_last) {
      return Refuse(JET_errDatabasePatchFileMismatch, source + ": the trailer does not match the header");
    }
    if (trailer.gen_min_required < manifest_.gen_low) {
      return Refuse(JET_errStartingRestoreLogTooHigh, source + " needs logs before the set's first generation");
    }
    if (trailer.gen_max_required > manifest_.gen_high) {
      return Refuse(JET_errEndingRestoreLogTooLow, source + " needs logs after the set's last generation");
    }
    return JET_errSuccess;
  }

  // The instance's log path: every generation must be of the set's lineage; those
  // after the set must continue it without a gap (not used with circular logging).
  JET_ERR ChooseLogPathGenerations() {
    std::vector<log::GenerationInfo> found;
    if (JET_ERR err = log::ListGenerations(vfs_, config_.log_path, config_.base_name, &found); err < 0) {
      // A damaged log-path header (or a file of the wrong size) is corruption found by
      // a hard restore in a log-path log.
      if (!IsDamagedLogHeader(err)) return err;
      return Refuse(JET_errLogCorruptDuringHardRecovery,
                    fmt::format("log path {}: {}: {}", config_.log_path, JetErrorName(err), LastErrorDetail()));
    }
    const std::int32_t high = manifest_.gen_high;
    JF_ASSERT(!set_generations_.empty());  // VerifySetLogs ran: the chain continues from its last
    const std::string current_path = faultfs::JoinPath(config_.log_path, log::CurrentLogName(config_.base_name));
    // A restore may use the set directory as its log path: then its logs prove nothing.
    const bool log_path_is_set = faultfs::JoinPath(config_.log_path, "x") == faultfs::JoinPath(set_dir_, "x");
    std::int32_t newest_archived = 0;  // of this lineage, at or past the set's last generation
    bool has_current = false;
    for (log::GenerationInfo& g : found) {
      if (g.sign_log != manifest_.sign_log) {
        return Refuse(JET_errInvalidLogSequence, g.path + " belongs to another log lineage than the backup set");
      }
      if (g.path == current_path) {
        has_current = true;
      } else if (g.generation >= high) {
        newest_archived = std::max(newest_archived, g.generation);
      }
      if (g.generation <= high) continue;
      if (circular()) {
        obsolete_.push_back(g.path);
        continue;
      }
      if (g.page_size != manifest_.page_size) return Refuse(JET_errPageSizeMismatch, g.path + " has another page size");
      const log::GenerationInfo& previous = later_.empty() ? set_generations_.back() : later_.back();
      if (g.generation != previous.generation + 1) {
        return Refuse(JET_errMissingLogFile,
                      fmt::format("log generation {} is missing from the log path", previous.generation + 1));
      }
      if (g.tm_prev_gen != previous.tm_create) {
        return Refuse(JET_errInvalidLogSequence,
                      g.path + " does not continue generation " + std::to_string(previous.generation));
      }
      later_.push_back(std::move(g));
    }
    // What recovery will replay after the set: nothing with circular logging, else the
    // generations right after the set's last, without a gap.
    JF_ASSERT(!circular() || later_.empty());
    JF_ASSERT(later_.empty() || later_.front().generation == high + 1);
    JF_ASSERT(later_.empty() || later_.back().generation == high + static_cast<std::int32_t>(later_.size()));
    // An archived generation at or past the set's last one, or the instance's own
    // checkpoint, proves the lineage went on in this log path, and every rollover
    // leaves a current log behind it: without that log, durable commits are gone, and
    // a restore must say so rather than silently stop early (ESE:
    // MissingCurrentLogFiles). A log path and system path without any trace of the
    // lineage (a new machine) restore to the backup moment.
    if (!circular() && !has_current && !log_path_is_set) {
      const std::string evidence = newest_archived != 0
                                       ? fmt::format("the log path holds generation {} of this lineage",
                                                     newest_archived)
                                       : CheckpointEvidence();
      if (!evidence.empty()) {
        // An earlier restore's recovery may have crashed between a rollover's renames.
        bool lost = false;
        if (JET_ERR err = log::CurrentLogLost(vfs_, config_.log_path, config_.base_name, &lost); err < 0) return err;
        if (lost) return Refuse(JET_errMissingCurrentLogFiles, current_path + " is missing but " + evidence);
      }
    }
    return JET_errSuccess;
  }

  // The instance's checkpoint, when it belongs to the set's lineage and has moved past
  // the set or recorded this backup, shows that a current log existed after the set
  // (a full backup always rolls to a new one). An absent or unreadable checkpoint is
  // no evidence either way.
  std::string CheckpointEvidence() {
    const std::string path = config_.CheckpointPath();
    log::Checkpoint checkpoint;
    if (log::ReadCheckpoint(vfs_, path, &checkpoint) < 0) {
      SetLastErrorDetail({});
      return {};
    }
    if (checkpoint.sign_log != manifest_.sign_log) return {};
    if (checkpoint.checkpoint.generation > manifest_.gen_high) {
      return fmt::format("the checkpoint {} is in generation {}", path, checkpoint.checkpoint.generation);
    }
    if (checkpoint.full_backup_gen_high >= manifest_.gen_high) {
      return fmt::format("the checkpoint {} records this backup", path);
    }
    return {};
  }

  // The old checkpoint would start soft recovery at the wrong place over restored
  // databases; with circular logging, later generations of the lineage are obsolete.
  JET_ERR ClearInstanceState() {
    const std::string checkpoint = config_.CheckpointPath();
    if (auto s = vfs_.Delete(checkpoint); !s.ok() && s.code() != faultfs::ErrorCode::kNotFound) {
      return Fail(s, FileKind::kCheckpoint, "delete " + checkpoint);
    }
    for (const std::string& path : obsolete_) {
      if (auto s = vfs_.Delete(path); !s.ok() && s.code() != faultfs::ErrorCode::kNotFound) {
        return Fail(s, FileKind::kLog, "delete " + path);
      }
    }
    // A restore onto a fresh machine (JET_paramCreatePathIfNotExist) finds no instance
    // directories yet: create them rather than fail when recovery first writes a log
    // there. This also makes the deletions above durable (MakeDirsDurable syncs).
    if (JET_ERR err = MakeDirectory("system path", config_.system_path, FileKind::kCheckpoint); err < 0) return err;
    return MakeDirectory("log path", config_.log_path, FileKind::kLog);
  }

  // The plan holds the one list of the generations from here on (a few hundred bytes each:
  // docs/RESTORE.md, "Memory"): set_generations_ and later_ are emptied, and only the
  // first generation keeps its attach list.
  core::RecoveryPlan MakePlan() {
    core::RecoveryPlan plan;
    plan.generations = std::move(set_generations_);
    set_count_ = plan.generations.size();
    plan.generations.insert(plan.generations.end(), std::make_move_iterator(later_.begin()),
                            std::make_move_iterator(later_.end()));
    std::vector<log::GenerationInfo>().swap(set_generations_);
    std::vector<log::GenerationInfo>().swap(later_);
    for (std::size_t i = 1; i < plan.generations.size(); ++i)
      std::vector<log::AttachInfo>().swap(plan.generations[i].attach);
    // The set's generations, then the log path's: one consecutive run from gen_low.
    JF_ASSERT_GE(set_count_, 1u);
    JF_ASSERT_EQ(plan.generations.front().generation, manifest_.gen_low);
    JF_ASSERT_EQ(plan.generations.back().generation,
                 manifest_.gen_low + static_cast<std::int32_t>(plan.generations.size()) - 1);
    plan.start = format::FirstRecordLgpos(manifest_.gen_low);
    // Only the set's databases: one attached then but not backed up stays untouched.
    for (const log::AttachInfo& a : plan.generations.front().attach) {
      for (const Target& target : targets_) {
        if (target.entry->sign_db == a.sign_db) plan.attach.push_back(a);
      }
    }
    for (const Target& target : targets_) {
      if (target.path != target.entry->original_path) plan.db_path_map[target.entry->original_path] = target.path;
    }
    // Databases attached after the backup go into the destination too.
    if (has_dest_) plan.dest_dir = dest_;
    // The link tables' spill files stay open through recovery: no database the log
    // names may be opened (or created) there.
    for (const Target& target : targets_) plan.reserved_paths.insert(target.links_path());
    plan.hard_restore = true;
    plan.backup_generation_high = manifest_.gen_high;
    plan.on_progress = [this](std::uint32_t done, std::uint32_t total) {
      progress_.Advance(done, total);
      // done generations of the plan (the set's, then the log path's) are replayed.
      for (; replayed_ < done && replayed_ < plan_.generations.size(); ++replayed_) {
        const bool from_set = replayed_ < set_count_;
        const log::GenerationInfo& g = plan_.generations[replayed_];
        events_.Emit("generation_replayed",
                     fmt::format("\"generation\": {}, \"from\": \"{}\", \"path\": {}", g.generation,
                                 from_set ? "backup set" : "log path", JsonString(g.path)));
      }
    };
    return plan;
  }

  core::InstanceRuntime& rt_;
  const core::InstanceConfig config_;
  faultfs::Vfs& vfs_;
  const std::string set_dir_;
  const std::string dest_;
  const bool has_dest_;
  Progress& progress_;
  const RestoreEvents& events_;
  std::uint32_t replayed_ = 0;  // generations reported by generation_replayed events
  format::BackupManifest manifest_;
  std::vector<Target> targets_;
  std::vector<log::GenerationInfo> set_generations_;  // moved into plan_ by MakePlan
  std::vector<log::GenerationInfo> later_;            // moved into plan_ by MakePlan
  std::size_t set_count_ = 0;                         // plan_.generations[0, set_count_) are the set's
  core::RecoveryPlan plan_;
  std::vector<std::string> obsolete_;
};

JET_ERR RestoreInstance(JET_INSTANCE instance, JET_PCSTR sz, JET_PCSTR dest, JET_PFNSTATUS pfn) {
  JET_INSTANCE handle = instance;
  core::InstanceRuntime* rt = nullptr;
  if (JET_ERR err = core::InstanceRuntime::ResolveInstanceForInit(&handle, &rt); err < 0) return err;
  if (sz == nullptr) return Refuse(JET_errInvalidParameter, "JetRestoreInstance needs a backup path");
  if (*sz == '\0') return Refuse(JET_errInvalidPath, "the backup path is empty");
  if (JET_ERR err = rt->BeginRestore(); err < 0) {
    return Refuse(err, err == JET_errRestoreInProgress ? "another JetRestoreInstance holds this instance"
                                                       : "the instance is running");
  }
  struct EndRestore {
    core::InstanceRuntime* rt;
    ~EndRestore() { rt->EndRestore(); }
  } end_restore{rt};
  {
    // As JetInit: an instance without JET_paramVfs runs on the process PosixFs.
    std::lock_guard lock(rt->mutex());
    if (rt->config().vfs == nullptr) rt->mutable_config().vfs = &faultfs::DefaultPosixFs();
  }
  const RestoreEvents events(rt->config().event_sink);  // frozen: JetSetSystemParameter is refused now
  events.Emit("restore_begin", fmt::format("\"backup\": {}, \"dest\": {}", JsonString(sz),
                                           dest == nullptr ? std::string("null") : JsonString(dest)));
  Progress progress(pfn, JET_snpRestore);
  progress.Begin();
  RestoreJob job(*rt, sz, dest, progress, events);
  const JET_ERR err = job.Run();
  if (err >= 0) progress.Complete();
  events.Emit("result", fmt::format("\"err\": {}, \"name\": \"{}\", \"detail\": {}", err, JetErrorName(err),
                                    JsonString(err < 0 ? LastErrorDetail() : std::string())));
  return err;
}

}  // namespace

}  // namespace jet::backup

JET_ERR JetRestoreInstance(JET_INSTANCE instance, JET_PCSTR sz, JET_PCSTR szDest, JET_PFNSTATUS pfn) {
  return jet::core::ApiGuard([&] { return jet::backup::RestoreInstance(instance, sz, szDest, pfn); });
}
