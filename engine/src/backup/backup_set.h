// backup/backup_set.h — the backup set on storage, shared by JetBackupInstance and
// JetRestoreInstance: file names and the rules that keep them inside a directory,
// the manifest file, whole-file copies with CRC-32C, and the progress callback.
//
// A full backup set directory holds (docs/formats/backup.md):
//   <db file name>       one per database: header, shadow, pages 1..pgnoLast, trailer
//   edbXXXXX.log         the log generations genLow..genHigh
//   jetbackup.manifest   written last (format/backup_manifest.h)
#pragma once

#include <cstdint>
#include <set>
#include <string>

#include "base/io_error.h"
#include "faultfs/vfs.h"
#include "format/backup_manifest.h"
#include "jet/jet.h"

namespace jet::backup {

inline constexpr char kManifestName[] = "jetbackup.manifest";
inline constexpr char kManifestTempName[] = "jetbackup.manifest.tmp";

// A name that can only mean a file directly inside a directory: non-empty, at most
// 255 bytes, no '/', '\\' or NUL, not "." or "..", not the manifest's own names.
bool IsSafeSetFileName(const std::string& name);
// An absolute path without "." or ".." components, empty components or NUL: what a
// manifest may name as a database's original location.
bool IsSafeAbsolutePath(const std::string& path);

// True when name is one the set's log files use (an archived generation of base, or
// the current log's name): a database copy must not be named like one.
bool IsLogFileName(const std::string& base, const std::string& name);
// The name a database at path gets in the set: its base name, or, when that is taken
// (another database of the same base name, or a log file name), "<stem>-<n><ext>"
// with the smallest free n. Adds the name to *taken. Empty when no safe name exists.
std::string UniqueSetFileName(const std::string& base, const std::string& path, std::set<std::string>* taken);

// Opening an existing file of a backup set for reading without following a symbolic
// link (faultfs::OpenOptions::follow_links): RefuseSymlink explains, this makes it hold
// even if a link is planted after the check.
faultfs::OpenOptions NoFollowRead(std::uint8_t share);

// Restore must not follow a symbolic link out of the set directory (or into a target
// it was not asked to write): JET_errInvalidPath, detail naming the path and its role,
// when path is a link; success when it is not or does not exist; I/O errors mapped
// with kind.
JET_ERR RefuseSymlink(faultfs::Vfs& vfs, const std::string& path, FileKind kind, const std::string& role);

// Reads and decodes dir/jetbackup.manifest. A missing manifest is JET_errFileNotFound
// (the directory holds no complete backup set); damage is JET_errReadVerifyFailure;
// a manifest that is a symbolic link is JET_errInvalidPath.
JET_ERR ReadManifest(faultfs::Vfs& vfs, const std::string& dir, format::BackupManifest* out);
// Syncs the directory (every file the manifest names is durable there first), writes
// the manifest as a temporary file, syncs it, renames it into place and syncs the
// directory: a reader sees the old manifest or the new one, never a torn one, and never
// a manifest naming a file a power failure lost.
JET_ERR WriteManifest(faultfs::Vfs& vfs, const std::string& dir, const format::BackupManifest& manifest);

// Copies an open file (creating or replacing `to`, synced; `to` empty: only reads) and
// returns its size and CRC-32C. Errors reading are mapped with from_kind (`from` names
// the file in messages), writing with to_kind.
JET_ERR CopyOpenFileWithCrc(faultfs::File& in, const std::string& from, FileKind from_kind, faultfs::Vfs& vfs,
                            const std::string& to, FileKind to_kind, std::uint64_t* size, std::uint32_t* crc);
// Size and CRC-32C of a file (kind maps the errors); a symbolic link is not followed.
JET_ERR FileCrc(faultfs::Vfs& vfs, const std::string& path, FileKind kind, std::uint64_t* size, std::uint32_t* crc);

// JET_PFNSTATUS reporting for one operation (snp): Begin 0/100, Progress only when
// cunitDone rises, Complete 100/100. Return values of the callback are ignored (docs/ESE_FACTS.md §2).
class Progress {
 public:
  Progress(JET_PFNSTATUS pfn, JET_SNP snp) : pfn_(pfn), snp_(snp) {}
  void Begin() { Send(JET_sntBegin, 0); }
  // done out of total units; reported as a percentage.
  void Advance(std::uint64_t done, std::uint64_t total);
  void Complete() { Send(JET_sntComplete, 100); }

 private:
  void Send(JET_SNT snt, unsigned long done);
  JET_PFNSTATUS pfn_;
  JET_SNP snp_;
  unsigned long reported_ = 0;
};

}  // namespace jet::backup
