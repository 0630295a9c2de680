// format/backup_manifest.h — the manifest of a backup set (jetbackup.manifest), the
// file JetBackupInstance writes last: a set without a valid manifest is not a backup.
// It says what restore needs before it touches anything: the log lineage, the
// generation range and a CRC-32C of every log file, the page size, and for each
// database its signature, size, file name in the set and original path.
// docs/formats/backup.md describes every byte:
//     0 char[8] magic "JFBKSET1"   8 u32 version (1)   12 u32 cbManifest
//    16 u32 crc32c of bytes [20, cbManifest)   20 u32 flags (0x1 circular logging)
//    24 u32 page size   28 SIGNATURE signLog   56 i32 genLow   60 i32 genHigh
//    64 LGPOS lgposMark (the full backup's log record)   72 LOGTIME logtimeMark
//    80 u16 cbBaseName + base name (log file base, e.g. "edb")
//    then u16 cLogs + cLogs x {i32 generation, u64 cbFile, u32 crc32c}
//    then u16 cDbs  + cDbs  x {u32 dbid, SIGNATURE signDb, u32 pgnoLast,
//                               u16 cbName + file name in the set,
//                               u16 cbPath + original path}
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "format/lgpos.h"
#include "format/signature.h"
#include "jet/jet.h"

namespace jet::format {

inline constexpr std::size_t kBackupManifestMaxSize = 1u << 20;
inline constexpr std::uint32_t kBackupFlagCircular = 0x1;

struct BackupLogEntry {
  std::int32_t generation = 0;
  std::uint64_t size = 0;
  std::uint32_t crc = 0;  // CRC-32C of the whole file
  friend bool operator==(const BackupLogEntry&, const BackupLogEntry&) = default;
};

struct BackupDbEntry {
  std::uint32_t dbid = 0;
  Signature sign_db;
  std::uint32_t pgno_last = 0;  // the copy holds header, shadow, pages 1..pgno_last, trailer
  std::string file_name;        // name inside the backup directory (never a path)
  std::string original_path;
  friend bool operator==(const BackupDbEntry&, const BackupDbEntry&) = default;
};

struct BackupManifest {
  std::uint32_t flags = 0;
  std::uint32_t page_size = 0;
  Signature sign_log;
  std::int32_t gen_low = 0;
  std::int32_t gen_high = 0;
  Lgpos lgpos_mark;
  LogTime logtime_mark;
  std::string base_name;
  std::vector<BackupLogEntry> logs;  // gen_low..gen_high, in order
  std::vector<BackupDbEntry> dbs;
  friend bool operator==(const BackupManifest&, const BackupManifest&) = default;
};

// JET_errInvalidParameter when a string or list is too long for its length field or
// the whole manifest exceeds kBackupManifestMaxSize.
JET_ERR EncodeBackupManifest(const BackupManifest& manifest, std::vector<std::uint8_t>* out);
// Any damage (magic, version, size, crc, a length past the end, logs not exactly
// gen_low..gen_high in order, an unsupported page size) -> JET_errReadVerifyFailure.
// File names are not judged here (backup/backup_set.h does that).
JET_ERR DecodeBackupManifest(std::span<const std::uint8_t> bytes, BackupManifest* out);

}  // namespace jet::format
